"""accounts: forced password change; members' pinyin sort key

Revision ID: o15_accounts
Revises: n14_commitments_proxy
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'o15_accounts'
down_revision = 'n14_commitments_proxy'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_pinyin', sa.String(length=320), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_members_name_pinyin'), ['name_pinyin'], unique=False)
    _fill_name_pinyin()


def _fill_name_pinyin():
    """Existing members get their sort key, in batches (a city's roster is large)."""
    from partybuild.core.pinyin import sort_key

    conn = op.get_bind()
    members = sa.table('members', sa.column('id', sa.Integer), sa.column('name', sa.String),
                       sa.column('name_pinyin', sa.String))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(members.c.id, members.c.name).where(members.c.id > last)
            .order_by(members.c.id).limit(2000)
        ).all()
        if not rows:
            break
        conn.execute(
            members.update().where(members.c.id == sa.bindparam('b_id'))
            .values(name_pinyin=sa.bindparam('b_key')),
            [{'b_id': i, 'b_key': sort_key(name or '')} for i, name in rows],
        )
        last = rows[-1][0]


def downgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_name_pinyin'))
        batch_op.drop_column('name_pinyin')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
