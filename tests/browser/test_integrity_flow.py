"""End to end: a secretary records a review with a finding and opens a rectification; the
responsible member reports it done; the secretary (another user) verifies it."""

from datetime import timedelta

from playwright.sync_api import expect

from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.integrity.models import ControlMeasure, RiskPoint
from partybuild.org.models import (
    Branch,
    Department,
    Gender,
    Member,
    MemberStatus,
    Organization,
    Post,
)
from tests.browser_fixtures import make_account


def _seed(app):
    today = local_today()
    with app.app_context():
        org = Organization(name="测试局机关党委")
        branch = Branch(organization=org, code="A", name="第一党支部")
        dept = Department(organization=org, name="接访科")
        post = Post(department=dept, name="信访接待岗")
        member = Member(
            branch=branch, name="李岗位", gender=Gender.male, birth_on=today.replace(year=1985),
            joined_on=today.replace(year=2010), full_member_on=today.replace(year=2011),
            status=MemberStatus.full, department=dept, post=post,
        )  # fmt: skip
        point = RiskPoint(
            branch=branch, post=post, category="power", title="信访事项受理中优亲厚友",
            likelihood=4, impact=4, level="high", owner=member, owner_name="李岗位",
            next_review_on=today + timedelta(days=5),
        )  # fmt: skip
        point.controls = [ControlMeasure(text="受理登记全程留痕")]
        db.session.add_all([org, branch, dept, post, member, point])
        db.session.commit()
        make_account(app, "mem", "member", branch=branch, member=member)
        make_account(app, "sec", "secretary", branch=branch)
        return point.id, (today + timedelta(days=20)).isoformat()


def test_review_rectify_verify(live_server, page, phone_page, login):
    point_id, deadline = _seed(live_server.app)

    login(page, "sec")
    page.get_by_role("link", name="廉政风险").first.click()
    page.get_by_role("link", name="信访事项受理中优亲厚友").click()
    page.get_by_role("link", name="记录排查").click()
    page.get_by_label("部分落实").check()
    page.get_by_label("发现的问题", exact=True).fill("3月登记缺两项")
    page.get_by_label("针对发现的问题下达整改").check()
    page.get_by_label("整改措施").fill("补录登记，科长每周抽查")
    page.get_by_label("整改责任人").select_option(label="李岗位")
    page.get_by_label("整改期限").fill(deadline)
    page.get_by_role("button", name="保存排查记录").click()
    expect(page.get_by_text("排查已记录，整改已下达")).to_be_visible()
    expect(page.get_by_test_id("reviews").get_by_text("3月登记缺两项")).to_be_visible()
    page.get_by_test_id("point-rects").get_by_role("link", name="3月登记缺两项").click()
    rect_url = page.url

    # The responsible member, on a phone, reports it done.
    login(phone_page, "mem")
    phone_page.goto(rect_url)
    assert not phone_page.get_by_role("button", name="验收销号").count()
    phone_page.get_by_label("说明").fill("已补录并建立周检查记录")
    phone_page.get_by_role("button", name="报告整改完成").click()
    expect(phone_page.get_by_text("已报告整改完成")).to_be_visible()

    # The secretary, another user, verifies it.
    page.goto(rect_url)
    page.get_by_label("说明").fill("抽查无误")
    page.get_by_role("button", name="验收销号").click()
    expect(page.get_by_test_id("verified")).to_be_visible()
    expect(page.get_by_text("已验收销号").first).to_be_visible()
    page.goto(live_server(f"/integrity/points/{point_id}"))
    expect(page.get_by_test_id("point-rects").get_by_text("已验收销号")).to_be_visible()
