"""List pages load in a constant number of queries; flags agree between SQL and Python."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from partybuild.commitments.models import (
    Commitment,
    CommitmentState,
    PublicRating,
    flag_conditions,
)
from partybuild.core.db import utcnow
from partybuild.extensions import db

S = CommitmentState
STATES = [S.submitted, S.published, S.in_progress, S.awaiting_evaluation, S.evaluated]


def grow(world, make_member, n: int) -> None:
    """n more members with one commitment each, in assorted states, with ratings."""
    for i in range(n):
        m = make_member(is_leader=i % 4 == 0)
        c = world.commitment(STATES[i % len(STATES)], member=m)
        if c.published_at:
            db.session.add(
                PublicRating(
                    commitment_id=c.id,
                    level="satisfied",
                    comment="好" if i % 2 else "",
                    comment_state="pending" if i % 2 else "none",
                    browser_hash=f"b{i}",
                    ip_hash="ip",
                    rated_on=world.today,
                )
            )
    db.session.commit()


PAGES = {
    "secretary": [
        "/commitments/review",
        "/commitments/overview",
        "/commitments/overview?flag=any",
        "/commitments/batches",
        "/commitments/moderation",
        "/commitments/qr",
        "/",
    ],
    "reviewer": [
        "/commitments/overview",
        "/commitments/overview?flag=any",
        "/commitments/batches",
        "/",
    ],
    "owner": ["/commitments/mine", "/commitments/{commitment}"],
    None: ["/public/A"],
}


@pytest.mark.parametrize("cache", ["on", "off"])
@pytest.mark.parametrize(("role", "url"), [(r, u) for r, urls in PAGES.items() for u in urls])
def test_list_pages_query_count_is_constant(
    app, client, auth, world, make_member, query_counter, role, url, cache
):
    """With the page cache on (a body rendered once per version) and off (every body
    rendered afresh, as on the first request after any change)."""
    if cache == "off":
        app.config["PAGE_CACHE_SIZE"] = 0
    if role:
        auth.login(world.users[role])
    grow(world, make_member, 3)
    for _ in range(2):  # own commitments for "mine"
        world.commitment(S.in_progress)
    url = url.format(commitment=world.commitment(S.in_progress).id)
    client.get(url)  # warm-up
    with query_counter() as small:
        assert client.get(url).status_code == 200
    grow(world, make_member, 12)
    for _ in range(2):
        world.commitment(S.published)
    client.get(url)  # warm-up again: the commits above expired the session's objects
    with query_counter() as large:
        assert client.get(url).status_code == 200
    if large.count != small.count:
        print("SMALL", *[s[:120].replace("\n", " ") for s in small.statements], sep="\n")
        print("LARGE", *[s[:120].replace("\n", " ") for s in large.statements], sep="\n")
    assert large.count == small.count, url


def test_flags_sql_and_python_agree(app, world):
    today = world.today
    long_ago = utcnow() - timedelta(days=100)
    cases = {
        "overdue": world.commitment(S.in_progress, deadline=today - timedelta(days=1)),
        "stale": world.commitment(S.published, published_at=long_ago),
        "stale_record": world.commitment(S.in_progress),
        "no_evidence": world.commitment(S.in_progress),
        "rushed": world.commitment(S.awaiting_evaluation),
        "clean": world.commitment(S.in_progress),
    }
    cases["stale_record"].last_record_on = today - timedelta(days=61)
    cases["no_evidence"].progress, cases["no_evidence"].evidence_count = 90, 0
    cases["rushed"].requested_days_left, cases["rushed"].record_count = 3, 1
    db.session.commit()
    conditions = flag_conditions(today)
    for key, cond in conditions.items():
        in_sql = set(db.session.scalars(sa.select(Commitment.id).where(cond)))
        in_py = {c.id for c in db.session.scalars(sa.select(Commitment)) if key in c.flags(today)}
        assert in_sql == in_py, key
    assert cases["overdue"].flags(today) == ["overdue"]
    assert cases["stale"].flags(today) == ["stale"]
    assert cases["stale_record"].flags(today) == ["stale"]
    assert cases["no_evidence"].flags(today) == ["no_evidence"]
    assert cases["rushed"].flags(today) == ["rushed"]
    assert cases["clean"].flags(today) == []


def test_overview_filters_by_flag(client, auth, world):
    late = world.commitment(
        S.in_progress, deadline=world.today - timedelta(days=3), content="逾期的承诺"
    )
    world.commitment(S.in_progress, content="正常的承诺")
    auth.login(world.secretary)
    page = client.get("/commitments/overview?flag=overdue").get_data(as_text=True)
    assert "逾期的承诺" in page and "正常的承诺" not in page and "已逾期" in page
    assert late.id


@pytest.mark.parametrize("needle", ["%", "_"])
def test_overview_search_treats_wildcards_literally(client, auth, world, make_member, needle):
    named = {
        "%": world.commitment(S.published, member=make_member(name="满意率100%")),
        "_": world.commitment(S.published, member=make_member(name="下划_线")),
        "": world.commitment(S.published, member=make_member(name="王秀英")),
    }
    content = world.commitment(S.published, content="群众满意率达到95%以上")
    auth.login(world.secretary)
    body = client.get("/commitments/overview", query_string={"q": needle}).get_data(as_text=True)
    shown = {key for key, c in named.items() if f'/commitments/{c.id}"' in body}
    assert shown == {needle}
    # The search covers the commitment's text too.
    assert (f'/commitments/{content.id}"' in body) == (needle == "%")


def test_overview_counts_follow_the_member_filter(client, auth, world, make_member):
    """The chips are cached per data version: a member filter is part of the key, so the
    counts after an unfiltered visit are that member's, not the whole branch's."""
    other = make_member(name="李四")
    for _ in range(3):
        world.commitment(S.in_progress, deadline=world.today - timedelta(days=3))
    world.commitment(S.in_progress, member=other, deadline=world.today - timedelta(days=3))
    auth.login(world.secretary)
    whole = client.get("/commitments/overview").get_data(as_text=True)
    assert re.search(r'data-testid="flag-overdue">[^<]* 4<', whole)
    one = client.get(f"/commitments/overview?member={other.id}").get_data(as_text=True)
    assert re.search(r'data-testid="flag-overdue">[^<]* 1<', one)
