"""The pages: access and branch scope, the main flow over HTTP, the .ics feed, the
xlsx import, the Word documents and constant query counts."""

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from partybuild.extensions import db
from partybuild.meetings.models import KeyTask, Meeting, MeetingState, MeetingType
from tests.meetings.conftest import local
from tests.reports.docx_checks import all_text, assert_official_layout, open_docx, table_data


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/meetings/", {"admin", "secretary", "reviewer", "member"}),
        ("/meetings/new", {"admin", "secretary"}),
        ("/meetings/tasks", {"admin", "secretary", "reviewer", "member"}),
        ("/meetings/tasks/new", {"admin", "secretary"}),
        ("/meetings/tasks/import", {"admin", "secretary"}),
        ("/meetings/calendar", {"admin", "secretary", "reviewer", "member"}),
        ("/meetings/mine", {"admin", "secretary", "reviewer", "member"}),
        ("/meetings/feed", {"admin", "secretary"}),
    ],
)
def test_role_rules(client, world, path, allowed):
    for role in ("admin", "secretary", "reviewer", "member"):
        client.post("/auth/logout")
        with client.session_transaction() as sess:
            sess["_user_id"] = world.users[role].get_id()
        status = client.get(path).status_code
        assert (status == 200) == (role in allowed), (role, path, status)


def test_other_branch_meeting_and_task_are_404(client, auth, world):
    m = world.meeting()
    t = world.task()
    auth.login(world.users["other_secretary"])
    for url in (f"/meetings/{m.id}", f"/meetings/{m.id}/record", f"/meetings/tasks/{t.id}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/meetings/{m.id}/approve").status_code == 404
    assert client.post(f"/meetings/tasks/{t.id}/cancel", data={"reason": "x"}).status_code == 404
    auth.login(world.users["reviewer"])  # reads every branch, writes nothing
    assert client.get(f"/meetings/{m.id}").status_code == 200
    assert client.post(f"/meetings/{m.id}/cancel", data={"text": "x"}).status_code == 403


def test_secretary_flow_over_http(client, auth, world):
    auth.login(world.secretary)
    resp = client.post(
        "/meetings/new",
        data={"type": "committee_meeting", "title": "3月支部委员会", "starts_at": "2026-03-05T09:30",
              "ends_at": "2026-03-05T09:00", "place": "会议室", "agenda": "研究工作"},
    )  # fmt: skip
    assert resp.status_code == 400 and "结束时间须晚于开始时间" in resp.get_data(as_text=True)
    resp = client.post(
        "/meetings/new",
        data={"type": "committee_meeting", "title": "3月支部委员会", "starts_at": "2026-03-05T09:30",
              "ends_at": "2026-03-05T11:00", "place": "会议室", "agenda": "研究工作"},
    )  # fmt: skip
    assert resp.status_code == 302
    m = db.session.scalars(sa.select(Meeting)).one()
    assert m.starts_at == local(2026, 3, 5, 9, 30)
    # A 支委会 expects the branch committee, not the whole branch.
    assert {a.member_id for a in m.attendance} == {c.id for c in world.committee}
    form = {"member": [str(a.member_id) for a in m.attendance], "minutes": "讨论了工作。"}
    for a in m.attendance:
        form[f"status-{a.member_id}"] = "present"
    # A member of another branch slipped into the form is refused, nothing saved.
    bad = {**form, "member": [*form["member"], str(world.other_branch_member.id)],
           f"status-{world.other_branch_member.id}": "present"}  # fmt: skip
    resp = client.post(f"/meetings/{m.id}/record", data=bad)
    assert resp.status_code == 400 and "不是本支部党员" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Meeting, m.id).state == MeetingState.planned
    assert client.post(f"/meetings/{m.id}/record", data=form).status_code == 302
    resp = client.post(
        f"/meetings/{m.id}/resolutions",
        data={"text": "开展专项行动", "result": "passed", "votes_for": "3", "votes_against": "0",
              "votes_abstain": "0"},
    )  # fmt: skip
    assert resp.status_code == 302
    assert client.post(f"/meetings/{m.id}/approve").status_code == 302
    page = client.get(f"/meetings/{m.id}").get_data(as_text=True)
    db.session.expire_all()
    m = db.session.get(Meeting, m.id)
    assert m.state == MeetingState.approved and m.approved_sha256 in page
    resp = client.post(
        f"/meetings/{m.id}/correct",
        data={"part": "minutes", "text": "讨论了工作，形成决议。", "reason": "补记"},
    )
    assert resp.status_code == 302
    page = client.get(f"/meetings/{m.id}").get_data(as_text=True)
    assert "补记" in page and "讨论了工作，形成决议。" in page


def _feed_url(client, world) -> str:
    resp = client.post("/meetings/feed", data={"branch": str(world.org.a.id)})
    page = resp.get_data(as_text=True)
    start = page.index("/public/meetings/")
    return page[start : page.index(".ics", start) + 4]


def test_ics_feed(client, auth, world):
    planned = world.meeting(
        MeetingType.party_lecture,
        title="专题党课：信访为民, 初心;使命\\担当",
        starts_at=local(2026, 4, 1, 14, 30),
        place="三楼会议室，东侧",
    )
    held = world.meeting(title="支委会")
    world.hold(held, minutes="机密的发言要点")
    cancelled = world.meeting(title="已取消的会议")
    from partybuild.meetings import service

    service.cancel_meeting(cancelled, "改期", world.secretary)
    db.session.commit()
    auth.login(world.secretary)
    url = _feed_url(client, world)
    auth.logout()
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/calendar")
    body = resp.get_data()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    text = body.decode().replace("\r\n ", "")  # unfold
    assert "SUMMARY:专题党课：信访为民\\, 初心\\;使命\\\\担当" in text
    assert "LOCATION:三楼会议室，东侧" in text
    assert "DTSTART:20260401T063000Z" in text
    assert f"UID:meeting-{planned.id}@" in text and f"UID:meeting-{held.id}@" in text
    assert "已取消的会议" not in text and "机密的发言要点" not in text
    # Regenerating makes the old address stop working; revoking stops the new one.
    auth.login(world.secretary)
    new_url = _feed_url(client, world)
    auth.logout()
    assert client.get(url).status_code == 404 and client.get(new_url).status_code == 200
    auth.login(world.secretary)
    client.post("/meetings/feed", data={"branch": str(world.org.a.id), "action": "revoke"})
    auth.logout()
    assert client.get(new_url).status_code == 404
    assert client.get("/public/meetings/guess.ics").status_code == 404


def test_ics_escaping_and_folding():
    from partybuild.meetings.ics import escape_text, fold

    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "党" * 60
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


HEAD = ["任务名称", "任务内容", "责任领导", "责任科室", "配合科室", "完成时限", "党建专项"]


def test_import_is_all_or_nothing_with_row_numbers(client, auth, world):
    auth.login(world.secretary)
    bad = _xlsx([HEAD, ["任务一", "", "李局长", "接访科", "", "2026-06-30", "是"],
                 ["任务二", "", "查无此人", "接访科", "", "2026-13-01", ""],
                 ["任务一", "", "李局长", "接访科", "", "2026-06-30", ""]])  # fmt: skip
    resp = client.post(
        "/meetings/tasks/import", data={"file": (io.BytesIO(bad), "清单.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    page = resp.get_data(as_text=True)
    assert "第3行：" in page and "“查无此人”不是本单位在册党员" in page and "不是有效日期" in page
    assert "第4行：与第2行重复" in page
    assert db.session.scalar(sa.select(sa.func.count(KeyTask.id))) == 0
    good = _xlsx([HEAD, ["任务一", "内容", "李局长", "接访科", "", "2026-06-30", "是"],
                  ["任务二", "", "李局长", "接访科", "", "2026年9月30日", ""]])  # fmt: skip
    resp = client.post(
        "/meetings/tasks/import", data={"file": (io.BytesIO(good), "清单.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    page = resp.get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    assert db.session.scalar(sa.select(sa.func.count(KeyTask.id))) == 0
    assert client.post("/meetings/tasks/import/confirm", data={"token": token}).status_code == 302
    tasks = db.session.scalars(sa.select(KeyTask).order_by(KeyTask.id)).all()
    assert [t.title for t in tasks] == ["任务一", "任务二"] and tasks[0].is_party_building
    # Exported through the safe writer: a formula-looking title stays text.
    tasks[1].title = '=HYPERLINK("http://x")'
    db.session.commit()
    data = client.get("/meetings/tasks/export.xlsx").get_data()
    ws = load_workbook(io.BytesIO(data)).active
    titles = [ws.cell(row=r, column=2).value for r in range(2, 4)]
    assert '=HYPERLINK("http://x")' in titles
    assert all(ws.cell(row=r, column=2).data_type == "s" for r in range(2, 4))


def test_minutes_and_task_documents_from_the_cli(runner, world, tmp_path):
    m = world.meeting(MeetingType.general_assembly, title="第一季度支部党员大会")
    world.hold(m, present=2)  # not more than half: votes invalid
    from partybuild.meetings import service

    service.add_resolution(
        m, {"text": "通过年度计划", "result": "rejected", "votes_for": 1, "votes_against": 1,
            "votes_abstain": 0}, world.secretary,
    )  # fmt: skip
    service.approve_minutes(m, world.secretary)
    world.task(deadline=world.today - timedelta(days=3), title="逾期的任务")
    db.session.commit()
    out = tmp_path / "minutes.docx"
    result = runner.invoke(
        args=["reports", "export", "minutes", "--meeting", str(m.id), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    doc = open_docx(out)
    assert_official_layout(doc)
    text = "\n".join(all_text(doc))
    assert "第一季度支部党员大会" in text and m.approved_sha256 in text
    assert "不足法定人数" in text and "缺席人员及原因" in text
    assert "赞成1票，反对1票，弃权0票，未通过（表决无效）" in text
    result = runner.invoke(
        args=["reports", "export", "minutes", "--meeting", "99999", "--output", str(out)]
    )
    assert result.exit_code != 0 and "找不到编号为“99999”的会议" in result.output

    out2 = tmp_path / "tasks.docx"
    period = str(world.today.year)
    result = runner.invoke(
        args=["reports", "export", "tasks", "--branch", "A", "--period", period, "--output",
              str(out2)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = open_docx(out2)
    assert_official_layout(doc)
    rows = table_data(doc.tables[-1])
    assert any("逾期的任务" in cell for row in rows for cell in row)
    assert any("逾期3天" in cell for row in rows for cell in row)


PAGES = {
    "secretary": ["/meetings/", "/meetings/tasks", "/meetings/calendar", "/"],
    "member": ["/meetings/mine", "/"],
    "reviewer": ["/meetings/calendar", "/meetings/", "/"],
    "admin": ["/"],
}


@pytest.mark.parametrize(("role", "url"), [(r, u) for r, us in PAGES.items() for u in us])
def test_list_pages_query_count_is_constant(client, auth, world, query_counter, role, url):
    auth.login(world.users[role])

    def grow(n):
        for i in range(n):
            m = world.meeting(starts_at=local(2026, 1 + i % 12, 3 + i, 9))
            world.hold(m)
            world.task(title=f"任务{m.id}")

    grow(2)
    client.get(url)
    with query_counter() as small:
        assert client.get(url).status_code == 200
    grow(5)
    client.get(url)
    with query_counter() as large:
        assert client.get(url).status_code == 200
    assert large.count == small.count, (url, small.statements, large.statements)


def _summary_row(html: str, branch_name: str) -> str:
    table = html[html.index('data-testid="compliance-summary"') :]
    row = table[table.index(branch_name) :]
    return row[: row.index("</tr>")]


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_compliance_figures_show_a_change_on_the_next_request(client, auth, world, role):
    """The workbench's and the calendar's figures are cached per meetings version: a
    meeting held, planned or cancelled shows on the very next request."""
    auth.login(world.users[role])
    year = world.today.year
    before = _summary_row(client.get("/").get_data(as_text=True), world.org.a.name)
    calendar = f"/meetings/calendar?branch={world.org.a.id}&year={year}"
    grid_before = client.get(calendar).get_data(as_text=True)  # cached too
    m = world.meeting(MeetingType.committee_meeting, starts_at=local(year, world.today.month, 1))
    world.hold(m)
    after = _summary_row(client.get("/").get_data(as_text=True), world.org.a.name)
    met_before = int(before.split("<td>")[1].split("/")[0])
    assert int(after.split("<td>")[1].split("/")[0]) == met_before + 1
    assert client.get(calendar).get_data(as_text=True).count("✓") > grid_before.count("✓")
    # A bulk statement through the session (moved to last year) makes a new version too.
    db.session.execute(
        sa.update(Meeting).where(Meeting.id == m.id).values(starts_at=local(year - 1, 6, 1))
    )
    db.session.commit()
    again = _summary_row(client.get("/").get_data(as_text=True), world.org.a.name)
    assert int(again.split("<td>")[1].split("/")[0]) == met_before


def test_calendar_pages_through_branches(client, auth, world, query_counter):
    """The reviewer's calendar shows a page of branches, whatever their number."""
    from partybuild.meetings.views import CALENDAR_BRANCHES_PER_PAGE
    from partybuild.org.models import Branch

    auth.login(world.users["reviewer"])

    def add_branches(n: int, start: int) -> None:
        for i in range(start, start + n):
            db.session.add(
                Branch(organization=world.org.organization, code=f"Z{i:03d}", name=f"第{i}支部")
            )
        db.session.commit()

    add_branches(3, 0)
    client.get("/meetings/calendar")
    with query_counter() as small:
        assert client.get("/meetings/calendar").status_code == 200
    add_branches(2 * CALENDAR_BRANCHES_PER_PAGE, 3)
    client.get("/meetings/calendar")
    with query_counter() as large:
        first = client.get("/meetings/calendar").get_data(as_text=True)
    assert large.count == small.count
    assert first.count('data-testid="grid-') == CALENDAR_BRANCHES_PER_PAGE
    third = client.get("/meetings/calendar?page=3").get_data(as_text=True)
    assert 'data-testid="grid-' in third and "下一页" not in third


def test_planning_a_committee_meeting_without_committee_says_why(client, auth, world):
    from partybuild.org.models import CommitteeMember

    db.session.execute(sa.delete(CommitteeMember))
    db.session.commit()
    auth.login(world.secretary)
    resp = client.post(
        "/meetings/new",
        data={"type": "committee_meeting", "title": "3月支部委员会", "starts_at": "2026-03-05T09:30",
              "place": "会议室", "agenda": "研究工作"},
    )  # fmt: skip
    assert resp.status_code == 400
    assert "尚未设置支部委员会成员，不能安排支委会" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


def test_libreoffice_keeps_the_last_tasks_and_the_minutes_with_the_sign_off(world, tmp_path):
    """Issue 14: rendered by LibreOffice, the last page of the task list holds the last
    task besides the sign-off; the minutes end with the signature lines on the page of
    their last paragraph, dated on the meeting's day."""
    from partybuild.core.timeutil import cn_date, local_today, to_local
    from tests.reports.lo_render import assert_last_page_holds_body, build_docx, render_pages

    files, last = [], {}
    period = str(world.today.year)
    for n in range(1, 15):
        world.task(title=f"重点任务第{n:02d}项", deadline=date(world.today.year, 12, 31))
        if n >= 6:
            f = build_docx("tasks", {"branch": "A", "period": period}, tmp_path / f"t{n}.docx")
            files.append(f)
            last[f] = f"重点任务第{n:02d}项"
    m = world.approved(title="第四季度支部委员会")
    minutes = build_docx("minutes", {"meeting": str(m.id)}, tmp_path / "minutes.docx")
    pages = render_pages([*files, minutes], tmp_path)
    for f in files:
        assert_last_page_holds_body(pages[f], last[f], cn_date(local_today()))
        assert "支部书记（签字）" in "".join(pages[f][-1].split())
    day = cn_date(to_local(m.starts_at).date())
    assert_last_page_holds_body(pages[minutes], "审定版本数字指纹", day)
    assert "记录人（签名）" in "".join(pages[minutes][-1].split())


def test_task_list_is_as_of_the_period_end(world, tmp_path):
    """Issue 14: a task completed on 10 October is still 进行中 and 逾期 in the Q3 list,
    with the progress dated up to 30 September; in October it is 已完成."""
    from datetime import UTC, datetime

    from partybuild.meetings.models import TaskProgress, TaskState
    from tests.reports.lo_render import build_docx

    t = world.task(title="跨季度完成的任务", deadline=date(2026, 9, 15))
    t.original_deadline = date(2026, 9, 15)
    t.created_at = datetime(2026, 8, 1, tzinfo=UTC)
    t.state, t.completed_on, t.days_late = TaskState.done, date(2026, 10, 10), 25
    for on, text in ((date(2026, 9, 10), "九月进展"), (date(2026, 10, 8), "十月进展")):
        db.session.add(TaskProgress(task_id=t.id, recorded_on=on, text=text))
    late = world.task(title="八月前已完成的任务", deadline=date(2026, 6, 30))
    late.created_at = datetime(2026, 3, 1, tzinfo=UTC)
    late.state, late.completed_on = TaskState.done, date(2026, 6, 20)
    db.session.commit()

    q3 = open_docx(build_docx("tasks", {"branch": "A", "period": "2026Q3"}, tmp_path / "q3.docx"))
    rows = {r[1]: r for r in table_data(q3.tables[-1])}
    assert set(rows) == {"跨季度完成的任务"}  # the other was done before Q3 began
    assert rows["跨季度完成的任务"][6:] == ["进行中\n逾期15天", "2026-09-10\n九月进展"]
    assert "期末已过完成时限仍未完成（逾期）1项" in "\n".join(all_text(q3))

    october = open_docx(
        build_docx("tasks", {"branch": "A", "period": "2026-10"}, tmp_path / "oct.docx")
    )
    rows = {r[1]: r for r in table_data(october.tables[-1])}
    assert rows["跨季度完成的任务"][6:] == ["已完成\n延迟25天", "2026-10-08\n十月进展"]
