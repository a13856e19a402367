"""m13 moves roster previews waiting for confirmation into pending_imports, and back."""

import json
from datetime import date, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from partybuild.extensions import db


def test_pending_roster_imports_survive_the_move(app, backend):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        upgrade(revision="l12_workbench")
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
            user_id = add(
                "users", username="sec", display_name="", password_hash="x", role="secretary",
                branch_id=branch_id, is_active=True, is_demo=False, failed_logins=0,
                created_at=now, version_id=1,
            )  # fmt: skip
            rows = [{"row": 2, "name": "党员1", "birth_on": str(date(1980, 1, 1))}]
            for token, state in (("waiting-token-1", "pending"), ("spent-token-22", "done")):
                add(
                    "roster_imports", token=token, user_id=user_id, filename="r.csv",
                    row_count=1, rows=rows if state == "pending" else None, state=state,
                    created_at=now,
                )  # fmt: skip

        upgrade(revision="m13_imports")
        with db.engine.connect() as conn:
            moved = conn.execute(
                sa.text("SELECT kind, token, user_id, state, rows FROM pending_imports")
            ).all()
            assert [(k, t, u, s) for k, t, u, s, _ in moved] == [
                ("roster", "waiting-token-1", user_id, "pending")
            ]
            kept = moved[0].rows  # SQLite hands JSON back as text here
            assert (json.loads(kept) if isinstance(kept, str) else kept)[0]["name"] == "党员1"
            assert not sa.inspect(conn).has_table("roster_imports")

        downgrade(revision="l12_workbench")
        with db.engine.connect() as conn:
            back = conn.execute(sa.text("SELECT token, state FROM roster_imports")).all()
            assert [tuple(r) for r in back] == [("waiting-token-1", "pending")]
            assert not sa.inspect(conn).has_table("pending_imports")
    finally:
        db.session.remove()
        with db.engine.begin() as conn:  # not in the models: drop_all leaves it behind
            conn.exec_driver_sql("DROP TABLE IF EXISTS roster_imports")
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.create_all()
