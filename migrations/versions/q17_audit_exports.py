"""reserved for a parallel branch: q17_audit_exports

Revision ID: q17_audit_exports
Revises: p16_meetings
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'q17_audit_exports'
down_revision = 'p16_meetings'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
