"""Report fixtures: two branches of commitments spread over 2026, inside and outside Q3."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from partybuild.commitments.models import (
    Commitment,
    CommitmentBatch,
    CommitmentState,
    FulfilmentRecord,
    PublicRating,
    RatingLevel,
    RecordEvidence,
)
from partybuild.core.storage import StoredFile
from partybuild.extensions import db

S = CommitmentState
_hashes = itertools.count(1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # noon in Shanghai


def add_commitment(
    batch: CommitmentBatch,
    member: Any,
    state: CommitmentState,
    *,
    submitted: date,
    deadline: date,
    content: str = "每月接待群众来访不少于20批次",
    withdrawn: bool = False,
    score: float | None = None,
    grade: str | None = None,
    progress: int = 0,
    evidence: int = 0,
    category: str = "工作",
) -> Commitment:
    c = Commitment(
        batch_id=batch.id,
        branch_id=batch.branch_id,
        member_id=member.id,
        category=category,
        content=content,
        target="全年接访240批次，群众满意率95%以上",
        measures="按时到岗，首问负责，件件有回音",
        deadline=deadline,
        state=state,
        progress=progress,
        evidence_count=evidence,
    )
    if state != S.draft:
        c.submitted_at = at(submitted)
    if state not in (S.draft, S.submitted):
        c.published_at = at(submitted)
    if state in (S.awaiting_evaluation, S.evaluated):
        c.evaluation_requested_at = at(submitted)
    if state == S.evaluated:
        c.score, c.grade, c.evaluated_at = score, grade, at(submitted)
    if withdrawn:
        c.is_withdrawn, c.withdrawn_at, c.withdrawn_reason = True, at(submitted), "重复填报"
    db.session.add(c)
    db.session.flush()
    return c


def add_record(
    c: Commitment, on: date, text: str, progress: int, *, evidence: int = 0
) -> FulfilmentRecord:
    """A record dated ``on``, with ``evidence`` files (stored-file rows, no bytes)."""
    record = FulfilmentRecord(commitment_id=c.id, recorded_on=on, text=text, progress=progress)
    db.session.add(record)
    db.session.flush()
    for _ in range(evidence):
        n = next(_hashes)
        file = StoredFile(
            token=f"t{n:063d}", domain="commitments", original_name=f"佐证{n}.pdf",
            extension="pdf", content_type="application/pdf", size=1, sha256="0" * 64,
        )  # fmt: skip
        db.session.add(file)
        db.session.flush()
        db.session.add(RecordEvidence(record_id=record.id, file_id=file.id))
    c.record_count += 1
    c.last_record_on = max(c.last_record_on or on, on)
    return record


def add_ratings(c: Commitment, *levels: RatingLevel) -> None:
    for level in levels:
        n = next(_hashes)
        db.session.add(
            PublicRating(
                commitment_id=c.id,
                level=level,
                browser_hash=f"b{n:063d}",
                ip_hash=f"i{n:063d}",
                rated_on=date(2026, 9, 1),
            )
        )


@pytest.fixture
def ledger(org: Any, make_member: Callable, make_user: Callable) -> SimpleNamespace:
    """Branch A, batch 2026 (spans all of 2026): c1-c8, of which c4 is only submitted,
    c6 a draft and c7 withdrawn; batch 2025: e1; batch 2026 Q4 (Oct-Dec): f1.
    Branch B: d1. Ratings: c1 3 satisfied + 1 basic, c2 2 satisfied, c3 1 unsatisfied,
    so only c1 has 3 or more ratings."""
    a1 = make_member(branch=org.a, name="张承诺", post=org.post, department=org.department)
    a2 = make_member(branch=org.a, name="李践诺", full=False, phone="13900001111")
    b1 = make_member(branch=org.b, name="王外支")
    batch_a = CommitmentBatch(
        branch_id=org.a.id,
        title="2026年度党员承诺",
        commit_start=date(2026, 1, 1),
        commit_end=date(2026, 12, 31),
        evaluation_start=date(2026, 6, 1),
        evaluation_end=date(2027, 1, 31),
    )
    batch_b = CommitmentBatch(
        branch_id=org.b.id,
        title="2026年度党员承诺",
        commit_start=date(2026, 1, 1),
        commit_end=date(2026, 12, 31),
        evaluation_start=date(2026, 6, 1),
        evaluation_end=date(2027, 1, 31),
    )
    batch_a_2025 = CommitmentBatch(
        branch_id=org.a.id,
        title="2025年度党员承诺",
        commit_start=date(2025, 1, 1),
        commit_end=date(2025, 3, 31),
        evaluation_start=date(2025, 11, 1),
        evaluation_end=date(2025, 12, 31),
    )
    batch_a_q4 = CommitmentBatch(
        branch_id=org.a.id,
        title="2026年第四季度专项承诺",
        commit_start=date(2026, 10, 1),
        commit_end=date(2026, 10, 31),
        evaluation_start=date(2026, 12, 1),
        evaluation_end=date(2026, 12, 31),
    )
    db.session.add_all([batch_a, batch_b, batch_a_2025, batch_a_q4])
    db.session.flush()
    c1 = add_commitment(
        batch_a, a1, S.in_progress, submitted=date(2026, 6, 15), deadline=date(2026, 9, 30),
        progress=60, evidence=2, content="每月接待群众来访不少于20批次",
    )  # fmt: skip
    add_record(c1, date(2026, 7, 1), "第一次接访记录", 30, evidence=1)
    add_record(c1, date(2026, 9, 1), "第二次接访记录：化解积案3件", 60, evidence=1)
    add_ratings(c1, RatingLevel.satisfied, RatingLevel.satisfied, RatingLevel.satisfied,
                RatingLevel.basic)  # fmt: skip
    c2 = add_commitment(
        batch_a, a1, S.evaluated, submitted=date(2026, 6, 15), deadline=date(2026, 12, 31),
        score=96.0, grade="好", progress=100, evidence=1, category="学习",
        content="学习党章党规，撰写心得体会4篇",
    )  # fmt: skip
    add_ratings(c2, RatingLevel.satisfied, RatingLevel.satisfied)
    c3 = add_commitment(
        batch_a, a2, S.published, submitted=date(2026, 8, 1), deadline=date(2026, 8, 31),
        category="服务群众", content="为来访群众提供政策解答",
    )  # fmt: skip
    add_ratings(c3, RatingLevel.unsatisfied)
    c4 = add_commitment(
        batch_a, a2, S.submitted, submitted=date(2026, 10, 10), deadline=date(2026, 12, 31),
        content="年底前完成积案化解5件",
    )  # fmt: skip
    c5 = add_commitment(
        batch_a, a2, S.in_progress, submitted=date(2026, 3, 1), deadline=date(2026, 6, 30),
        content="上半年完成信访业务培训",
    )  # fmt: skip
    c6 = add_commitment(
        batch_a, a1, S.draft, submitted=date(2026, 7, 1), deadline=date(2026, 9, 30),
        content="草稿承诺不应出现",
    )  # fmt: skip
    c7 = add_commitment(
        batch_a, a1, S.published, submitted=date(2026, 7, 1), deadline=date(2026, 9, 30),
        withdrawn=True, content="重复填报后撤回的承诺",
    )  # fmt: skip
    c8 = add_commitment(
        batch_a, a2, S.evaluated, submitted=date(2026, 7, 2), deadline=date(2026, 9, 15),
        score=85.0, grade="中", progress=100, category="自律", content="严守廉洁纪律，不收受礼品礼金",
    )  # fmt: skip
    e1 = add_commitment(
        batch_a_2025, a1, S.evaluated, submitted=date(2025, 2, 1), deadline=date(2025, 10, 31),
        score=80.0, grade="中", content="2025年承诺：规范信访登记",
    )  # fmt: skip
    f1 = add_commitment(
        batch_a_q4, a2, S.published, submitted=date(2026, 10, 5), deadline=date(2026, 12, 20),
        content="四季度专项：走访重点信访人10人次",
    )  # fmt: skip
    d1 = add_commitment(
        batch_b, b1, S.in_progress, submitted=date(2026, 7, 5), deadline=date(2026, 9, 30),
        content="外支部承诺",
    )  # fmt: skip
    db.session.commit()
    users = SimpleNamespace(
        secretary=make_user("secretary", branch=org.a),
        other_secretary=make_user("secretary", branch=org.b),
        reviewer=make_user("reviewer"),
        admin=make_user("admin"),
        member=make_user("member", member=a1),
        other_member=make_user("member", member=a2),
    )
    return SimpleNamespace(
        org=org, a1=a1, a2=a2, b1=b1, batch_a=batch_a, batch_b=batch_b, users=users,
        c=dict(c1=c1, c2=c2, c3=c3, c4=c4, c5=c5, c6=c6, c7=c7, c8=c8, e1=e1, f1=f1, d1=d1),
        batch_a_2025=batch_a_2025, batch_a_q4=batch_a_q4,
    )  # fmt: skip
