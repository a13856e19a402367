"""reserved for a parallel branch: r18_reports

Revision ID: r18_reports
Revises: q17_audit_exports
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'r18_reports'
down_revision = 'q17_audit_exports'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
