"""reserved: org, greetings, integrity and audit pages at scale

Revision ID: z26_pages
Revises: y25_lists
Create Date: 2026-11-27 20:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'z26_pages'
down_revision = 'y25_lists'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
