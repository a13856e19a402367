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


def test_ledger_chips_total_and_heat_map_show_a_change_on_the_next_request(client, auth, world):
    """The flag chips, the total and the heat map are cached under the integrity data
    version: a new point, a rectification and a retirement show on the very next request."""
    import re

    auth.login(world.users["reviewer"])

    def chips() -> dict[str, int]:
        html = client.get("/integrity/").get_data(as_text=True)
        return {
            key: int(n) for key, n in re.findall(r'data-testid="flag-(\w+)">[^<]*?(\d+)</a>', html)
        }

    def cell(likelihood: int, impact: int) -> str:
        return client.get(f"/integrity/?likelihood={likelihood}&impact={impact}").get_data(
            as_text=True
        )

    point = world.point(title="第一个风险点", likelihood=2, impact=3)
    before = chips()
    heat_before = client.get("/integrity/heatmap").get_data(as_text=True)
    r = world.rectification(point)
    assert chips()["rect_open"] == before["rect_open"] + 1
    r.opened_on = r.deadline = world.today - timedelta(days=1)
    db.session.commit()
    assert chips()["rect_overdue"] == before["rect_overdue"] + 1
    world.point(title="第二个风险点", likelihood=5, impact=5)
    assert "第二个风险点" in cell(5, 5)
    heat_after = client.get("/integrity/heatmap").get_data(as_text=True)
    assert heat_after != heat_before
    service.retire_point(point, "岗位撤销", world.users["secretary"])
    db.session.commit()
    assert "第一个风险点" not in cell(2, 3)
