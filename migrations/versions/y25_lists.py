"""reserved: commitment pages at scale

Revision ID: y25_lists
Revises: x24_home
Create Date: 2026-11-27 20:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'y25_lists'
down_revision = 'x24_home'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
