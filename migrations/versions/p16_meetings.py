"""branch committees (支部委员会); built-in rating criterion sets seeded here, not on a GET

Revision ID: p16_meetings
Revises: o15_accounts
Create Date: 2026-11-27 16:30:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'p16_meetings'
down_revision = 'o15_accounts'
branch_labels = None
depends_on = None

POSTS = ('secretary', 'deputy_secretary', 'organization', 'propaganda', 'discipline', 'youth', 'member')


def upgrade():
    op.create_table('branch_committee_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('post', sa.Enum(*POSTS, name='committeepost', native_enum=False, length=24), nullable=False),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("post IN ('secretary', 'deputy_secretary', 'organization', 'propaganda', 'discipline', 'youth', 'member')", name=op.f('ck_branch_committee_members_post_enum')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_branch_committee_members_branch_id_branches')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_branch_committee_members_member_id_members')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_branch_committee_members_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_branch_committee_members')),
    sa.UniqueConstraint('branch_id', 'member_id', name=op.f('uq_branch_committee_members_branch_id_member_id'))
    )
    with op.batch_alter_table('branch_committee_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branch_committee_members_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_branch_committee_members_member_id'), ['member_id'], unique=False)
    _seed_criterion_sets()


def _seed_criterion_sets():
    """The built-in criterion sets exist from the start, so that no page has to write
    them on a GET (the "new round" form used to)."""
    from partybuild.ratings.service import DEFAULT_SETS

    sets = sa.table(
        'rating_criterion_sets',
        sa.column('id', sa.Integer), sa.column('code', sa.String), sa.column('name', sa.String),
        sa.column('description', sa.Text), sa.column('is_builtin', sa.Boolean),
        sa.column('is_active', sa.Boolean), sa.column('created_at', partybuild.core.db.UTCDateTime()),
        sa.column('version_id', sa.Integer),
    )
    criteria = sa.table(
        'rating_criteria',
        sa.column('set_id', sa.Integer), sa.column('position', sa.Integer),
        sa.column('name', sa.String), sa.column('description', sa.String),
        sa.column('weight', sa.Integer), sa.column('scale_min', sa.Integer),
        sa.column('scale_max', sa.Integer),
    )
    conn = op.get_bind()
    existing = set(conn.scalars(sa.select(sets.c.code)))
    now = datetime.now(timezone.utc)
    for spec in DEFAULT_SETS:
        if spec['code'] in existing:
            continue
        conn.execute(sets.insert().values(
            code=spec['code'], name=spec['name'], description=spec['description'],
            is_builtin=True, is_active=True, created_at=now, version_id=1,
        ))
        set_id = conn.scalar(sa.select(sets.c.id).where(sets.c.code == spec['code']))
        conn.execute(criteria.insert(), [
            {'set_id': set_id, 'position': i, 'name': name, 'description': desc,
             'weight': weight, 'scale_min': 1, 'scale_max': 10}
            for i, (name, desc, weight) in enumerate(spec['criteria'])
        ])


def downgrade():
    # The seeded criterion sets stay: rounds may already use them.
    with op.batch_alter_table('branch_committee_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_branch_committee_members_member_id'))
        batch_op.drop_index(batch_op.f('ix_branch_committee_members_branch_id'))
    op.drop_table('branch_committee_members')
