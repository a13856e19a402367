"""Public pages at scale: rating counters on the commitment row, the branch's public
version, ETag/304, the rendered-board cache (never stale) and the board's pages."""

import re

import pytest
import sqlalchemy as sa

from partybuild.commitments import service
from partybuild.commitments.models import Commitment, CommitmentState, PublicRating
from partybuild.core import pagecache, settings
from partybuild.extensions import db
from partybuild.org.models import Branch

S = CommitmentState


def cold() -> None:
    """No rendered page and no process copy of the settings held."""
    pagecache.clear()
    settings.forget_process_copy()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cold()
    yield
    cold()


def text(resp) -> str:
    return resp.get_data(as_text=True)


def rate(client, c, level="satisfied"):
    client.get(f"/public/A/c/{c.id}")  # the page gives the browser its id cookie
    return client.post(f"/public/A/c/{c.id}/rate", data={"level": level})


def rated_count(page: str, c: Commitment) -> int:
    item = re.search(rf'data-commitment-id="{c.id}".*?(\d+) 人已评价', page, re.S)
    assert item, "commitment not on the board"
    return int(item.group(1))


def version(branch_id: int) -> int:
    return db.session.scalar(sa.select(Branch.public_version).where(Branch.id == branch_id))


def test_rating_is_counted_on_the_commitment_row(app, client, world):
    c = world.commitment(S.in_progress)
    before = c.version_id
    assert rate(client, c, "basic").status_code == 302
    db.session.expire_all()
    c = db.session.get(Commitment, c.id)
    assert c.rating_counts == {"satisfied": 0, "basic": 1, "unsatisfied": 0}
    stored = db.session.scalar(sa.select(sa.func.count()).where(PublicRating.commitment_id == c.id))
    assert sum(c.rating_counts.values()) == stored == 1
    # A rater does not edit the commitment: nobody's edit form goes stale because of it.
    assert c.version_id == before


def test_a_new_rating_is_on_the_board_at_once(client, world):
    c = world.commitment(S.in_progress)
    assert rated_count(text(client.get("/public/A")), c) == 0
    assert rated_count(text(client.get("/public/A")), c) == 0  # now served from the cache
    rate(client, c)
    other = client.application.test_client()  # a second visitor, also anonymous
    assert rated_count(text(other.get("/public/A")), c) == 1


def test_a_changed_commitment_is_on_the_board_at_once(client, world):
    c = world.commitment(S.in_progress, content="每月接访20批次")
    gone = world.commitment(S.published, content="将被撤回的承诺")
    board = text(client.get("/public/A"))
    assert "将被撤回的承诺" in board and "践诺进展第二次" not in board
    start = version(world.org.a.id)
    service.add_fulfilment_record(
        c, {"text": "践诺进展第二次", "recorded_on": world.today, "progress": 80}, [], world.owner
    )
    service.withdraw_commitment(gone, "调离", world.secretary)
    db.session.commit()
    assert version(world.org.a.id) > start
    board = text(client.get("/public/A"))
    assert "将被撤回的承诺" not in board and "践诺进展第二次" in board
    assert "80%" in text(client.get(f"/public/A/c/{c.id}"))


def test_a_renamed_member_is_on_the_board_at_once(client, world):
    world.commitment(S.published)
    assert "张承诺" in text(client.get("/public/A"))
    world.owner_member.name = "张改名"
    db.session.commit()
    assert "张改名" in text(client.get("/public/A"))


def test_other_branches_keep_their_version(world, org):
    b_before = version(org.b.id)
    world.commitment(S.published)
    assert version(org.b.id) == b_before


def test_repeat_visit_gets_304_until_the_board_changes(client, world):
    c = world.commitment(S.in_progress)
    first = client.get("/public/A")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache" and first.last_modified is not None
    again = client.get("/public/A", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    rate(client, c)
    changed = client.get("/public/A", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert rated_count(text(changed), c) == 1


def test_rating_page_304_and_fresh_after_a_rating(client, world):
    c = world.commitment(S.in_progress)
    page = client.get(f"/public/A/c/{c.id}")
    etag = page.headers["ETag"]
    assert client.get(f"/public/A/c/{c.id}", headers={"If-None-Match": etag}).status_code == 304
    rate(client, c, "unsatisfied")  # redirects with a flash: shown once, never a 304
    shown = client.get(f"/public/A/c/{c.id}", headers={"If-None-Match": etag})
    assert shown.status_code == 200 and "感谢您的评价" in text(shown)
    assert "群众评价共 1 条" in text(shown)


def test_board_is_read_page_by_page(client, world, make_member):
    from partybuild.public.views import BOARD_MEMBERS_PER_PAGE as per_page

    for i in range(per_page + 5):
        world.commitment(S.published, member=make_member(name=f"党员{i:02d}"))
    first = text(client.get("/public/A"))
    assert first.count('data-testid="board-member"') == per_page and "下一页" in first
    second = text(client.get("/public/A?page=2"))
    assert second.count('data-testid="board-member"') == 5 and "下一页" not in second
    last = f"党员{per_page + 4:02d}"
    assert last in second and last not in first
    # Each item links to its rating page.
    assert re.search(r'href="/public/A/c/\d+"', first)


@pytest.mark.parametrize("url", ["/public/A", "/public/A?page=2", "rating"])
def test_public_pages_take_constant_queries(client, world, make_member, query_counter, url):
    def grow(n: int) -> Commitment:
        for _ in range(n):
            c = world.commitment(S.in_progress, member=make_member())
            for k in range(3):
                db.session.add(
                    PublicRating(
                        commitment_id=c.id, level="satisfied", browser_hash=f"{c.id}-{k}",
                        ip_hash="ip", rated_on=world.today,
                    )
                )  # fmt: skip
        db.session.commit()
        return c

    c = grow(22 if "page=2" in url else 3)  # page 2 exists from the start
    target = f"/public/A/c/{c.id}" if url == "rating" else url
    cold()
    with query_counter() as small:
        assert client.get(target).status_code == 200
    grow(30)
    cold()
    with query_counter() as large:
        assert client.get(target).status_code == 200
    assert large.count == small.count
