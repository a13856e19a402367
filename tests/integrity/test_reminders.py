"""Political reminders: seen by the member, the branch secretary and reviewers only."""

import pytest

from partybuild.extensions import db
from partybuild.integrity import service


@pytest.fixture
def reminder(world):
    row = service.record_reminder(
        world.org.a,
        {
            "member_id": world.owner_member.id,
            "talked_on": world.today,
            "reminder_name": "支部书记",
            "reason": "节前廉洁提醒：扣好第一粒扣子",
            "follow_up": "一个月后回访",
        },  # fmt: skip
        world.users["secretary"],
    )
    db.session.commit()
    return row


@pytest.mark.parametrize("name", ["owner", "secretary", "reviewer", "admin"])
def test_visible_to_member_secretary_reviewers(client, auth, world, reminder, name):
    auth.login(world.users[name])
    assert client.get(f"/integrity/reminders/{reminder.id}").status_code == 200
    assert reminder.reason in client.get("/integrity/reminders").get_data(as_text=True)


@pytest.mark.parametrize("name", ["other_member", "b_member", "other_secretary"])
def test_invisible_to_other_members_and_branches(client, auth, world, reminder, name):
    auth.login(world.users[name])
    assert client.get(f"/integrity/reminders/{reminder.id}").status_code == 404
    assert reminder.reason not in client.get("/integrity/reminders").get_data(as_text=True)
    if name != "other_secretary":
        assert reminder.reason not in client.get("/integrity/mine").get_data(as_text=True)


def test_invisible_to_the_public(client, world, reminder):
    resp = client.get(f"/integrity/reminders/{reminder.id}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    for url in ("/", "/public/A"):
        assert reminder.reason not in client.get(url).get_data(as_text=True)


def test_member_sees_own_reminder_on_own_page(client, auth, world, reminder):
    auth.login(world.users["owner"])
    assert reminder.reason in client.get("/integrity/mine").get_data(as_text=True)


def test_only_secretaries_record_reminders(client, auth, world):
    auth.login(world.users["reviewer"])
    assert client.get("/integrity/reminders/new").status_code == 403
    auth.login(world.users["owner"])
    assert client.post("/integrity/reminders/new", data={}).status_code == 403
