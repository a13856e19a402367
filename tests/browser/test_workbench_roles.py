"""Issue 10 (b) the secretary's own commitment is approved and evaluated by the deputy,
and her own buttons for it are absent; (c) a reviewer's workbench shows the branch table
and a chart on a phone."""

from datetime import timedelta

from partybuild.commitments.models import Commitment, CommitmentBatch, CommitmentState
from partybuild.core.db import utcnow
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import (
    Branch,
    BranchDeputy,
    Gender,
    Member,
    MemberStatus,
    Organization,
)
from tests.browser_fixtures import make_account


def _seed(app):
    today = local_today()
    with app.app_context():
        org = Organization(name="测试局机关党委")
        branch = Branch(organization=org, code="A", name="第一党支部")

        def member(name):
            return Member(
                branch=branch, name=name, gender=Gender.female,
                birth_on=today.replace(year=1980), joined_on=today.replace(year=2005),
                full_member_on=today.replace(year=2006), status=MemberStatus.full,
            )  # fmt: skip

        boss, deputy = member("李书记"), member("王副书记")
        batch = CommitmentBatch(
            branch=branch, title="2026年度党员承诺",
            commit_start=today - timedelta(days=5), commit_end=today + timedelta(days=20),
            evaluation_start=today - timedelta(days=5), evaluation_end=today + timedelta(days=200),
        )  # fmt: skip
        db.session.add_all([org, branch, boss, deputy, batch])
        db.session.flush()
        c = Commitment(
            batch=batch, branch=branch, member=boss, category="工作", content="书记带头接访",
            target="全年接访100批次", deadline=today + timedelta(days=60),
            state=CommitmentState.submitted, submitted_at=utcnow(),
        )  # fmt: skip
        db.session.add_all(
            [c, BranchDeputy(branch_id=branch.id, member_id=deputy.id, title="副书记")]
        )
        db.session.commit()
        make_account(app, "sec", "secretary", branch=branch, member=boss)
        make_account(app, "dep", "member", branch=branch, member=deputy)
        make_account(app, "rev", "reviewer")
        return c.id


def test_deputy_approves_the_secretarys_own_commitment(browser, live_server, page, login):
    cid = _seed(live_server.app)
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, "sec")
    page.goto(live_server(f"/commitments/{cid}"))
    assert page.get_by_role("button", name="审核通过并亮诺").count() == 0
    page.context.clear_cookies()

    login(page, "dep")
    page.goto(live_server("/"))
    panel = page.get_by_test_id("panel-commitments.stead")
    panel.get_by_role("link", name="待审核：李书记的承诺").click()
    page.get_by_role("button", name="审核通过并亮诺").click()
    assert page.get_by_text("已审核通过").is_visible()
    assert "由副书记" in page.get_by_test_id("in-stead").first.inner_text()


def test_reviewer_sees_branch_table_and_chart_on_a_phone(live_server, phone_page, login):
    _seed(live_server.app)
    login(phone_page, "rev")
    phone_page.goto(live_server("/"))
    panel = phone_page.get_by_test_id("panel-commitments.branches")
    assert panel.get_by_test_id("branch-list").get_by_text("第一党支部").is_visible()
    chart = panel.get_by_test_id("branch-chart")
    chart.locator("canvas").first.wait_for()
    assert chart.bounding_box()["height"] > 200
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
