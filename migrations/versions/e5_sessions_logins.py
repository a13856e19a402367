"""sessions and login throttling

Revision ID: e5_sessions_logins
Revises: d4_background
Create Date: 2026-11-27 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'e5_sessions_logins'
down_revision = 'd4_background'
branch_labels = None
depends_on = None


def upgrade():
    # Part of the login token: raising it ends every session of the user.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
