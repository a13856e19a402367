"""Workflow notifications: each step tells the person who acts next, with a link to the
page where they act; the daily digest of comments awaiting moderation is sent once."""

import sqlalchemy as sa

from partybuild.commitments import service, tasks
from partybuild.commitments.models import CommitmentState
from partybuild.core.db import utcnow
from partybuild.core.notifications import Notification
from partybuild.extensions import db

S = CommitmentState


def notes(user):
    return db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()


def test_submission_tells_the_secretary_once_per_member_and_day(app, world):
    world.commitment(S.draft)
    world.commitment(S.draft)
    with app.test_request_context("/"):
        n = service.submit_all(world.batch, world.owner_member, world.owner)
    db.session.commit()
    assert n == 2
    got = notes(world.secretary)
    assert len(got) == 1
    assert "张承诺提交了承诺" in got[0].title and got[0].link == "/commitments/review"
    assert notes(world.users["other_secretary"]) == []


def test_publish_and_return_tell_the_member(app, world):
    a = world.commitment(S.submitted)
    b = world.commitment(S.submitted)
    with app.test_request_context("/"):
        service.publish_commitment(a, world.secretary)
        service.return_for_revision(b, "目标要量化", world.secretary)
    db.session.commit()
    got = notes(world.owner)
    assert [n.title for n in got] == ["您的承诺已审核通过并公开亮诺", "您的承诺被退回修改"]
    assert got[0].link == f"/commitments/{a.id}" and got[1].link == f"/commitments/{b.id}"


def test_evaluation_request_tells_the_secretary_and_the_result_tells_the_member(app, world):
    c = world.commitment(S.in_progress)
    with app.test_request_context("/"):
        service.request_evaluation(c, world.owner)
        got = notes(world.secretary)
        assert got[-1].title == "张承诺申请评诺" and got[-1].link == f"/commitments/{c.id}"
        from partybuild.commitments.models import EvaluationKind

        service.record_evaluation(c, EvaluationKind.self_, 90, "好", world.owner)
        service.record_evaluation(c, EvaluationKind.branch, 90, "好", world.secretary)
        service.finalise_evaluation(c, world.secretary, "缺项已说明")
    db.session.commit()
    assert notes(world.owner)[-1].title == "您的承诺评诺结果已确定"


def test_daily_digest_of_comments_awaiting_moderation(app, world):
    c = world.commitment(S.published)
    for i in range(3):
        world.pending_comment(c, f"留言{i}")
    db.session.commit()
    now = utcnow()
    assert tasks.digest_pending_comments(now) == {"pending": 3, "notified": 1}
    assert tasks.digest_pending_comments(now) == {"pending": 3, "notified": 0}  # once a day
    got = notes(world.secretary)
    assert got[0].title == "有 3 条群众留言待审核"
    assert got[0].link == "/commitments/moderation?state=pending"
    assert notes(world.users["other_secretary"]) == []


def test_notify_each_skips_duplicates_inactive_accounts_and_the_actor(app, world, query_counter):
    """One statement tells every acting secretary; a repeat with the same key adds
    nothing, a locked account is not told, and the one who acted is not told."""
    from partybuild.auth.models import User
    from partybuild.core.notifications import notify, notify_each

    everyone = sa.select(User.id).where(User.is_active_account.is_(True)).order_by(User.id)
    with query_counter() as counted:
        added = notify_each(everyone, "test", "通知", link="/x", dedupe_key="k1")
    assert counted.count == 1
    active = db.session.scalars(everyone).all()
    assert added == len(active) > 1
    assert notify_each(everyone, "test", "通知", dedupe_key="k1") == 0
    assert notify(active[0], "test", "通知", dedupe_key="k1") is None
    assert isinstance(notify(active[0], "test", "通知", dedupe_key="k2"), int)
    # Without a key nothing is a duplicate.
    assert notify_each(everyone, "test", "无键") == len(active)
    assert notify_each(everyone, "test", "无键") == len(active)
    db.session.commit()
    note = db.session.scalars(
        sa.select(Notification).where(Notification.dedupe_key == "k1").order_by(Notification.id)
    ).first()
    assert (note.kind, note.title, note.body, note.link) == ("test", "通知", "", "/x")
    assert note.created_at is not None and note.read_at is None


def test_a_locked_secretary_is_not_told(app, world):
    world.secretary.is_active_account = False
    db.session.commit()
    world.commitment(S.draft)
    world.commitment(S.draft)
    with app.test_request_context("/"):
        service.submit_all(world.batch, world.owner_member, world.owner)
    db.session.commit()
    assert notes(world.secretary) == []
