"""The migrations produce exactly the schema the models describe."""

import re

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from partybuild.extensions import db


def test_migrations_match_models(app, backend):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, db.metadata)
            # Alembic's compare ignores CHECK constraints: compare them per table here.
            migrated = {t.name: migrated_checks(conn, t.name) for t in db.metadata.sorted_tables}
    finally:
        if backend == "postgresql":  # leave the shared schema as the other tests expect
            db.drop_all()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.create_all()
    modelled = {t.name: model_checks(t, backend) for t in db.metadata.sorted_tables}
    assert diff == [], f"models and migrations differ ({backend}): {diff}"
    for name in modelled:
        assert migrated[name] == modelled[name], f"CHECK constraints of {name} ({backend})"


def migrated_checks(conn: sa.Connection, table: str) -> dict[str, str]:
    return {
        ck["name"]: normalise(ck["sqltext"], conn.dialect.name)
        for ck in sa.inspect(conn).get_check_constraints(table)
    }


def model_checks(table: sa.Table, backend: str) -> dict[str, str]:
    dialect = db.engine.dialect
    found = {}
    for ck in table.constraints:
        if isinstance(ck, sa.CheckConstraint):
            text = str(
                ck.sqltext.compile(
                    dialect=dialect, compile_kwargs={"literal_binds": True, "include_table": False}
                )
            )
            found[ck.name] = normalise(text, backend)
    return found


def normalise(text: str, backend: str) -> str:
    """SQLite keeps the text as written, so compare it whole (spacing, brackets and
    quoting aside); PostgreSQL rewrites it (casts, ANY(ARRAY[…])), so compare the
    literals it names, which for an enum's CHECK are its allowed values."""
    if backend == "sqlite":
        return re.sub(r'[\s()"`]', "", text).lower()
    return " ".join(sorted(set(re.findall(r"'([^']*)'", text))))


def test_state_checks_migrate_a_database_with_rows(app, backend, make_member):
    """Adding the CHECK constraints rebuilds SQLite tables that other rows refer to;
    the rows and their references survive, and the new checks hold afterwards."""
    from datetime import date

    from partybuild.commitments.models import Commitment, CommitmentBatch, CommitmentEvent
    from partybuild.org.models import Branch, Organization

    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        upgrade(revision="a1_audit_head")
        db.session.add(Organization(name="测试局机关党委"))
        db.session.flush()
        branch = Branch(organization_id=1, code="A", name="第一党支部")
        db.session.add(branch)
        db.session.commit()
        member = make_member(branch=branch)
        # The account row as the a1 schema knew the table (later revisions add columns
        # to users, which the ORM model would insert).
        db.session.execute(
            sa.text(
                "INSERT INTO users (username, display_name, password_hash, role, branch_id,"
                " member_id, is_active, is_demo, failed_logins, created_at, version_id)"
                " VALUES ('m1', '', 'x', 'member', :b, :m, true, false, 0, CURRENT_TIMESTAMP, 1)"
            ),
            {"b": branch.id, "m": member.id},
        )
        db.session.commit()
        batch = CommitmentBatch(
            branch_id=branch.id,
            title="年度承诺",
            commit_start=date(2026, 1, 1),
            commit_end=date(2026, 2, 1),
            evaluation_start=date(2026, 11, 1),
            evaluation_end=date(2026, 12, 31),
        )
        db.session.add(batch)
        db.session.flush()
        c = Commitment(
            batch_id=batch.id,
            branch_id=branch.id,
            member_id=member.id,
            category="工作",
            content="内容",
            target="目标",
            deadline=date(2026, 10, 1),
        )
        db.session.add(c)
        db.session.flush()
        db.session.add(CommitmentEvent(commitment_id=c.id, action="create", to_state="draft"))
        db.session.commit()
        db.session.remove()

        upgrade()

        with db.engine.connect() as conn:
            for table in ("members", "users", "commitments", "commitment_events"):
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 1
            if backend == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            with pytest.raises(IntegrityError):
                conn.execute(sa.text("UPDATE commitments SET state = 'bogus'"))
    finally:
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.create_all()
