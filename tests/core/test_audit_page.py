"""The audit log page reads in Chinese: every kind of entry, names and links, filters,
and the 校验审计链 button (the same check as `flask audit verify`)."""

import ast
import re
from pathlib import Path

import sqlalchemy as sa

import partybuild
from partybuild.auth.models import User
from partybuild.core import audit
from partybuild.core.audit import AuditEntry
from partybuild.extensions import db

# What must never reach the page: identifiers, Python literals, "user #6", raw dicts.
RAW = re.compile(
    r"[A-Za-z]+_[A-Za-z_]+|\b(?:True|False|None|null|true|false)\b|[A-Za-z]+ ?#\d+|[{}]"
    r"|\bparams\b"
    # Stored values that have Chinese labels (enum values, kinds, roles, object types).
    r"|\b(?:present|absent|cake|secretary|member|pending|approved|verified|done|roster"
    r"|commitments|minutes|cancelled|low|male|female|full|probationary|draft|open|closed"
    r"|held|planned|committee|individual|user|export|setting|greetings|all|cli|scheduler)\b"
)


def _entries_table(html: str) -> str:
    """The visible text of the entries table (the filter form holds ids as values)."""
    table = html[html.index('data-testid="audit-entries"') : html.index("</table>")]
    table = table[table.index(">") + 1 :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table))


def _all_pages(client, **args) -> list[str]:
    pages, page = [], 1
    while True:
        resp = client.get("/audit", query_string={**args, "page": page})
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        pages.append(html)
        if "下一页" not in html:
            return pages
        page += 1


# --- every kind in Chinese ----------------------------------------------------------


def _source_literals() -> tuple[set[str], set[tuple[str, str]]]:
    """(object types, (object type, action)) named literally in audit.record calls."""
    types, actions = set(), set()
    root = Path(partybuild.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record"):
                continue
            if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                continue
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args[:2]]
            if len(args) == 2 and isinstance(args[1], str):
                types.add(args[1])
                if isinstance(args[0], str):
                    actions.add((args[1], args[0]))
    return types, actions


def test_every_audited_type_and_action_has_a_chinese_name(app):
    types, actions = _source_literals()
    assert {"user", "member", "commitment", "export", "meeting"} <= types
    assert types - set(audit.OBJECT_TYPES) == set(), "register_object_type for these"
    unnamed = {(t, a) for t, a in actions if audit.action_label_of(t, a) == a}
    assert unnamed == set(), "register_action_labels for these"


def _snapshot_entries() -> None:
    """An entry per audited model with every audited field, from real demo rows."""
    from partybuild.commitments.models import Commitment, CommitmentBatch
    from partybuild.greetings.models import GreetingTemplate
    from partybuild.integrity.models import ControlMeasure, Rectification, RiskPoint
    from partybuild.meetings.models import KeyTask, Meeting
    from partybuild.org.models import Member
    from partybuild.ratings.models import ModelPost, RatingRound

    models = [
        (User, "user"), (Member, "member"), (CommitmentBatch, "commitment_batch"),
        (Commitment, "commitment"), (Meeting, "meeting"), (KeyTask, "key_task"),
        (RiskPoint, "risk_point"), (ControlMeasure, "risk_point"),
        (Rectification, "rectification"), (ModelPost, "model_post"),
        (RatingRound, "rating_round"), (GreetingTemplate, "greeting_template"),
    ]  # fmt: skip
    for model, kind in models:
        row = db.session.scalars(sa.select(model).limit(1)).first()
        if row is None:
            continue
        after = audit.snapshot(row, model.AUDIT_FIELDS)
        audit.record("update", kind, row.id, actor="cli", before=dict.fromkeys(after), after=after)


def _hand_entries(admin: User) -> None:
    """Entries whose data is written by hand in the services (not model snapshots)."""
    from partybuild.commitments.models import CommitmentBatch
    from partybuild.org.models import Branch, Member

    member = db.session.scalars(sa.select(Member).limit(1)).first()
    branch = db.session.scalars(sa.select(Branch).limit(1)).first()
    batch = db.session.scalars(sa.select(CommitmentBatch).limit(1)).first()
    rows = [
        ("login", "user", admin.id, None, None),
        ("login_failed", "user", None, None, None),
        ("login_refused_locked", "user", admin.id, None, None),
        ("activate", "user", admin.id, {"is_active": False}, {"is_active": True}),
        ("retire", "member", member.id, {"is_active": True}, {"is_active": False, "reason": "转出"}),
        ("set_deputy", "branch", branch.id, None, {"member_id": member.id, "title": "副书记"}),
        ("rename", "party_group", 1, {"name": "一组"}, {"name": "第一党小组"}),
        ("acknowledge_risks", "member", member.id, None, {"year": 2026, "points": [1, 2]}),
        ("risk_reminder", "risk_reminder", 1, None, {"member_id": member.id, "talked_on": "2026-03-01"}),
        ("retire_control", "risk_point", 1, {"control": 3, "is_active": True}, {"control": 3, "is_active": False}),
        ("risk_review", "risk_point", 1, None, {"residual_level": "low", "review": 2, "findings": "无"}),
        ("rectification_verify", "rectification", 1, {"state": "done"}, {"state": "verified", "note": "好"}),
        ("moderate", "public_rating", 1, {"comment_state": "pending"}, {"comment_state": "approved"}),
        ("close", "commitment_batch", batch.id, {"status": "open"}, {"status": "closed"}),
        ("export", "export", 1, None, {"kind": "roster", "params": {"branch": branch.code, "period": "2026Q3", "member": member.id, "batch": batch.id}}),
        ("export", "export", 2, None, {"kind": "commitments", "params": {"branch": "all", "period": "2026"}}),
        ("export_finished", "export", 1, None, {"sha256": "ab" * 32, "size_bytes": 1000, "row_count": 3}),
        ("change_setting", "setting", "COMMITMENT_GRADES", {"value": {"优秀": 90}}, {"value": {"优秀": 95}}),
        ("reset_setting", "setting", "PUBLIC_RATE_LIMIT", {"value": 5}, {"value": 10}),
        ("run_job", "job", "greetings", None, None),
        ("retire", "stored_file", 1, None, {"reason": "重复上传"}),
        ("record", "meeting", 1, None, {"attendance": {str(member.id): "present", "9": "absent"}, "quorum_met": True}),
        ("correct", "meeting", 1, {"part": "minutes", "text": "旧", "sha256": "cd" * 32}, {"part": "minutes", "text": "新", "sha256": "ef" * 32, "reason": "笔误"}),
        ("cancel", "meeting", 1, None, {"reason": "改期", "state": "cancelled"}),
        ("task_import", "key_task", None, None, {"ids": [1, 2], "filename": "任务.xlsx"}),
        ("save_criterion_set", "criterion_set", 1, None, {"name": "标准", "criteria": [{"name": "服务", "weight": 50, "description": "态度", "scale_min": 1, "scale_max": 10}]}),
        ("remove_rater", "rating_round", 1, None, {"member_id": member.id}),
        ("rate_model_post", "rating_round", 1, None, {"model_post_id": 1}),
        ("create", "greeting", None, None, {"on": "2026-03-01", "count": 2, "greeted": "张三、李四", "greeting_ids": [1, 2]}),
        ("record_gift", "greeting", 1, None, {"gift_kind": "cake", "gift_handed_by": "王五", "gift_handed_on": "2026-03-01", "gift_note": ""}),
        ("update", "greeting_contact", member.id, {"email": ""}, {"email": "zhang@example.cn"}),
        ("feed_token", "meeting_feed", 1, None, None),
        ("seed_demo", "organization", 1, None, None),
    ]  # fmt: skip
    for action, kind, object_id, before, after in rows:
        audit.record(
            action, kind, object_id, actor=admin, branch_id=branch.id, before=before, after=after
        )


def _demo_admin(runner, client) -> User:
    """The demo bureau (seeded on an empty database: no ``org`` fixture), as its admin."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = admin.get_id(), True
    return admin


def test_entries_of_every_kind_show_no_raw_tokens(runner, client):
    admin = _demo_admin(runner, client)
    _snapshot_entries()
    _hand_entries(admin)
    db.session.commit()
    pages = _all_pages(client)
    assert len(pages) > 3
    found: dict[str, str] = {}
    for html in pages:
        text = _entries_table(html)
        # Data, not identifiers: account names, and a greeting template's {姓名} fields.
        text = re.sub(r"登录名 ：(?: \S+ → )? ?\S+", "登录名", text)
        text = re.sub(r"\{[\u4e00-\u9fff]+\}", "", text)
        for m in RAW.finditer(text):
            found.setdefault(m.group(0), text[max(0, m.start() - 60) : m.end() + 20])
    assert found == {}
    everything = " ".join(_entries_table(h) for h in pages)
    # Names of what the entries are about, and Chinese labels of fields and values.
    for words in ("账户", "党员承诺", "导出文档", "全部党支部", "2026年第三季度", "满意",
                  "出席 1 人，缺席 1 人", "手机号码", "角色", "是", "政治生日蛋糕", "已验收销号"):  # fmt: skip
        assert words in everything, words
    assert admin.label in everything


def test_object_names_link_to_their_pages(client, auth, org, make_member):
    admin = auth.login("admin")
    member = make_member(name="链接测试")
    audit.record("update", "member", member.id, actor=admin, branch_id=org.a.id,
                 before={"phone": "1"}, after={"phone": "2"})  # fmt: skip
    audit.record(
        "update", "member", 999999, actor=admin, before={"phone": "1"}, after={"phone": "3"}
    )
    db.session.commit()
    html = client.get("/audit").get_data(as_text=True)
    assert f'<a href="/org/members/{member.id}">链接测试</a>' in html
    assert "编号 999999" in html  # a row gone since: its id in words, no link, no error
    assert f'href="/audit?actor_id={admin.id}"' in html  # the person filters the log
    assert org.a.name in _entries_table(html)


# --- filters -------------------------------------------------------------------------


def test_filters_by_person_branch_kind_and_date(client, auth, org, make_user):
    secretary = make_user("secretary", branch=org.a)
    other = make_user("secretary", branch=org.b)
    secretary.display_name, other.display_name = "周书记", "吴书记"
    audit.record(
        "login", "user", secretary.id, actor=secretary, branch_id=org.a.id, summary="甲登录"
    )
    audit.record("login", "user", other.id, actor=other, branch_id=org.b.id, summary="乙登录")
    audit.record("export", "export", 1, actor=other, branch_id=org.b.id, summary="乙导出")
    db.session.commit()
    auth.login("reviewer")

    def shown(**args):
        body = client.get("/audit", query_string=args).get_data(as_text=True)
        return {s for s in ("甲登录", "乙登录", "乙导出") if s in body}

    html = client.get("/audit").get_data(as_text=True)
    assert f'<option value="{secretary.id}">周书记（支部书记）</option>' in html
    assert f'<option value="{org.b.id}">{org.b.name}</option>' in html
    assert '<option value="export">导出文档</option>' in html
    assert '<option value="login">登录</option>' in html
    assert shown(actor_id=secretary.id) == {"甲登录"}
    assert shown(actor="吴书") == {"乙登录", "乙导出"}  # by the person's name
    assert shown(actor=other.username) == {"乙登录", "乙导出"}  # or the account
    assert shown(branch_id=org.b.id) == {"乙登录", "乙导出"}
    assert shown(object_type="export") == {"乙导出"}
    assert shown(action="login", branch_id=org.b.id) == {"乙登录"}
    assert shown(actor_id="abc", branch_id="99999999999999999999") == {"甲登录", "乙登录", "乙导出"}
    assert shown(object_type="x" * 500, action="<script>") == set()


# --- 校验审计链 -------------------------------------------------------------------------


def test_admin_verifies_the_chain_on_the_page(client, auth):
    admin = auth.login("admin")
    for i in range(3):
        audit.record("update", "member", i + 1, actor=admin, after={"phone": str(i)})
    db.session.commit()
    html = client.get("/audit").get_data(as_text=True)
    assert 'data-testid="audit-verify"' in html and "校验审计链" in html
    resp = client.post("/audit/verify")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/audit")
    html = client.get("/audit").get_data(as_text=True)
    head = db.session.get(audit.AuditHead, 1)
    assert "审计链完整：已校验 3 条记录" in html and head.last_hash in html
    # Shown once: a reload does not repeat an old result.
    assert "审计链完整" not in client.get("/audit").get_data(as_text=True)

    second = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()[1]
    db.session.execute(
        sa.text("UPDATE audit_entries SET summary = '被篡改' WHERE id = :i"), {"i": second.id}
    )
    db.session.commit()
    client.post("/audit/verify")
    html = client.get("/audit").get_data(as_text=True)
    assert "审计链校验未通过：记录内容被修改（哈希不符）" in html
    assert f'href="/audit?entry={second.id}">第 {second.id} 条</a>' in html
    listed = client.get(f"/audit?entry={second.id}").get_data(as_text=True)
    assert f'id="entry-{second.id}"' in listed and f'id="entry-{second.id + 1}"' not in listed


def test_only_admins_verify(client, auth):
    auth.login("reviewer")
    assert "校验审计链" not in client.get("/audit").get_data(as_text=True)
    assert client.post("/audit/verify").status_code == 403


def test_page_queries_stay_constant_with_many_kinds(client, runner, query_counter):
    admin = _demo_admin(runner, client)
    _hand_entries(admin)
    db.session.commit()
    client.get("/audit")
    with query_counter() as first:
        client.get("/audit")
    _hand_entries(admin)
    _hand_entries(admin)
    db.session.commit()
    client.get("/audit")
    with query_counter() as later:
        client.get("/audit")
    assert later.count == first.count
