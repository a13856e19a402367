"""city scale: an index for one object's audit history

Revision ID: s19_scale
Revises: r18_reports
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 's19_scale'
down_revision = 'r18_reports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_audit_entries_object", "audit_entries", ["object_type", "object_id", "id"]
    )


def downgrade():
    op.drop_index("ix_audit_entries_object", table_name="audit_entries")
