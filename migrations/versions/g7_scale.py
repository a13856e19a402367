"""counters and small tables for pages at city scale

Revision ID: g7_scale
Revises: f6_imports_audit
Create Date: 2026-11-27 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'g7_scale'
down_revision = 'f6_imports_audit'
branch_labels = None
depends_on = None

LEVELS = ("satisfied", "basic", "unsatisfied")


def upgrade():
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        for level in LEVELS:
            batch_op.add_column(
                sa.Column(f'ratings_{level}', sa.Integer(), server_default='0', nullable=False)
            )
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('public_version', sa.Integer(), server_default='1', nullable=False)
        )
        batch_op.add_column(
            sa.Column('public_changed_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True)
        )

    # Backfill the counters from the ratings already stored (one statement per level).
    for level in LEVELS:
        op.execute(
            f"UPDATE commitments SET ratings_{level} = ("
            " SELECT count(*) FROM public_ratings"
            f" WHERE public_ratings.commitment_id = commitments.id AND public_ratings.level = '{level}')"
        )


def downgrade():
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.drop_column('public_changed_at')
        batch_op.drop_column('public_version')
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        for level in reversed(LEVELS):
            batch_op.drop_column(f'ratings_{level}')
