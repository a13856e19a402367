"""workbench: branch deputies, acting-for rights, proxy entries

Revision ID: l12_workbench
Revises: k11_model_posts
Create Date: 2026-11-27 14:45:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'l12_workbench'
down_revision = 'k11_model_posts'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
