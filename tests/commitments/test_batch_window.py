"""A batch's window for new commitments (开放填报) and ending a batch (结束), issue 10
points 5 and 6."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from partybuild.commitments import service
from partybuild.commitments.models import (
    Action,
    BatchStatus,
    CommitmentBatch,
    CommitmentState,
    EvaluationKind,
)
from partybuild.core.audit import AuditEntry
from partybuild.core.service import ServiceError, ValidationFailed
from partybuild.extensions import db
from tests.commitments.conftest import PNG

S, A = CommitmentState, Action


def text(resp) -> str:
    return resp.get_data(as_text=True)


def data(world) -> dict:
    return {
        "category": "工作",
        "content": "按时办结信访事项",
        "target": "办结率100%",
        "measures": "",
        "deadline": world.today + timedelta(days=30),
    }


def batch(world, **kw) -> CommitmentBatch:
    t = world.today
    values = dict(
        branch_id=world.org.a.id,
        title="年中批次",
        commit_start=t - timedelta(days=150),
        commit_end=t + timedelta(days=150),
        evaluation_start=t + timedelta(days=160),
        evaluation_end=t + timedelta(days=200),
    )
    values.update(kw)
    b = CommitmentBatch(**values)
    db.session.add(b)
    db.session.commit()
    return b


# --- 开放填报 -------------------------------------------------------------------------


def test_window_defaults_to_the_batch_period(world):
    b = batch(world)
    assert (b.entry_start, b.entry_end) == (b.commit_start, b.commit_end)
    made = service.create_batch(
        world.org.a,
        {
            "title": "不填窗口",
            "commit_start": world.today,
            "commit_end": world.today + timedelta(days=10),
            "evaluation_start": world.today + timedelta(days=11),
            "evaluation_end": world.today + timedelta(days=20),
        },
        world.secretary,
    )
    assert (made.entry_start, made.entry_end) == (made.commit_start, made.commit_end)


def test_window_must_be_in_order_and_end_by_the_period_end(world):
    base = {
        "title": "窗口",
        "commit_start": world.today,
        "commit_end": world.today + timedelta(days=10),
        "evaluation_start": world.today + timedelta(days=11),
        "evaluation_end": world.today + timedelta(days=20),
    }
    with pytest.raises(ValidationFailed) as info:
        service.create_batch(
            world.org.a,
            {**base, "entry_start": world.today + timedelta(days=5), "entry_end": world.today},
            world.secretary,
        )
    assert "不能早于开始日期" in info.value.errors["entry_end"]
    with pytest.raises(ValidationFailed) as info:
        service.create_batch(
            world.org.a, {**base, "entry_end": world.today + timedelta(days=11)}, world.secretary
        )
    assert "不能晚于承诺期结束日期" in info.value.errors["entry_end"]


def test_a_member_added_mid_year_joins_while_the_window_is_open(client, auth, world, make_user):
    """The batch started 150 days ago; the member was added today and may join."""
    b = batch(world, entry_start=world.today - timedelta(days=150), entry_end=world.today)
    late = make_user("member", branch=world.org.a)
    c = service.create_commitment(b, late.member, data(world), late)
    db.session.commit()
    assert c.batch_id == b.id
    auth.login(late)
    page = text(client.get("/commitments/mine"))
    assert "年中批次" in page and "暂无进行中的承诺批次" not in page


def test_outside_the_window_the_message_names_the_date(client, auth, world, make_user):
    closed = batch(
        world,
        title="填报已截止",
        entry_start=world.today - timedelta(days=150),
        entry_end=world.today - timedelta(days=1),
    )
    later = batch(
        world,
        title="填报未开放",
        entry_start=world.today + timedelta(days=3),
        entry_end=world.today + timedelta(days=30),
    )
    late = make_user("member", branch=world.org.a)
    ended_on = f"{world.today - timedelta(days=1):%Y-%m-%d}"
    opens_on = f"{world.today + timedelta(days=3):%Y-%m-%d}"
    with pytest.raises(ServiceError, match=f"本批次承诺填报已于 {ended_on} 截止"):
        service.create_commitment(closed, late.member, data(world), late)
    with pytest.raises(ServiceError, match=f"本批次承诺填报将于 {opens_on} 开放"):
        service.create_commitment(later, late.member, data(world), late)
    # The secretary's 代填 follows the same window.
    with pytest.raises(ServiceError, match="截止"):
        service.create_commitment(closed, late.member, data(world), world.secretary)
    # The batches page calls both 进行中; 我的承诺 shows them with the date that applies,
    # never "本支部暂无进行中的承诺批次" (the inconsistency in issue 10).
    auth.login(late)
    page = text(client.get("/commitments/mine"))
    assert "暂无进行中的承诺批次" not in page
    assert f"本批次承诺填报已于 {ended_on} 截止" in page
    assert f"本批次承诺填报将于 {opens_on} 开放" in page
    resp = client.get(f"/commitments/batches/{closed.id}/new", follow_redirects=True)
    assert f"已于 {ended_on} 截止" in text(resp)
    auth.login(world.secretary)
    page = text(client.get("/commitments/batches"))
    assert f"本批次承诺填报将于 {opens_on} 开放" in page


def test_workbench_offers_only_batches_in_their_window(client, auth, world, make_user):
    batch(world, title="已截止批次", entry_end=world.today - timedelta(days=1))
    late = make_user("member", branch=world.org.a)
    auth.login(late)
    page = text(client.get("/"))
    assert "填写承诺：2026年度党员承诺" in page
    assert "填写承诺：已截止批次" not in page


# --- 结束 --------------------------------------------------------------------------------


def close(world, b=None) -> None:
    service.set_batch_status(b or world.batch, BatchStatus.closed, world.secretary)
    db.session.commit()


def test_ending_asks_for_confirmation_on_a_page(client, auth, world):
    auth.login(world.secretary)
    # The old one-click form no longer ends anything: it leads to the confirmation.
    resp = client.post(f"/commitments/batches/{world.batch.id}/status", data={"status": "closed"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        f"/commitments/batches/{world.batch.id}/close"
    )
    db.session.refresh(world.batch)
    assert world.batch.status == BatchStatus.open
    page = text(client.get(f"/commitments/batches/{world.batch.id}/close"))
    for rule in world.batch.end_rules():
        assert rule in page
    assert "确认结束" in page
    resp = client.post(
        f"/commitments/batches/{world.batch.id}/close",
        data={"note": "年度践诺期结束"},
        follow_redirects=True,
    )
    assert "已结束" in text(resp)
    db.session.refresh(world.batch)
    assert world.batch.status == BatchStatus.closed
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "commitment_batch")
    ).all()[-1]
    assert entry.action == "close" and "年度践诺期结束" in str(entry.after)


def test_only_the_branch_secretary_ends_a_batch(client, auth, world):
    auth.login(world.users["other_secretary"])
    assert client.post(f"/commitments/batches/{world.batch.id}/close").status_code == 404
    auth.login(world.users["owner"])
    assert client.post(f"/commitments/batches/{world.batch.id}/close").status_code == 403
    db.session.refresh(world.batch)
    assert world.batch.status == BatchStatus.open


def test_after_ending_no_new_commitments_records_or_review(world):
    draft = world.commitment(S.draft)
    world.commitment(S.draft)
    submitted = world.commitment(S.submitted)
    keeping = world.commitment(S.in_progress)
    close(world)
    with pytest.raises(ServiceError, match="已结束，不能再新增承诺"):
        service.create_commitment(world.batch, world.owner_member, data(world), world.owner)
    refused = [
        lambda: service.update_commitment(draft, data(world), world.owner),
        lambda: service.submit_commitment(draft, world.owner),
        lambda: service.publish_commitment(submitted, world.secretary),
        lambda: service.return_for_revision(submitted, "再具体些", world.secretary),
        lambda: service.add_fulfilment_record(
            keeping,
            {"recorded_on": world.today, "text": "又做了些", "progress": 60},
            [("p.png", PNG)],
            world.owner,
        ),
        lambda: service.add_supervision_note(keeping, "抓紧", world.secretary),
    ]
    for attempt in refused:
        with pytest.raises(ServiceError, match="已结束"):
            attempt()
        db.session.rollback()
    assert not keeping.can(A.add_record, world.owner)


def test_after_ending_evaluation_continues(world):
    keeping = world.commitment(S.in_progress)
    awaiting = world.commitment(S.awaiting_evaluation)
    close(world)
    # Declared done on the records kept before the end.
    service.request_evaluation(keeping, world.owner)
    service.record_evaluation(keeping, EvaluationKind.self_, 88, "", world.owner)
    service.record_evaluation(awaiting, EvaluationKind.leader, 90, "", world.secretary, "李局长")
    service.finalise_evaluation(awaiting, world.secretary, "进度说明")
    db.session.commit()
    assert keeping.state == S.awaiting_evaluation and awaiting.state == S.evaluated
    # Sending back to keep it would lead nowhere: no records can be added any more.
    with pytest.raises(ServiceError, match="已结束"):
        service.reopen_fulfilment(keeping, "证据不足", world.secretary)
    # Closing as not fulfilled and withdrawing stay possible.
    other = world.commitment(S.published)
    service.close_not_fulfilled(other, "调离本单位", world.secretary)


def test_after_ending_public_ratings_continue_until_the_evaluation_deadline(world):
    c = world.commitment(S.in_progress)
    close(world)
    assert c.is_ratable
    service.add_public_rating(c, "satisfied", "", browser_id="b1", ip="10.0.0.1")
    world.batch.evaluation_end = world.today - timedelta(days=1)
    world.batch.evaluation_start = world.today - timedelta(days=2)
    db.session.commit()
    assert not c.is_ratable
    with pytest.raises(ServiceError, match="不接受群众评价"):
        service.add_public_rating(c, "satisfied", "", browser_id="b2", ip="10.0.0.2")
    # An open batch past its deadline keeps the old behaviour (not part of ending).
    service.set_batch_status(world.batch, BatchStatus.open, world.secretary)
    assert c.is_ratable


def test_reopening_restores_everything(world):
    c = world.commitment(S.in_progress)
    close(world)
    assert not c.can(A.add_record, world.owner)
    service.set_batch_status(world.batch, BatchStatus.open, world.secretary)
    assert c.can(A.add_record, world.owner)
