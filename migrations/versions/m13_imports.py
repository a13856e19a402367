"""pending imports of every domain in one table

Revision ID: m13_imports
Revises: l12_workbench
Create Date: 2026-11-27 14:45:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'm13_imports'
down_revision = 'l12_workbench'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
