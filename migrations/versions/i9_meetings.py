"""meetings, attendance, minutes, resolutions and key tasks

Revision ID: i9_meetings
Revises: h8_storage
Create Date: 2026-11-27 14:05:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'i9_meetings'
down_revision = 'h8_storage'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
