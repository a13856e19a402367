"""model posts, criterion sets, rating rounds

Revision ID: k11_model_posts
Revises: j10_integrity
Create Date: 2026-11-27 14:05:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'k11_model_posts'
down_revision = 'j10_integrity'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rating_criterion_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_builtin', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_criterion_sets')),
    sa.UniqueConstraint('code', name=op.f('uq_rating_criterion_sets_code')),
    sa.UniqueConstraint('name', name=op.f('uq_rating_criterion_sets_name'))
    )
    op.create_table('rating_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('scale_min', sa.Integer(), nullable=False),
    sa.Column('scale_max', sa.Integer(), nullable=False),
    sa.CheckConstraint('scale_min >= 0 AND scale_max > scale_min', name=op.f('ck_rating_criteria_scale_order')),
    sa.CheckConstraint('weight > 0 AND weight <= 100', name=op.f('ck_rating_criteria_weight_range')),
    sa.ForeignKeyConstraint(['set_id'], ['rating_criterion_sets.id'], name=op.f('fk_rating_criteria_set_id_rating_criterion_sets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_criteria')),
    sa.UniqueConstraint('set_id', 'name', name=op.f('uq_rating_criteria_set_id_name'))
    )
    with op.batch_alter_table('rating_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_criteria_set_id'), ['set_id'], unique=False)

    op.create_table('model_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('kind', partybuild.core.db.CheckedEnum('individual', 'collective', name='kind_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('duties', sa.Text(), nullable=False),
    sa.Column('promises', sa.Text(), nullable=False),
    sa.Column('nomination', partybuild.core.db.CheckedEnum('self', 'branch', name='nomination_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('state', partybuild.core.db.CheckedEnum('nominated', 'approved', 'announced', 'designated', 'rejected', 'revoked', name='state_enum', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('nominated_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('nominated_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('announced_on', sa.Date(), nullable=True),
    sa.Column('objection_end_on', sa.Date(), nullable=True),
    sa.Column('open_objections', sa.Integer(), nullable=False),
    sa.Column('plaque_no', sa.String(length=20), nullable=True),
    sa.Column('designated_on', sa.Date(), nullable=True),
    sa.Column('term_end_on', sa.Date(), nullable=True),
    sa.Column('renewed_count', sa.Integer(), nullable=False),
    sa.Column('revoked_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoke_reason', sa.String(length=255), nullable=False),
    sa.Column('rejected_reason', sa.String(length=255), nullable=False),
    sa.Column('service_count', sa.Integer(), nullable=False),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(state = 'revoked') = (revoked_at IS NOT NULL AND revoke_reason != '')", name=op.f('ck_model_posts_revoked_has_reason')),
    sa.CheckConstraint("state NOT IN ('announced', 'designated', 'revoked') OR (announced_on IS NOT NULL AND objection_end_on >= announced_on)", name=op.f('ck_model_posts_announced_has_period')),
    sa.CheckConstraint("state NOT IN ('approved', 'announced', 'designated', 'revoked') OR approved_at IS NOT NULL", name=op.f('ck_model_posts_approved_has_time')),
    sa.CheckConstraint("state NOT IN ('designated', 'revoked') OR (plaque_no IS NOT NULL AND designated_on IS NOT NULL AND term_end_on > designated_on)", name=op.f('ck_model_posts_designated_has_plaque')),
    sa.CheckConstraint('service_count >= 0', name=op.f('ck_model_posts_service_count_positive')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_model_posts_branch_id_branches')),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['users.id'], name=op.f('fk_model_posts_nominated_by_id_users')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_model_posts_post_id_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_posts')),
    sa.UniqueConstraint('plaque_no', name=op.f('uq_model_posts_plaque_no'))
    )
    with op.batch_alter_table('model_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_posts_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index('ix_model_posts_branch_state', ['branch_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_posts_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_posts_state'), ['state'], unique=False)

    op.create_table('rating_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('criterion_set_id', sa.Integer(), nullable=False),
    sa.Column('leader_weight', sa.Integer(), nullable=False),
    sa.Column('peer_weight', sa.Integer(), nullable=False),
    sa.Column('public_weight', sa.Integer(), nullable=False),
    sa.Column('min_raters', sa.Integer(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('state', partybuild.core.db.CheckedEnum('draft', 'open', 'closed', name='state_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('opened_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(state = 'closed') = (closed_at IS NOT NULL)", name=op.f('ck_rating_rounds_closed_has_time')),
    sa.CheckConstraint("state = 'draft' OR opened_at IS NOT NULL", name=op.f('ck_rating_rounds_opened_has_time')),
    sa.CheckConstraint('closes_on >= opens_on', name=op.f('ck_rating_rounds_dates_order')),
    sa.CheckConstraint('leader_weight >= 0 AND peer_weight >= 0 AND public_weight >= 0 AND leader_weight + peer_weight + public_weight = 100', name=op.f('ck_rating_rounds_weights_sum_100')),
    sa.CheckConstraint('min_raters >= 1', name=op.f('ck_rating_rounds_min_raters_positive')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_rating_rounds_branch_id_branches')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_rating_rounds_created_by_id_users')),
    sa.ForeignKeyConstraint(['criterion_set_id'], ['rating_criterion_sets.id'], name=op.f('fk_rating_rounds_criterion_set_id_rating_criterion_sets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_rounds')),
    sa.UniqueConstraint('branch_id', 'title', name=op.f('uq_rating_rounds_branch_id_title'))
    )
    with op.batch_alter_table('rating_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_rounds_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index('ix_rating_rounds_branch_state', ['branch_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_rounds_closes_on'), ['closes_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_rounds_state'), ['state'], unique=False)

    op.create_table('model_post_holders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_post_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_model_post_holders_member_id_members')),
    sa.ForeignKeyConstraint(['model_post_id'], ['model_posts.id'], name=op.f('fk_model_post_holders_model_post_id_model_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_post_holders')),
    sa.UniqueConstraint('model_post_id', 'member_id', name=op.f('uq_model_post_holders_model_post_id_member_id'))
    )
    with op.batch_alter_table('model_post_holders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_post_holders_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_post_holders_model_post_id'), ['model_post_id'], unique=False)

    op.create_table('model_post_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_post_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.Column('resolved_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(resolved_at IS NULL) = (resolution = '')", name=op.f('ck_model_post_objections_resolved_has_resolution')),
    sa.ForeignKeyConstraint(['model_post_id'], ['model_posts.id'], name=op.f('fk_model_post_objections_model_post_id_model_posts')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_model_post_objections_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_model_post_objections_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_post_objections'))
    )
    with op.batch_alter_table('model_post_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_post_objections_model_post_id'), ['model_post_id'], unique=False)

    op.create_table('model_post_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_post_id', sa.Integer(), nullable=False),
    sa.Column('handled_on', sa.Date(), nullable=False),
    sa.Column('demand', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('is_retired', sa.Boolean(), nullable=False),
    sa.Column('retired_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(is_retired AND retired_at IS NOT NULL) OR (NOT is_retired AND retired_at IS NULL)', name=op.f('ck_model_post_services_retired_has_time')),
    sa.ForeignKeyConstraint(['model_post_id'], ['model_posts.id'], name=op.f('fk_model_post_services_model_post_id_model_posts')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_model_post_services_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_post_services'))
    )
    with op.batch_alter_table('model_post_services', schema=None) as batch_op:
        batch_op.create_index('ix_model_post_services_post_day', ['model_post_id', 'handled_on'], unique=False)

    op.create_table('rating_appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('model_post_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', partybuild.core.db.CheckedEnum('open', 'answered', name='state_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('filed_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(state = 'answered') = (answered_at IS NOT NULL AND answer != '')", name=op.f('ck_rating_appeals_answered_has_answer')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_rating_appeals_answered_by_id_users')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_rating_appeals_member_id_members')),
    sa.ForeignKeyConstraint(['model_post_id'], ['model_posts.id'], name=op.f('fk_rating_appeals_model_post_id_model_posts')),
    sa.ForeignKeyConstraint(['round_id'], ['rating_rounds.id'], name=op.f('fk_rating_appeals_round_id_rating_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_appeals'))
    )
    with op.batch_alter_table('rating_appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_appeals_model_post_id'), ['model_post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_appeals_round_id'), ['round_id'], unique=False)

    op.create_table('rating_round_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('model_post_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('grade', sa.String(length=10), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.CheckConstraint('score IS NULL OR (score >= 0 AND score <= 100)', name=op.f('ck_rating_round_posts_score_range')),
    sa.ForeignKeyConstraint(['model_post_id'], ['model_posts.id'], name=op.f('fk_rating_round_posts_model_post_id_model_posts')),
    sa.ForeignKeyConstraint(['round_id'], ['rating_rounds.id'], name=op.f('fk_rating_round_posts_round_id_rating_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_round_posts')),
    sa.UniqueConstraint('round_id', 'model_post_id', name=op.f('uq_rating_round_posts_round_id_model_post_id'))
    )
    with op.batch_alter_table('rating_round_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_round_posts_model_post_id'), ['model_post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_round_posts_round_id'), ['round_id'], unique=False)

    op.create_table('rating_round_raters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('rater_group', partybuild.core.db.CheckedEnum('leader', 'peer', 'public', name='rater_group_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('rated_count', sa.Integer(), nullable=False),
    sa.Column('reminded_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("rater_group IN ('leader', 'peer')", name=op.f('ck_rating_round_raters_assigned_group')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_rating_round_raters_member_id_members')),
    sa.ForeignKeyConstraint(['round_id'], ['rating_rounds.id'], name=op.f('fk_rating_round_raters_round_id_rating_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_round_raters')),
    sa.UniqueConstraint('round_id', 'member_id', name=op.f('uq_rating_round_raters_round_id_member_id'))
    )
    with op.batch_alter_table('rating_round_raters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_round_raters_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_round_raters_round_id'), ['round_id'], unique=False)

    op.create_table('rating_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('model_post_id', sa.Integer(), nullable=False),
    sa.Column('rater_group', partybuild.core.db.CheckedEnum('leader', 'peer', 'public', name='rater_group_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('rated_on', sa.Date(), nullable=False),
    sa.Column('browser_hash', sa.String(length=64), nullable=True),
    sa.Column('ip_hash', sa.String(length=64), nullable=True),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.Column('comment_state', partybuild.core.db.CheckedEnum('none', 'pending', 'approved', 'hidden', name='comment_state_enum', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('moderated_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(comment = '') = (comment_state = 'none')", name=op.f('ck_rating_sheets_comment_has_state')),
    sa.CheckConstraint("(rater_group = 'public') = (browser_hash IS NOT NULL AND ip_hash IS NOT NULL)", name=op.f('ck_rating_sheets_public_has_browser')),
    sa.ForeignKeyConstraint(['model_post_id'], ['model_posts.id'], name=op.f('fk_rating_sheets_model_post_id_model_posts')),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['users.id'], name=op.f('fk_rating_sheets_moderated_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rating_rounds.id'], name=op.f('fk_rating_sheets_round_id_rating_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_sheets')),
    sa.UniqueConstraint('round_id', 'model_post_id', 'browser_hash', name=op.f('uq_rating_sheets_round_id_model_post_id_browser_hash'))
    )
    with op.batch_alter_table('rating_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_sheets_comment_state'), ['comment_state'], unique=False)
        batch_op.create_index('ix_rating_sheets_ip', ['model_post_id', 'ip_hash', 'rated_on'], unique=False)
        batch_op.create_index('ix_rating_sheets_round_post', ['round_id', 'model_post_id', 'rater_group'], unique=False)

    op.create_table('rating_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('model_post_id', sa.Integer(), nullable=False),
    sa.Column('rated_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['model_post_id'], ['model_posts.id'], name=op.f('fk_rating_receipts_model_post_id_model_posts')),
    sa.ForeignKeyConstraint(['rater_id'], ['rating_round_raters.id'], name=op.f('fk_rating_receipts_rater_id_rating_round_raters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_receipts')),
    sa.UniqueConstraint('rater_id', 'model_post_id', name=op.f('uq_rating_receipts_rater_id_model_post_id'))
    )
    op.create_table('rating_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['criterion_id'], ['rating_criteria.id'], name=op.f('fk_rating_scores_criterion_id_rating_criteria')),
    sa.ForeignKeyConstraint(['sheet_id'], ['rating_sheets.id'], name=op.f('fk_rating_scores_sheet_id_rating_sheets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_scores')),
    sa.UniqueConstraint('sheet_id', 'criterion_id', name=op.f('uq_rating_scores_sheet_id_criterion_id'))
    )


def downgrade():
    op.drop_table('rating_scores')
    op.drop_table('rating_receipts')
    with op.batch_alter_table('rating_sheets', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_sheets_round_post')
        batch_op.drop_index('ix_rating_sheets_ip')
        batch_op.drop_index(batch_op.f('ix_rating_sheets_comment_state'))

    op.drop_table('rating_sheets')
    with op.batch_alter_table('rating_round_raters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_round_raters_round_id'))
        batch_op.drop_index(batch_op.f('ix_rating_round_raters_member_id'))

    op.drop_table('rating_round_raters')
    with op.batch_alter_table('rating_round_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_round_posts_round_id'))
        batch_op.drop_index(batch_op.f('ix_rating_round_posts_model_post_id'))

    op.drop_table('rating_round_posts')
    with op.batch_alter_table('rating_appeals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_appeals_round_id'))
        batch_op.drop_index(batch_op.f('ix_rating_appeals_model_post_id'))

    op.drop_table('rating_appeals')
    with op.batch_alter_table('model_post_services', schema=None) as batch_op:
        batch_op.drop_index('ix_model_post_services_post_day')

    op.drop_table('model_post_services')
    with op.batch_alter_table('model_post_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_post_objections_model_post_id'))

    op.drop_table('model_post_objections')
    with op.batch_alter_table('model_post_holders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_post_holders_model_post_id'))
        batch_op.drop_index(batch_op.f('ix_model_post_holders_member_id'))

    op.drop_table('model_post_holders')
    with op.batch_alter_table('rating_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_rounds_state'))
        batch_op.drop_index(batch_op.f('ix_rating_rounds_closes_on'))
        batch_op.drop_index('ix_rating_rounds_branch_state')
        batch_op.drop_index(batch_op.f('ix_rating_rounds_branch_id'))

    op.drop_table('rating_rounds')
    with op.batch_alter_table('model_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_posts_state'))
        batch_op.drop_index(batch_op.f('ix_model_posts_post_id'))
        batch_op.drop_index('ix_model_posts_branch_state')
        batch_op.drop_index(batch_op.f('ix_model_posts_branch_id'))

    op.drop_table('model_posts')
    with op.batch_alter_table('rating_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_criteria_set_id'))

    op.drop_table('rating_criteria')
    op.drop_table('rating_criterion_sets')
