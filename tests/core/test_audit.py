"""Audit trail: entries for every change, the hash chain, `audit verify`, the /audit browser."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from partybuild.core import audit
from partybuild.core.audit import GENESIS, AuditEntry, verify_chain
from partybuild.core.db import utcnow
from partybuild.core.timeutil import to_local
from partybuild.extensions import db
from tests.org.helpers import member_form


def _entries(**filters):
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id)
    for key, value in filters.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(stmt))


def _text(resp):
    return resp.get_data(as_text=True)


def _some_entries(n=5):
    for i in range(n):
        audit.record(
            "update",
            "member",
            i + 1,
            actor="tester",
            branch_id=1,
            before={"name": f"旧{i}", "n": i},
            after={"name": f"新{i}", "n": i + 1},
            summary=f"第{i}条",
        )
    db.session.commit()
    return _entries()


# --- what gets recorded --------------------------------------------------------------


def test_member_lifecycle_and_login_and_export_are_recorded(client, auth, org, make_user):
    secretary = make_user("secretary", branch=org.a, password="Correct-horse-9")
    resp = client.post(
        "/auth/login", data={"username": secretary.username, "password": "Correct-horse-9"}
    )
    assert resp.status_code == 302
    before = utcnow()
    client.post("/org/members/new", data=member_form(org))
    (created,) = _entries(action="create", object_type="member")
    member_id = created.object_id
    data = member_form(org, phone="13900000000", version_id=1)
    client.post(f"/org/members/{member_id}/edit", data=data)
    client.post(f"/org/members/{member_id}/retire", data={"reason": "组织关系转出"})
    client.post(f"/org/members/{member_id}/reinstate")
    client.get("/org/members/export.xlsx")

    trail = _entries()
    assert [e.action for e in trail] == [
        "login", "create", "update", "retire", "reinstate", "export",
    ]  # fmt: skip
    for entry in trail:
        assert entry.actor_id == secretary.id and entry.actor_name == secretary.username
        assert entry.created_at.tzinfo is not None
        assert entry.created_at >= before - timedelta(seconds=5)
        assert entry.ip == "127.0.0.1"
    login, create, update, retire, reinstate, export = trail
    assert login.object_type == "user" and login.object_id == str(secretary.id)
    assert create.before is None and create.after["phone"] == "13912345678"
    assert update.before["phone"] == "13912345678" and update.after["phone"] == "13900000000"
    assert update.changes == [("phone", "13912345678", "13900000000")]
    assert retire.after["reason"] == "组织关系转出"
    assert all(e.branch_id == org.a.id for e in (create, update, retire, reinstate, export))
    assert export.object_type == "member" and "1 人" in export.summary
    assert verify_chain().ok


def test_refused_actions_write_nothing(client, auth, org, make_member):
    member = make_member(branch=org.b)
    auth.login("secretary", branch=org.a)
    client.post(f"/org/members/{member.id}/retire", data={"reason": "越权"})
    client.post("/org/members/new", data=member_form(org, full_member_on="1990-01-01"))
    assert _entries() == []


# --- the chain ------------------------------------------------------------------------


def test_entries_are_chained(app):
    entries = _some_entries(4)
    assert entries[0].prev_hash == GENESIS
    for prev, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == prev.hash
        assert entry.hash == entry.compute_hash()
    assert len({e.hash for e in entries}) == 4
    result = verify_chain()
    assert result.ok and result.checked == 4


def test_hash_survives_the_database_round_trip(app):
    """What is hashed at write time is what the database gives back (tz, JSON, unicode)."""
    audit.record(
        "update",
        "member",
        "7",
        actor="tester",
        before={"date": "2024-02-29", "nested": {"b": [1, 2], "a": None}, "f": 0.1 + 0.2},
        after={"name": "王䶮", "flag": True},
        summary="长" * 300,
    )
    db.session.commit()
    db.session.expire_all()
    (entry,) = _entries()
    assert len(entry.summary) == 255
    assert entry.hash == entry.compute_hash()
    assert verify_chain().ok


def test_empty_chain_verifies(runner):
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "已校验 0 条" in result.output


def test_verify_cli_passes_on_clean_chain(runner):
    _some_entries(5)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "审计日志完整" in result.output and "已校验 5 条" in result.output


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("summary", "'被篡改'"),
        ("actor_name", "'someone-else'"),
        ("action", "'create'"),
        ("object_id", "'999'"),
        ("branch_id", "2"),
        ("actor_id", "42"),
        ("ip", "'10.0.0.1'"),
        ("after", "NULL"),
    ],
)
def test_verify_reports_first_altered_row(runner, column, value):
    entries = _some_entries(5)
    target = entries[2]
    db.session.execute(
        sa.text(f"UPDATE audit_entries SET {column} = {value} WHERE id = :i"), {"i": target.id}
    )
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert f"第一条异常记录 ID {target.id}" in result.output
    assert "记录内容被修改" in result.output
    check = verify_chain()
    assert not check.ok and check.first_bad_id == target.id and check.checked == 3


def test_verify_reports_altered_json_and_time(runner):
    entries = _some_entries(4)
    db.session.execute(
        sa.text("UPDATE audit_entries SET before = :b WHERE id = :i"),
        {"b": '{"name": "伪造", "n": 1}', "i": entries[1].id},
    )
    db.session.commit()
    assert verify_chain().first_bad_id == entries[1].id
    db.session.execute(
        sa.text("UPDATE audit_entries SET before = :b WHERE id = :i"),
        {"b": '{"name": "旧1", "n": 1}', "i": entries[1].id},
    )
    db.session.commit()
    assert verify_chain().ok  # restoring the exact content restores the chain
    entry = entries[3]
    db.session.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.id == entry.id)
        .values(created_at=entry.created_at - timedelta(days=1))
    )
    db.session.commit()
    assert verify_chain().first_bad_id == entry.id


def test_verify_reports_deleted_middle_row(runner):
    entries = _some_entries(5)
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id = :i"), {"i": entries[2].id})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"第一条异常记录 ID {entries[3].id}" in result.output
    assert "前一条记录缺失或被修改" in result.output


def test_verify_reports_deleted_first_row(runner):
    entries = _some_entries(3)
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id = :i"), {"i": entries[0].id})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"ID {entries[1].id}" in result.output


def test_verify_reports_deleted_newest_rows(runner):
    ids = [e.id for e in _some_entries(4)]
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id >= :i"), {"i": ids[2]})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"第一条异常记录 ID {ids[3]}" in result.output and "链尾记录缺失" in result.output


def test_rehashing_a_tampered_row_still_breaks_the_next_link(runner):
    """A forger who recomputes the altered row's hash breaks the following row."""
    entries = _some_entries(4)
    target = db.session.get(AuditEntry, entries[1].id)
    target.summary = "伪造"
    target.hash = target.compute_hash()
    db.session.commit()
    check = verify_chain()
    assert check.first_bad_id == entries[2].id


# --- browsing ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_admin_and_reviewer_browse_and_filter(client, auth, make_user, role):
    other = make_user("secretary", username="li.secretary")
    start = utcnow()
    with time_machine.travel(start - timedelta(days=10), tick=False):
        audit.record("login", "user", other.id, actor=other, summary="十天前登录")
    audit.record("export", "member", None, actor=other, summary="导出名册")
    audit.record("update", "member", 5, actor="tester", before={"phone": "1"}, after={"phone": "2"})
    db.session.commit()
    auth.login(role)

    def shown(**args):
        resp = client.get("/audit", query_string=args)
        assert resp.status_code == 200
        body = _text(resp)
        return {s for s in ("十天前登录", "导出名册", "手机号码") if s in body}

    assert shown() == {"十天前登录", "导出名册", "手机号码"}
    assert shown(action="export") == {"导出名册"}
    assert shown(actor="li.sec") == {"十天前登录", "导出名册"}
    assert shown(object_type="member") == {"导出名册", "手机号码"}
    assert shown(object_type="member", object_id="5") == {"手机号码"}
    # Days are Asia/Shanghai days, as on the screen.
    today = to_local(start).date().isoformat()
    assert shown(start=today) == {"导出名册", "手机号码"}
    ten_days_ago = to_local(start - timedelta(days=10)).date().isoformat()
    assert shown(end=ten_days_ago) == {"十天前登录"}
    assert shown(start="not-a-date", end="2024-13-40") == {"十天前登录", "导出名册", "手机号码"}
    body = _text(client.get("/audit", query_string={"object_id": "5"}))
    assert "1 → 2" in body  # before → after


def test_audit_log_paginates(client, auth):
    _some_entries(60)
    auth.login("admin")
    body = _text(client.get("/audit"))
    assert "共 60 条" in body
    assert "第59条" in body and "第0条" not in body
    assert "第0条" in _text(client.get("/audit", query_string={"page": 2}))


@pytest.mark.parametrize("role", ["secretary", "member"])
def test_secretary_and_member_cannot_see_audit(client, auth, role):
    auth.login(role)
    assert client.get("/audit").status_code == 403
    assert "审计日志" not in _text(client.get("/"))


def test_audit_log_is_read_only(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "core.audit_log":
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}


def test_date_filter_uses_shanghai_days(client, auth):
    from datetime import UTC, datetime

    # 2026-03-01 16:30 UTC is 2026-03-02 00:30 in Shanghai.
    with time_machine.travel(datetime(2026, 3, 1, 16, 30, tzinfo=UTC), tick=False):
        audit.record("export", "member", None, actor="tester", summary="凌晨导出")
    db.session.commit()
    auth.login("admin")
    assert "凌晨导出" in _text(client.get("/audit", query_string={"start": "2026-03-02"}))
    assert "凌晨导出" in _text(client.get("/audit", query_string={"end": "2026-03-02"}))
    assert "凌晨导出" not in _text(client.get("/audit", query_string={"end": "2026-03-01"}))
    assert "2026-03-02 00:30" in _text(client.get("/audit"))


def test_concurrent_writers_keep_one_chain(app):
    """Two requests writing at the same moment must not both link to the same entry."""
    import threading
    import time

    _some_entries(1)
    started = threading.Barrier(2)
    errors = []

    def first():
        with app.app_context():
            try:
                audit.record("update", "member", 1, actor="first")
                started.wait(5)
                time.sleep(0.3)  # still in its transaction while the second one writes
                db.session.commit()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
                db.session.rollback()

    def second():
        with app.app_context():
            try:
                started.wait(5)
                time.sleep(0.05)
                audit.record("update", "member", 2, actor="second")
                db.session.commit()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    db.session.expire_all()
    result = verify_chain()
    assert result.ok and result.checked == 3, result
