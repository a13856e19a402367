"""End to end: the secretary plans a committee meeting, records attendance and minutes,
records a resolution, turns it into a key task and approves the minutes."""

from datetime import date

from playwright.sync_api import expect

from partybuild.extensions import db
from partybuild.org.models import (
    Branch,
    Department,
    Gender,
    Member,
    MemberStatus,
    Organization,
)
from tests.browser_fixtures import make_account


def _seed(app) -> None:
    with app.app_context():
        org = Organization(name="测试局机关党委")
        branch = Branch(organization=org, code="A", name="第一党支部")
        dept = Department(organization=org, name="督查督办科")
        people = [
            Member(
                branch=branch, name=name, gender=Gender.male, birth_on=date(1980, 1, 1),
                joined_on=date(2005, 7, 1), full_member_on=date(2006, 7, 1),
                status=MemberStatus.full, title="局长" if name == "李局长" else "",
            )
            for name in ("李局长", "王委员", "赵委员")
        ]  # fmt: skip
        db.session.add_all([org, branch, dept, *people])
        db.session.commit()
        make_account(app, "sec", "secretary", branch=branch)


def test_secretary_runs_a_meeting_to_approved_minutes(live_server, page, phone_page, login):
    _seed(live_server.app)
    login(page, "sec")
    # A 支委会 expects the branch committee: the secretary sets it up first.
    page.goto(live_server("/org/members"))
    page.get_by_role("link", name="支部委员会").click()
    for name, post in (("李局长（局长）", "书记"), ("王委员", "组织委员"), ("赵委员", "宣传委员")):
        page.get_by_label("党员", exact=True).select_option(label=name)
        page.get_by_label("委员会职务").select_option(label=post)
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_text("支部委员会已更新")).to_be_visible()
    expect(page.get_by_test_id("committee").get_by_role("row")).to_have_count(4)
    page.goto(live_server("/meetings/"))
    page.get_by_role("link", name="安排会议").click()
    page.get_by_label("会议类型").select_option("committee_meeting")
    page.get_by_label("会议名称").fill("3月支部委员会")
    page.get_by_label("开始时间").fill("2026-03-05T09:30")
    page.get_by_label("结束时间").fill("2026-03-05T11:00")
    page.get_by_label("地点").fill("三楼会议室")
    page.get_by_label("主持人").fill("李局长")
    page.get_by_label("记录人").fill("王委员")
    page.get_by_label("议题（每行一项）").fill("研究信访积案化解工作")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("会议已安排")).to_be_visible()
    assert page.get_by_test_id("meeting-title").inner_text() == "3月支部委员会"

    page.get_by_role("link", name="登记出席和会议记录").click()
    for name in ("李局长", "王委员"):
        page.get_by_role("row", name=name).get_by_label("出席").check()
    row = page.get_by_role("row", name="赵委员")
    row.get_by_label("请假").check()
    row.get_by_label("赵委员的原因").fill("出差")
    page.get_by_label("1. 研究信访积案化解工作").fill("李局长：积案化解要包案到人。")
    page.get_by_label("会议记录（发言要点）").fill("会议研究了积案化解工作。")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("出席情况和会议记录已保存")).to_be_visible()
    assert "出席 2，请假 1，缺席 0" in page.get_by_test_id("attendance-counts").inner_text()

    page.get_by_label("决议内容").fill("开展信访积案化解专项行动")
    page.get_by_label("表决结果").select_option("passed")
    page.get_by_label("赞成").fill("2")
    page.get_by_label("反对").fill("0")
    page.get_by_label("弃权").fill("0")
    page.get_by_role("button", name="保存决议").click()
    expect(page.get_by_text("决议已记录")).to_be_visible()
    page.get_by_role("link", name="转为重点任务").click()
    lead = page.get_by_label("责任领导")
    lead.fill("李")
    option = page.locator("#member-options option").first
    option.wait_for(state="attached", timeout=30_000)  # the search answers after a short pause
    lead.fill(option.get_attribute("value"))
    page.get_by_label("责任科室").select_option(label="督查督办科")
    page.get_by_label("完成时限").fill("2026-06-30")
    page.get_by_label("党建专项").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("决议已转为重点任务")).to_be_visible()
    assert page.get_by_test_id("task-title").inner_text() == "开展信访积案化解专项行动"
    page.get_by_role("link", name="3月支部委员会").click()

    page.get_by_test_id("approve").click()
    expect(page.get_by_text("会议记录已审定并锁定")).to_be_visible()
    fingerprint = page.get_by_test_id("fingerprint").inner_text()
    assert "SHA-256" in fingerprint
    assert page.get_by_role("link", name="登记出席和会议记录").count() == 0

    # The same page on a phone.
    login(phone_page, "sec")
    phone_page.goto(page.url)
    expect(phone_page.get_by_test_id("minutes")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
