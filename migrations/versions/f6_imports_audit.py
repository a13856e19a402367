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
    # Previewed roster imports, claimed once by their confirmation.
    op.create_table('roster_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=True),
    sa.Column('state', sa.Enum('pending', 'done', name='importstate', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'done')", name=op.f('ck_roster_imports_state_enum')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_roster_imports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_imports')),
    sa.UniqueConstraint('token', name=op.f('uq_roster_imports_token'))
    )
    with op.batch_alter_table('roster_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_imports_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_roster_imports_user_id'), ['user_id'], unique=False)

    # Keyed audit chain: the key id per entry, a signed head.
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
    _sign_existing_head()


def _sign_existing_head():
    """Entries written so far keep their plain SHA-256 hashes (key_id NULL); signing
    the head with the audit key now makes the whole existing chain tamper-evident,
    since every entry is linked to the one the signed head names."""
    from flask import current_app, has_app_context

    from partybuild.core.audit import GENESIS, head_mac, key_id_of

    if not has_app_context() or not current_app.config.get('AUDIT_KEY'):
        return  # offline SQL: `audit verify` reports the unsigned head until the next entry
    key = str(current_app.config['AUDIT_KEY']).strip().encode()
    conn = op.get_bind()
    head = conn.execute(sa.text('SELECT entries, last_id, last_hash FROM audit_head WHERE id = 1')).first()
    if head is None:
        # A database whose chain never had a head: take it from the entries, once.
        count = conn.execute(sa.text('SELECT COUNT(*) FROM audit_entries')).scalar() or 0
        if not count:
            return
        last = conn.execute(sa.text('SELECT id, hash FROM audit_entries ORDER BY id DESC LIMIT 1')).first()
        conn.execute(
            sa.text("INSERT INTO audit_head (id, entries, last_id, last_hash) VALUES (1, :n, :i, :h)"),
            {'n': count, 'i': last.id, 'h': last.hash},
        )
        head = (count, last.id, last.hash)
    entries, last_id, last_hash = head
    if not entries and last_hash == GENESIS:
        return
    conn.execute(
        sa.text('UPDATE audit_head SET key_id = :k, mac = :m WHERE id = 1'),
        {'k': key_id_of(key), 'm': head_mac(key, entries, last_id, last_hash)},
    )


def downgrade():
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('mac')
        batch_op.drop_column('key_id')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('key_id')

    with op.batch_alter_table('roster_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_imports_user_id'))
        batch_op.drop_index(batch_op.f('ix_roster_imports_created_at'))
    op.drop_table('roster_imports')
