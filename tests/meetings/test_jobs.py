"""Scheduled reminders: gaps, the day-before notice, key-task deadlines; reruns send nothing twice."""

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from partybuild.core.notifications import Notification
from partybuild.core.timeutil import LOCAL_TZ
from partybuild.extensions import db
from partybuild.meetings import tasks
from partybuild.meetings.models import MeetingType
from tests.meetings.conftest import local


def _notes(kind: str) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.kind == kind)))


def test_gap_reminder_in_the_last_days_of_the_period(world):
    world.meeting(MeetingType.committee_meeting, starts_at=local(2026, 3, 2))
    early = datetime.combine(datetime(2026, 3, 10).date(), time(8), LOCAL_TZ)
    assert tasks.remind_meeting_gaps(early)["reminded"] == 0
    late = datetime(2026, 3, 25, 8, tzinfo=LOCAL_TZ)
    counts = tasks.remind_meeting_gaps(late)
    mine = {n.title for n in _notes("meeting_gap") if n.user_id == world.secretary.id}
    theirs = {n.title for n in _notes("meeting_gap") if n.user_id != world.secretary.id}
    assert "2026年第1季度尚未召开支部党员大会" in mine
    assert "2026年3月尚未召开支部委员会" not in mine  # planned in March
    assert "2026年3月尚未召开支部委员会" in theirs  # branch B has nothing
    assert {n.user_id for n in _notes("meeting_gap")} == {
        world.secretary.id,
        world.users["other_secretary"].id,
    }
    assert tasks.remind_meeting_gaps(late)["reminded"] == 0 and counts["reminded"] > 0


def test_members_are_told_the_day_before(world):
    m = world.meeting(starts_at=local(2026, 5, 8, 9, 30))
    world.meeting(starts_at=local(2026, 5, 9, 9, 30), title="后天的会")
    counts = tasks.notify_tomorrows_meetings(datetime(2026, 5, 7, 9, tzinfo=LOCAL_TZ))
    notes = _notes("meeting_notice")
    # Accounts exist for the member and the leader among the expected members.
    assert counts["meetings"] == 1 and {n.user_id for n in notes} == {
        world.users["member"].id,
        world.users["leader"].id,
    }
    assert notes[0].title == f"明天09:30：{m.title}"
    assert (
        tasks.notify_tomorrows_meetings(datetime(2026, 5, 7, 9, tzinfo=LOCAL_TZ))["notified"] == 0
    )


def test_key_task_reminders_a_week_before_and_when_overdue(world):
    now = datetime(2026, 6, 1, 8, tzinfo=LOCAL_TZ)
    today = now.date()
    soon = world.task(deadline=today + timedelta(days=7), title="一周后到期")
    late = world.task(deadline=today - timedelta(days=1), title="昨天到期")
    world.task(deadline=today + timedelta(days=8), title="八天后到期")
    counts = tasks.remind_key_tasks(now)
    assert (counts["due_soon"], counts["overdue"]) == (1, 1)
    titles = {(n.user_id, n.title) for n in _notes("key_task")}
    leader = world.users["leader"].id
    assert (leader, f"重点任务7天后到期：{soon.title}") in titles
    assert (leader, f"重点任务已逾期：{late.title}") in titles
    assert (world.secretary.id, f"重点任务已逾期：{late.title}") in titles
    assert tasks.remind_key_tasks(now)["reminded"] == 0
