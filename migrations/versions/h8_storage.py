"""stored files behind one storage interface

Revision ID: h8_storage
Revises: g7_scale
Create Date: 2026-11-27 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'h8_storage'
down_revision = 'g7_scale'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
