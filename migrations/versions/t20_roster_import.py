"""reserved for a parallel branch: t20_roster_import

Revision ID: t20_roster_import
Revises: s19_scale
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 't20_roster_import'
down_revision = 's19_scale'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
