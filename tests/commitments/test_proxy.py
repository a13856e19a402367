"""代填 (issue 10, point 5): the branch secretary enters, submits and keeps commitments
on a member's behalf; marked on the row, the timeline, the audit log and the ledgers."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from partybuild.commitments import export, service
from partybuild.commitments.models import (
    Action,
    Commitment,
    CommitmentEvent,
    CommitmentState,
    EvaluationKind,
)
from partybuild.core.audit import AuditEntry
from partybuild.core.notifications import Notification
from partybuild.core.service import PermissionDenied, ServiceError
from partybuild.extensions import db
from tests.commitments.conftest import PNG

S, A = CommitmentState, Action


def text(resp) -> str:
    return resp.get_data(as_text=True)


def data(world, content: str = "每月走访困难群众一次") -> dict:
    return {
        "category": "服务群众",
        "content": content,
        "target": "全年走访12次",
        "measures": "结对帮扶",
        "deadline": world.today + timedelta(days=60),
    }


def form(world, content: str = "每月走访困难群众一次") -> dict:
    return {**data(world, content), "deadline": (world.today + timedelta(days=60)).isoformat()}


@pytest.fixture
def no_account(world, make_member):
    """A member of branch A who cannot sign in: takes part only through 代填."""
    return make_member(branch=world.org.a, name="王无号")


def proxy_commitment(world, member, state: CommitmentState) -> Commitment:
    return world.commitment(
        state,
        member=member,
        entered_by_id=world.secretary.id,
        entered_by_name=world.secretary.label,
    )


# --- creating and submitting ---------------------------------------------------------


def test_secretary_enters_and_submits_for_a_member_without_an_account(
    client, auth, world, no_account
):
    auth.login(world.secretary)
    page = text(client.get(f"/commitments/batches/{world.batch.id}/proxy"))
    assert "王无号" in page and "无账号" in page
    for content in ("每月走访困难群众一次", "每季度讲一次微党课"):
        resp = client.post(
            f"/commitments/batches/{world.batch.id}/proxy/{no_account.id}",
            data=form(world, content),
        )
        assert resp.status_code == 302, text(resp)
    items = db.session.scalars(
        sa.select(Commitment).where(Commitment.member_id == no_account.id)
    ).all()
    assert len(items) == 2
    assert all(c.is_proxy and c.entered_by_id == world.secretary.id for c in items)
    page = text(client.get(f"/commitments/{items[0].id}"))
    assert "由 " in page and "代填" in page and 'data-testid="by-proxy"' in page

    resp = client.post(
        f"/commitments/batches/{world.batch.id}/proxy/{no_account.id}/submit-all",
        follow_redirects=True,
    )
    assert "已为王无号提交 2 项代填的承诺" in text(resp)
    for c in items:
        db.session.refresh(c)
        assert c.state == S.submitted
    submit = db.session.scalar(
        sa.select(CommitmentEvent).where(
            CommitmentEvent.commitment_id == items[0].id, CommitmentEvent.action == "submit"
        )
    )
    assert submit.by_proxy and submit.actor_id == world.secretary.id
    # The audit log names whom it was done for.
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.object_type == "commitment", AuditEntry.object_id == str(items[0].id)
        )
    ).all()
    assert {e.action for e in entries} >= {"create", "submit"}
    assert all("王无号（代填）" in str(e.after) for e in entries)
    # Marked on the review queue and the overview.
    assert 'data-testid="proxy-mark"' in text(client.get("/commitments/review"))


def test_later_steps_for_a_member_without_an_account_are_proxy(world, no_account):
    c = proxy_commitment(world, no_account, S.published)
    service.add_fulfilment_record(
        c,
        {"recorded_on": world.today, "text": "走访3户", "progress": 100},
        [("photo.png", PNG)],
        world.secretary,
    )
    service.request_evaluation(c, world.secretary)
    service.record_evaluation(c, EvaluationKind.self_, 90, "按期完成", world.secretary)
    db.session.commit()
    assert c.state == S.awaiting_evaluation
    events = {e.action: e for e in c.events}
    assert events["add_record"].by_proxy and events["request_evaluation"].by_proxy
    assert events["record_evaluation"].by_proxy
    self_eval = next(ev for ev in c.evaluations if ev.kind == EvaluationKind.self_)
    assert self_eval.evaluator_name == "王无号"  # the member's own words, entered for them
    # The secretary's own parts are not 代填.
    service.record_evaluation(c, EvaluationKind.branch, 92, "", world.secretary)
    db.session.flush()
    assert not c.events[-1].by_proxy


def test_member_with_an_account_sees_it_as_theirs_and_keeps_it_themself(client, auth, world):
    member = world.owner_member
    c1 = service.create_commitment(world.batch, member, data(world), world.secretary)
    service.create_commitment(world.batch, member, data(world, "学习党章"), world.secretary)
    db.session.commit()
    assert db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == world.owner.id, Notification.title.contains("代填")
        )
    )
    # The member sees it on 我的承诺, marked, and may edit and submit it too.
    auth.login(world.owner)
    page = text(client.get("/commitments/mine"))
    assert "每月走访困难群众一次" in page and 'data-testid="proxy-mark"' in page
    assert c1.can(A.edit, world.owner) and c1.can(A.submit, world.owner)
    # The secretary may submit what she entered ...
    service.submit_commitment(c1, world.secretary)
    service.publish_commitment(c1, world.secretary)
    db.session.commit()
    # ... but from then on a member with an account keeps it themself.
    with pytest.raises(PermissionDenied):
        service.add_fulfilment_record(
            c1, {"recorded_on": world.today, "text": "x", "progress": 10}, [], world.secretary
        )
    assert c1.can(A.add_record, world.owner)


def test_secretary_cannot_submit_a_draft_the_member_wrote(world):
    c = world.commitment(S.draft)
    world.commitment(S.draft)
    with pytest.raises(PermissionDenied):
        service.submit_commitment(c, world.secretary)
    with pytest.raises(ServiceError, match="没有可提交"):
        service.submit_all(world.batch, world.owner_member, world.secretary)


# --- who may 代填 --------------------------------------------------------------------


def test_another_branchs_secretary_cannot_enter_for_a_member(client, auth, world, no_account):
    other = world.users["other_secretary"]
    with pytest.raises(PermissionDenied, match="代填"):
        service.create_commitment(world.batch, no_account, data(world), other)
    auth.login(other)
    assert client.get(f"/commitments/batches/{world.batch.id}/proxy").status_code == 404
    url = f"/commitments/batches/{world.batch.id}/proxy/{no_account.id}"
    assert client.post(url, data=form(world)).status_code == 404
    assert not db.session.scalar(
        sa.select(Commitment.id).where(Commitment.member_id == no_account.id)
    )


def test_secretary_cannot_enter_for_another_branchs_member(client, auth, world, make_member):
    stranger = make_member(branch=world.org.b, name="乙支部党员")
    with pytest.raises(PermissionDenied):
        service.create_commitment(world.batch, stranger, data(world), world.secretary)
    auth.login(world.secretary)
    url = f"/commitments/batches/{world.batch.id}/proxy/{stranger.id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data=form(world)).status_code == 404


def test_a_member_cannot_enter_for_somebody_else(client, auth, world, no_account):
    member = world.users["other_member"]
    with pytest.raises(PermissionDenied, match="只能为本人填写承诺"):
        service.create_commitment(world.batch, no_account, data(world), member)
    with pytest.raises(PermissionDenied):
        service.create_commitment(world.batch, no_account, data(world), world.users["admin"])
    auth.login(member)
    url = f"/commitments/batches/{world.batch.id}/proxy/{no_account.id}"
    assert client.post(url, data=form(world)).status_code == 403
    assert client.get(f"/commitments/batches/{world.batch.id}/proxy").status_code == 403


def test_a_member_cannot_act_on_anothers_proxy_commitment(world, no_account):
    c = proxy_commitment(world, no_account, S.in_progress)
    other = world.users["other_member"]
    for action in (A.add_record, A.request_evaluation, A.edit):
        assert not c.can(action, other)
    assert not c.can(A.add_record, world.users["other_secretary"])
    assert not c.can(A.add_record, world.users["reviewer"])


# What the secretary may do on a commitment she entered for a member without an account,
# written out by hand: the member's steps (代填) on top of her own.
PROXY_EXPECTED = {
    S.draft: {A.edit, A.submit, A.withdraw},
    S.submitted: {A.return_for_revision, A.publish, A.withdraw},
    S.published: {A.add_record, A.supervise, A.close_not_fulfilled, A.withdraw},
    S.in_progress: {
        A.add_record,
        A.supervise,
        A.request_evaluation,
        A.close_not_fulfilled,
        A.withdraw,
        A.retire_evidence,
    },
    S.awaiting_evaluation: {
        A.supervise,
        A.record_evaluation,
        A.reopen,
        A.close_not_fulfilled,
        A.finalise,
        A.retire_evidence,
    },
    S.evaluated: set(),
    S.not_fulfilled: set(),
}


@pytest.mark.parametrize("state", list(CommitmentState))
def test_proxy_transition_table(world, no_account, state):
    c = proxy_commitment(world, no_account, state)
    assert set(c.allowed_actions(world.secretary)) == PROXY_EXPECTED[state]
    # With an account the member keeps it: past the draft, only the secretary's own steps.
    mine = proxy_commitment(world, world.owner_member, state)
    own_steps = {A.edit, A.submit} if state == S.draft else set()
    expected = PROXY_EXPECTED[state] - {A.add_record, A.request_evaluation} | own_steps
    assert set(mine.allowed_actions(world.secretary)) == expected
    # Nobody else gains anything from 代填.
    for role in ("other_secretary", "other_member", "reviewer"):
        assert c.allowed_actions(world.users[role]) == []


# --- the ledgers ---------------------------------------------------------------------


def test_ledgers_mark_proxy_entries(world, no_account):
    from partybuild.reports.documents.commitment_ledger import _cells

    proxy_commitment(world, no_account, S.published)
    world.commitment(S.published)
    rows = {r.member: r for r in export.ledger_rows([world.org.a.id])}
    assert rows["王无号"].entered_by == world.secretary.label
    assert rows["王无号"].proxy_label == f"由 {world.secretary.label} 代填"
    assert rows["张承诺"].entered_by == ""
    # The Word ledger's rows are as of the period's end (reports.commitment_figures).
    from partybuild.reports.commitment_figures import period_rows
    from partybuild.reports.periods import parse_period

    period = parse_period(str(world.today.year))
    word = {r.member: r for r in period_rows([world.org.a.id], period, world.today)}
    assert word["王无号"].entered_by == world.secretary.label
    assert _cells(1, word["王无号"], False)[1] == "王无号\n代填"
    assert _cells(1, word["张承诺"], False)[1] == "张承诺"
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(
        io.BytesIO(export.ledger_xlsx(list(rows.values()), "台账"))
    ).active
    header = [cell.value for cell in sheet[2]]
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    column = header.index("代填")
    assert {r[3]: r[column] for r in values}["王无号"] == f"由 {world.secretary.label} 代填"


def test_proxy_pages_query_count_is_constant(client, auth, world, make_member, query_counter):
    """The member picker and the lists showing 代填 marks do not query per row."""

    def grow(n: int) -> None:
        for i in range(n):
            m = make_member(branch=world.org.a)
            proxy_commitment(world, m, (S.draft, S.submitted, S.published)[i % 3])

    auth.login(world.secretary)
    urls = [
        f"/commitments/batches/{world.batch.id}/proxy",
        "/commitments/review",
        "/commitments/overview",
    ]
    grow(3)
    counts = {}
    for url in urls:
        client.get(url)
        with query_counter() as small:
            assert client.get(url).status_code == 200
        counts[url] = small.count
    grow(12)
    for url in urls:
        client.get(url)
        with query_counter() as large:
            assert client.get(url).status_code == 200
        assert large.count == counts[url], url


def test_detail_page_offers_the_members_steps_to_the_secretary(client, auth, world, no_account):
    keeping = proxy_commitment(world, no_account, S.in_progress)
    awaiting = proxy_commitment(world, no_account, S.awaiting_evaluation)
    auth.login(world.secretary)
    page = text(client.get(f"/commitments/{keeping.id}"))
    assert "添加践诺记录" in page and "申请评诺" in page
    resp = client.post(
        f"/commitments/{keeping.id}/records",
        data={"recorded_on": world.today.isoformat(), "text": "走访5户", "progress": "70"},
        follow_redirects=True,
    )
    assert "践诺记录已添加" in text(resp) and 'data-testid="by-proxy"' in text(resp)
    page = text(client.get(f"/commitments/{awaiting.id}"))
    assert 'value="self"' in page  # 党员述 entered for the member
    resp = client.post(
        f"/commitments/{awaiting.id}/evaluate",
        data={"kind": "self", "score": "90", "comment": "按期完成"},
        follow_redirects=True,
    )
    assert "评价已保存" in text(resp)
