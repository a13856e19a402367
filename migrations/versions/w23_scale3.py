"""data versions: counters bumped with every change to the data cached under them

Revision ID: w23_scale3
Revises: v22_scale2
Create Date: 2026-11-27 17:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'w23_scale3'
down_revision = 'v22_scale2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )


def downgrade():
    op.drop_table("data_versions")
