"""import claims and keyed audit chain

Revision ID: f6_imports_audit
Revises: e5_sessions_logins
Create Date: 2026-11-27 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'f6_imports_audit'
down_revision = 'e5_sessions_logins'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
