"""commitment pages at scale: the moderation queue reads a branch's comments by state

Revision ID: y25_lists
Revises: w23_scale3
Create Date: 2026-11-27 20:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'y25_lists'
down_revision = 'w23_scale3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_public_ratings_commitment_state",
        "public_ratings",
        ["commitment_id", "comment_state"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_public_ratings_commitment_state", table_name="public_ratings")
