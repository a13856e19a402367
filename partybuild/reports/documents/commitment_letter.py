"""党员承诺书: one member's printable letter for a batch (default: their latest batch).

Only commitments approved and published (公开亮诺) appear: the letter says they were
made public. It is dated on the batch's date (承诺开始), not on the export day, and
ends with the member's signature line and that date; the branch is named at the top
(所在党支部), never as 落款 under the member's signature.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import sqlalchemy as sa

from partybuild.commitments.models import PUBLIC_STATES, Commitment, CommitmentBatch
from partybuild.core.permissions import Role
from partybuild.extensions import db
from partybuild.org.models import Member, Post
from partybuild.reports.document import OfficialDocument
from partybuild.reports.documents import tracked
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "党员承诺书"

# Portrait, 156 mm; 完成时限 holds a date (2026-12-03) on one line.
COLUMNS = [
    ("序号", 11),
    ("类别", 14),
    ("承诺内容", 36),
    ("目标", 30),
    ("践诺措施", 37),
    ("完成时限", 28),
]


def _in_letter(member: Member) -> list[sa.ColumnElement[bool]]:
    """Commitments a letter shows: published (亮诺), not withdrawn."""
    return [
        Commitment.member_id == member.id,
        Commitment.published_at.is_not(None),
        Commitment.state.in_(PUBLIC_STATES),
        Commitment.is_withdrawn.is_(False),
    ]


def batch_for(params: ReportParams) -> CommitmentBatch | None:
    """The chosen batch, or the member's latest batch with commitments in the letter."""
    assert params.member is not None
    if params.batch_id is not None:
        batch = db.session.get(CommitmentBatch, params.batch_id)
        return batch if batch is not None and batch.branch_id == params.member.branch_id else None
    return db.session.scalar(
        sa.select(CommitmentBatch)
        .join(Commitment, Commitment.batch_id == CommitmentBatch.id)
        .where(*_in_letter(params.member))
        .order_by(CommitmentBatch.commit_start.desc(), CommitmentBatch.id.desc())
        .limit(1)
    )


def _scope(params: ReportParams, batch: CommitmentBatch) -> list[sa.ColumnElement[bool]]:
    assert params.member is not None
    return [*_in_letter(params.member), Commitment.batch_id == batch.id]


def validate(params: ReportParams) -> dict[str, str]:
    member = params.member
    assert member is not None
    batch = batch_for(params)
    if batch is None:
        if params.batch_id is not None:
            return {"batch": f"找不到{member.branch.name}编号为“{params.batch_id}”的承诺批次"}
        return {"member": f"{member.name}还没有审核通过并公开亮诺的承诺，暂不能生成承诺书"}
    if not count_rows(params):
        return {"member": f"{member.name}在“{batch.title}”中没有审核通过并公开亮诺的承诺"}
    return {}


def count_rows(params: ReportParams) -> int:
    batch = batch_for(params)
    if batch is None:
        return 0
    stmt = sa.select(sa.func.count(Commitment.id)).where(*_scope(params, batch))
    return db.session.scalar(stmt) or 0


def title(params: ReportParams) -> str:
    assert params.member is not None
    return f"{LABEL}（{params.member.name}）"


def _rows(params: ReportParams, batch: CommitmentBatch) -> Iterator[tuple[object, ...]]:
    stmt = (
        sa.select(
            Commitment.category,
            Commitment.content,
            Commitment.target,
            Commitment.measures,
            Commitment.deadline,
        )
        .where(*_scope(params, batch))
        .order_by(Commitment.deadline, Commitment.id)
    )
    for n, (category, content, target, measures, deadline) in enumerate(
        db.session.execute(stmt), start=1
    ):
        yield (n, category, content, target, measures, f"{deadline:%Y-%m-%d}")


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    member = params.member
    assert member is not None
    batch = batch_for(params)
    if batch is None:  # validate() refuses this before we get here
        raise ValueError("no batch for the letter")
    post = db.session.get(Post, member.post_id) if member.post_id else None
    total = count_rows(params)

    doc = OfficialDocument(LABEL, issuer=member.branch.name)
    doc.key_value("承诺人", member.name)
    doc.key_value("所在党支部", member.branch.name)
    if post is not None:
        doc.key_value("岗位", post.full_name)
    doc.key_value("承诺批次", batch.title)
    doc.paragraph(
        f"作为一名{member.status.label}，我自觉对照党章党规和岗位职责，在“{batch.title}”中"
        f"作出以下{total}项承诺，明确目标、措施和完成时限，公开亮诺，"
        "主动接受组织监督和群众评议。"
    )
    rows = doc.table(COLUMNS, tracked(_rows(params, batch), total, progress))
    doc.paragraph("以上承诺，本人将认真践行，按时报告践诺情况；如未能兑现，愿接受组织批评教育。")
    # The member signs, on the batch's date; no 落款 under the signature.
    doc.sign_off(batch.commit_start, signers=("承诺人（签名）",), issuer="", blank_lines=0)
    return BuiltReport(doc, rows)


KIND = register(
    ReportKind(
        key="letter",
        label=LABEL,
        description="一名党员在一个承诺批次中的承诺书（承诺、措施、时限，留签名处），可打印签字",
        build=build,
        count_rows=count_rows,
        title=title,
        period="none",
        member=True,
        batch=True,
        roles=frozenset({Role.admin, Role.reviewer, Role.secretary, Role.member}),
        validate=validate,
        order=20,
    )
)
