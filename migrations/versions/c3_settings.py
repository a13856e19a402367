"""settings registry: stored setting values

Revision ID: c3_settings
Revises: b2_state_checks
Create Date: 2026-11-27 13:20:00

"""
from alembic import op
import sqlalchemy as sa

import partybuild.core.db


# revision identifiers, used by Alembic.
revision = 'c3_settings'
down_revision = 'b2_state_checks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('settings_values',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_name', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_settings_values_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings_values'))
    )
    # The 29 February rule moves from its own single-row table into the registry.
    conn = op.get_bind()
    conn.execute(sa.text(
        "INSERT INTO settings_values (key, value, updated_at, updated_by_id, updated_by_name) "
        "SELECT 'GREETINGS_LEAP_DAY_RULE', "
        + ("to_json(g.leap_day_rule::text)" if conn.dialect.name == "postgresql"
           else "json_quote(g.leap_day_rule)")
        + ", g.updated_at, g.updated_by_id, COALESCE(NULLIF(u.display_name, ''), u.username, '') "
        "FROM greeting_settings g LEFT JOIN users u ON u.id = g.updated_by_id WHERE g.id = 1"
    ))
    op.drop_table('greeting_settings')


def downgrade():
    op.create_table('greeting_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('leap_day_rule', sa.Enum('feb28', 'mar1', name='leapdayrule', native_enum=False, length=8), nullable=False),
    sa.Column('updated_at', partybuild.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_greeting_settings_single_row')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_greeting_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_greeting_settings'))
    )
    conn = op.get_bind()
    conn.execute(sa.text(
        "INSERT INTO greeting_settings (id, leap_day_rule, updated_at, updated_by_id) "
        "SELECT 1, "
        + ("value #>> '{}'" if conn.dialect.name == "postgresql" else "json_extract(value, '$')")
        + ", updated_at, updated_by_id FROM settings_values "
        "WHERE key = 'GREETINGS_LEAP_DAY_RULE'"
    ))
    op.drop_table('settings_values')
