"""reserved for a parallel branch: n14_commitments_proxy

Revision ID: n14_commitments_proxy
Revises: m13_imports
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'n14_commitments_proxy'
down_revision = 'm13_imports'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
