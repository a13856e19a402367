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
    pass


def downgrade():
    pass
