"""commitments: entered by proxy (代填), a batch's window for new commitments (开放填报)

Revision ID: n14_commitments_proxy
Revises: m13_imports
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'n14_commitments_proxy'
down_revision = 'm13_imports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('commitment_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('entry_end', sa.Date(), nullable=True))
    # Existing batches: the window for new commitments is the batch's own period.
    op.execute(
        "UPDATE commitment_batches SET entry_start = commit_start, entry_end = commit_end"
    )
    with op.batch_alter_table('commitment_batches', schema=None) as batch_op:
        batch_op.alter_column('entry_start', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('entry_end', existing_type=sa.Date(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_commitment_batches_entry_window_order'), 'entry_end >= entry_start')
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('entered_by_name', sa.String(length=80), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_commitments_entered_by_id_users'), 'users', ['entered_by_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_commitments_proxy_has_name'), "entered_by_id IS NULL OR entered_by_name != ''")
    with op.batch_alter_table('commitment_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_proxy', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('commitment_events', schema=None) as batch_op:
        batch_op.drop_column('by_proxy')
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_commitments_proxy_has_name'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_commitments_entered_by_id_users'), type_='foreignkey')
        batch_op.drop_column('entered_by_name')
        batch_op.drop_column('entered_by_id')
    with op.batch_alter_table('commitment_batches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_commitment_batches_entry_window_order'), type_='check')
        batch_op.drop_column('entry_end')
        batch_op.drop_column('entry_start')
