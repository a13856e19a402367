"""Org, greetings, integrity, meetings and audit pages at scale: a constant number of
queries, and figures cached under data versions are never stale (a change is visible on
the next request)."""

import sqlalchemy as sa

from partybuild.extensions import db


def _same_count(client, query_counter, url, grow) -> tuple[int, int]:
    counts = []
    for step in (0, 1):
        if step:
            grow()
        client.get(url)  # warm-up: cached values are filled once per version
        with query_counter() as counted:
            assert client.get(url).status_code == 200
        counts.append(counted.count)
    return counts[0], counts[1]


def test_structure_constant_queries_and_never_stale(client, auth, org, make_member, query_counter):
    from partybuild.org.models import Member, PartyGroup

    auth.login("admin")

    def grow():
        for i in range(30):
            make_member(branch=org.a if i % 2 else org.b)
        for i in range(5):
            db.session.add(PartyGroup(branch=org.a, name=f"新小组{i}"))
        db.session.commit()

    small, large = _same_count(client, query_counter, "/org/structure", grow)
    assert small == large
    body = client.get("/org/structure").get_data(as_text=True)
    assert "新小组4" in body
    # A rename and a new member show on the very next request.
    org.group_a.name = "改名后的小组"
    make_member(branch=org.a)
    db.session.commit()
    active = db.session.scalar(
        sa.select(sa.func.count()).where(Member.branch_id == org.a.id, Member.is_active.is_(True))
    )
    body = client.get("/org/structure").get_data(as_text=True)
    assert "改名后的小组" in body
    assert f"{active} 名党员" in body


def test_member_list_names_units_from_the_cached_structure(client, auth, org, make_member):
    auth.login("admin")
    make_member(
        name="甲乙丙", branch=org.a, party_group=org.group_a, department=org.department,
        post=org.post,
    )  # fmt: skip
    body = client.get("/org/members").get_data(as_text=True)
    assert org.group_a.name in body and org.post.name in body and org.a.name in body
    org.post.name = "新岗位名称"
    org.a.name = "新支部名称"
    db.session.commit()
    body = client.get("/org/members").get_data(as_text=True)
    assert "新岗位名称" in body and "新支部名称" in body


def test_roster_total_is_counted_again_after_a_change(app, client, auth, org, make_member):
    import re

    from partybuild.org import service

    app.config["MEMBERS_PER_PAGE"] = 2  # the total shows under a list of several pages
    admin = auth.login("admin")
    for _ in range(3):
        make_member(branch=org.a)

    def total() -> int:
        html = client.get("/org/members").get_data(as_text=True)
        return int(re.search(r"共 (\d+) 条", html).group(1))

    before = total()
    member = make_member(branch=org.a)
    assert total() == before + 1
    service.retire_member(member, "组织关系转出", admin)
    db.session.commit()
    assert total() == before
