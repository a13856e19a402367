"""重点任务责任清单: a branch's key tasks for a period (landscape), with the responsible
leader, offices, deadline, state and latest progress; overdue tasks are marked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core.permissions import Role
from partybuild.extensions import db
from partybuild.meetings.models import OPEN_TASK_STATES, KeyTask, TaskState
from partybuild.org.models import Member
from partybuild.reports.document import OfficialDocument
from partybuild.reports.documents import tracked
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "重点任务责任清单"
TABLE_FONT_PT = 9
COLUMNS = [
    ("序号", 10),
    ("重点任务", 52),
    ("责任领导", 17),
    ("责任科室", 22),
    ("配合科室", 26),
    ("完成时限", 21),
    ("状态", 20),
    ("最新进展", 57),
]


def _query(params: ReportParams) -> sa.Select:
    """Tasks of the branch whose deadline falls in the period, or still open before it ends."""
    period = params.period
    assert period is not None and params.branch is not None
    return (
        sa.select(KeyTask)
        .where(
            KeyTask.branch_id == params.branch.id,
            sa.or_(
                KeyTask.deadline.between(period.start, period.end),
                sa.and_(KeyTask.state.in_(OPEN_TASK_STATES), KeyTask.deadline < period.start),
                KeyTask.year == period.start.year,
            ),
        )
        .order_by(KeyTask.is_party_building.desc(), KeyTask.deadline, KeyTask.id)
    )


def count_rows(params: ReportParams) -> int:
    stmt = _query(params).with_only_columns(sa.func.count(KeyTask.id)).order_by(None)
    return db.session.scalar(stmt) or 0


def title(params: ReportParams) -> str:
    period = params.period.label if params.period is not None else ""
    return f"{params.scope_name}{period}{LABEL}"


def _rows(params: ReportParams) -> Iterator[tuple[object, ...]]:
    as_of = min(params.today, params.period.end) if params.period else params.today
    stmt = _query(params).options(
        selectinload(KeyTask.lead_member).selectinload(Member.branch),
        selectinload(KeyTask.department),
        selectinload(KeyTask.supporters),
    )
    for n, t in enumerate(db.session.scalars(stmt), start=1):
        state = t.state.label
        if t.is_overdue(as_of):
            state += f"\n逾期{(as_of - t.deadline).days}天"
        elif t.state == TaskState.done and t.days_late:
            state += f"\n延迟{t.days_late}天"
        elif t.state_reason:
            state += f"\n{t.state_reason[:20]}"
        latest = ""
        if t.last_progress_on:
            latest = f"{t.last_progress_on:%Y-%m-%d}\n{t.last_progress[:60]}"
        name = t.title + ("（党建专项）" if t.is_party_building else "")
        yield (
            n,
            name,
            t.lead_member.name,
            t.department.name,
            "、".join(d.name for d in t.supporters),
            f"{t.deadline:%Y-%m-%d}",
            state,
            latest,
        )


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    total = count_rows(params)
    as_of = min(params.today, params.period.end) if params.period else params.today
    doc = OfficialDocument(f"{params.scope_name}{LABEL}", issuer=params.issuer, landscape=True)
    if params.period is not None:
        doc.paragraph(f"（{params.period.label}）", indent=False, align="center")
    counts = dict(
        db.session.execute(
            _query(params)
            .with_only_columns(KeyTask.state, sa.func.count(KeyTask.id))
            .group_by(KeyTask.state)
            .order_by(None)
        ).all()
    )
    overdue = db.session.scalar(
        _query(params)
        .with_only_columns(sa.func.count(KeyTask.id))
        .where(KeyTask.overdue_condition(as_of))
        .order_by(None)
    )
    parts = "、".join(
        f"{s.label}{counts[s]}项" for s in TaskState if counts.get(s) or counts.get(s.value)
    )
    doc.summary(
        f"共有重点任务{total}项"
        + (f"，其中{parts}" if parts else "")
        + f"；截至{as_of:%Y年%m月%d日}逾期未完成{overdue or 0}项。"
    )
    rows = doc.table(
        COLUMNS,
        tracked(_rows(params), total, progress),
        landscape_section=True,
        font_size_pt=TABLE_FONT_PT,
    )
    doc.signature(None, params.today)
    return BuiltReport(doc, rows)


KIND = register(
    ReportKind(
        key="tasks",
        label=LABEL,
        description="按党支部和期间导出重点任务：责任领导、责任科室、完成时限、状态和最新进展，逾期标注",
        build=build,
        count_rows=count_rows,
        title=title,
        period="required",
        roles=frozenset({Role.admin, Role.reviewer, Role.secretary}),
        order=35,
    )
)
