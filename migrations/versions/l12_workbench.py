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
    op.create_table('branch_deputies',
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=20), nullable=False),
    sa.Column('updated_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_branch_deputies_branch_id_branches')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_branch_deputies_member_id_members')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_branch_deputies_updated_by_id_users')),
    sa.PrimaryKeyConstraint('branch_id', name=op.f('pk_branch_deputies'))
    )
    with op.batch_alter_table('branch_deputies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branch_deputies_member_id'), ['member_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acts_for_secretaries', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('commitment_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_stead', sa.String(length=120), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('commitment_events', schema=None) as batch_op:
        batch_op.drop_column('in_stead')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('acts_for_secretaries')
    with op.batch_alter_table('branch_deputies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_branch_deputies_member_id'))
    op.drop_table('branch_deputies')
