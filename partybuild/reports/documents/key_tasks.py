"""重点任务责任清单: a branch's key tasks for a period (landscape), with the responsible
leader, offices, deadline, state and latest progress; overdue tasks are marked.

The period rule (``periods.PERIOD_RULE``): tasks active during the period, each as it
stood at the period's end (done only if completed by then, progress dated up to then,
逾期 counted at the end, or today while the period runs)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core.permissions import Role
from partybuild.core.timeutil import cn_date
from partybuild.extensions import db
from partybuild.meetings.models import OPEN_TASK_STATES, KeyTask, TaskProgress, TaskState
from partybuild.org.models import Member
from partybuild.reports.document import OfficialDocument
from partybuild.reports.documents import signers, tracked
from partybuild.reports.periods import PERIOD_RULE, as_of, cutoff, period_heading, start_instant
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
    """Tasks of the branch active during the period (the period rule): existing by its
    end, not completed before it began, not cancelled or postponed before it began.

    A task exists by the end if it was entered by then, or if its own dates put it
    there (its original deadline, its completion or a progress update falls by the
    end): tasks entered later for work already under way still count."""
    period = params.period
    assert period is not None and params.branch is not None
    cut = cutoff(period, params.today)
    begin = start_instant(period)
    end = as_of(period, params.today)
    progressed = (
        sa.select(TaskProgress.id)
        .where(TaskProgress.task_id == KeyTask.id, TaskProgress.recorded_on <= end)
        .correlate(KeyTask)
        .exists()
    )
    return (
        sa.select(KeyTask)
        .where(
            KeyTask.branch_id == params.branch.id,
            sa.or_(
                KeyTask.created_at < cut,
                KeyTask.original_deadline <= end,
                KeyTask.completed_on <= end,
                progressed,
            ),
            sa.or_(KeyTask.completed_on.is_(None), KeyTask.completed_on >= period.start),
            # Cancelling or postponing leaves no date of its own: its last change stands in.
            sa.or_(
                KeyTask.state.not_in([TaskState.cancelled, TaskState.postponed]),
                KeyTask.updated_at >= begin,
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


@dataclass(frozen=True)
class TaskAtEnd:
    """A task as it stood at the period's end."""

    task: KeyTask
    state: TaskState
    days_overdue: int
    latest_on: date | None
    latest: str


def state_at(t: KeyTask, day: date, cut: datetime) -> TaskState:
    """The state on ``day``: done only if completed by then; a task completed later
    was still in progress; cancelled/postponed only if changed before the cut-off."""
    if t.state == TaskState.done:
        return TaskState.done if t.completed_on and t.completed_on <= day else TaskState.in_progress
    if t.state in (TaskState.cancelled, TaskState.postponed) and t.updated_at >= cut:
        return TaskState.in_progress
    return t.state


def tasks_at_end(params: ReportParams) -> Iterator[TaskAtEnd]:
    """The period's tasks as they stood at its end: state, 逾期 days, latest progress
    dated up to the end (one query for the tasks, one for their latest progress)."""
    assert params.period is not None
    day = as_of(params.period, params.today)
    cut = cutoff(params.period, params.today)
    tasks = db.session.scalars(
        _query(params).options(
            selectinload(KeyTask.lead_member).selectinload(Member.branch),
            selectinload(KeyTask.department),
            selectinload(KeyTask.supporters),
        )
    ).all()
    latest: dict[int, tuple[date, str]] = {}
    if tasks:
        ranked = (
            sa.select(
                TaskProgress.task_id,
                TaskProgress.recorded_on,
                TaskProgress.text,
                sa.func.row_number()
                .over(
                    partition_by=TaskProgress.task_id,
                    order_by=(TaskProgress.recorded_on.desc(), TaskProgress.id.desc()),
                )
                .label("n"),
            )
            .where(
                TaskProgress.task_id.in_(
                    _query(params).with_only_columns(KeyTask.id).order_by(None)
                ),
                TaskProgress.recorded_on <= day,
            )
            .subquery()
        )
        for task_id, on, text in db.session.execute(
            sa.select(ranked.c.task_id, ranked.c.recorded_on, ranked.c.text).where(ranked.c.n == 1)
        ):
            latest[task_id] = (on, text)
    for t in tasks:
        state = state_at(t, day, cut)
        late = (day - t.deadline).days
        on, text = latest.get(t.id, (None, ""))
        yield TaskAtEnd(
            task=t,
            state=state,
            days_overdue=late if late > 0 and state in OPEN_TASK_STATES else 0,
            latest_on=on,
            latest=text,
        )


def _rows(items: list[TaskAtEnd]) -> Iterator[tuple[object, ...]]:
    for n, item in enumerate(items, start=1):
        t = item.task
        state = item.state.label
        if item.days_overdue:
            state += f"\n逾期{item.days_overdue}天"
        elif item.state == TaskState.done and t.days_late:
            state += f"\n延迟{t.days_late}天"
        elif t.state_reason and item.state == t.state:
            state += f"\n{t.state_reason[:20]}"
        latest = ""
        if item.latest_on:
            latest = f"{item.latest_on:%Y-%m-%d}\n{item.latest[:60]}"
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


def summary_text(params: ReportParams, items: list[TaskAtEnd]) -> str:
    assert params.period is not None
    day = as_of(params.period, params.today)
    counts: dict[TaskState, int] = {}
    for item in items:
        counts[item.state] = counts.get(item.state, 0) + 1
    parts = "、".join(f"{s.label}{counts[s]}项" for s in TaskState if counts.get(s))
    overdue = sum(1 for item in items if item.days_overdue)
    when = "期末" if params.period.end < params.today else f"截至{cn_date(day)}"
    return (
        f"{params.scope_name}{params.period.label}共有重点任务{len(items)}项"
        + (f"，按{when}状态，{parts}" if parts else "")
        + f"；{when}已过完成时限仍未完成（逾期）{overdue}项。"
    )


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    assert params.period is not None
    items = list(tasks_at_end(params))
    doc = OfficialDocument(f"{params.scope_name}{LABEL}", issuer=params.issuer, landscape=True)
    doc.paragraph(period_heading(params.period, params.today), indent=False, align="center")
    doc.summary(summary_text(params, items))
    rows = doc.table(
        COLUMNS,
        tracked(_rows(items), len(items), progress),
        landscape_section=True,
        font_size_pt=TABLE_FONT_PT,
    )
    doc.sign_off(
        params.today,
        signers=signers(params),
        seal=True,
        notes=[
            f"说明：{PERIOD_RULE}“状态”为期末状态；已过完成时限、期末仍未完成的任务标注“逾期”及天数，"
            "“最新进展”为期末以前的最近一次进展。"
        ],
    )
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
