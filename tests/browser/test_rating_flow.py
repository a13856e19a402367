"""End to end: a peer rates a model post, the secretary closes the round, the ranking shows."""

from datetime import timedelta

from playwright.sync_api import expect

from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Gender, Member, MemberStatus, Organization
from tests.browser_fixtures import make_account


def _seed(app):
    from partybuild.auth.models import User
    from partybuild.ratings import service

    today = local_today()
    with app.app_context():
        org = Organization(name="测试局机关党委")
        branch = Branch(organization=org, code="A", name="第一党支部")
        members = [
            Member(
                branch=branch,
                name=name,
                gender=Gender.female,
                birth_on=today.replace(year=1985),
                joined_on=today.replace(year=2010),
                full_member_on=today.replace(year=2011),
                status=MemberStatus.full,
            )  # fmt: skip
            for name in ("李示范", "王先锋", "赵同事")
        ]
        db.session.add_all([org, branch, *members])
        db.session.commit()
        make_account(app, "sec", "secretary", branch=branch)
        make_account(app, "peer", "member", branch=branch, member=members[2])
        secretary = db.session.scalar(db.select(User).where(User.username == "sec"))
        posts = []
        for title, holder in (("信访接待示范岗", members[0]), ("网上信访先锋岗", members[1])):
            post = service.nominate_post(
                branch, {"title": title, "kind": "individual", "duties": "接待群众",
                         "promises": "首问负责"}, [holder.id], secretary,
            )  # fmt: skip
            service.approve_post(post, secretary)
            service.announce_post(post, secretary, today=today - timedelta(days=20))
            service.designate_post(post, secretary)
            posts.append(post)
        sets = service.ensure_default_sets()
        rnd = service.create_round(
            branch,
            {"title": "2026年上半年测评", "criterion_set_id": sets[0].id, "leader_weight": 0,
             "peer_weight": 100, "public_weight": 0, "opens_on": today - timedelta(days=1),
             "closes_on": today + timedelta(days=5)},
            [p.id for p in posts], secretary,
        )  # fmt: skip
        rnd.min_raters = 1  # one peer is enough in this small world
        service.assign_raters(rnd, "peer", [members[2].id], secretary)
        service.open_round(rnd, secretary)
        db.session.commit()
        return rnd.id


def test_peer_rates_secretary_closes_ranking_shows(live_server, page, phone_page, login):
    round_id = _seed(live_server.app)

    # The peer, on a phone, sees the task and rates one post.
    login(phone_page, "peer")
    phone_page.goto(live_server("/ratings/"))
    phone_page.get_by_role("link", name="2026年上半年测评").click()
    phone_page.get_by_test_id("my-ratings").get_by_role("link", name="测评").first.click()
    for label in ("信念坚定", "为民服务", "勤政务实", "敢于担当", "清正廉洁"):
        phone_page.get_by_label(label).select_option("9")
    phone_page.get_by_role("button", name="提交测评").click()
    expect(phone_page.get_by_text("已完成对“信访接待示范岗”的测评")).to_be_visible()
    expect(phone_page.get_by_test_id("my-ratings").get_by_text("已测评")).to_be_visible()
    # The secretary sees progress (not scores by person), closes the round.
    login(page, "sec")
    page.goto(live_server(f"/ratings/rounds/{round_id}"))
    expect(page.get_by_test_id("progress").get_by_text("已完成 0 / 1 人")).to_be_visible()
    page.get_by_test_id("round-close").click()
    expect(page.get_by_text("测评已结束，结果已固定")).to_be_visible()
    assert page.get_by_test_id("round-state").inner_text() == "已结束"
    ranking = page.get_by_test_id("ranking")
    first = ranking.locator("tbody tr").first
    assert first.locator("td").first.inner_text() == "1"
    assert "信访接待示范岗" in first.inner_text() and "88.9" in first.inner_text()
    assert "赵同事" not in ranking.inner_text()
    # The radar chart draws from the locally served ECharts.
    page.wait_for_function("document.querySelector('#radar canvas') !== null")
