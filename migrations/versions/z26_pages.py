"""ledger at scale: a rating's day and level read from the index (the Word ledger's rating totals)

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
    op.create_index(
        "ix_public_ratings_commitment_day_level",
        "public_ratings",
        ["commitment_id", "rated_on", "level"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_public_ratings_commitment_day_level", table_name="public_ratings")
