"""reserved for a parallel branch: v22_scale2

Revision ID: v22_scale2
Revises: u21_pack
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'v22_scale2'
down_revision = 'u21_pack'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
