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
            # Data the migrations seed: the built-in rating criterion sets (no GET writes them).
            seeded = set(conn.scalars(sa.text("SELECT code FROM rating_criterion_sets")))
            weights = dict(
                conn.execute(
                    sa.text(
                        "SELECT s.code, SUM(c.weight) FROM rating_criteria c JOIN"
                        " rating_criterion_sets s ON s.id = c.set_id GROUP BY s.code"
                    )
                ).all()
            )
    finally:
        if backend == "postgresql":  # leave the shared schema as the other tests expect
            db.drop_all()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.create_all()
    modelled = {t.name: model_checks(t, backend) for t in db.metadata.sorted_tables}
    assert diff == [], f"models and migrations differ ({backend}): {diff}"
    assert seeded == {"five", "four_five"} and weights == {"five": 100, "four_five": 100}
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


def test_state_checks_migrate_a_database_with_rows(app, backend):
    """Adding the CHECK constraints rebuilds SQLite tables that other rows refer to;
    the rows and their references survive, and the new checks hold afterwards."""
    from datetime import date, datetime

    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        upgrade(revision="a1_audit_head")
        # Rows go in through the tables as they were at that revision (the ORM models
        # describe the newest schema, whose later columns do not exist yet).
        old = sa.MetaData()
        old.reflect(db.engine)
        now = datetime(2026, 1, 1, 8, 0)
        with db.engine.begin() as conn:

            def add(table: str, **values) -> int:
                return conn.execute(
                    sa.insert(old.tables[table]).values(**values)
                ).inserted_primary_key[0]

            org_id = add("organizations", name="测试局机关党委", kind="committee")
            branch_id = add(
                "branches", organization_id=org_id, code="A", name="第一党支部", is_active=True
            )
            member_id = add(
                "members", branch_id=branch_id, name="党员1", gender="male",
                birth_on=date(1980, 1, 1), joined_on=date(2005, 7, 1), status="full",
                full_member_on=date(2006, 7, 1), title="", is_leader=False, phone="13800000001",
                is_active=True, retired_reason="", created_at=now, updated_at=now, version_id=1,
            )  # fmt: skip
            add(
                "users", username="member_1", display_name="", password_hash="x", role="member",
                branch_id=branch_id, member_id=member_id, is_active=True, is_demo=False,
                failed_logins=0, created_at=now, version_id=1,
            )  # fmt: skip
            batch_id = add(
                "commitment_batches", branch_id=branch_id, title="年度承诺",
                commit_start=date(2026, 1, 1), commit_end=date(2026, 2, 1),
                evaluation_start=date(2026, 11, 1), evaluation_end=date(2026, 12, 31),
                status="open", created_at=now, version_id=1,
            )  # fmt: skip
            c_id = add(
                "commitments", batch_id=batch_id, branch_id=branch_id, member_id=member_id,
                category="工作", content="内容", target="目标", measures="",
                deadline=date(2026, 10, 1), state="draft", return_comment="", closed_reason="",
                is_withdrawn=False, withdrawn_reason="", progress=0, record_count=0,
                evidence_count=0, created_at=now, updated_at=now, version_id=1,
            )  # fmt: skip
            add(
                "commitment_events", commitment_id=c_id, action="create", to_state="draft",
                actor_name="", comment="", created_at=now,
            )  # fmt: skip

        upgrade()

        with db.engine.connect() as conn:
            for table in ("members", "users", "commitments", "commitment_events"):
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 1
            # An existing batch's window for new commitments (开放填报) is its own period.
            window = conn.execute(sa.text("SELECT entry_start, entry_end FROM commitment_batches"))
            assert [str(d) for d in window.one()] == ["2026-01-01", "2026-02-01"]
            proxy = conn.execute(sa.text("SELECT entered_by_id, entered_by_name FROM commitments"))
            assert tuple(proxy.one()) == (None, "")
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
