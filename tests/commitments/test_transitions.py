"""Every (state, action, role) triple against an independently written table."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from partybuild.commitments import service
from partybuild.commitments.models import (
    Action,
    Commitment,
    CommitmentEvent,
    CommitmentState,
    EvaluationKind,
)
from partybuild.core.audit import AuditEntry
from partybuild.core.service import PermissionDenied, ServiceError
from partybuild.extensions import db
from tests.commitments.conftest import PNG

S, A = CommitmentState, Action
ROLES = ["owner", "secretary", "admin", "other_secretary", "other_member", "reviewer"]
ROLE_IS = {"owner": "owner", "secretary": "secretary", "admin": "secretary"}

# Written out by hand from the issue, not derived from the code's table.
EXPECTED = {
    S.draft: {A.edit: {"owner"}, A.submit: {"owner"}, A.withdraw: {"owner", "secretary"}},
    S.submitted: {
        A.return_for_revision: {"secretary"},
        A.publish: {"secretary"},
        A.withdraw: {"owner", "secretary"},
    },
    S.published: {
        A.add_record: {"owner"},
        A.supervise: {"secretary"},
        A.close_not_fulfilled: {"secretary"},
        A.withdraw: {"secretary"},
    },
    S.in_progress: {
        A.add_record: {"owner"},
        A.supervise: {"secretary"},
        A.request_evaluation: {"owner"},
        A.close_not_fulfilled: {"secretary"},
        A.withdraw: {"secretary"},
        A.retire_evidence: {"owner", "secretary"},
    },
    S.awaiting_evaluation: {
        A.supervise: {"secretary"},
        A.record_evaluation: {"owner", "secretary"},
        A.reopen: {"secretary"},
        A.close_not_fulfilled: {"secretary"},
        A.finalise: {"secretary"},
        A.retire_evidence: {"owner", "secretary"},
    },
    S.evaluated: {},
    S.not_fulfilled: {},
}
RESULT_STATE = {
    A.submit: S.submitted,
    A.return_for_revision: S.draft,
    A.publish: S.published,
    A.add_record: S.in_progress,
    A.request_evaluation: S.awaiting_evaluation,
    A.reopen: S.in_progress,
    A.close_not_fulfilled: S.not_fulfilled,
    A.finalise: S.evaluated,
}


def expected(state: CommitmentState, action: Action, role: str) -> str:
    allowed = EXPECTED[state].get(action)
    if allowed is None:
        return "state"
    return "ok" if ROLE_IS.get(role) in allowed else "denied"


def run(action: Action, c: Commitment, user, world) -> None:
    valid = dict(
        category="学习",
        content="学习党章",
        target="读书笔记10篇",
        measures="每周学习",
        deadline=world.today + timedelta(days=30),
    )
    verbs = {
        A.edit: lambda: service.update_commitment(c, valid, user),
        A.submit: lambda: service.submit_commitment(c, user),
        A.return_for_revision: lambda: service.return_for_revision(c, "目标不够具体", user),
        A.publish: lambda: service.publish_commitment(c, user),
        A.add_record: lambda: service.add_fulfilment_record(
            c,
            {"recorded_on": world.today, "text": "完成接访", "progress": 80},
            [("photo.png", PNG)],
            user,
        ),
        A.supervise: lambda: service.add_supervision_note(c, "请抓紧推进", user),
        A.request_evaluation: lambda: service.request_evaluation(c, user),
        A.reopen: lambda: service.reopen_fulfilment(c, "证明材料不足", user),
        A.close_not_fulfilled: lambda: service.close_not_fulfilled(c, "岗位调整", user),
        A.record_evaluation: lambda: service.record_evaluation(
            c,
            EvaluationKind.self_ if user.member_id == c.member_id else EvaluationKind.branch,
            92,
            "较好",
            user,
        ),
        A.finalise: lambda: service.finalise_evaluation(c, user, "评诺说明：缺项已知悉"),
        A.withdraw: lambda: service.withdraw_commitment(c, "组织关系转出", user),
        A.retire_evidence: lambda: service.retire_evidence(
            c, evidence_to_retire(c), "上传错了文件", user
        ),
    }
    verbs[action]()


def evidence_to_retire(c: Commitment) -> int:
    """A live evidence file of ``c`` (0 if none). Awaiting evaluation must keep one, so
    there a second file is added first, as a member who uploaded two would have."""
    from partybuild.commitments.models import RecordEvidence
    from partybuild.core.storage import StoredFile

    live = [ev for r in c.records for ev in r.evidence if not ev.file.is_retired]
    if c.state == S.awaiting_evaluation and len(live) == 1:
        spare = StoredFile(
            token=f"spare{c.id}-{c.version_id}-{len(c.records[0].evidence)}",
            domain="commitments",
            original_name="补充.png",
            extension="png",
            content_type="image/png",
            size=len(PNG),
            sha256="0" * 64,
        )
        db.session.add(RecordEvidence(record=c.records[0], file=spare))
        c.evidence_count += 1
        db.session.flush()
    return live[0].file_id if live else 0


def count(condition) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(condition))


TRIPLES = [(s, a, r) for s in CommitmentState for a in Action for r in ROLES]


@pytest.mark.parametrize(
    ("state", "action", "role"), TRIPLES, ids=[f"{s}-{a}-{r}" for s, a, r in TRIPLES]
)
def test_transition_table_matches_the_rules(state, action, role):
    """Pure rule check, every triple (no database needed)."""
    from partybuild.auth.models import User
    from partybuild.commitments.models import check_transition
    from partybuild.core.permissions import Role

    c = Commitment(id=1, branch_id=1, member_id=10, state=state, is_withdrawn=False)
    users = {
        "owner": User(id=1, is_active_account=True, role=Role.member, branch_id=1, member_id=10),
        "secretary": User(
            id=2, is_active_account=True, role=Role.secretary, branch_id=1, member_id=11
        ),
        "admin": User(id=3, is_active_account=True, role=Role.admin),
        "other_secretary": User(
            id=4, is_active_account=True, role=Role.secretary, branch_id=2, member_id=12
        ),
        "other_member": User(
            id=5, is_active_account=True, role=Role.member, branch_id=1, member_id=13
        ),
        "reviewer": User(id=6, is_active_account=True, role=Role.reviewer),
    }
    want = expected(state, action, role)
    if want == "ok":
        assert check_transition(c, action, users[role]) is not None
    elif want == "denied":
        with pytest.raises(PermissionDenied):
            check_transition(c, action, users[role])
    else:
        with pytest.raises(ServiceError) as info:
            check_transition(c, action, users[role])
        assert not isinstance(info.value, PermissionDenied)
        assert "不能" in info.value.message


@pytest.mark.parametrize("state", list(CommitmentState))
def test_service_verbs_follow_the_table(world, state):
    """Each verb, run for real by each role: allowed ones move the state and leave a trail;
    refused ones raise a Chinese message and change nothing."""
    sibling = world.commitment(S.draft)  # the 2-item minimum for submit
    c = world.commitment(state)
    cid = c.id
    for action in Action:
        for role in ROLES:
            c = db.session.get(Commitment, cid)
            before = (c.state, c.version_id, c.is_withdrawn)
            events = count(CommitmentEvent.commitment_id == cid)
            audits = count(AuditEntry.id.is_not(None))
            want = expected(state, action, role)
            try:
                run(action, c, world.users[role], world)
            except ServiceError as exc:
                got = "denied" if isinstance(exc, PermissionDenied) else "state"
                assert exc.message and any("\u4e00" <= ch <= "\u9fff" for ch in exc.message)
                db.session.rollback()
                c = db.session.get(Commitment, cid)
                assert (c.state, c.version_id, c.is_withdrawn) == before
                assert count(AuditEntry.id.is_not(None)) == audits
            else:
                got = "ok"
                db.session.flush()
                assert c.state == RESULT_STATE.get(action, state), (action, role)
                if action == A.withdraw:
                    assert c.is_withdrawn
                assert count(CommitmentEvent.commitment_id == cid) > events
                assert count(AuditEntry.id.is_not(None)) > audits
                db.session.rollback()
            assert got == want, (state, action, role)
    assert sibling.id


def test_withdrawn_commitment_accepts_nothing(world):
    c = world.commitment(S.in_progress)
    service.withdraw_commitment(c, "调离", world.secretary)
    db.session.commit()
    for action in Action:
        assert not c.can(action, world.secretary)
        assert not c.can(action, world.owner)
    with pytest.raises(ServiceError, match="已撤回"):
        service.add_supervision_note(c, "x", world.secretary)
