"""background work queue

Revision ID: d4_background
Revises: c3_settings
Create Date: 2026-11-27 13:20:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'd4_background'
down_revision = 'c3_settings'
branch_labels = None
depends_on = None


def upgrade():
    # The queue the scheduler process works: large exports, "run now".
    op.create_table('background_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='taskstate', native_enum=False, length=16), nullable=False),
    sa.Column('queued_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('worker', sa.String(length=160), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_background_tasks_state_enum')),
    sa.CheckConstraint("state NOT IN ('done', 'failed') OR finished_at IS NOT NULL", name=op.f('ck_background_tasks_finished_has_time')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_tasks'))
    )
    with op.batch_alter_table('background_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_background_tasks_state_id', ['state', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_background_tasks_ref'), ['ref'], unique=False)


def downgrade():
    with op.batch_alter_table('background_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_background_tasks_ref'))
        batch_op.drop_index('ix_background_tasks_state_id')

    op.drop_table('background_tasks')
