"""Commitment fixtures: a world of users around branch A, and commitments put in any state."""

import io
import zipfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from partybuild.commitments.models import (
    CommentState,
    Commitment,
    CommitmentBatch,
    CommitmentState,
    Evaluation,
    EvaluationKind,
    FulfilmentRecord,
    PublicRating,
    RecordEvidence,
)
from partybuild.core.db import utcnow
from partybuild.core.storage import StoredFile
from partybuild.core.timeutil import local_today
from partybuild.extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def ooxml(folder: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(f"{folder}/document.xml", "<x/>")
    return buf.getvalue()


class World:
    """Users around branch A: the owner, the secretary, and everyone who must be refused."""

    def __init__(self, org: Any, make_user: Callable, make_member: Callable) -> None:
        today = local_today()
        self.org = org
        self.today = today
        self.batch = CommitmentBatch(
            branch_id=org.a.id,
            title="2026年度党员承诺",
            commit_start=today - timedelta(days=10),
            commit_end=today + timedelta(days=10),
            evaluation_start=today - timedelta(days=5),
            evaluation_end=today + timedelta(days=200),
        )
        db.session.add(self.batch)
        db.session.commit()
        self.owner_member = make_member(branch=org.a, name="张承诺")
        self.users = {
            "owner": make_user("member", member=self.owner_member),
            "secretary": make_user("secretary", branch=org.a),
            "admin": make_user("admin"),
            "other_secretary": make_user("secretary", branch=org.b),
            "other_member": make_user("member", branch=org.a),
            "reviewer": make_user("reviewer"),
        }
        self.owner = self.users["owner"]
        self.secretary = self.users["secretary"]

    def commitment(
        self, state: CommitmentState = CommitmentState.draft, *, member: Any = None, **kw: Any
    ) -> Commitment:
        """A commitment in ``state`` with what that state implies (records, evaluations)."""
        member = member or self.owner_member
        batch = kw.pop("batch", self.batch)
        data = dict(
            batch_id=batch.id,
            branch_id=batch.branch_id,
            member_id=member.id,
            category="工作",
            content="每月接待群众来访不少于20批次",
            target="全年接访240批次，群众满意率95%以上",
            measures="按时到岗，首问负责",
            deadline=self.today + timedelta(days=90),
            state=state,
        )
        data.update(kw)
        c = Commitment(**data)
        now = utcnow()
        if state != CommitmentState.draft:
            c.submitted_at = c.submitted_at or now
        if state not in (CommitmentState.draft, CommitmentState.submitted):
            c.published_at = c.published_at or now
        if state in (
            CommitmentState.in_progress,
            CommitmentState.awaiting_evaluation,
            CommitmentState.evaluated,
        ):
            self._record(c)
        if state in (CommitmentState.awaiting_evaluation, CommitmentState.evaluated):
            c.evaluation_requested_at = now
            for kind in (EvaluationKind.self_, EvaluationKind.branch):
                db.session.add(Evaluation(commitment=c, kind=kind, score=90, comment="好"))
        if state == CommitmentState.evaluated:
            c.score, c.grade, c.evaluated_at = 90.0, "中", now
        if state == CommitmentState.not_fulfilled:
            c.closed_at, c.closed_reason = now, "岗位调整"
        db.session.add(c)
        db.session.commit()
        return c

    def pending_comment(self, c: Commitment, comment: str, **kw: Any) -> PublicRating:
        """A public rating of ``c`` whose comment awaits moderation (added, not committed)."""
        data = dict(
            commitment_id=c.id,
            level="satisfied",
            comment=comment,
            comment_state=CommentState.pending,
            browser_hash=f"b-{comment}",
            ip_hash="i",
            rated_on=self.today,
        )
        data.update(kw)
        rating = PublicRating(**data)
        db.session.add(rating)
        return rating

    def _record(self, c: Commitment) -> None:
        stored = StoredFile(
            token=f"tok{id(c)}{utcnow().timestamp()}",
            domain="commitments",
            original_name="证明.png",
            extension="png",
            content_type="image/png",
            size=len(PNG),
            sha256="0" * 64,
        )
        record = FulfilmentRecord(
            commitment=c, recorded_on=self.today, text="接访30批次", progress=50
        )
        db.session.add_all([stored, record, RecordEvidence(record=record, file=stored)])
        c.progress, c.record_count, c.evidence_count, c.last_record_on = 50, 1, 1, self.today


@pytest.fixture
def world(org: Any, make_user: Callable, make_member: Callable) -> World:
    return World(org, make_user, make_member)
