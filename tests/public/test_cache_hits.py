"""A cached public page costs one query (the branch's and the settings' versions),
the rating page gives each visitor their own CSRF token from one cached body, and a
settings change shows on the next request."""

import re

import pytest
from flask import g

from partybuild.commitments.models import CommitmentState
from partybuild.core import pagecache, settings
from partybuild.extensions import db

S = CommitmentState


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}  # as deployed: the rating form carries a token


@pytest.fixture(autouse=True)
def _cold():
    pagecache.clear()
    settings.forget_process_copy()
    yield
    pagecache.clear()
    settings.forget_process_copy()


def visit(client, url: str):
    # The test's app context outlives requests; Flask-WTF keeps a request's token on g.
    g.pop("csrf_token", None)
    return client.get(url)


def token(resp) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', resp.get_data(True))
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.mark.parametrize("page", ["board", "rating"])
def test_a_cached_hit_makes_one_query(app, world, query_counter, page):
    c = world.commitment(S.in_progress)
    url = "/public/A" if page == "board" else f"/public/A/c/{c.id}"
    assert app.test_client().get(url).status_code == 200  # fills the caches
    with query_counter() as hit:
        resp = app.test_client().get(url)  # a new visitor: no cookies
    assert resp.status_code == 200 and "张承诺" in resp.get_data(True)
    assert hit.count == 1, hit.statements


def test_each_visitor_gets_a_working_token_of_their_own(app, world):
    c = world.commitment(S.in_progress)
    first, second = app.test_client(), app.test_client()
    page_1 = visit(first, f"/public/A/c/{c.id}")
    page_2 = visit(second, f"/public/A/c/{c.id}")  # served from the cache
    assert token(page_1) != token(page_2)
    assert "\x00" not in page_2.get_data(True)
    # Another visitor's token is refused; one's own is accepted.
    stolen = first.post(
        f"/public/A/c/{c.id}/rate", data={"level": "basic", "csrf_token": token(page_2)}
    )
    assert stolen.status_code == 400
    mine = second.post(
        f"/public/A/c/{c.id}/rate", data={"level": "basic", "csrf_token": token(page_2)}
    )
    assert mine.status_code == 302
    assert "群众评价共 1 条" in second.get(f"/public/A/c/{c.id}").get_data(True)


def test_a_settings_change_shows_on_the_next_request(app, world, make_user):
    c = world.commitment(S.in_progress)
    url = f"/public/A/c/{c.id}"
    visitor = app.test_client()
    assert "不超过 200 字" in visitor.get(url).get_data(True)
    assert "不超过 200 字" in visitor.get(url).get_data(True)  # cached
    admin = make_user("admin")
    settings.change_setting("PUBLIC_RATING_COMMENT_MAX", "150", admin)
    db.session.commit()
    assert "不超过 150 字" in visitor.get(url).get_data(True)
    settings.reset_setting("PUBLIC_RATING_COMMENT_MAX", admin)
    db.session.commit()
    assert "不超过 200 字" in visitor.get(url).get_data(True)
