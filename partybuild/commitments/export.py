"""承诺践诺台账 (commitment ledger): plain rows for any document, and the .xlsx version.

``ledger_rows`` is the one query the reports domain uses too (Word ledger): it
streams rows from a single SELECT (aggregates and the latest record come from
subqueries), so 10,000 rows cost one query and little memory.
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from partybuild.commitments.models import (
    STATE_LABELS,
    Commitment,
    CommitmentBatch,
    CommitmentState,
    FulfilmentRecord,
    PublicRating,
    RatingLevel,
)
from partybuild.core.settings import setting
from partybuild.core.xlsx import Sheet
from partybuild.extensions import db
from partybuild.org.models import Branch, Department, Member, Post, by_name

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    commitment_id: int
    branch: str
    batch: str
    member: str
    is_leader: bool
    post: str  # 科室·岗位, or the title for leaders
    category: str
    content: str
    target: str
    measures: str
    deadline: date
    state: str  # CommitmentState value
    state_label: str  # 已亮诺 …, with “（已撤回）” when withdrawn
    is_withdrawn: bool
    published_at: datetime | None
    progress: int
    latest_record: str
    latest_record_on: date | None
    record_count: int
    evidence_count: int
    ratings: int
    satisfied: int
    basic: int
    unsatisfied: int
    satisfaction: float | None  # (满意+基本满意)/all, None below PUBLIC_RATING_MIN_COUNT
    score: float | None
    grade: str | None
    closed_reason: str
    member_id: int = 0
    entered_by: str = ""  # 代填: the secretary who entered it for the member, else ""

    @property
    def proxy_label(self) -> str:
        return f"由 {self.entered_by} 代填" if self.entered_by else ""


def ledger_query(
    branch_ids: Iterable[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    *,
    batch_id: int | None = None,
    include_drafts: bool = False,
) -> sa.Select:
    """The ledger SELECT. Batches are included when their span (承诺开始 … 评诺截止)
    overlaps [start, end]; drafts and submitted items are left out unless asked for."""
    latest = (
        sa.select(FulfilmentRecord.text, FulfilmentRecord.recorded_on)
        .where(FulfilmentRecord.commitment_id == Commitment.id)
        .order_by(FulfilmentRecord.recorded_on.desc(), FulfilmentRecord.id.desc())
        .limit(1)
        .correlate(Commitment)
    )
    levels = {
        lv: sa.func.sum(sa.case((PublicRating.level == lv, 1), else_=0)).label(lv.value)
        for lv in RatingLevel
    }
    ratings = (
        sa.select(
            PublicRating.commitment_id.label("cid"),
            sa.func.count(PublicRating.id).label("n"),
            *levels.values(),
        )
        .group_by(PublicRating.commitment_id)
        .subquery()
    )
    stmt = (
        sa.select(
            Commitment.id,
            Branch.name.label("branch"),
            CommitmentBatch.title.label("batch"),
            Member.name.label("member"),
            Member.is_leader,
            Member.title.label("member_title"),
            Department.name.label("department"),
            Post.name.label("post"),
            Commitment.category,
            Commitment.content,
            Commitment.target,
            Commitment.measures,
            Commitment.deadline,
            Commitment.state,
            Commitment.is_withdrawn,
            Commitment.published_at,
            Commitment.progress,
            latest.with_only_columns(FulfilmentRecord.text).scalar_subquery().label("latest"),
            latest.with_only_columns(FulfilmentRecord.recorded_on)
            .scalar_subquery()
            .label("latest_on"),
            Commitment.record_count,
            Commitment.evidence_count,
            sa.func.coalesce(ratings.c.n, 0).label("ratings"),
            *(sa.func.coalesce(ratings.c[lv.value], 0).label(lv.value) for lv in RatingLevel),
            Commitment.score,
            Commitment.grade,
            Commitment.closed_reason,
            Commitment.member_id,
            Commitment.entered_by_name,
        )
        .select_from(Commitment)
        .join(Branch, Commitment.branch_id == Branch.id)
        .join(CommitmentBatch, Commitment.batch_id == CommitmentBatch.id)
        .join(Member, Commitment.member_id == Member.id)
        .outerjoin(Department, Member.department_id == Department.id)
        .outerjoin(Post, Member.post_id == Post.id)
        .outerjoin(ratings, ratings.c.cid == Commitment.id)
        .order_by(
            Branch.code, CommitmentBatch.id, Member.is_leader.desc(), *by_name(), Commitment.id
        )
    )
    if branch_ids is not None:
        stmt = stmt.where(Commitment.branch_id.in_(list(branch_ids)))
    if batch_id is not None:
        stmt = stmt.where(Commitment.batch_id == batch_id)
    if start is not None:
        stmt = stmt.where(CommitmentBatch.evaluation_end >= start)
    if end is not None:
        stmt = stmt.where(CommitmentBatch.commit_start <= end)
    if not include_drafts:
        stmt = stmt.where(Commitment.published_at.is_not(None))
    return stmt


def ledger_rows(
    branch_ids: Iterable[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    *,
    batch_id: int | None = None,
    include_drafts: bool = False,
) -> Iterator[LedgerRow]:
    """Ledger rows in one streamed query. ``branch_ids=None`` means every branch:
    the caller applies the user's scope (a secretary passes [user.branch_id])."""
    min_count = setting("PUBLIC_RATING_MIN_COUNT")
    stmt = ledger_query(branch_ids, start, end, batch_id=batch_id, include_drafts=include_drafts)
    result = db.session.execute(stmt.execution_options(yield_per=500))
    # Per-row work kept to lookups: a ledger can hold tens of thousands of rows.
    labels = {s.value: STATE_LABELS[s] for s in CommitmentState}
    for r in result:
        state = CommitmentState(r.state)
        label = labels[state.value] + ("（已撤回）" if r.is_withdrawn else "")
        votes = r.satisfied + r.basic + r.unsatisfied
        # RateSummary's satisfaction rate: (满意 + 基本满意) / all, hidden below min_count.
        satisfaction = (r.satisfied + r.basic) / votes if votes and votes >= min_count else None
        if r.is_leader:
            post = r.member_title or "局领导"
        else:
            post = "·".join(x for x in (r.department, r.post) if x)
        yield LedgerRow(
            commitment_id=r.id,
            branch=r.branch,
            batch=r.batch,
            member=r.member,
            is_leader=bool(r.is_leader),
            post=post,
            category=r.category,
            content=r.content,
            target=r.target,
            measures=r.measures,
            deadline=r.deadline,
            state=state.value,
            state_label=label,
            is_withdrawn=bool(r.is_withdrawn),
            published_at=r.published_at,
            progress=r.progress,
            latest_record=r.latest or "",
            latest_record_on=r.latest_on,
            record_count=r.record_count,
            evidence_count=r.evidence_count,
            ratings=r.ratings,
            satisfied=r.satisfied,
            basic=r.basic,
            unsatisfied=r.unsatisfied,
            satisfaction=satisfaction,
            score=r.score,
            grade=r.grade,
            closed_reason=r.closed_reason or "",
            member_id=r.member_id,
            entered_by=r.entered_by_name or "",
        )


COLUMNS = [
    ("序号", 6),
    ("党支部", 16),
    ("承诺批次", 18),
    ("姓名", 10),
    ("岗位", 18),
    ("类别", 8),
    ("承诺内容", 40),
    ("目标", 30),
    ("践诺措施", 30),
    ("完成时限", 12),
    ("状态", 12),
    ("进度", 8),
    ("最新践诺记录", 40),
    ("记录日期", 12),
    ("记录数", 8),
    ("证明材料", 8),
    ("群众评价数", 10),
    ("满意/基本满意/不满意", 16),
    ("群众满意率", 10),
    ("综合得分", 10),
    ("等次", 6),
    ("说明", 24),
    ("代填", 14),
]


def ledger_xlsx(rows: Iterable[LedgerRow], title: str) -> bytes:
    """承诺践诺台账 as .xlsx, through core's safe writer (member text stays text)."""
    sheet = Sheet("承诺践诺台账", [width for _name, width in COLUMNS], freeze="A3")
    cell = sheet.cell
    sheet.append([cell(title, bold=True, size=14)])
    sheet.append([cell(name, bold=True, size=11, fill="F2DCDB") for name, _ in COLUMNS])
    for i, r in enumerate(rows, start=1):
        sheet.append(
            [
                i,
                r.branch,
                r.batch,
                r.member,
                r.post,
                r.category,
                cell(r.content, wrap=True),
                cell(r.target, wrap=True),
                cell(r.measures, wrap=True),
                r.deadline.isoformat(),
                r.state_label,
                f"{r.progress}%",
                cell(r.latest_record, wrap=True),
                r.latest_record_on.isoformat() if r.latest_record_on else "",
                r.record_count,
                r.evidence_count,
                r.ratings,
                f"{r.satisfied}/{r.basic}/{r.unsatisfied}",
                f"{r.satisfaction:.1%}" if r.satisfaction is not None else "样本不足",
                r.score if r.score is not None else "",
                r.grade or "",
                r.closed_reason,
                r.proxy_label,
            ]
        )
    return sheet.to_bytes()
