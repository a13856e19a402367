"""The export centre on the web: choose, generate, download, history, scope, audit."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from partybuild.core.audit import AuditEntry
from partybuild.core.db import utcnow
from partybuild.extensions import db
from partybuild.reports import service
from partybuild.reports.models import Export, ExportStatus
from tests.reports.docx_checks import assert_official_layout, open_docx, table_data


def text(resp: Any) -> str:
    return resp.get_data(as_text=True)


def post_export(client: Any, **data: Any) -> Any:
    form = {"kind": "commitments", "branch": "", "period": "", "member": "", "batch": ""}
    form.update({k: str(v) for k, v in data.items()})
    return client.post("/reports/", data=form)


def exports() -> list[Export]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Export).order_by(Export.id)))


def export_as(user: Any, kind: str = "commitments", **data: Any) -> Export:
    record = service.request_export(kind, data, user)
    db.session.commit()
    record = service.generate_export(record)
    db.session.commit()
    return record


def option_values(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r'<option[^>]*value="([^"]*)"', select.group(1))


# ------------------------------------------------------------------ the form


def test_secretary_sees_own_branch_and_every_kind(client, auth, ledger: SimpleNamespace) -> None:
    auth.login(ledger.users.secretary)
    html = text(client.get("/reports/"))
    # Added by later issues: 廉政风险防控点台账 (risks), 会议记录 (minutes),
    # 重点任务责任清单 (tasks), 党员示范岗测评结果 (ratings), 党建工作情况报告 (summary),
    # 迎检材料包 (pack).
    assert option_values(html, "kind") == [
        "commitments",
        "summary",
        "letter",
        "risks",
        "roster",
        "minutes",
        "tasks",
        "ratings",
        "pack",
    ]
    assert option_values(html, "branch") == ["A"]
    # Members are found by name (type-ahead), never listed whole: none until searched.
    assert option_values(html, "member") == [""]
    for member, found in ((ledger.a1, True), (ledger.b1, False)):
        # Without script: the search button reloads the form with the matches.
        html = text(client.get("/reports/", query_string={"member_q": member.name}))
        assert (str(member.id) in option_values(html, "member")) is found
        # With script: the JSON endpoint the search box asks.
        data = client.get("/reports/members.json", query_string={"q": member.name}).get_json()
        assert (member.id in [m["id"] for m in data["members"]]) is found


def test_member_search_returns_at_most_twenty(client, auth, ledger, make_member) -> None:
    for i in range(25):
        make_member(name=f"王搜索{i:02d}", branch=ledger.org.a)
    auth.login(ledger.users.reviewer)
    data = client.get("/reports/members.json", query_string={"q": "王搜索"}).get_json()
    assert len(data["members"]) == 20
    assert data["members"][0]["label"].endswith("王搜索00")
    assert client.get("/reports/members.json").get_json() == {"members": []}


def test_reviewer_may_choose_all_branches(client, auth, ledger: SimpleNamespace) -> None:
    auth.login(ledger.users.reviewer)
    html = text(client.get("/reports/"))
    assert option_values(html, "branch") == ["all", "A", "B"]


def test_member_sees_only_their_own_letter(client, auth, ledger: SimpleNamespace) -> None:
    auth.login(ledger.users.member)
    html = text(client.get("/reports/"))
    assert option_values(html, "kind") == ["letter"]
    assert option_values(html, "member") == ["", str(ledger.a1.id)]


# ------------------------------------------------------------------ generate and download


def test_inline_export_download_history_and_audit(client, auth, ledger: SimpleNamespace) -> None:
    user = auth.login(ledger.users.secretary)
    resp = post_export(client, kind="commitments", branch="A", period="2026Q3")
    assert resp.status_code == 302
    (record,) = exports()
    # c1, c3, c5, c7, c8: the commitments active in Q3 (see test_documents).
    # A small export downloads at once: back to the centre, which starts the download.
    assert resp.headers["Location"].endswith(f"/reports/?ready={record.id}&kind=commitments")
    assert record.status == ExportStatus.done and record.row_count == 5
    ready = text(client.get(resp.headers["Location"]))
    assert 'data-testid="export-ready"' in ready and "data-auto-download" in ready
    assert f'href="/reports/exports/{record.id}/download" data-auto-download' in ready
    assert "/static/js/export-download.js" in ready
    assert record.requested_by_id == user.id and record.branch_id == ledger.org.a.id
    assert record.params == {"branch": "A", "period": "2026Q3"}

    detail = text(client.get(f"/reports/exports/{record.id}"))
    assert "文档已生成，共 5 行" in detail and record.sha256 in detail
    # Technical details are folded under 详情; the exporter is named as people call them.
    folded = detail[detail.index('data-testid="export-details"') :]
    assert record.sha256 in folded and user.username in folded
    assert detail.index(user.label) < detail.index('data-testid="export-details"')
    assert "导出记录 #" not in detail
    assert "2026年第三季度" in detail  # the period in words, not its code
    assert "2026年第三季度" in text(client.get("/reports/"))

    resp = client.get(f"/reports/exports/{record.id}/download")
    assert resp.status_code == 200
    assert resp.mimetype == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    filename = record.filename
    assert filename.startswith("第一党支部2026年第三季度党员承诺践诺台账_")
    assert filename.endswith(".docx")
    assert resp.headers["Content-Disposition"] == (
        f"attachment; filename=\"export-{record.id}.docx\"; filename*=UTF-8''{quote(filename)}"
    )
    data = resp.get_data()
    assert hashlib.sha256(data).hexdigest() == record.sha256 and len(data) == record.size_bytes
    document = open_docx(data)
    assert_official_layout(document)
    assert len(table_data(document.tables[-1])) == 5

    history = text(client.get("/reports/"))
    assert "第一党支部2026年第三季度党员承诺践诺台账" in history
    assert f"/reports/exports/{record.id}/download" in history

    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == "export", AuditEntry.object_id == str(record.id))
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["export", "export_finished", "download"]
    assert all(e.actor_id == user.id and e.branch_id == ledger.org.a.id for e in entries)
    assert entries[0].after == {"kind": "commitments", "params": record.params}
    assert entries[1].after["sha256"] == record.sha256


def test_bad_period_shows_a_chinese_message_and_saves_nothing(
    client, auth, ledger: SimpleNamespace
) -> None:
    auth.login(ledger.users.secretary)
    resp = post_export(client, kind="commitments", branch="A", period="2026Q7")
    assert resp.status_code == 400
    assert "期间“2026Q7”的季度应为 Q1–Q4" in text(resp)
    resp = post_export(client, kind="commitments", branch="A", period="")
    assert "请填写期间" in text(resp)
    assert exports() == []


def test_member_exports_their_own_letter(client, auth, ledger: SimpleNamespace) -> None:
    auth.login(ledger.users.member)
    # The hidden branch/period fields still post values; the letter ignores them.
    resp = post_export(client, kind="letter", member=ledger.a1.id, branch="A", period="2026")
    assert resp.status_code == 302
    (record,) = exports()
    assert record.kind == "letter" and record.status == ExportStatus.done
    assert client.get(f"/reports/exports/{record.id}/download").status_code == 200


# ------------------------------------------------------------------ scope


def test_secretary_cannot_export_another_branch_by_any_parameter(
    client, auth, ledger: SimpleNamespace
) -> None:
    auth.login(ledger.users.secretary)
    for data in (
        {"kind": "commitments", "branch": "B", "period": "2026"},
        {"kind": "commitments", "branch": str(ledger.org.b.id), "period": "2026"},
        {"kind": "commitments", "branch": "all", "period": "2026"},
        {"kind": "roster", "branch": "B"},
        {"kind": "letter", "member": ledger.b1.id},
    ):
        resp = post_export(client, **data)
        assert resp.status_code == 403, data
    assert exports() == []


def test_stored_exports_of_another_branch_are_not_reachable_by_id(
    client, auth, ledger: SimpleNamespace
) -> None:
    theirs = export_as(ledger.users.other_secretary, "roster", branch="B")
    everyone = export_as(ledger.users.reviewer, "commitments", branch="all", period="2026")
    letter = export_as(ledger.users.other_member, "letter", member=ledger.a2.id)
    auth.login(ledger.users.secretary)
    for record in (theirs, everyone):
        for suffix in ("", "/status", "/download"):
            assert client.get(f"/reports/exports/{record.id}{suffix}").status_code == 404
    history = text(client.get("/reports/"))
    assert theirs.title not in history and everyone.title not in history
    # Letters of the secretary's own branch are theirs to see.
    assert client.get(f"/reports/exports/{letter.id}/download").status_code == 200

    auth.login(ledger.users.member)
    assert client.get(f"/reports/exports/{letter.id}/download").status_code == 404
    assert client.get(f"/reports/exports/{theirs.id}").status_code == 404
    assert letter.title not in text(client.get("/reports/"))

    auth.login(ledger.users.reviewer)
    for record in (theirs, everyone, letter):
        assert client.get(f"/reports/exports/{record.id}/download").status_code == 200


def test_member_cannot_export_others_or_branch_documents(
    client, auth, ledger: SimpleNamespace
) -> None:
    auth.login(ledger.users.member)
    assert post_export(client, kind="letter", member=ledger.a2.id).status_code == 403
    assert post_export(client, kind="roster", branch="A").status_code == 403
    assert post_export(client, kind="commitments", branch="A", period="2026").status_code == 403
    assert exports() == []


def test_reviewer_exports_every_branch(client, auth, ledger: SimpleNamespace) -> None:
    auth.login(ledger.users.reviewer)
    resp = post_export(client, kind="commitments", branch="all", period="2026Q3")
    assert resp.status_code == 302
    (record,) = exports()
    assert record.branch_id is None and record.row_count == 6
    document = open_docx(client.get(f"/reports/exports/{record.id}/download").get_data())
    assert document.tables[-1].rows[0].cells[1].text == "党支部"
    branches = {row[1] for row in table_data(document.tables[-1])}
    assert branches == {"第一党支部", "第二党支部"}


# ------------------------------------------------------------------ robustness


def test_changed_stored_file_is_refused(client, auth, ledger: SimpleNamespace) -> None:
    record = export_as(ledger.users.secretary, "roster", branch="A")
    path = service.stored_file(record)
    path.write_bytes(path.read_bytes() + b"tampered")
    auth.login(ledger.users.secretary)
    resp = client.get(f"/reports/exports/{record.id}/download", follow_redirects=True)
    assert "导出文件校验失败" in text(resp)


def test_abandoned_export_is_reported_failed(client, auth, ledger: SimpleNamespace) -> None:
    record = service.request_export("roster", {"branch": "A"}, ledger.users.secretary)
    record.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    auth.login(ledger.users.secretary)
    status = client.get(f"/reports/exports/{record.id}/status").get_json()
    assert status["status"] == "failed"
    assert "生成过程被中断" in status["error"]


def _fake_exports(ledger: SimpleNamespace, count: int) -> None:
    """History rows without generating documents: branch, all-branch and letter ones."""
    now = utcnow()
    for i in range(count):
        scope = [
            {"branch_id": ledger.org.a.id},
            {"branch_id": None},
            {"branch_id": ledger.org.a.id, "member_id": ledger.a1.id},
        ][i % 3]
        db.session.add(
            Export(
                kind="roster",
                title=f"名册{i}",
                filename=f"名册{i}.docx",
                params={},
                requested_by_name="reviewer",
                status=ExportStatus.done,
                progress=100,
                row_count=1,
                sha256="0" * 64,
                size_bytes=1,
                storage_path="x.docx",
                finished_at=now,
                created_at=now,
                **scope,
            )  # fmt: skip
        )
    db.session.commit()


def test_history_page_query_count_is_constant(
    client, auth, ledger: SimpleNamespace, query_counter
) -> None:
    auth.login(ledger.users.reviewer)
    _fake_exports(ledger, 16)  # more than a page, so the total is counted in both runs
    client.get("/reports/")
    db.session.expire_all()  # as after the commit below
    with query_counter() as few:
        client.get("/reports/")
    _fake_exports(ledger, 60)
    with query_counter() as many:
        html = text(client.get("/reports/"))
    assert html.count("/download") == 15
    assert "共 76 条" in html
    assert many.count == few.count, "\n".join(many.statements)


def test_ready_banner_only_for_own_finished_exports(client, auth, ledger: SimpleNamespace) -> None:
    mine = export_as(ledger.users.secretary, "roster", branch="A")
    other = export_as(ledger.users.reviewer, "roster", branch="B")
    auth.login(ledger.users.secretary)
    assert "data-auto-download" in text(client.get(f"/reports/?ready={mine.id}"))
    for junk in (str(other.id), "abc", "99999999999999999999", "-1"):
        page = client.get(f"/reports/?ready={junk}")
        assert page.status_code == 200 and "data-auto-download" not in text(page)


def test_all_branches_is_offered_only_where_allowed(client, auth, ledger: SimpleNamespace) -> None:
    auth.login(ledger.users.reviewer)
    html = text(client.get("/reports/"))
    # Each document says whether it takes 全部党支部; the script hides it for the others.
    kinds = dict(re.findall(r'<option value="(\w+)"[^>]*data-all-branches="(\d)"', html))
    assert kinds["commitments"] == "1" and kinds["roster"] == "0"
    # The default is a real branch, never 全部党支部.
    selected = re.search(
        r'<select[^>]*name="branch"[^>]*>.*?<option selected value="([^"]*)"', html, re.S
    )
    assert selected is None or selected.group(1) != "all"
    assert 'value="A" selected' in html or 'selected value="A"' in html
    # And the server still refuses it, with the reason under the field.
    resp = post_export(client, kind="roster", branch="all")
    assert resp.status_code == 400 and "只能按单个党支部导出" in text(resp)


def test_an_empty_period_says_no_data_before_generating(
    client, auth, ledger: SimpleNamespace
) -> None:
    """Issue 14: the export centre refuses an empty scope or period with “本期无数据”
    and records nothing (before: a header-only document with a signature)."""
    auth.login(ledger.users.secretary)
    resp = post_export(client, kind="commitments", branch="A", period="2024")
    assert "本期无数据：第一党支部2024年没有可列入“党员承诺践诺台账”的内容" in text(resp)
    assert exports() == []
