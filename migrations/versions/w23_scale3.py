"""reserved for a parallel branch: w23_scale3

Revision ID: w23_scale3
Revises: v22_scale2
Create Date: 2026-11-27 17:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'w23_scale3'
down_revision = 'v22_scale2'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
