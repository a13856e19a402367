"""settings registry: stored setting values

Revision ID: c3_settings
Revises: b2_state_checks
Create Date: 2026-11-27 13:20:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'c3_settings'
down_revision = 'b2_state_checks'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
