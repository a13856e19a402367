"""integrity-risk ledger, controls, reviews, reminders, rectifications

Revision ID: j10_integrity
Revises: i9_meetings
Create Date: 2026-11-27 14:05:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'j10_integrity'
down_revision = 'i9_meetings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('risk_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('manifestation', sa.Text(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('likelihood', sa.Integer(), nullable=True),
    sa.Column('impact', sa.Integer(), nullable=True),
    sa.Column('level', partybuild.core.db.CheckedEnum('high', 'medium', 'low', name='level_enum', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('residual_likelihood', sa.Integer(), nullable=True),
    sa.Column('residual_impact', sa.Integer(), nullable=True),
    sa.Column('residual_level', partybuild.core.db.CheckedEnum('high', 'medium', 'low', name='residual_level_enum', native_enum=False, create_constraint=True, length=8), nullable=True),
    sa.Column('residual_reason', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('owner_name', sa.String(length=40), nullable=False),
    sa.Column('leader_name', sa.String(length=40), nullable=False),
    sa.Column('review_months', sa.Integer(), nullable=True),
    sa.Column('next_review_on', sa.Date(), nullable=False),
    sa.Column('last_reviewed_on', sa.Date(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('retired_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retired_by_id', sa.Integer(), nullable=True),
    sa.Column('retired_reason', sa.String(length=255), nullable=False),
    sa.Column('open_rectifications', sa.Integer(), nullable=False),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("residual_level IS NULL OR residual_reason != '' OR CASE residual_level WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 END <= CASE level WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 END", name=op.f('ck_risk_points_residual_not_above')),
    sa.CheckConstraint('(likelihood IS NULL AND impact IS NULL) OR (likelihood BETWEEN 1 AND 5 AND impact BETWEEN 1 AND 5)', name=op.f('ck_risk_points_inherent_cell')),
    sa.CheckConstraint('(residual_likelihood IS NULL AND residual_impact IS NULL) OR (residual_likelihood BETWEEN 1 AND 5 AND residual_impact BETWEEN 1 AND 5)', name=op.f('ck_risk_points_residual_cell')),
    sa.CheckConstraint('is_active OR retired_at IS NOT NULL', name=op.f('ck_risk_points_retired_has_time')),
    sa.CheckConstraint('review_months IS NULL OR (review_months >= 1 AND review_months <= 36)', name=op.f('ck_risk_points_review_months_range')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_risk_points_branch_id_branches')),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_risk_points_owner_id_members')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_risk_points_post_id_posts')),
    sa.ForeignKeyConstraint(['retired_by_id'], ['users.id'], name=op.f('fk_risk_points_retired_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_points'))
    )
    with op.batch_alter_table('risk_points', schema=None) as batch_op:
        batch_op.create_index('ix_risk_points_branch_active', ['branch_id', 'is_active'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_next_review_on'), ['next_review_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_post_id'), ['post_id'], unique=False)

    op.create_table('risk_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('risk_point_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_risk_acknowledgements_member_id_members')),
    sa.ForeignKeyConstraint(['risk_point_id'], ['risk_points.id'], name=op.f('fk_risk_acknowledgements_risk_point_id_risk_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_acknowledgements')),
    sa.UniqueConstraint('risk_point_id', 'member_id', 'year', name=op.f('uq_risk_acknowledgements_risk_point_id_member_id_year'))
    )
    with op.batch_alter_table('risk_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_acknowledgements_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_acknowledgements_risk_point_id'), ['risk_point_id'], unique=False)

    op.create_table('risk_controls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('risk_point_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner_name', sa.String(length=40), nullable=False),
    sa.Column('frequency', sa.String(length=20), nullable=False),
    sa.Column('evidence', sa.String(length=200), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('retired_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('is_active OR retired_at IS NOT NULL', name=op.f('ck_risk_controls_retired_has_time')),
    sa.ForeignKeyConstraint(['risk_point_id'], ['risk_points.id'], name=op.f('fk_risk_controls_risk_point_id_risk_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_controls'))
    )
    with op.batch_alter_table('risk_controls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_controls_risk_point_id'), ['risk_point_id'], unique=False)

    op.create_table('risk_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('risk_point_id', sa.Integer(), nullable=True),
    sa.Column('talked_on', sa.Date(), nullable=False),
    sa.Column('reminder_name', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_risk_reminders_branch_id_branches')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_risk_reminders_member_id_members')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_risk_reminders_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['risk_point_id'], ['risk_points.id'], name=op.f('fk_risk_reminders_risk_point_id_risk_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_reminders'))
    )
    with op.batch_alter_table('risk_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_reminders_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_reminders_member_id'), ['member_id'], unique=False)

    op.create_table('risk_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('risk_point_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_name', sa.String(length=80), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('level', partybuild.core.db.CheckedEnum('high', 'medium', 'low', name='level_enum', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('residual_level', partybuild.core.db.CheckedEnum('high', 'medium', 'low', name='residual_level_enum', native_enum=False, create_constraint=True, length=8), nullable=True),
    sa.Column('likelihood', sa.Integer(), nullable=True),
    sa.Column('impact', sa.Integer(), nullable=True),
    sa.Column('next_review_on', sa.Date(), nullable=False),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('next_review_on > reviewed_on', name=op.f('ck_risk_reviews_next_after_review')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_risk_reviews_branch_id_branches')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_risk_reviews_reviewer_id_users')),
    sa.ForeignKeyConstraint(['risk_point_id'], ['risk_points.id'], name=op.f('fk_risk_reviews_risk_point_id_risk_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_reviews'))
    )
    with op.batch_alter_table('risk_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_reviews_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index('ix_risk_reviews_point_day', ['risk_point_id', 'reviewed_on'], unique=False)

    op.create_table('risk_rectifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('risk_point_id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('measure', sa.Text(), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('state', partybuild.core.db.CheckedEnum('open', 'in_progress', 'done', 'verified', name='state_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('done_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('done_note', sa.Text(), nullable=False),
    sa.Column('verified_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_by_name', sa.String(length=80), nullable=False),
    sa.Column('verify_note', sa.Text(), nullable=False),
    sa.Column('return_comment', sa.Text(), nullable=False),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(state = 'verified') = (verified_at IS NOT NULL AND verified_by_id IS NOT NULL)", name=op.f('ck_risk_rectifications_verified_has_verifier')),
    sa.CheckConstraint("(state IN ('done', 'verified')) = (done_at IS NOT NULL)", name=op.f('ck_risk_rectifications_done_has_time')),
    sa.CheckConstraint('deadline >= opened_on', name=op.f('ck_risk_rectifications_deadline_after_open')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_risk_rectifications_branch_id_branches')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_risk_rectifications_done_by_id_users')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_risk_rectifications_opened_by_id_users')),
    sa.ForeignKeyConstraint(['responsible_id'], ['members.id'], name=op.f('fk_risk_rectifications_responsible_id_members')),
    sa.ForeignKeyConstraint(['review_id'], ['risk_reviews.id'], name=op.f('fk_risk_rectifications_review_id_risk_reviews')),
    sa.ForeignKeyConstraint(['risk_point_id'], ['risk_points.id'], name=op.f('fk_risk_rectifications_risk_point_id_risk_points')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_risk_rectifications_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_rectifications'))
    )
    with op.batch_alter_table('risk_rectifications', schema=None) as batch_op:
        batch_op.create_index('ix_risk_rectifications_branch_state', ['branch_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_rectifications_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_rectifications_responsible_id'), ['responsible_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_rectifications_review_id'), ['review_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_rectifications_risk_point_id'), ['risk_point_id'], unique=False)

    op.create_table('risk_review_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('control_id', sa.Integer(), nullable=False),
    sa.Column('result', partybuild.core.db.CheckedEnum('done', 'partial', 'not_done', name='result_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.ForeignKeyConstraint(['control_id'], ['risk_controls.id'], name=op.f('fk_risk_review_results_control_id_risk_controls')),
    sa.ForeignKeyConstraint(['review_id'], ['risk_reviews.id'], name=op.f('fk_risk_review_results_review_id_risk_reviews')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_review_results')),
    sa.UniqueConstraint('review_id', 'control_id', name=op.f('uq_risk_review_results_review_id_control_id'))
    )
    with op.batch_alter_table('risk_review_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_review_results_control_id'), ['control_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_review_results_review_id'), ['review_id'], unique=False)



def downgrade():
    with op.batch_alter_table('risk_review_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_review_results_review_id'))
        batch_op.drop_index(batch_op.f('ix_risk_review_results_control_id'))

    op.drop_table('risk_review_results')
    with op.batch_alter_table('risk_rectifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_rectifications_risk_point_id'))
        batch_op.drop_index(batch_op.f('ix_risk_rectifications_review_id'))
        batch_op.drop_index(batch_op.f('ix_risk_rectifications_responsible_id'))
        batch_op.drop_index(batch_op.f('ix_risk_rectifications_deadline'))
        batch_op.drop_index('ix_risk_rectifications_branch_state')

    op.drop_table('risk_rectifications')
    with op.batch_alter_table('risk_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_reviews_point_day')
        batch_op.drop_index(batch_op.f('ix_risk_reviews_branch_id'))

    op.drop_table('risk_reviews')
    with op.batch_alter_table('risk_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_reminders_member_id'))
        batch_op.drop_index(batch_op.f('ix_risk_reminders_branch_id'))

    op.drop_table('risk_reminders')
    with op.batch_alter_table('risk_controls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_controls_risk_point_id'))

    op.drop_table('risk_controls')
    with op.batch_alter_table('risk_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_acknowledgements_risk_point_id'))
        batch_op.drop_index(batch_op.f('ix_risk_acknowledgements_member_id'))

    op.drop_table('risk_acknowledgements')
    with op.batch_alter_table('risk_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_points_post_id'))
        batch_op.drop_index(batch_op.f('ix_risk_points_owner_id'))
        batch_op.drop_index(batch_op.f('ix_risk_points_next_review_on'))
        batch_op.drop_index(batch_op.f('ix_risk_points_level'))
        batch_op.drop_index(batch_op.f('ix_risk_points_category'))
        batch_op.drop_index(batch_op.f('ix_risk_points_branch_id'))
        batch_op.drop_index('ix_risk_points_branch_active')

    op.drop_table('risk_points')
