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


def upgrade():
    pass


def downgrade():
    pass
