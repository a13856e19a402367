"""background work queue

Revision ID: d4_background
Revises: c3_settings
Create Date: 2026-11-27 13:20:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'd4_background'
down_revision = 'c3_settings'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
