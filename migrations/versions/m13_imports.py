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


_COLUMNS = 'token, user_id, filename, row_count, rows, state, created_at, confirmed_at'


def upgrade():
    # Previewed imports of every domain (roster, risk ledger, key tasks), claimed once
    # by their confirmation; replaces roster_imports and the JSON files in instance/imports.
    op.create_table('pending_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=True),
    sa.Column('state', sa.Enum('pending', 'done', name='importstate', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'done')", name=op.f('ck_pending_imports_state_enum')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_pending_imports_branch_id_branches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pending_imports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_imports')),
    sa.UniqueConstraint('token', name=op.f('uq_pending_imports_token'))
    )
    with op.batch_alter_table('pending_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_imports_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_imports_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_imports_user_id'), ['user_id'], unique=False)

    # Roster previews still waiting for their confirmation keep their tokens.
    op.execute(
        f"INSERT INTO pending_imports (kind, {_COLUMNS}) "
        f"SELECT 'roster', {_COLUMNS} FROM roster_imports WHERE state = 'pending'"
    )

    with op.batch_alter_table('roster_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_imports_user_id'))
        batch_op.drop_index(batch_op.f('ix_roster_imports_created_at'))
    op.drop_table('roster_imports')


def downgrade():
    op.create_table('roster_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=True),
    sa.Column('state', sa.Enum('pending', 'done', name='importstate', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'done')", name=op.f('ck_roster_imports_state_enum')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_roster_imports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_imports')),
    sa.UniqueConstraint('token', name=op.f('uq_roster_imports_token'))
    )
    with op.batch_alter_table('roster_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_imports_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_roster_imports_user_id'), ['user_id'], unique=False)

    # Pending roster previews go back; the other kinds' previews are dropped (their
    # old code kept them as files): those users upload again.
    op.execute(
        f"INSERT INTO roster_imports ({_COLUMNS}) "
        f"SELECT {_COLUMNS} FROM pending_imports WHERE kind = 'roster' AND state = 'pending'"
    )

    with op.batch_alter_table('pending_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_imports_user_id'))
        batch_op.drop_index(batch_op.f('ix_pending_imports_created_at'))
        batch_op.drop_index(batch_op.f('ix_pending_imports_branch_id'))
    op.drop_table('pending_imports')
