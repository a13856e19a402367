"""reserved for a parallel branch: o15_accounts

Revision ID: o15_accounts
Revises: n14_commitments_proxy
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'o15_accounts'
down_revision = 'n14_commitments_proxy'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
