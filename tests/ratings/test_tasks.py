"""Scheduler jobs: rounds open and close on their dates; raters are reminded once."""

from datetime import timedelta

import sqlalchemy as sa

from partybuild.core.db import utcnow
from partybuild.core.notifications import Notification
from partybuild.extensions import db
from partybuild.ratings import tasks
from partybuild.ratings.models import RoundState


def test_rounds_open_and_close_on_their_dates(rw):
    rnd = rw.round(open_=False)
    assert rnd.state == RoundState.draft
    assert tasks.move_rounds(utcnow()) == {"opened": 1, "closed": 0}
    assert rnd.state == RoundState.open
    for u in rw.peer_users[:3]:
        rw.rate(rnd, rw.posts[0], u, 10)
    rnd.closes_on = rw.today - timedelta(days=1)
    rnd.opens_on = rw.today - timedelta(days=5)
    db.session.commit()
    assert tasks.move_rounds(utcnow()) == {"opened": 0, "closed": 1}
    assert rnd.state == RoundState.closed
    entry = next(e for e in rnd.entries if e.model_post_id == rw.posts[0].id)
    assert entry.score is not None and entry.rank == 1
    assert tasks.move_rounds(utcnow()) == {"opened": 0, "closed": 0}


def test_raters_are_reminded_two_days_before_close_once(rw):
    rnd = rw.round()
    rnd.closes_on = rw.today + timedelta(days=2)
    db.session.commit()
    for post in rw.posts:  # this peer has finished
        rw.rate(rnd, post, rw.peer_users[0], 8)
    result = tasks.remind_raters(utcnow())
    # 3 leaders + 3 other peers + 3 holders (who rate the two other posts)
    assert result == {"reminded": 9}
    assert tasks.remind_raters(utcnow()) == {"reminded": 0}
    done_user = rw.peer_users[0].id
    assert not db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == done_user, Notification.kind == "rating_reminder"
        )
    )
