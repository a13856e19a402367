"""Cadence periods and the compliance calendar (合规日历).

A type required ``n`` times a year divides the calendar year into ``n`` equal periods
(12: months, 4: quarters, 1: the year). A period is met by a meeting of that type held
(held or approved) with its local start date inside it. Days are Asia/Shanghai days:
a meeting at 00:30 on 1 January counts for January, although it is still 31 December
in UTC.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from partybuild.core import dataversion
from partybuild.core.settings import setting
from partybuild.core.timeutil import LOCAL_TZ, to_local
from partybuild.extensions import db
from partybuild.meetings.models import Meeting, MeetingState, MeetingType
from partybuild.org.models import Branch

if TYPE_CHECKING:
    from partybuild.auth.models import User

DONE_STATES = (MeetingState.held, MeetingState.approved)
COUNTED_STATES = (MeetingState.planned, MeetingState.held, MeetingState.approved)


def per_year(meeting_type: MeetingType) -> int:
    return int(setting("MEETING_CADENCE").get(meeting_type.value, 0))


def cadence_label(n: int) -> str:
    return {12: "每月", 6: "每两月", 4: "每季度", 3: "每四个月", 2: "每半年", 1: "每年"}.get(
        n, "不作要求"
    )


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    months: tuple[int, ...]

    @property
    def label(self) -> str:
        if len(self.months) == 1:
            return f"{self.start.year}年{self.start.month}月"
        if len(self.months) == 3:
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        if len(self.months) == 12:
            return f"{self.start.year}年"
        return f"{self.start.year}年{self.months[0]}–{self.months[-1]}月"

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"


def period_of(day: date, n: int) -> Period:
    """The period of a type required ``n`` (> 0) times a year that contains ``day``."""
    length = 12 // n
    first = (day.month - 1) // length * length + 1
    return _period(day.year, first, length)


def periods_in(year: int, n: int) -> list[Period]:
    length = 12 // n
    return [_period(year, first, length) for first in range(1, 13, length)]


def _period(year: int, first_month: int, length: int) -> Period:
    start = date(year, first_month, 1)
    last = first_month + length - 1
    end = (date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)) - timedelta(days=1)
    return Period(start, end, tuple(range(first_month, last + 1)))


def local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) local, as aware datetimes."""
    return (
        datetime.combine(start, time(), LOCAL_TZ),
        datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ),
    )


# --------------------------------------------------------------------------- the grid


@dataclass
class Cell:
    months: tuple[int, ...]
    held: int = 0
    planned: int = 0
    status: str = "none"  # met / planned / gap / open (period not over) / none (not required)

    @property
    def span(self) -> int:
        return len(self.months)


@dataclass
class Row:
    type: MeetingType
    per_year: int
    cells: list[Cell] = field(default_factory=list)

    @property
    def required(self) -> int:
        return self.per_year

    @property
    def met(self) -> int:
        return sum(1 for c in self.cells if c.status == "met")

    @property
    def gaps(self) -> int:
        return sum(1 for c in self.cells if c.status == "gap")


def _month_counts(
    branch_ids: list[int] | None, year: int
) -> dict[tuple[int, str, int], tuple[int, int]]:
    """{(branch_id, type, local month): (held, planned)} for one year, cached per
    meetings data version (every change to a meeting makes a new key)."""
    key = None if branch_ids is None else tuple(branch_ids)
    return dataversion.cached(
        "meetings.month_counts", ("meetings",), lambda: _count_months(branch_ids, year), key, year
    )


def _count_months(
    branch_ids: list[int] | None, year: int
) -> dict[tuple[int, str, int], tuple[int, int]]:
    """The month counts in one grouped query. The local month is bucketed in SQL against each month's UTC start, so no
    datetime is loaded or converted (exact for any time zone, on every backend)."""
    start, end = local_bounds(date(year, 1, 1), date(year, 12, 31))
    month = sa.case(
        *[(Meeting.starts_at < local_bounds(date(year, m + 1, 1), date(year, m + 1, 1))[0], m)
          for m in range(1, 12)],
        else_=12,
    )  # fmt: skip
    done = sa.case((Meeting.state.in_(DONE_STATES), 1), else_=0)
    # Plain strings and integers: no enum or datetime processing per row.
    mtype = sa.type_coerce(Meeting.type, sa.String)
    stmt = (
        sa.select(Meeting.branch_id, mtype, month, sa.func.sum(done), sa.func.count())
        .where(
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Meeting.state.in_(COUNTED_STATES),
        )
        .group_by(Meeting.branch_id, mtype, month)
    )
    if branch_ids is not None:
        stmt = stmt.where(Meeting.branch_id.in_(branch_ids))
    return {
        (branch_id, type_, m): (int(held), int(n) - int(held))
        for branch_id, type_, m, held, n in db.session.execute(stmt)
    }


def grid(branch_ids: list[int] | None, year: int, today: date) -> dict[int, list[Row]]:
    """Rows by type for each branch (None: every branch with meetings or active)."""
    counts = _month_counts(branch_ids, year)
    stmt = sa.select(Branch.id).where(Branch.is_active.is_(True)).order_by(Branch.code)
    if branch_ids is not None:
        stmt = sa.select(Branch.id).where(Branch.id.in_(branch_ids)).order_by(Branch.code)
    result: dict[int, list[Row]] = {}
    # The cadence and its periods are the same for every branch: worked out once.
    types = [(t, per_year(t)) for t in MeetingType]
    periods = {n: periods_in(year, n) for _, n in types if n}
    for branch_id in db.session.scalars(stmt):
        rows = []
        for mtype, n in types:
            row = Row(mtype, n)
            if n == 0:
                for m in range(1, 13):
                    held, planned = counts.get((branch_id, mtype.value, m), (0, 0))
                    row.cells.append(Cell((m,), held, planned, "none"))
            else:
                for period in periods[n]:
                    held = sum(
                        counts.get((branch_id, mtype.value, m), (0, 0))[0] for m in period.months
                    )
                    planned = sum(
                        counts.get((branch_id, mtype.value, m), (0, 0))[1] for m in period.months
                    )
                    if held:
                        status = "met"
                    elif period.end >= today:
                        status = "planned" if planned else "open"
                    else:
                        status = "gap"
                    row.cells.append(Cell(period.months, held, planned, status))
            rows.append(row)
        result[branch_id] = rows
    return result


def totals(branch_ids: list[int], year: int, today: date) -> dict[int, tuple[int, int, int]]:
    """Each branch's (periods met, periods required, gaps) for the year: the grid's
    totals without building its cells (the workbench panel shows only these), cached
    per meetings data version, cadence setting and day."""
    cadence = tuple(sorted(setting("MEETING_CADENCE").items()))
    return dataversion.cached(
        "meetings.totals",
        ("meetings",),
        lambda: _totals(branch_ids, year, today),
        tuple(branch_ids),
        year,
        today,
        cadence,
    )


def _totals(branch_ids: list[int], year: int, today: date) -> dict[int, tuple[int, int, int]]:
    counts = _count_months(branch_ids, year)
    held_in: dict[tuple[int, str], set[int]] = defaultdict(set)
    for (branch_id, mtype, month), (held, _) in counts.items():
        if held:
            held_in[(branch_id, mtype)].add(month)
    required = [(t.value, periods_in(year, n)) for t in MeetingType if (n := per_year(t))]
    per_branch = sum(len(periods) for _, periods in required)
    out = {}
    for branch_id in branch_ids:
        met = gaps = 0
        for mtype, periods in required:
            months = held_in.get((branch_id, mtype), ())
            for period in periods:
                if any(m in months for m in period.months):
                    met += 1
                elif period.end < today:
                    gaps += 1
        out[branch_id] = (met, per_branch, gaps)
    return out


def unmet_now(branch_ids: list[int], today: date) -> dict[int, list[tuple[MeetingType, Period]]]:
    """For each branch: required types whose current period has no meeting held or
    planned yet — what the secretary still has to arrange. Two queries."""
    wanted = [(t, period_of(today, per_year(t))) for t in MeetingType if per_year(t)]
    if not wanted or not branch_ids:
        return {b: [] for b in branch_ids}
    earliest = min(p.start for _, p in wanted)
    start, end = local_bounds(earliest, max(p.end for _, p in wanted))
    rows = db.session.execute(
        sa.select(Meeting.branch_id, Meeting.type, Meeting.starts_at).where(
            Meeting.branch_id.in_(branch_ids),
            Meeting.state.in_(COUNTED_STATES),
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    ).all()
    seen: dict[tuple[int, str], list[date]] = defaultdict(list)
    for branch_id, mtype, starts_at in rows:
        seen[(branch_id, MeetingType(mtype).value)].append(to_local(starts_at).date())
    out: dict[int, list[tuple[MeetingType, Period]]] = {}
    for branch_id in branch_ids:
        out[branch_id] = [
            (t, p)
            for t, p in wanted
            if not any(p.start <= d <= p.end for d in seen.get((branch_id, t.value), []))
        ]
    return out


def visible_branches_stmt(user: "User") -> sa.Select:
    stmt = sa.select(Branch).where(Branch.is_active.is_(True)).order_by(Branch.code)
    if user.branch_scope is not None:
        stmt = sa.select(Branch).where(Branch.id.in_(user.branch_scope)).order_by(Branch.code)
    return stmt


def visible_branches(user: "User") -> list[Branch]:
    return list(db.session.scalars(visible_branches_stmt(user)))
