"""The plaque's public page and its rating form: the commitments board's abuse resistance."""

import pytest
import sqlalchemy as sa

from partybuild.extensions import db
from partybuild.ratings.models import CommentState, RaterGroup, RatingSheet


def text(resp) -> str:
    return resp.get_data(as_text=True)


def sheets() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(RatingSheet.id)).where(RatingSheet.rater_group == RaterGroup.public)
    )


def rate(client, rnd, post, value=9, **extra):
    client.get(f"/public/p/{post.plaque_no}")  # the page gives the browser its id cookie
    scores = {f"c{c.id}": value for c in rnd.criterion_set.criteria}
    return client.post(f"/public/p/{post.plaque_no}/rate", data={**scores, **extra})


def test_page_shows_post_duties_and_service_count(client, rw):
    from partybuild.ratings import service

    post = rw.posts[0]
    service.log_service(post, {"demand": "讨要欠薪", "outcome": "已追回"}, rw.secretary)
    db.session.commit()
    page = text(client.get(f"/public/p/{post.plaque_no}"))
    assert post.title in page and "讨要欠薪" in page
    assert 'data-testid="service-count">1<' in page
    assert "当前不在群众测评期内" in page  # no open round yet
    assert client.get("/public/p/NOPE-1").status_code == 404


def test_opening_links_never_rates(client, rw):
    rnd, post = rw.round(), rw.posts[0]
    scores = "&".join(f"c{c.id}=10" for c in rnd.criterion_set.criteria)
    assert client.get(f"/public/p/{post.plaque_no}?{scores}").status_code == 200
    assert client.get(f"/public/p/{post.plaque_no}/rate?{scores}").status_code == 405
    assert sheets() == 0


def test_one_rating_per_browser_per_post_per_round(client, app, rw):
    rnd, post = rw.round(), rw.posts[0]
    assert rate(client, rnd, post).status_code == 302
    resp = rate(client, rnd, post, 1)
    assert "已在本次测评中评价过该示范岗" in text(client.get(resp.headers["Location"]))
    assert sheets() == 1
    assert rate(client, rnd, rw.posts[1]).status_code == 302  # another post: fine
    assert rate(app.test_client(), rnd, post).status_code == 302  # another browser
    # No cookie: refused with a way forward.
    anon = app.test_client()
    scores = {f"c{c.id}": 5 for c in rnd.criterion_set.criteria}
    resp = anon.post(f"/public/p/{post.plaque_no}/rate", data=scores)
    assert resp.status_code == 302
    assert "允许浏览器保存 Cookie" in text(anon.get(resp.headers["Location"]))
    assert sheets() == 3


def test_missing_or_out_of_range_scores_are_refused(client, rw):
    rnd, post = rw.round(), rw.posts[0]
    resp = rate(client, rnd, post, 11)
    assert resp.status_code == 400 and "分值须在 1 到 10 之间" in text(resp)
    assert sheets() == 0


class TestLimits:
    @pytest.fixture
    def app_config(self):
        return {"PUBLIC_RATE_LIMIT": 3, "PUBLIC_RATE_WINDOW": 600, "PUBLIC_RATING_PER_IP_DAILY": 2}

    def test_rate_limit_per_network_is_shared_with_the_board(self, app, rw):
        rnd = rw.round()
        client = app.test_client()
        codes = [rate(client, rnd, p).status_code for p in rw.posts]
        assert codes == [302, 302, 302]
        resp = rate(app.test_client(), rnd, rw.posts[0])
        assert resp.status_code == 429 and "过于频繁" in text(resp)

    def test_cookie_clearing_is_bounded_per_network(self, app, rw):
        rnd, post = rw.round(), rw.posts[0]
        for _ in range(2):
            assert rate(app.test_client(), rnd, post).status_code == 302
        fresh = app.test_client()
        resp = rate(fresh, rnd, post)
        assert "来自同一网络的评价过多" in text(fresh.get(resp.headers["Location"]))
        assert sheets() == 2


def test_honeypot_is_thanked_and_dropped(client, rw):
    rnd, post = rw.round(), rw.posts[0]
    resp = rate(client, rnd, post, website="http://spam.example")
    assert "感谢您的评价" in text(client.get(resp.headers["Location"]))
    assert sheets() == 0


def test_comments_show_only_after_approval(client, auth, app, rw):
    rnd, post = rw.round(), rw.posts[0]
    resp = rate(client, rnd, post, comment="窗口服务很热情")
    assert "审核后公开" in text(client.get(resp.headers["Location"]))
    assert "窗口服务很热情" not in text(client.get(f"/public/p/{post.plaque_no}"))
    sheet = db.session.scalar(sa.select(RatingSheet))
    assert sheet.comment_state == CommentState.pending
    staff = app.test_client()
    with staff.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = rw.other_secretary.get_id(), True
    assert (
        staff.post(f"/ratings/moderation/{sheet.id}", data={"decision": "approve"}).status_code
        == 404
    )
    auth.login(rw.secretary)
    assert "窗口服务很热情" in text(client.get("/ratings/moderation"))
    client.post(f"/ratings/moderation/{sheet.id}", data={"decision": "approve"})
    auth.logout()
    assert "窗口服务很热情" in text(client.get(f"/public/p/{post.plaque_no}"))


def test_round_without_public_weight_takes_no_public_ratings(client, rw):
    rnd, post = rw.round(weights=(50, 50, 0)), rw.posts[0]
    page = text(client.get(f"/public/p/{post.plaque_no}"))
    assert "public-rate-form" not in page
    rate(client, rnd, post)
    assert sheets() == 0
