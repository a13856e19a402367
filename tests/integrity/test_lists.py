"""List pages load in a constant number of queries whatever the data size."""

from datetime import timedelta

import pytest

from partybuild.extensions import db
from partybuild.integrity import service

PAGES = {
    "secretary": ["/integrity/", "/integrity/?flag=rect_overdue", "/integrity/rectifications",
                  "/integrity/reminders", "/integrity/heatmap", "/"],
    "reviewer": ["/integrity/", "/integrity/heatmap", "/"],
    "owner": ["/integrity/mine", "/integrity/rectifications", "/integrity/reminders", "/"],
}  # fmt: skip


def grow(world, n):
    for i in range(n):
        p = world.point(title=f"风险点{n}-{i}", likelihood=1 + i % 5, impact=1 + (i * 2) % 5)
        r = world.rectification(p)
        if i % 2:
            r.opened_on = r.deadline = world.today - timedelta(days=1)
        service.record_reminder(
            world.org.a,
            {
                "member_id": world.owner_member.id,
                "talked_on": world.today,
                "reminder_name": "书记",
                "reason": f"提醒{i}",
                "risk_point_id": p.id,
            },  # fmt: skip
            world.users["secretary"],
        )
    db.session.commit()


@pytest.mark.parametrize(("role", "url"), [(r, u) for r, urls in PAGES.items() for u in urls])
def test_query_count_is_constant(client, auth, world, query_counter, role, url):
    auth.login(world.users[role])
    grow(world, 2)
    client.get(url)
    with query_counter() as small:
        assert client.get(url).status_code == 200
    grow(world, 8)
    client.get(url)
    with query_counter() as large:
        assert client.get(url).status_code == 200
    assert large.count == small.count, (url, small.statements, large.statements)
