"""Every search box matches text literally: `%`, `_` and `/` are characters, not wildcards."""

import pytest
import sqlalchemy as sa

from partybuild.core import audit
from partybuild.core.lists import contains
from partybuild.extensions import db
from partybuild.org.models import Member

ODD = {"%": "满意率100%", "_": "下划_线", "/": "甲/乙"}
PLAIN = "王秀英"


def _text(resp) -> str:
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_contains_escapes_wildcards(make_member):
    for name in (*ODD.values(), PLAIN):
        make_member(name=name)
    for needle, name in ODD.items():
        found = db.session.scalars(sa.select(Member.name).where(contains(Member.name, needle)))
        assert set(found) == {name}, needle
    found = db.session.scalars(sa.select(Member.name).where(contains(Member.name, "秀")))
    assert set(found) == {PLAIN}


def test_contains_ignores_case_and_takes_several_columns(make_member):
    make_member(name="Li Ming", title="Director")
    make_member(name="王秀英", title="科员")
    stmt = sa.select(Member.name).where(contains([Member.name, Member.title], "direc"))
    assert set(db.session.scalars(stmt)) == {"Li Ming"}
    stmt = sa.select(Member.name).where(contains((Member.name, Member.title), "LI M"))
    assert set(db.session.scalars(stmt)) == {"Li Ming"}


@pytest.mark.parametrize("needle", sorted(ODD))
def test_member_search_matches_only_names_with_the_character(client, auth, make_member, needle):
    for name in (*ODD.values(), PLAIN):
        make_member(name=name)
    auth.login("admin")
    body = _text(client.get("/org/members", query_string={"q": needle}))
    shown = {n for n in (*ODD.values(), PLAIN) if n in body}
    assert shown == {ODD[needle]}


@pytest.mark.parametrize("needle", ["%", "_"])
def test_user_search_matches_only_names_with_the_character(client, auth, make_user, needle):
    names = {"%": "rate%100", "_": "under_score", "": "plainuser"}
    for username in names.values():
        make_user("reviewer", username=username)
    auth.login("admin", username="theadmin")
    body = _text(client.get("/auth/users", query_string={"q": needle}))
    table = body.split("<tbody>", 1)[1]
    shown = {u for u in (*names.values(), "theadmin") if u in table}
    assert shown == {names[needle]}


@pytest.mark.parametrize("needle", ["%", "_"])
def test_audit_actor_search_matches_only_names_with_the_character(client, auth, needle):
    actors = {"%": "率100%", "_": "下_划", "": "普通人"}
    for key, actor in actors.items():
        audit.record("update", "member", 1, actor=actor, summary=f"条目{key or 'plain'}")
    db.session.commit()
    auth.login("reviewer")
    body = _text(client.get("/audit", query_string={"actor": needle}))
    shown = {key for key in actors if f"条目{key or 'plain'}" in body}
    assert shown == {needle}
