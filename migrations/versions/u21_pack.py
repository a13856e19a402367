"""exports: the PDF copy beside the Word file (status, digest, size, stored path, error)

Revision ID: u21_pack
Revises: t20_roster_import
Create Date: 2026-11-27 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'u21_pack'
down_revision = 't20_roster_import'
branch_labels = None
depends_on = None


PDF_STATES = ['none', 'pending', 'running', 'done', 'failed']


def upgrade():
    with op.batch_alter_table('exports') as batch_op:
        batch_op.add_column(
            sa.Column('pdf_status', sa.String(length=16), server_default='none', nullable=False)
        )
        batch_op.add_column(sa.Column('pdf_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pdf_size_bytes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pdf_storage_path', sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column('pdf_error', sa.String(length=500), server_default='', nullable=False)
        )
        batch_op.create_check_constraint(
            op.f('ck_exports_pdf_status_enum'), sa.column('pdf_status').in_(PDF_STATES)
        )
        batch_op.create_check_constraint(
            op.f('ck_exports_pdf_done_has_file'),
            "pdf_status != 'done' OR (pdf_sha256 IS NOT NULL AND pdf_size_bytes IS NOT NULL "
            "AND pdf_storage_path IS NOT NULL)",
        )


def downgrade():
    with op.batch_alter_table('exports') as batch_op:
        batch_op.drop_constraint(op.f('ck_exports_pdf_done_has_file'), type_='check')
        batch_op.drop_constraint(op.f('ck_exports_pdf_status_enum'), type_='check')
        for column in ('pdf_error', 'pdf_storage_path', 'pdf_size_bytes', 'pdf_sha256', 'pdf_status'):
            batch_op.drop_column(column)
