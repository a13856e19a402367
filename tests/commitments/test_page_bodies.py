"""List pages (overview, review queue, batches, moderation, QR sheet) serve their body
from the page cache per data version: every change shows on the very next request,
the cached body is shared only by users who see the same page, and a CSRF token in a
cached body is always the visitor's own."""

import re

import pytest
from flask import g

from partybuild.commitments import service
from partybuild.commitments.models import CommitmentState, PublicRating
from partybuild.core import pagecache
from partybuild.extensions import db

S = CommitmentState


@pytest.fixture(autouse=True)
def _fresh_cache():
    pagecache.clear()
    yield
    pagecache.clear()


def text(response) -> str:  # noqa: ANN001
    assert response.status_code == 200
    return response.get_data(as_text=True)


def comment(world, c, words: str) -> PublicRating:  # noqa: ANN001
    rating = PublicRating(
        commitment_id=c.id, level="basic", comment=words, comment_state="pending",
        browser_hash=words, ip_hash="ip", rated_on=world.today,
    )  # fmt: skip
    db.session.add(rating)
    db.session.commit()
    return rating


def test_review_queue_shows_a_change_on_the_next_request(client, auth, world):
    auth.login(world.secretary)
    c = world.commitment(S.submitted, content="首项待审核承诺")
    assert "首项待审核承诺" in text(client.get("/commitments/review"))
    assert "首项待审核承诺" in text(client.get("/commitments/review"))  # cached
    world.commitment(S.submitted, content="新提交的承诺")
    assert "新提交的承诺" in text(client.get("/commitments/review"))
    service.publish_commitment(c, world.secretary)
    db.session.commit()
    page = text(client.get("/commitments/review"))
    assert "首项待审核承诺" not in page and "新提交的承诺" in page


def test_moderation_shows_a_new_comment_and_a_decision_on_the_next_request(client, auth, world):
    auth.login(world.secretary)
    c = world.commitment(S.in_progress)
    assert "请加快进度" not in text(client.get("/commitments/moderation"))
    rating = comment(world, c, "请加快进度")
    assert "请加快进度" in text(client.get("/commitments/moderation"))
    service.moderate_comment(rating, True, world.secretary)
    db.session.commit()
    assert "请加快进度" not in text(client.get("/commitments/moderation"))
    assert "请加快进度" in text(client.get("/commitments/moderation?state=approved"))


def test_qr_sheet_shows_a_newly_published_commitment_on_the_next_request(client, auth, world):
    auth.login(world.secretary)
    c = world.commitment(S.submitted, content="即将亮诺的承诺")
    assert "即将亮诺的承诺" not in text(client.get("/commitments/qr"))
    service.publish_commitment(c, world.secretary)
    db.session.commit()
    assert "即将亮诺的承诺" in text(client.get("/commitments/qr"))


def test_overview_rows_show_a_renamed_member_on_the_next_request(client, auth, world):
    auth.login("reviewer")
    world.commitment(S.in_progress)
    assert "张承诺" in text(client.get("/commitments/overview"))
    world.owner_member.name = "张改名"
    db.session.commit()
    page = text(client.get("/commitments/overview"))
    assert "张改名" in page and "张承诺" not in page


def test_batches_show_a_renamed_batch_on_the_next_request(client, auth, world):
    auth.login(world.secretary)
    assert world.batch.title in text(client.get("/commitments/batches"))
    world.batch.title = "改名后的批次"
    db.session.commit()
    assert "改名后的批次" in text(client.get("/commitments/batches"))


def test_a_cached_body_is_not_shared_across_branches_or_roles(client, auth, world, org):
    world.commitment(S.submitted, content="甲支部的承诺")
    auth.login(world.secretary)
    assert "甲支部的承诺" in text(client.get("/commitments/overview"))
    auth.login(world.users["other_secretary"])
    assert "甲支部的承诺" not in text(client.get("/commitments/overview"))
    auth.login("reviewer")
    page = text(client.get("/commitments/overview"))
    assert "甲支部的承诺" in page and "（只读）" in page
    auth.login(world.secretary)
    assert "（只读）" not in text(client.get("/commitments/overview"))


def _tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', page))


def test_a_cached_body_carries_each_visitors_own_csrf_token(
    app, auth, world, make_user, query_counter
):
    world.commitment(S.submitted)
    first, second = app.test_client(), app.test_client()
    for c, user in ((first, world.secretary), (second, make_user("secretary"))):
        with c.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
    # The tests' app context outlives a request, and flask_wtf keeps a request's token
    # in ``g``: drop it, as a real request's fresh context would.
    g.pop("csrf_token", None)
    one = _tokens(text(first.get("/commitments/review")))
    g.pop("csrf_token", None)
    with query_counter() as counted:
        two = _tokens(text(second.get("/commitments/review")))
    assert not any("FROM commitments" in s for s in counted.statements)  # from the cache
    assert one and two and not one & two
    assert "\x00" not in "".join(one | two)
    with first.session_transaction() as sess:
        secret = sess["csrf_token"]
    with second.session_transaction() as sess:
        assert sess["csrf_token"] != secret


def test_board_summary_is_the_branch_batch_rates(app, world, org):
    from partybuild.commitments import rates

    for level in ("satisfied", "basic", "unsatisfied", "satisfied"):
        c = world.commitment(S.in_progress)
        db.session.add(
            PublicRating(
                commitment_id=c.id, level=level, browser_hash=f"b{c.id}", ip_hash="ip",
                rated_on=world.today,
            )
        )  # fmt: skip
    world.commitment(S.submitted)  # not on the board
    db.session.commit()
    board = rates.branch_batch(org.a.id, world.batch.id)
    assert board == rates.rates([org.a.id], world.batch.id)
    assert board.published == 4 and board.ratings == 4


def test_overview_figures_per_branch_add_up_after_a_change_in_one_branch(app, auth, world, org):
    """Figures cached per branch, one branch recounted after its change: the sums equal
    figures counted afresh over every branch."""
    import sqlalchemy as sa

    from partybuild.commitments import lists
    from partybuild.commitments.models import CommitmentBatch
    from partybuild.org.models import Branch

    other = CommitmentBatch(
        branch_id=org.b.id, title="乙支部批次", commit_start=world.batch.commit_start,
        commit_end=world.batch.commit_end, evaluation_start=world.batch.evaluation_start,
        evaluation_end=world.batch.evaluation_end,
    )  # fmt: skip
    db.session.add(other)
    db.session.commit()
    world.commitment(S.submitted)
    world.commitment(S.in_progress, batch=other)
    reviewer = world.users["reviewer"]

    def figures() -> lists.OverviewFigures:
        branches = list(db.session.scalars(sa.select(Branch).order_by(Branch.code)))
        return lists.overview_figures(lists.OverviewFilters(), reviewer, world.today, branches)

    first = figures()
    assert first.state_counts.get("submitted") == 1 and first.state_counts.get("in_progress") == 1
    world.commitment(S.in_progress, batch=other)  # a change in branch B only
    cached = figures()
    app.config["PAGE_CACHE_SIZE"] = 0
    fresh = figures()
    assert cached == fresh
    assert cached.state_counts.get("in_progress") == 2 and cached.state_counts.get("submitted") == 1
