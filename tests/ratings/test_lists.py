"""The secretary's workbench links to exactly the list it counts (posts advised for
revocation, posts with an appeal to answer); the rounds and moderation lists load in
a constant number of queries however many rows there are."""

import re

import sqlalchemy as sa

from partybuild.extensions import db
from partybuild.ratings import service
from partybuild.ratings.models import CriterionSet


def text(resp) -> str:  # noqa: ANN001
    return resp.get_data(as_text=True)


def _listed(page: str) -> set[str]:
    table = page[page.index('data-testid="post-list"') :]
    table = table[: table.index("</table>")]
    return set(re.findall(r'/ratings/posts/\d+">([^<]+)</a>', table))


def _workbench_link(home: str, label: str) -> tuple[str, str]:
    """(count, href) of the workbench item with ``label``."""
    at = home.index(label)
    block = home[home.rfind("<a ", 0, at) : home.index("</a>", at)]
    href = re.search(r'href="([^"]+)"', block).group(1).replace("&amp;", "&")
    count = re.findall(r">\s*(\d+)\s*<", home[at : home.index("</a>", at) + 200])
    return (count[0] if count else ""), href


def test_revocation_item_links_to_exactly_the_flagged_posts(client, auth, rw):
    rnd = rw.round(weights=(0, 100, 0))
    low, fine = rw.posts[1], rw.posts[0]
    for u in rw.peer_users[:3]:
        rw.rate(rnd, low, u, 3)
        rw.rate(rnd, fine, u, 10)
    service.close_round(rnd, rw.secretary)
    db.session.commit()
    auth.login(rw.secretary)
    count, href = _workbench_link(text(client.get("/")), "建议收回牌子")
    assert href == "/ratings/?flagged=1" and count == "1"
    page = text(client.get(href))
    assert _listed(page) == {low.title}
    assert "建议收回牌子的示范岗" in page  # the page says what it shows
    # A later round that rates the post well takes it off the list.
    again = rw.round(weights=(0, 100, 0), title="2026年下半年测评", posts=[low])
    for u in rw.peer_users[:3]:
        rw.rate(again, low, u, 10)
    service.close_round(again, rw.secretary)
    db.session.commit()
    assert "建议收回牌子" not in text(client.get("/"))
    assert _listed(text(client.get("/ratings/?flagged=1"))) == set()
    # The other branch's secretary sees none of branch A's.
    auth.login(rw.other_secretary)
    assert _listed(text(client.get(href))) == set()


def test_appeals_item_links_to_exactly_the_posts_with_open_appeals(client, auth, rw):
    rnd = rw.round()
    service.close_round(rnd, rw.secretary)
    db.session.commit()
    first = service.file_appeal(rnd, rw.posts[0], rw.holder_users[0], "群众测评人数太少")
    service.file_appeal(rnd, rw.posts[2], rw.holder_users[2], "领导测评有误")
    db.session.commit()
    auth.login(rw.secretary)
    count, href = _workbench_link(text(client.get("/")), "待答复测评申诉")
    assert href == "/ratings/?appeal=open" and count == "2"
    assert _listed(text(client.get(href))) == {rw.posts[0].title, rw.posts[2].title}
    service.answer_appeal(first, "维持结果", rw.secretary)
    db.session.commit()
    count, _ = _workbench_link(text(client.get("/")), "待答复测评申诉")
    assert count == "1"
    assert _listed(text(client.get(href))) == {rw.posts[2].title}
    # Filters combine with the others, and survive the filter form (hidden inputs).
    assert _listed(text(client.get(f"{href}&q=不存在"))) == set()
    assert 'name="appeal" value="open"' in text(client.get(href))


def _measure(client, query_counter, url: str) -> int:  # noqa: ANN001
    client.get(url)
    with query_counter() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_rounds_list_queries_are_constant(client, auth, rw, query_counter):
    rw.round(title="第1次测评")
    auth.login(rw.secretary)
    few = {u: _measure(client, query_counter, "/ratings/rounds") for u in ("sec",)}
    auth.login(rw.peer_users[0])  # a rater: the page also lists her open tasks
    few["peer"] = _measure(client, query_counter, "/ratings/rounds")
    for i in range(2, 9):
        rw.round(title=f"第{i}次测评")
    auth.login(rw.secretary)
    assert _measure(client, query_counter, "/ratings/rounds") == few["sec"]
    auth.login(rw.peer_users[0])
    assert _measure(client, query_counter, "/ratings/rounds") == few["peer"]


def test_moderation_list_queries_are_constant(client, auth, rw, query_counter):
    rnd = rw.round()

    def comments(n: int) -> None:
        for post in rw.posts:
            for i in range(n):
                service.add_public_rating(
                    rnd, post, {c.id: 9 for c in rnd.criterion_set.criteria}, f"很好{i}",
                    browser_id=f"b-{post.id}-{i}-{n}", ip=f"10.{post.id}.{n}.{i}",
                )  # fmt: skip
        db.session.commit()

    comments(1)
    auth.login(rw.secretary)
    few = _measure(client, query_counter, "/ratings/moderation")
    comments(6)
    assert _measure(client, query_counter, "/ratings/moderation") == few
    assert text(client.get("/ratings/moderation")).count('data-testid="comment"') == 3 * 7


def _writes(counter) -> list[str]:  # noqa: ANN001
    return [
        q for q in counter.statements
        if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]  # fmt: skip


def test_new_round_get_writes_nothing(client, auth, org, make_user, query_counter):
    """The built-in criterion sets come from the migration (or the demo, or the explicit
    "load defaults" button), never from opening the form."""
    auth.login(make_user("secretary", branch=org.a))
    with query_counter() as counter:
        resp = client.get("/ratings/rounds/new")
    assert resp.status_code == 200 and _writes(counter) == []
    assert db.session.scalar(sa.select(sa.func.count(CriterionSet.id))) == 0
    page = text(resp)
    assert "尚未载入测评标准" in page and "/ratings/criteria/defaults" in page
    # The explicit button (a POST) loads them; then the form offers them.
    assert client.post("/ratings/criteria/defaults").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(CriterionSet.id))) == 2
    with query_counter() as counter:
        page = text(client.get("/ratings/rounds/new"))
    assert _writes(counter) == [] and "党员示范岗五项标准" in page
