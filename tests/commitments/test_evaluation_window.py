"""The batch's evaluation window (评诺期) is enforced, not only shown.

Before it opens: the member may write the self-evaluation, but the branch cannot record
支部讲/领导点 nor finalise. After it ends: finalising is still possible (a real branch
sometimes evaluates late) but only with a written explanation, kept on the timeline.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from partybuild.commitments import service
from partybuild.commitments.models import (
    CommitmentBatch,
    CommitmentEvent,
    CommitmentState,
    Evaluation,
    EvaluationKind,
)
from partybuild.core.audit import AuditEntry
from partybuild.core.service import ServiceError, ValidationFailed
from partybuild.extensions import db
from tests.commitments.conftest import World

S = CommitmentState


def text(resp) -> str:
    return resp.get_data(as_text=True)


def make_batch(world: World, title: str, eval_from: int, eval_to: int) -> CommitmentBatch:
    t = world.today
    batch = CommitmentBatch(
        branch_id=world.org.a.id,
        title=title,
        commit_start=t - timedelta(days=120),
        commit_end=t - timedelta(days=100),
        evaluation_start=t + timedelta(days=eval_from),
        evaluation_end=t + timedelta(days=eval_to),
    )
    db.session.add(batch)
    db.session.commit()
    return batch


@pytest.fixture
def early(world: World):
    """Awaiting evaluation in a batch whose evaluation window opens in 30 days."""
    batch = make_batch(world, "评诺期未到", 30, 60)
    return world.commitment(S.awaiting_evaluation, batch=batch)


@pytest.fixture
def late(world: World):
    """Awaiting evaluation in a batch whose evaluation window ended 5 days ago."""
    batch = make_batch(world, "评诺期已过", -40, -5)
    return world.commitment(S.awaiting_evaluation, batch=batch)


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))


def test_finalise_before_window_is_refused_and_changes_nothing(world, early):
    audits = audit_count()
    with pytest.raises(ServiceError) as info:
        service.finalise_evaluation(early, world.secretary)
    message = info.value.message
    assert "评诺期" in message and f"{early.batch.evaluation_start:%Y-%m-%d}" in message
    db.session.rollback()
    db.session.expire_all()
    assert early.state == S.awaiting_evaluation and early.score is None
    assert audit_count() == audits


def test_branch_and_leader_evaluation_wait_for_window_but_self_does_not(world, early):
    for kind in (EvaluationKind.branch, EvaluationKind.leader):
        with pytest.raises(ServiceError, match="评诺期"):
            service.record_evaluation(early, kind, 90, "", world.secretary)
        db.session.rollback()
    service.record_evaluation(early, EvaluationKind.self_, 88, "已完成", world.owner)
    db.session.commit()
    scores = dict(
        db.session.execute(
            sa.select(Evaluation.kind, Evaluation.score).where(Evaluation.commitment_id == early.id)
        ).all()
    )
    assert scores[EvaluationKind.self_] == 88
    assert scores[EvaluationKind.branch] == 90  # the fixture's, unchanged


def test_finalise_on_last_day_of_window_needs_no_note(world):
    batch = make_batch(world, "今天最后一天", -10, 0)
    c = world.commitment(S.awaiting_evaluation, batch=batch)
    # The fixture's commitment has gaps (progress, ratings): a note for them is asked
    # for, but not a late note.
    with pytest.raises(ValidationFailed) as refused:
        service.finalise_evaluation(c, world.secretary)
    assert "逾期" not in str(refused.value) and "须填写说明" in str(refused.value)
    service.finalise_evaluation(c, world.secretary, "进度与群众评价不足，已说明")
    db.session.commit()
    assert c.state == S.evaluated
    assert "逾期说明" not in c.events[-1].comment and "。说明：" in c.events[-1].comment


def test_late_finalise_needs_a_note_which_is_kept(world, late):
    with pytest.raises(ValidationFailed) as info:
        service.finalise_evaluation(late, world.secretary, late_note="  ")
    assert "逾期说明" in info.value.errors["text"]
    db.session.rollback()
    service.finalise_evaluation(late, world.secretary, late_note="评诺会议因防汛任务推迟")
    db.session.commit()
    assert late.state == S.evaluated
    event = db.session.scalars(
        sa.select(CommitmentEvent)
        .where(CommitmentEvent.commitment_id == late.id)
        .order_by(CommitmentEvent.id.desc())
    ).first()
    assert event.action == "finalise" and "逾期说明：评诺会议因防汛任务推迟" in event.comment
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "finalise").order_by(AuditEntry.id.desc())
    ).first()
    assert "评诺会议因防汛任务推迟" in str(entry.after)


def test_pages_explain_the_window(client, auth, world, early, late):
    auth.login(world.secretary)
    page = text(client.get(f"/commitments/{early.id}"))
    assert f"评诺期 {early.batch.evaluation_start:%Y-%m-%d} 开始后方可确定评诺结果" in page
    assert f'action="/commitments/{early.id}/finalise"' not in page
    resp = client.post(f"/commitments/{early.id}/finalise", follow_redirects=True)
    assert "评诺期开始前不能确定评诺结果" in text(resp)
    db.session.expire_all()
    assert early.state == S.awaiting_evaluation

    page = text(client.get(f"/commitments/{late.id}"))
    assert "逾期说明" in page
    resp = client.post(f"/commitments/{late.id}/finalise", data={"text": ""})
    assert resp.status_code == 400 and "逾期确定评诺结果须填写逾期说明" in text(resp)
    resp = client.post(f"/commitments/{late.id}/finalise", data={"text": "书记外出学习，推迟评议"})
    assert resp.status_code == 302
    page = text(client.get(f"/commitments/{late.id}"))
    assert "逾期说明：书记外出学习，推迟评议" in page
    db.session.expire_all()
    assert late.state == S.evaluated


def test_open_window_finalise_button_is_a_plain_button(client, auth, world):
    c = world.commitment(S.awaiting_evaluation)
    auth.login(world.secretary)
    page = text(client.get(f"/commitments/{c.id}"))
    assert f'action="/commitments/{c.id}/finalise"' in page and "逾期说明" not in page
    # Progress 50%, no public part, no 领导点: a note is asked for (issue 10).
    assert client.post(f"/commitments/{c.id}/finalise").status_code == 400
    assert client.post(f"/commitments/{c.id}/finalise", data={"text": "按现状"}).status_code == 302
    db.session.expire_all()
    assert c.state == S.evaluated
