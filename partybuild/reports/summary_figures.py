"""Figures of the 党建工作情况报告, one function per domain, all taken as of a period's end.

The rule (the same as every ledger's): an item belongs to the period if it was active
during it, and every figure is computed as of the period's end. Records, ratings,
evaluations, reviews and state changes dated after the end are not counted; the state
shown is the state at the end (from the timeline where there is one, else from the
dated columns the services set). A period not yet over is taken as of today
("截至 date").

Each function runs a fixed number of queries whatever the data size (scoped by
subqueries, never by id lists built in Python), so the all-branch annual report costs
the same few queries as a branch's quarter. The pack (``reports/pack.py``) and the
tests read the same figures the report prints.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from partybuild.commitments.models import (
    CommitmentState,
)
from partybuild.commitments.rates import RateSummary
from partybuild.core.timeutil import to_local
from partybuild.extensions import db
from partybuild.greetings.models import Greeting
from partybuild.greetings.service import anniversary_in, leap_day_rule
from partybuild.integrity.models import (
    Rectification,
    Reminder,
    RiskLevel,
    RiskPoint,
    RiskReview,
    category_labels,
)
from partybuild.meetings import cadence
from partybuild.meetings.models import (
    OPEN_TASK_STATES,
    QUORUM_TYPES,
    KeyTask,
    Meeting,
    MeetingState,
    MeetingType,
    TaskProgress,
    TaskState,
)
from partybuild.org.models import Branch, Member
from partybuild.ratings.models import ModelPost, PostState, RatingRound, RoundPost, RoundState
from partybuild.reports import periods
from partybuild.reports.periods import CN_QUARTERS, Period

logger = logging.getLogger(__name__)

# The article's bar for participation and satisfaction: both above 90%.
TARGET_RATE = 0.9


@dataclass(frozen=True)
class AsOf:
    """A period seen from ``today``: figures are taken at ``day`` (the period's last day,
    or today while it runs); instants before ``cutoff`` count."""

    period: Period
    today: date

    @property
    def day(self) -> date:
        return periods.as_of(self.period, self.today)

    @property
    def is_over(self) -> bool:
        return periods.is_over(self.period, self.today)

    @property
    def cutoff(self) -> datetime:
        return periods.cutoff(self.period, self.today)

    @property
    def label(self) -> str:
        """ "2026年第三季度" for a finished period, "截至2026年11月27日" otherwise."""
        if self.is_over:
            return self.period.label
        return f"截至{self.day.year}年{self.day.month}月{self.day.day}日"


def _as_of(period: Period, today: date | None) -> AsOf:
    from partybuild.core.timeutil import local_today

    return AsOf(period, today or local_today())


def _branch_filter(column: sa.ColumnElement, branch_ids: Iterable[int] | None) -> list:
    return [] if branch_ids is None else [column.in_(list(branch_ids))]


def scope_branches(branch_ids: Iterable[int] | None) -> list[Branch]:
    """The branches a report covers: the given ones, or every active branch."""
    stmt = sa.select(Branch).order_by(Branch.code)
    if branch_ids is None:
        stmt = stmt.where(Branch.is_active.is_(True))
    else:
        stmt = stmt.where(Branch.id.in_(list(branch_ids)))
    return list(db.session.scalars(stmt))


# --------------------------------------------------------------------------- meetings


@dataclass
class CadenceGap:
    branch: str
    type: MeetingType
    label: str  # the cadence period, e.g. 2026年8月


@dataclass
class CadenceLine:
    type: MeetingType
    per_year: int
    due: int = 0  # cadence periods ended by the as-of day
    met: int = 0  # of those, with a meeting held
    held: int = 0  # meetings of the type held in the report period


@dataclass
class MeetingFigures:
    held: int = 0
    lines: list[CadenceLine] = field(default_factory=list)
    gaps: list[CadenceGap] = field(default_factory=list)
    entitled: int = 0
    present: int = 0
    quorum_failed: int = 0
    branches: int = 0

    @property
    def attendance_rate(self) -> float | None:
        return self.present / self.entitled if self.entitled else None


def cadence_period_label(p: cadence.Period) -> str:
    """2026年9月, 2026年第三季度, 2026年 (Chinese numerals for quarters, as documents write)."""
    if len(p.months) == 3:
        return f"{p.start.year}年{CN_QUARTERS[(p.start.month - 1) // 3 + 1]}"
    return p.label


def meeting_figures(
    branch_ids: Iterable[int] | None, period: Period, today: date | None = None
) -> MeetingFigures:
    """Meetings held in the period against the required cadence, and attendance.

    A meeting counts when it was held (held or approved) with its local start inside
    the period. A cadence period is due when
    it ends inside the report period by the as-of day; it is met by a meeting held in it."""
    when = _as_of(period, today)
    branches = scope_branches(branch_ids)
    figures = MeetingFigures(branches=len(branches))
    required = {t: cadence.per_year(t) for t in MeetingType}
    # Cadence periods due in this report period (an annual meeting is due in Q4).
    due: dict[MeetingType, list[cadence.Period]] = {}
    earliest = period.start
    for t, n in required.items():
        if not n:
            continue
        due[t] = [
            p
            for year in range(period.start.year, period.end.year + 1)
            for p in cadence.periods_in(year, n)
            if period.start <= p.end <= period.end and p.end <= when.day
        ]
        earliest = min([earliest, *(p.start for p in due[t])])
    start, _ = cadence.local_bounds(earliest, period.end)
    period_start, _ = cadence.local_bounds(period.start, period.end)
    ids = [b.id for b in branches]
    stmt = sa.select(
        Meeting.branch_id,
        Meeting.type,
        Meeting.starts_at,
        Meeting.entitled_count,
        Meeting.present_count,
        Meeting.quorum_met,
    ).where(
        Meeting.starts_at >= start,
        Meeting.starts_at < when.cutoff,
        Meeting.state.in_((MeetingState.held, MeetingState.approved)),
        *_branch_filter(Meeting.branch_id, ids if branch_ids is not None else None),
    )
    held_days: dict[tuple[int, MeetingType], list[date]] = defaultdict(list)
    held_by_type: dict[MeetingType, int] = defaultdict(int)
    for branch_id, mtype, starts_at, entitled, present, quorum_met in db.session.execute(stmt):
        mtype = MeetingType(mtype)
        held_days[(branch_id, mtype)].append(to_local(starts_at).date())
        if starts_at < period_start:
            continue
        figures.held += 1
        held_by_type[mtype] += 1
        figures.entitled += entitled or 0
        figures.present += present or 0
        if mtype in QUORUM_TYPES and quorum_met is False:
            figures.quorum_failed += 1
    for t in MeetingType:
        line = CadenceLine(t, required[t], held=held_by_type.get(t, 0))
        for branch in branches:
            for p in due.get(t, []):
                line.due += 1
                if any(p.start <= d <= p.end for d in held_days.get((branch.id, t), [])):
                    line.met += 1
                else:
                    figures.gaps.append(CadenceGap(branch.name, t, cadence_period_label(p)))
        if line.per_year or line.held:
            figures.lines.append(line)
    return figures


# --------------------------------------------------------------------------- key tasks


@dataclass
class TaskLine:
    branch: str
    title: str
    deadline: date
    state: TaskState  # at the as-of day
    days_overdue: int = 0


@dataclass
class TaskFigures:
    tasks: list[TaskLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.tasks)

    def count(self, state: TaskState) -> int:
        return sum(1 for t in self.tasks if t.state == state)

    @property
    def overdue(self) -> list[TaskLine]:
        return [t for t in self.tasks if t.days_overdue > 0]


def task_state_at(task: KeyTask, first_progress_on: date | None, when: AsOf) -> TaskState:
    """The task's state at the as-of day, from its dated columns (completion day, first
    progress; a cancellation or postponement counts from the task's last change)."""
    if task.state == TaskState.done and task.completed_on and task.completed_on <= when.day:
        return TaskState.done
    if task.state == TaskState.cancelled and task.updated_at < when.cutoff:
        return TaskState.cancelled
    if task.state == TaskState.postponed and task.updated_at < when.cutoff:
        return TaskState.postponed
    if first_progress_on is not None and first_progress_on <= when.day:
        return TaskState.in_progress
    return TaskState.not_started


def task_figures(
    branch_ids: Iterable[int] | None, period: Period, today: date | None = None
) -> TaskFigures:
    """Key tasks of the period (deadline in it, planned for its year, or still open from
    before it) with their state at the as-of day; overdue = open at that day and past
    the deadline."""
    when = _as_of(period, today)
    first = (
        sa.select(TaskProgress.task_id, sa.func.min(TaskProgress.recorded_on).label("first_on"))
        .group_by(TaskProgress.task_id)
        .subquery()
    )
    stmt = (
        sa.select(KeyTask, Branch.name, first.c.first_on)
        .join(Branch, KeyTask.branch_id == Branch.id)
        .outerjoin(first, first.c.task_id == KeyTask.id)
        .where(
            sa.or_(
                KeyTask.deadline.between(period.start, period.end),
                KeyTask.year.between(period.start.year, period.end.year),
                KeyTask.deadline < period.start,
            ),
            *_branch_filter(KeyTask.branch_id, branch_ids),
        )
        .order_by(Branch.code, KeyTask.deadline, KeyTask.id)
    )
    figures = TaskFigures()
    for task, branch_name, first_on in db.session.execute(stmt):
        state = task_state_at(task, first_on, when)
        in_period = period.start <= task.deadline <= period.end or (
            period.start.year <= task.year <= period.end.year
        )
        # Tasks from before the period belong to it only while still open in it.
        if not in_period and state not in OPEN_TASK_STATES:
            continue
        line = TaskLine(branch_name, task.title, task.deadline, state)
        if state in OPEN_TASK_STATES and task.deadline < when.day:
            line.days_overdue = (when.day - task.deadline).days
        figures.tasks.append(line)
    return figures


# --------------------------------------------------------------------------- commitments

OVERDUE_STATES = (
    CommitmentState.published,
    CommitmentState.in_progress,
    CommitmentState.awaiting_evaluation,
)
FULFILLED_STATES = (CommitmentState.awaiting_evaluation, CommitmentState.evaluated)


@dataclass
class CommitmentFigures:
    made: int = 0  # submitted by the as-of day (published or not)
    published: int = 0  # on the ledger: published by the cutoff, not withdrawn by it
    withdrawn: int = 0
    members: int = 0
    by_state: dict[CommitmentState, int] = field(default_factory=dict)
    grades: dict[str, int] = field(default_factory=dict)
    avg_score: float | None = None
    overdue: int = 0
    rates: RateSummary = field(default_factory=RateSummary)

    @property
    def fulfilled(self) -> int:
        return sum(self.by_state.get(s, 0) for s in FULFILLED_STATES)

    @property
    def evaluated(self) -> int:
        return self.by_state.get(CommitmentState.evaluated, 0)


def commitment_period_figures(
    branch_ids: Iterable[int] | None, period: Period, today: date | None = None
) -> CommitmentFigures:
    """The commitment ledger's own figures (``reports.commitment_figures``, as of the
    period's end), in the shape the work report reads: one computation, so the report's
    figures are the ledger's for the same period."""
    from partybuild.reports.commitment_figures import commitment_period_figures as ledger

    g = ledger(branch_ids, period, today)
    return CommitmentFigures(
        made=g.made,
        published=g.published,
        withdrawn=g.withdrawn,
        members=g.members,
        by_state=dict(g.by_state),
        grades=dict(g.grades),
        avg_score=g.average_score,
        overdue=g.overdue,
        rates=RateSummary(
            published=g.published,
            rated=g.rated,
            counts=dict(g.ratings),
            min_count=g.min_count,
            participation_min=g.participation_min,
        ),
    )


# --------------------------------------------------------------------------- integrity


@dataclass
class IntegrityFigures:
    points: int = 0
    by_category: dict[str, int] = field(default_factory=dict)  # category label -> n
    by_level: dict[RiskLevel, int] = field(default_factory=dict)
    reviews: int = 0
    reviewed_points: int = 0
    rect_opened: int = 0  # opened in the period
    rect_closed: int = 0  # verified (销号) in the period
    rect_open_at_end: int = 0
    rect_overdue_at_end: int = 0
    reminders: int = 0
    reminded_members: int = 0


def integrity_figures(
    branch_ids: Iterable[int] | None, period: Period, today: date | None = None
) -> IntegrityFigures:
    """Risk points in force at the as-of day by category and level (the level of the
    last review by then, else the point's own), reviews done, rectifications opened,
    closed (验收销号) and still open at the end, reminder talks given."""
    when = _as_of(period, today)
    cut, day = when.cutoff, when.day
    f = IntegrityFigures()
    labels = category_labels()
    # The risk ledger's own rule for the points in force at the as-of day.
    from partybuild.reports.documents.risk_ledger import in_force as ledger_in_force

    in_force = sa.and_(ledger_in_force(day), *_branch_filter(RiskPoint.branch_id, branch_ids))
    last_review = (
        sa.select(RiskReview.risk_point_id.label("pid"), sa.func.max(RiskReview.id).label("rid"))
        .where(RiskReview.reviewed_on <= day)
        .group_by(RiskReview.risk_point_id)
        .subquery()
    )
    review_level = (
        sa.select(last_review.c.pid, RiskReview.level)
        .join(RiskReview, RiskReview.id == last_review.c.rid)
        .subquery()
    )
    level = sa.func.coalesce(review_level.c.level, RiskPoint.level)
    for category, lvl, n in db.session.execute(
        sa.select(RiskPoint.category, level, sa.func.count(RiskPoint.id))
        .outerjoin(review_level, review_level.c.pid == RiskPoint.id)
        .where(in_force)
        .group_by(RiskPoint.category, level)
    ):
        f.points += n
        label = labels.get(category, category)
        f.by_category[label] = f.by_category.get(label, 0) + n
        f.by_level[RiskLevel(lvl)] = f.by_level.get(RiskLevel(lvl), 0) + n

    f.reviews, f.reviewed_points = db.session.execute(
        sa.select(
            sa.func.count(RiskReview.id), sa.func.count(sa.distinct(RiskReview.risk_point_id))
        ).where(
            RiskReview.reviewed_on.between(period.start, day),
            *_branch_filter(RiskReview.branch_id, branch_ids),
        )
    ).one()

    start, _ = cadence.local_bounds(period.start, period.end)
    rect = Rectification
    open_at_end = sa.and_(
        rect.opened_on <= day, sa.or_(rect.verified_at.is_(None), rect.verified_at >= cut)
    )
    counts = db.session.execute(
        sa.select(
            sa.func.count(rect.id).filter(rect.opened_on.between(period.start, day)),
            sa.func.count(rect.id).filter(rect.verified_at >= start, rect.verified_at < cut),
            sa.func.count(rect.id).filter(open_at_end),
            sa.func.count(rect.id).filter(open_at_end, rect.deadline < day),
        ).where(*_branch_filter(rect.branch_id, branch_ids))
    ).one()
    f.rect_opened, f.rect_closed, f.rect_open_at_end, f.rect_overdue_at_end = counts

    f.reminders, f.reminded_members = db.session.execute(
        sa.select(sa.func.count(Reminder.id), sa.func.count(sa.distinct(Reminder.member_id))).where(
            Reminder.talked_on.between(period.start, day),
            *_branch_filter(Reminder.branch_id, branch_ids),
        )
    ).one()
    return f


# --------------------------------------------------------------------------- greetings


@dataclass
class GreetingFigures:
    due: int = 0  # members whose political birthday fell in the period by the as-of day
    greeted: int = 0  # of those, with an e-card
    opened: int = 0  # cards opened by the member
    gifts: int = 0  # cake or gift handed over by the as-of day


def greeting_figures(
    branch_ids: Iterable[int] | None, period: Period, today: date | None = None
) -> GreetingFigures:
    """Political birthdays in the period (members on the roll at the as-of day) and how
    many were greeted with a card and a cake/gift by then."""
    when = _as_of(period, today)
    cut, day = when.cutoff, when.day
    rule = leap_day_rule()
    members = db.session.execute(
        sa.select(Member.id, Member.joined_on).where(
            sa.or_(Member.is_active.is_(True), Member.retired_at >= cut),
            Member.joined_on < date(period.end.year, 1, 1),
            *_branch_filter(Member.branch_id, branch_ids),
        )
    ).all()
    due: set[tuple[int, date]] = set()
    for member_id, joined in members:
        for year in range(period.start.year, period.end.year + 1):
            if year <= joined.year:
                continue
            on = anniversary_in(joined, year, rule)
            if period.start <= on <= day:
                due.add((member_id, on))
    greeted = db.session.execute(
        sa.select(
            Greeting.member_id, Greeting.anniversary_on, Greeting.opened_at, Greeting.gift_handed_on
        ).where(
            Greeting.anniversary_on.between(period.start, day),
            *_branch_filter(Greeting.branch_id, branch_ids),
        )
    ).all()
    f = GreetingFigures(due=len(due))
    for member_id, on, opened_at, gift_on in greeted:
        if (member_id, on) not in due:
            continue
        f.greeted += 1
        if opened_at is not None and opened_at < cut:
            f.opened += 1
        if gift_on is not None and gift_on <= day:
            f.gifts += 1
    return f


# --------------------------------------------------------------------------- model posts


@dataclass
class RoundLine:
    branch: str
    title: str
    closes_on: date
    closed: bool  # closed (results frozen) by the cutoff
    posts: int = 0
    avg_score: float | None = None
    grades: dict[str, int] = field(default_factory=dict)
    top: list[tuple[int, str, float]] = field(default_factory=list)  # (rank, post, score)
    flagged: int = 0


@dataclass
class ModelPostFigures:
    designated: int = 0  # plaques hanging at the as-of day
    revoked: int = 0  # taken back in the period
    rounds: list[RoundLine] = field(default_factory=list)

    @property
    def flagged(self) -> int:
        return sum(r.flagged for r in self.rounds)


def model_post_figures(
    branch_ids: Iterable[int] | None, period: Period, today: date | None = None
) -> ModelPostFigures:
    """Model posts designated at the as-of day, plaques taken back in the period, and
    the rating rounds closing in the period with their frozen results and ranking."""
    when = _as_of(period, today)
    cut, day = when.cutoff, when.day
    start, _ = cadence.local_bounds(period.start, period.end)
    f = ModelPostFigures()
    f.designated, f.revoked = db.session.execute(
        sa.select(
            sa.func.count(ModelPost.id).filter(
                ModelPost.designated_on <= day,
                sa.or_(ModelPost.revoked_at.is_(None), ModelPost.revoked_at >= cut),
            ),
            sa.func.count(ModelPost.id).filter(
                ModelPost.revoked_at >= start, ModelPost.revoked_at < cut
            ),
        ).where(
            ModelPost.state.in_((PostState.designated, PostState.revoked)),
            *_branch_filter(ModelPost.branch_id, branch_ids),
        )
    ).one()
    rounds = db.session.execute(
        sa.select(RatingRound, Branch.name)
        .join(Branch, RatingRound.branch_id == Branch.id)
        .where(
            RatingRound.state != RoundState.draft,
            RatingRound.closes_on.between(period.start, period.end),
            RatingRound.opened_at < cut,
            *_branch_filter(RatingRound.branch_id, branch_ids),
        )
        .order_by(Branch.code, RatingRound.closes_on, RatingRound.id)
    ).all()
    round_ids = [r.id for r, _ in rounds]
    entries: dict[int, list[tuple[RoundPost, str]]] = defaultdict(list)
    if round_ids:
        for entry, title in db.session.execute(
            sa.select(RoundPost, ModelPost.title)
            .join(ModelPost, RoundPost.model_post_id == ModelPost.id)
            .where(RoundPost.round_id.in_(round_ids))
            .order_by(RoundPost.rank, RoundPost.id)
        ):
            entries[entry.round_id].append((entry, title))
    for rnd, branch_name in rounds:
        closed = (
            rnd.state == RoundState.closed and rnd.closed_at is not None and rnd.closed_at < cut
        )
        line = RoundLine(branch_name, rnd.title, rnd.closes_on, closed)
        got = entries.get(rnd.id, [])
        line.posts = len(got)
        if closed:
            scores = [e.score for e, _ in got if e.score is not None]
            line.avg_score = sum(scores) / len(scores) if scores else None
            for e, _title in got:
                if e.grade:
                    line.grades[e.grade] = line.grades.get(e.grade, 0) + 1
                if e.flagged:  # below RATING_REVOKE_BELOW when the round closed
                    line.flagged += 1
            line.top = [
                (e.rank, title, e.score)
                for e, title in got
                if e.rank is not None and e.score is not None
            ][:3]
        f.rounds.append(line)
    return f
