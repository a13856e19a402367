"""reserved for a parallel branch: p16_meetings

Revision ID: p16_meetings
Revises: o15_accounts
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'p16_meetings'
down_revision = 'o15_accounts'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
