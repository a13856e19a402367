"""sessions and login throttling

Revision ID: e5_sessions_logins
Revises: d4_background
Create Date: 2026-11-27 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'e5_sessions_logins'
down_revision = 'd4_background'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
