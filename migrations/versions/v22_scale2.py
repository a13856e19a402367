"""index users.role: the greetings job finds the secretaries without a scan

Revision ID: v22_scale2
Revises: u21_pack
Create Date: 2026-11-27 16:30:00

"""

from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = "v22_scale2"
down_revision = "u21_pack"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_role"), ["role"], unique=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_role"))
