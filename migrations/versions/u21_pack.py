"""reserved for a parallel branch: u21_pack

Revision ID: u21_pack
Revises: t20_roster_import
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'u21_pack'
down_revision = 't20_roster_import'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
