"""CHECK constraints on every state/kind column

Revision ID: b2_state_checks
Revises: a1_audit_head
Create Date: 2026-11-27 13:20:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'b2_state_checks'
down_revision = 'a1_audit_head'
branch_labels = None
depends_on = None

COMMITMENT_STATES = [
    'draft', 'submitted', 'published', 'in_progress', 'awaiting_evaluation', 'evaluated',
    'not_fulfilled',
]

# {table: {column: allowed values}}, as the enums stood at this revision. The names
# are those str_enum gives: ck_<table>_<column>_enum.
CHECKS = {
    'job_runs': {
        'trigger': ['schedule', 'manual', 'web'],
        'outcome': ['running', 'success', 'failed', 'skipped'],
    },
    'organizations': {'kind': ['committee']},
    'members': {
        'gender': ['male', 'female'],
        'status': ['full', 'probationary'],
    },
    'users': {'role': ['admin', 'secretary', 'member', 'reviewer']},
    'commitment_batches': {'status': ['open', 'closed']},
    'exports': {'status': ['pending', 'running', 'done', 'failed']},
    'greeting_settings': {'leap_day_rule': ['feb28', 'mar1']},
    'commitments': {'state': COMMITMENT_STATES},
    'greetings': {
        'gift_kind': ['cake', 'gift', 'other'],
        'email_status': ['none', 'pending', 'sending', 'sent', 'failed'],
    },
    'commitment_evaluations': {'kind': ['self', 'branch', 'leader']},
    'public_ratings': {
        'level': ['satisfied', 'basic', 'unsatisfied'],
        'comment_state': ['none', 'pending', 'approved', 'hidden'],
    },
    'commitment_events': {
        'from_state': COMMITMENT_STATES,
        'to_state': COMMITMENT_STATES,
    },
}


def upgrade():
    # On SQLite each batch rebuilds the table (copy, drop, rename); env.py turns
    # foreign-key enforcement off around the migrations so parent tables can be dropped.
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(
                    op.f(f'ck_{table}_{column}_enum'), sa.column(column).in_(values)
                )


def downgrade():
    for table, columns in reversed(CHECKS.items()):
        with op.batch_alter_table(table) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}_enum'), type_='check')
