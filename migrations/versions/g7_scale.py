"""counters and small tables for pages at city scale

Revision ID: g7_scale
Revises: f6_imports_audit
Create Date: 2026-11-27 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'g7_scale'
down_revision = 'f6_imports_audit'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
