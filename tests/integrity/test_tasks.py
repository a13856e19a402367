"""Scheduler jobs: review due / overdue and rectification deadlines, each reminded once."""

from datetime import timedelta

import sqlalchemy as sa

from partybuild.core.db import utcnow
from partybuild.core.notifications import Notification
from partybuild.extensions import db
from partybuild.integrity.tasks import remind_rectifications, remind_reviews


def _notes(user, kind):
    return db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


def test_review_due_and_overdue_reminded_once_each(world):
    due = world.point(title="将到期")
    late = world.point(title="已逾期")
    far = world.point(title="还早")
    due.next_review_on = world.today + timedelta(days=3)
    late.next_review_on = world.today - timedelta(days=2)
    far.next_review_on = world.today + timedelta(days=200)
    db.session.commit()
    result = remind_reviews(utcnow())
    assert result["due"] == 1 and result["overdue"] == 1
    for name in ("secretary", "deputy", "owner"):
        titles = sorted(n.title for n in _notes(world.users[name], "risk_review"))
        assert len(titles) == 2 and any("逾期" in t for t in titles), name
    assert not _notes(world.users["other_secretary"], "risk_review")
    assert remind_reviews(utcnow())["reminded"] == 0  # rerun: nothing new
    # A review moved the date: the new date is reminded again when it comes.
    late.next_review_on = world.today + timedelta(days=1)
    db.session.commit()
    assert remind_reviews(utcnow())["reminded"] == 3


def test_rectification_deadline_reminds_responsible_then_secretary(world):
    r = world.rectification(deadline=world.today + timedelta(days=2))
    remind_rectifications(utcnow())
    assert len(_notes(world.users["owner"], "rectification")) == 2  # opened + deadline
    assert not _notes(world.users["secretary"], "rectification")
    r.opened_on = r.deadline = world.today - timedelta(days=1)
    db.session.commit()
    result = remind_rectifications(utcnow())
    assert result["overdue"] == 1
    assert any("逾期" in n.title for n in _notes(world.users["secretary"], "rectification"))
    assert remind_rectifications(utcnow())["reminded"] == 0
