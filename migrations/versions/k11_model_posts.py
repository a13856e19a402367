"""model posts, criterion sets, rating rounds

Revision ID: k11_model_posts
Revises: j10_integrity
Create Date: 2026-11-27 14:05:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'k11_model_posts'
down_revision = 'j10_integrity'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
