"""reserved: workbench panels at scale

Revision ID: x24_home
Revises: w23_scale3
Create Date: 2026-11-27 20:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'x24_home'
down_revision = 'w23_scale3'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
