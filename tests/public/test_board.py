"""The public board and its rating form: visible to anyone, hard to game."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from partybuild.commitments import service
from partybuild.commitments.models import CommentState, CommitmentState, PublicRating
from partybuild.extensions import db

S = CommitmentState


def text(resp) -> str:
    return resp.get_data(as_text=True)


def ratings() -> int:
    return db.session.scalar(sa.select(sa.func.count(PublicRating.id)))


def rate(client, c, level="satisfied", **extra):
    client.get(f"/public/A/c/{c.id}")  # the page gives the browser its id cookie
    return client.post(f"/public/A/c/{c.id}/rate", data={"level": level, **extra})


def test_board_shows_published_only_leaders_first(client, world, make_member):
    draft = world.commitment(S.draft, content="草稿不公开")
    submitted = world.commitment(S.submitted, content="待审不公开")
    shown = world.commitment(S.in_progress, content="每月接访20批次")
    withdrawn = world.commitment(S.published, content="已撤回不公开")
    service.withdraw_commitment(withdrawn, "调离", world.secretary)
    leader = make_member(name="李局长", is_leader=True, title="局长")
    world.commitment(S.published, member=leader, content="领导带头接访")
    db.session.commit()
    page = text(client.get("/public/A"))
    assert "每月接访20批次" in page and "领导带头接访" in page
    for hidden in (draft, submitted, withdrawn):
        assert hidden.content not in page
    assert page.index("领导带头接访") < page.index("每月接访20批次")
    assert "最新进展" in page and "接访30批次" in page  # latest record
    assert client.get(f"/public/A/c/{draft.id}").status_code == 404
    assert client.get(f"/public/B/c/{shown.id}").status_code == 404  # wrong branch code
    assert client.get("/public/NOPE").status_code == 404


def test_opening_links_never_votes(client, world):
    c = world.commitment(S.published)
    client.get(f"/public/A/c/{c.id}?level=satisfied&comment=hi")
    client.get("/public/A?level=satisfied")
    assert client.get(f"/public/A/c/{c.id}/rate?level=satisfied").status_code == 405
    assert ratings() == 0


def test_one_rating_per_browser_per_day(client, app, world):
    c = world.commitment(S.published)
    resp = rate(client, c)
    assert resp.status_code == 302
    assert "感谢您的评价" in text(client.get(resp.headers["Location"]))
    resp = rate(client, c, "unsatisfied")
    assert "您今天已经评价过这项承诺" in text(client.get(resp.headers["Location"]))
    assert ratings() == 1
    # Another browser (another cookie) may rate.
    other = app.test_client()
    assert rate(other, c, "basic").status_code == 302
    assert ratings() == 2
    # Without the cookie the form is refused, with a way forward.
    bare = app.test_client()
    resp = bare.post(f"/public/A/c/{c.id}/rate", data={"level": "basic"}, follow_redirects=True)
    assert "Cookie" in text(resp)
    assert ratings() == 2


def test_next_day_the_same_browser_may_rate_again(client, world):
    c = world.commitment(S.published)
    service.add_public_rating(
        c, "satisfied", "", browser_id="b1", ip="1.2.3.4", today=world.today - timedelta(days=1)
    )
    service.add_public_rating(c, "satisfied", "", browser_id="b1", ip="1.2.3.4")
    with pytest.raises(service.ServiceError, match="今天已经评价"):
        service.add_public_rating(c, "basic", "", browser_id="b1", ip="1.2.3.4")


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"PUBLIC_RATE_LIMIT": 3, "PUBLIC_RATE_WINDOW": 600, "PUBLIC_RATING_PER_IP_DAILY": 2}

    def test_rate_limit_per_client(self, app, world):
        items = [world.commitment(S.published) for _ in range(4)]
        client = app.test_client()
        codes = [rate(client, c).status_code for c in items]
        assert codes == [302, 302, 302, 429]
        resp = rate(client, items[3])
        assert resp.status_code == 429 and "过于频繁" in text(resp)
        assert ratings() == 3

    def test_cookie_clearing_is_bounded_per_network(self, app, world):
        c = world.commitment(S.published)
        for _ in range(2):
            assert rate(app.test_client(), c).status_code == 302
        resp = rate(fresh := app.test_client(), c)
        assert "来自同一网络的评价过多" in text(fresh.get(resp.headers["Location"]))
        assert ratings() == 2


def test_honeypot_is_thanked_and_dropped(client, world):
    c = world.commitment(S.published)
    resp = rate(client, c, website="http://spam.example")
    assert resp.status_code == 302
    assert "感谢您的评价" in text(client.get(resp.headers["Location"]))
    assert ratings() == 0


def test_comment_length_and_level_are_checked(client, world):
    c = world.commitment(S.published)
    resp = rate(client, c, comment="很" * 201)
    assert resp.status_code == 400 and "留言不能超过200个字" in text(resp)
    resp = rate(client, c, level="great")
    assert resp.status_code == 400
    assert ratings() == 0


def test_comments_show_only_after_approval(client, auth, world):
    c = world.commitment(S.published)
    rate(client, c, comment="接访态度很好，问题解决了")
    page = text(client.get(f"/public/A/c/{c.id}"))
    assert "接访态度很好" not in page
    rating = db.session.scalars(sa.select(PublicRating)).one()
    assert rating.comment_state == CommentState.pending

    auth.login(world.users["other_secretary"])
    assert (
        client.post(
            f"/commitments/moderation/{rating.id}", data={"decision": "approve"}
        ).status_code
        == 404
    )
    auth.login(world.secretary)
    assert "接访态度很好" in text(client.get("/commitments/moderation"))
    client.post(f"/commitments/moderation/{rating.id}", data={"decision": "approve"})
    auth.logout()
    assert "接访态度很好" in text(client.get(f"/public/A/c/{c.id}"))

    auth.login(world.secretary)
    client.post(f"/commitments/moderation/{rating.id}", data={"decision": "hide"})
    auth.logout()
    assert "接访态度很好" not in text(client.get(f"/public/A/c/{c.id}"))


def test_finished_commitments_take_no_ratings(client, world):
    c = world.commitment(S.evaluated)
    assert "该承诺已结束评价" in text(client.get(f"/public/A/c/{c.id}"))
    resp = rate(client, c)
    assert "不接受群众评价" in text(client.get(resp.headers["Location"]))
    assert ratings() == 0


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_post_without_token_is_refused(self, client, world):
        c = world.commitment(S.published)
        client.get(f"/public/A/c/{c.id}")
        resp = client.post(f"/public/A/c/{c.id}/rate", data={"level": "satisfied"})
        assert resp.status_code == 400 and "CSRF" in text(resp)
        assert ratings() == 0

    def test_post_with_token_counts(self, client, world):
        import re

        c = world.commitment(S.published)
        page = text(client.get(f"/public/A/c/{c.id}"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        assert token, "rating form carries a CSRF token"
        resp = client.post(
            f"/public/A/c/{c.id}/rate", data={"level": "satisfied", "csrf_token": token.group(1)}
        )
        assert resp.status_code == 302
        assert ratings() == 1
