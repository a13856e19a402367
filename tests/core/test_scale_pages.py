"""Pages that grow with data take a constant number of queries; the audit log's filter
values come from its indexes; the rating counters are backfilled by the migration."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import upgrade

from partybuild.core import audit
from partybuild.extensions import db


def _entries(n: int, start: int = 0, *, member_id: int = 1, user_id: int = 1) -> None:
    kinds = [
        ("update", "member", member_id, {"phone": "1", "branch_id": 1}, {"phone": "2", "branch_id": 2}),
        ("login", "user", user_id, None, None),
        ("create", "user", user_id, None, {"role": "secretary", "is_active_account": True}),
        ("export", "export", None, None, {"kind": "roster", "params": {"branch": "all"}}),
    ]  # fmt: skip
    for i in range(start, start + n):
        action, kind, object_id, before, after = kinds[i % len(kinds)]
        audit.record(
            action, kind, object_id, actor="cli", branch_id=1, before=before, after=after,
            summary=f"第{i}条",
        )  # fmt: skip
    db.session.commit()


def test_audit_log_constant_queries_and_filter_values(
    client, auth, org, make_member, query_counter
):
    admin = auth.login("admin")
    member = make_member(name="查询计数")
    _entries(6, member_id=member.id, user_id=admin.id)
    client.get("/audit")
    with query_counter() as small:
        body = client.get("/audit").get_data(as_text=True)
    # Filter values are the registered kinds and the small tables, in Chinese.
    for key, label in (("member", "党员"), ("commitment", "党员承诺"), ("export", "导出文档")):
        assert f'<option value="{key}">{label}</option>' in body
    assert f'<option value="{org.a.id}">{org.a.name}</option>' in body
    assert "查询计数" in body  # the object's name, not "member #id"
    _entries(60, 6, member_id=member.id, user_id=admin.id)
    client.get("/audit")  # warm-up again: the commits above expired the session's objects
    with query_counter() as large:
        assert client.get("/audit").status_code == 200
    assert large.count == small.count
    assert not any("DISTINCT" in s.upper() for s in large.statements)
    # The log itself is read twice: the page and a capped count.
    assert sum("FROM audit_entries" in s for s in large.statements) == 2


def test_export_centre_and_member_search_constant_queries(
    client, auth, make_member, org, query_counter
):
    auth.login("secretary", branch=org.a)
    for i in range(3):
        make_member(name=f"王查找{i}", branch=org.a)
    counts = []
    for grow in (0, 40):
        for i in range(grow):
            make_member(name=f"王查找x{i}", branch=org.a)
        client.get("/reports/")
        with query_counter() as page:
            assert client.get("/reports/").status_code == 200
        with query_counter() as search:
            found = client.get("/reports/members.json?q=王查找").get_json()["members"]
        counts.append((page.count, search.count))
        assert len(found) == (3 if not grow else 20)
    assert counts[0] == counts[1]


def test_migration_backfills_rating_counters(app, backend):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        upgrade(revision="f6_imports_audit")
        old = sa.MetaData()
        old.reflect(db.engine)
        now = datetime(2026, 3, 1, 8, 0)
        with db.engine.begin() as conn:
            ins = lambda table, **v: conn.execute(sa.insert(old.tables[table]).values(**v))  # noqa: E731
            ins("organizations", id=1, name="局机关党委", kind="committee")
            ins("branches", id=1, organization_id=1, code="A", name="第一党支部", is_active=True)
            ins(
                "members", id=1, branch_id=1, name="张", gender="male", birth_on=date(1980, 1, 1),
                joined_on=date(2005, 7, 1), status="full", full_member_on=date(2006, 7, 1),
                title="", is_leader=False, phone="", is_active=True, retired_reason="",
                created_at=now, updated_at=now, version_id=1,
            )  # fmt: skip
            ins(
                "commitment_batches", id=1, branch_id=1, title="年度", status="open",
                commit_start=date(2026, 1, 1), commit_end=date(2026, 2, 1),
                evaluation_start=date(2026, 11, 1), evaluation_end=date(2026, 12, 31),
                created_at=now, version_id=1,
            )  # fmt: skip
            ins(
                "commitments", id=1, batch_id=1, branch_id=1, member_id=1, category="工作",
                content="内容", target="目标", measures="", deadline=date(2026, 10, 1),
                state="published", submitted_at=now, published_at=now, return_comment="",
                closed_reason="", is_withdrawn=False, withdrawn_reason="", progress=0,
                record_count=0, evidence_count=0, created_at=now, updated_at=now, version_id=1,
            )  # fmt: skip
            for i, level in enumerate(["satisfied", "satisfied", "basic", "unsatisfied", "basic"]):
                ins(
                    "public_ratings", commitment_id=1, level=level, comment="",
                    comment_state="none", browser_hash=f"b{i}", ip_hash="ip",
                    rated_on=date(2026, 3, 1) + timedelta(days=i), created_at=now,
                )  # fmt: skip
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT ratings_satisfied, ratings_basic, ratings_unsatisfied FROM commitments"
                )
            ).one()
            assert tuple(row) == (2, 2, 1)
            assert conn.execute(sa.text("SELECT public_version FROM branches")).scalar() == 1
    finally:
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.create_all()


def test_peek_page_counts_rows_up_to_the_cap(app, monkeypatch):
    """The capped count reads no columns, yet counts what the list shows: every row,
    a filtered list's rows, a DISTINCT list's distinct rows; None beyond the cap."""
    from partybuild.core import lists
    from partybuild.core.audit import AuditEntry

    _entries(8)
    everything = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    logins = everything.where(AuditEntry.action == "login")
    kinds = sa.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    n_all = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    page = lists.peek_page(everything, {}, per_page=5)
    assert (page.total, len(page.items), page.has_next) == (n_all, 5, True)
    assert lists.peek_page(logins, {}, per_page=5).total == 2
    assert lists.peek_page(kinds, {}, per_page=5).total == 3  # member, user, export
    monkeypatch.setattr(lists, "COUNT_CAP", 4)
    assert lists.peek_page(everything, {}, per_page=5).total is None
    assert lists.peek_page(logins, {"page": "1"}, per_page=5).total == 2
