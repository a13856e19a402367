"""Meeting and key-task lists: plain filters in, a ``Select`` out; the view paginates."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core.lists import contains, int_arg, text_arg
from partybuild.extensions import db
from partybuild.meetings.models import (
    OPEN_TASK_STATES,
    Attendance,
    KeyTask,
    Meeting,
    MeetingState,
    MeetingType,
    TaskState,
)
from partybuild.org.models import Member

if TYPE_CHECKING:
    from partybuild.auth.models import User


def _scoped(stmt: sa.Select, column: sa.ColumnElement, user: "User", branch: int | None):
    scope = user.branch_scope
    if scope is not None:
        return stmt.where(column.in_(scope))
    return stmt.where(column == branch) if branch else stmt


@dataclass(frozen=True)
class MeetingFilters:
    branch: int | None = None
    type: MeetingType | None = None
    state: MeetingState | None = None
    year: int | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "MeetingFilters":
        t, s = args.get("type"), args.get("state")
        year = int_arg(args, "year")
        return cls(
            branch=int_arg(args, "branch") or None,
            type=MeetingType(t) if t in MeetingType.__members__ else None,
            state=MeetingState(s) if s in MeetingState.__members__ else None,
            year=year if year and 2000 <= year <= 2100 else None,
            q=text_arg(args, "q")[:50],
        )


def meetings(filters: MeetingFilters, user: "User") -> sa.Select:
    """Meetings newest first, with the branch loaded."""
    from partybuild.meetings.cadence import local_bounds

    stmt = sa.select(Meeting).options(selectinload(Meeting.branch))
    stmt = _scoped(stmt, Meeting.branch_id, user, filters.branch)
    if filters.type is not None:
        stmt = stmt.where(Meeting.type == filters.type)
    if filters.state is not None:
        stmt = stmt.where(Meeting.state == filters.state)
    if filters.year:
        start, end = local_bounds(date(filters.year, 1, 1), date(filters.year, 12, 31))
        stmt = stmt.where(Meeting.starts_at >= start, Meeting.starts_at < end)
    if filters.q:
        stmt = stmt.where(contains([Meeting.title, Meeting.place], filters.q))
    return stmt.order_by(Meeting.starts_at.desc(), Meeting.id.desc())


def my_attendance(member_id: int) -> sa.Select:
    """A member's attendance rows at held meetings, newest first."""
    return (
        sa.select(Attendance)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Attendance.member_id == member_id,
            Meeting.state.in_((MeetingState.held, MeetingState.approved)),
        )
        .options(selectinload(Attendance.meeting))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )


@dataclass(frozen=True)
class TaskFilters:
    branch: int | None = None
    state: TaskState | None = None
    overdue: bool = False
    open: bool = False
    party: bool = False
    mine: bool = False
    year: int | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "TaskFilters":
        s = args.get("state")
        year = int_arg(args, "year")
        return cls(
            branch=int_arg(args, "branch") or None,
            state=TaskState(s) if s in TaskState.__members__ else None,
            overdue=args.get("overdue") == "1",
            open=args.get("open") == "1",
            party=args.get("party") == "1",
            mine=args.get("mine") == "1",
            year=year if year and 2000 <= year <= 2100 else None,
            q=text_arg(args, "q")[:50],
        )


def task_options() -> tuple:
    return (
        selectinload(KeyTask.branch),
        selectinload(KeyTask.lead_member),
        selectinload(KeyTask.department),
        selectinload(KeyTask.supporters),
    )


def tasks(filters: TaskFilters, user: "User", today: date) -> sa.Select:
    """Key tasks: overdue first, then by deadline."""
    stmt = sa.select(KeyTask).join(Member, Member.id == KeyTask.lead_member_id)
    if filters.mine:
        stmt = stmt.where(KeyTask.lead_member_id == (user.member_id or -1))
    else:
        stmt = _scoped(stmt, KeyTask.branch_id, user, filters.branch)
    if filters.state is not None:
        stmt = stmt.where(KeyTask.state == filters.state)
    if filters.open:
        stmt = stmt.where(KeyTask.state.in_(OPEN_TASK_STATES))
    if filters.overdue:
        stmt = stmt.where(KeyTask.overdue_condition(today))
    if filters.party:
        stmt = stmt.where(KeyTask.is_party_building.is_(True))
    if filters.year:
        stmt = stmt.where(KeyTask.year == filters.year)
    if filters.q:
        stmt = stmt.where(contains([KeyTask.title, Member.name], filters.q))
    overdue_first = sa.case((KeyTask.overdue_condition(today), 0), else_=1)
    return stmt.options(*task_options()).order_by(overdue_first, KeyTask.deadline, KeyTask.id)


def task_counts(user: "User", today: date, branch: int | None = None) -> dict[str, int]:
    """Tasks by state plus overdue, in the user's scope: one query."""
    stmt = sa.select(
        KeyTask.state,
        sa.func.count(KeyTask.id),
        sa.func.sum(sa.case((KeyTask.overdue_condition(today), 1), else_=0)),
    ).group_by(KeyTask.state)
    stmt = _scoped(stmt, KeyTask.branch_id, user, branch)
    counts = {s.value: 0 for s in TaskState} | {"overdue": 0}
    for state, n, overdue in db.session.execute(stmt):
        counts[TaskState(state).value] = n
        counts["overdue"] += int(overdue or 0)
    return counts
