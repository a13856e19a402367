"""Commitments as they stood at a period's end: the ledger's rows and the figures
every report quotes (the ledger's summary, the 党建工作情况报告).

The period rule (``periods.PERIOD_RULE``), for commitments:

* a commitment belongs to a period when it was active during it: submitted (for the
  figures) or published (for the ledger) by the period's end, and not evaluated,
  closed or withdrawn before the period began;
* its state is the state at the period's end, read from its timeline (the last
  ``CommitmentEvent`` before the cut-off); rows without any timeline fall back to
  the timestamps on the row;
* records dated after the period's end, ratings given after it, and evaluations made
  after it are not counted; a period still running is taken as of today.

``period_rows`` streams the rows in one SELECT, set-based: the as-of-end state, the
latest record, the counts and the ratings are each computed once over their table
(a window or a GROUP BY) and joined on the commitment, so 10,000 rows stay a few
queries and no subquery runs per row. ``commitment_period_figures`` adds them up into :class:`CommitmentPeriodFigures`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from partybuild.commitments.models import (
    STATE_LABELS,
    Commitment,
    CommitmentBatch,
    CommitmentEvent,
    CommitmentState,
    FulfilmentRecord,
    PublicRating,
    RatingLevel,
    RecordEvidence,
)
from partybuild.core.settings import setting
from partybuild.core.storage import StoredFile
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Department, Member, Post
from partybuild.reports.periods import Period, as_of, cutoff, start_instant

logger = logging.getLogger(__name__)

S = CommitmentState
# Finished: nothing more is owed (逾期 never applies to these).
FINISHED = (S.evaluated, S.not_fulfilled)
# Past the deadline in one of these states (at the period's end) is 逾期.
OPEN_STATES = (S.published, S.in_progress, S.awaiting_evaluation)
OVERDUE_LABEL = "逾期"


def participation_min() -> int:
    """The one minimum-ratings rule of the reports: a commitment with at least this
    many ratings counts as 参评 and shows its own 满意率."""
    return setting("PARTICIPATION_MIN_RATINGS")


@dataclass(frozen=True, slots=True)
class PeriodRow:
    """One commitment as it stood at the period's end."""

    commitment_id: int
    branch: str
    batch: str
    member: str
    member_id: int
    post: str
    category: str
    content: str
    target: str
    deadline: date
    state: CommitmentState  # at the period's end
    is_withdrawn: bool  # withdrawn by the period's end
    is_published: bool  # published by the period's end
    progress: int
    latest_record: str
    latest_record_on: date | None
    record_count: int
    evidence_count: int
    satisfied: int
    basic: int
    unsatisfied: int
    score: float | None
    grade: str | None
    days_overdue: int  # 0 unless 逾期 at the as-of day
    entered_by: str = ""  # 代填: who entered it for the member ("" when the member did)
    # ``participation_min()`` when the row was read: once per query, not per row.
    min_ratings: int = 1

    @property
    def ratings(self) -> int:
        return self.satisfied + self.basic + self.unsatisfied

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0

    @property
    def is_rated(self) -> bool:
        """参评: enough ratings (``participation_min``) for its own 满意率."""
        return self.ratings > 0 and self.ratings >= self.min_ratings

    @property
    def satisfaction(self) -> float | None:
        if not self.is_rated:
            return None
        return (self.satisfied + self.basic) / self.ratings

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state] + ("（已撤回）" if self.is_withdrawn else "")


@dataclass
class CommitmentPeriodFigures:
    """What a period's commitments add up to, as of its end (see the module docstring).

    ``made`` counts commitments submitted by the end and active in the period, withdrawn
    ones apart; ``published`` those of them published by the end; ``fulfilled`` those
    declared fulfilled (待评诺) or evaluated; ``by_state`` is keyed by the state at the
    end. Public rates follow ``commitments.rates``: 参评率 = published commitments
    with at least ``participation_min`` ratings / published commitments; 满意率 =
    (满意 + 基本满意) / all ratings, withheld below ``min_count`` ratings in all."""

    as_of: date
    is_final: bool  # the period has ended: the figures will not change
    made: int = 0
    published: int = 0
    fulfilled: int = 0
    evaluated: int = 0
    not_fulfilled: int = 0
    overdue: int = 0
    withdrawn: int = 0
    members: int = 0
    by_state: dict[CommitmentState, int] = field(default_factory=dict)
    grades: dict[str, int] = field(default_factory=dict)
    score_total: float = 0.0
    scored: int = 0
    rated: int = 0  # published commitments counted as 参评
    ratings: dict[str, int] = field(default_factory=lambda: {lv.value: 0 for lv in RatingLevel})
    min_count: int = 5
    participation_min: int = 3

    @property
    def average_score(self) -> float | None:
        return self.score_total / self.scored if self.scored else None

    @property
    def rating_count(self) -> int:
        return sum(self.ratings.values())

    @property
    def rates_visible(self) -> bool:
        return self.rating_count > 0 and self.rating_count >= self.min_count

    @property
    def participation_rate(self) -> float | None:
        if not self.rates_visible or not self.published:
            return None
        return self.rated / self.published

    @property
    def satisfaction_rate(self) -> float | None:
        if not self.rates_visible:
            return None
        return (self.ratings["satisfied"] + self.ratings["basic"]) / self.rating_count

    @property
    def evaluation_rate(self) -> float | None:
        return self.evaluated / self.published if self.published else None

    def spread(self) -> list[tuple[str, int]]:
        return [(lv.label, self.ratings[lv.value]) for lv in RatingLevel]

    def graded(self) -> list[tuple[str, int]]:
        """(grade, count) in the order of the grade scale."""
        order = [g for _, g in setting("COMMITMENT_GRADES")]
        return sorted(
            self.grades.items(), key=lambda i: order.index(i[0]) if i[0] in order else len(order)
        )


class FigureCounter:
    """Adds up :class:`PeriodRow` s (all of them, ``published_only=False``) into
    :class:`CommitmentPeriodFigures`: used by ``commitment_period_figures`` and by the
    ledger, which counts the rows as they stream into its table (one pass)."""

    def __init__(self, period: Period, today: date) -> None:
        self.f = new_figures(period, today)
        self._members: set[int] = set()

    def add(self, row: PeriodRow) -> None:
        f = self.f
        if row.state == S.draft:  # returned for revision by the end: not made (yet)
            return
        if row.is_withdrawn:
            # Published then withdrawn: kept in the ledger, labelled (others never were).
            f.withdrawn += int(row.is_published)
            return
        f.made += 1
        self._members.add(row.member_id)
        f.by_state[row.state] = f.by_state.get(row.state, 0) + 1
        if not row.is_published:
            return
        f.published += 1
        if row.state in (S.awaiting_evaluation, S.evaluated):
            f.fulfilled += 1
        if row.state == S.evaluated:
            f.evaluated += 1
            if row.score is not None:
                f.score_total += float(row.score)
                f.scored += 1
            if row.grade:
                f.grades[row.grade] = f.grades.get(row.grade, 0) + 1
        if row.state == S.not_fulfilled:
            f.not_fulfilled += 1
        if row.is_overdue:
            f.overdue += 1
        if row.is_rated:
            f.rated += 1
        f.ratings["satisfied"] += row.satisfied
        f.ratings["basic"] += row.basic
        f.ratings["unsatisfied"] += row.unsatisfied

    def done(self) -> CommitmentPeriodFigures:
        self.f.members = len(self._members)
        return self.f


# --------------------------------------------------------------------------- query


def _scoped(column: sa.ColumnElement, branch_ids: list[int] | None) -> list[sa.ColumnElement]:
    """Keep a derived table to the commitments of ``branch_ids`` (None: every branch)."""
    if branch_ids is None:
        return []
    return [column.in_(sa.select(Commitment.id).where(Commitment.branch_id.in_(branch_ids)))]


def _timeline_at_end(cut: datetime, branch_ids: list[int] | None) -> sa.Subquery:
    """Per commitment with a timeline, one row: its last state-changing event before
    the cut-off (``hit`` 1), or, when none came before it, another of its events
    (``hit`` 0). One pass over the events (a window), joined once."""
    ev = CommitmentEvent
    hit = sa.case((sa.and_(ev.to_state.is_not(None), ev.created_at < cut), 1), else_=0)
    ranked = (
        sa.select(
            ev.commitment_id.label("cid"),
            ev.to_state.label("to_state"),
            hit.label("hit"),
            sa.func.row_number()
            .over(
                partition_by=ev.commitment_id,
                order_by=(hit.desc(), ev.created_at.desc(), ev.id.desc()),
            )
            .label("rn"),
        )
        .where(*_scoped(ev.commitment_id, branch_ids))
        .subquery("timeline_ranked")
    )
    return (
        sa.select(ranked.c.cid, ranked.c.to_state, ranked.c.hit)
        .where(ranked.c.rn == 1)
        .subquery("timeline_at_end")
    )


def _records_at_end(end_day: date, branch_ids: list[int] | None) -> sa.Subquery:
    """Per commitment with records dated by ``end_day``, one row: the latest of them
    (by date, then id) and how many there are. One pass over the records (a window),
    joined once."""
    rec = FulfilmentRecord
    latest_first = (rec.recorded_on.desc(), rec.id.desc())
    ranked = (
        sa.select(
            rec.commitment_id.label("cid"),
            rec.text.label("text"),
            rec.recorded_on.label("recorded_on"),
            rec.progress.label("progress"),
            sa.func.row_number()
            .over(partition_by=rec.commitment_id, order_by=latest_first)
            .label("rn"),
            # The same window (one sort), its frame the whole partition: every record.
            sa.func.count()
            .over(partition_by=rec.commitment_id, order_by=latest_first, rows=(None, None))
            .label("n"),
        )
        .where(rec.recorded_on <= end_day, *_scoped(rec.commitment_id, branch_ids))
        .subquery("records_ranked")
    )
    return (
        sa.select(ranked.c.cid, ranked.c.text, ranked.c.recorded_on, ranked.c.progress, ranked.c.n)
        .where(ranked.c.rn == 1)
        .subquery("records_at_end")
    )


def _evidence_at_end(end_day: date, cut: datetime, branch_ids: list[int] | None) -> sa.Subquery:
    """Evidence of the records dated by ``end_day``, not retired before the cut-off,
    counted per commitment (grouped once)."""
    rec = FulfilmentRecord
    return (
        sa.select(rec.commitment_id.label("cid"), sa.func.count(RecordEvidence.id).label("n"))
        .select_from(RecordEvidence)
        .join(rec, RecordEvidence.record_id == rec.id)
        .join(StoredFile, RecordEvidence.file_id == StoredFile.id)
        .where(
            rec.recorded_on <= end_day,
            sa.or_(StoredFile.retired_at.is_(None), StoredFile.retired_at >= cut),
            *_scoped(rec.commitment_id, branch_ids),
        )
        .group_by(rec.commitment_id)
        .subquery("evidence_at_end")
    )


def _state_at_end(cut: datetime, timeline: sa.Subquery, records: sa.Subquery) -> sa.ColumnElement:
    """The state at the cut-off: the timeline's last word, else the row's timestamps."""
    kept = (S.in_progress, S.awaiting_evaluation, S.evaluated, S.not_fulfilled)
    recorded = records.c.cid.is_not(None)  # a record dated by the period's end
    from_columns = sa.case(
        (
            sa.and_(Commitment.state == S.evaluated, Commitment.evaluated_at < cut),
            S.evaluated.value,
        ),
        (
            sa.and_(Commitment.state == S.not_fulfilled, Commitment.closed_at < cut),
            S.not_fulfilled.value,
        ),
        (
            sa.and_(
                Commitment.state.in_([S.awaiting_evaluation, S.evaluated]),
                Commitment.evaluation_requested_at < cut,
            ),
            S.awaiting_evaluation.value,
        ),
        (
            sa.and_(
                Commitment.state.in_(kept),
                sa.or_(recorded, Commitment.record_count == 0),
                Commitment.published_at < cut,
            ),
            S.in_progress.value,
        ),
        (Commitment.published_at < cut, S.published.value),
        (Commitment.submitted_at < cut, S.submitted.value),
        else_=S.draft.value,
    )
    return sa.case(
        (timeline.c.hit == 1, timeline.c.to_state),
        (timeline.c.cid.is_not(None), S.draft.value),  # a timeline, nothing by the end
        else_=from_columns,
    )


def _active(period: Period, cut: datetime, *, published_only: bool) -> list[sa.ColumnElement[bool]]:
    begin = start_instant(period)
    # Published implies submitted; a row published without a submission time (entered
    # before that column, or by proxy) still counts as made when it was published.
    made_by = (
        Commitment.published_at
        if published_only
        else sa.func.coalesce(Commitment.submitted_at, Commitment.published_at)
    )
    return [
        made_by.is_not(None),
        made_by < cut,
        # Not finished or withdrawn before the period began.
        sa.or_(Commitment.withdrawn_at.is_(None), Commitment.withdrawn_at >= begin),
        sa.or_(
            Commitment.state != S.evaluated,
            Commitment.evaluated_at.is_(None),
            Commitment.evaluated_at >= begin,
        ),
        sa.or_(
            Commitment.state != S.not_fulfilled,
            Commitment.closed_at.is_(None),
            Commitment.closed_at >= begin,
        ),
    ]


def period_query(
    branch_ids: Iterable[int] | None,
    period: Period,
    today: date | None = None,
    *,
    published_only: bool = True,
) -> sa.Select:
    """One SELECT of the commitments active in ``period``, with their as-of-end figures.

    Set-based: the timeline's last word, the latest record with the record count, the
    evidence count and the ratings are each computed once over their table (a window
    or a GROUP BY, kept to ``branch_ids``) and joined on the commitment, not queried
    per row."""
    today = today or local_today()
    cut = cutoff(period, today)
    end_day = as_of(period, today)
    scope = list(branch_ids) if branch_ids is not None else None
    timeline = _timeline_at_end(cut, scope)
    records = _records_at_end(end_day, scope)
    evidence = _evidence_at_end(end_day, cut, scope)
    levels = {
        lv: sa.func.sum(sa.case((PublicRating.level == lv, 1), else_=0)).label(lv.value)
        for lv in RatingLevel
    }
    ratings = (
        sa.select(PublicRating.commitment_id.label("cid"), *levels.values())
        .where(PublicRating.rated_on <= end_day, *_scoped(PublicRating.commitment_id, scope))
        .group_by(PublicRating.commitment_id)
        .subquery("ratings_at_end")
    )
    state = _state_at_end(cut, timeline, records).label("state_at_end")
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
            Commitment.deadline,
            state,
            sa.and_(Commitment.is_withdrawn, Commitment.withdrawn_at < cut).label("withdrawn"),
            sa.and_(Commitment.published_at.is_not(None), Commitment.published_at < cut).label(
                "published"
            ),
            records.c.text.label("latest"),
            records.c.recorded_on.label("latest_on"),
            records.c.progress.label("latest_progress"),
            Commitment.progress,
            Commitment.record_count.label("all_records"),
            records.c.n.label("records"),
            evidence.c.n.label("evidence"),
            *(sa.func.coalesce(ratings.c[lv.value], 0).label(lv.value) for lv in RatingLevel),
            Commitment.score,
            Commitment.grade,
            Commitment.member_id,
            Commitment.entered_by_name,
        )
        .select_from(Commitment)
        # The per-commitment figures first, the lookups after them: with the lookups
        # first SQLite walks branches by code and then every batch's commitments for
        # each branch (50x the rows on the large bureau) to save the ORDER BY's sort.
        .outerjoin(timeline, timeline.c.cid == Commitment.id)
        .outerjoin(records, records.c.cid == Commitment.id)
        .outerjoin(evidence, evidence.c.cid == Commitment.id)
        .outerjoin(ratings, ratings.c.cid == Commitment.id)
        .join(Branch, Commitment.branch_id == Branch.id)
        .join(CommitmentBatch, Commitment.batch_id == CommitmentBatch.id)
        .join(Member, Commitment.member_id == Member.id)
        .outerjoin(Department, Member.department_id == Department.id)
        .outerjoin(Post, Member.post_id == Post.id)
        .where(*_active(period, cut, published_only=published_only))
        .order_by(
            Branch.code, CommitmentBatch.id, Member.is_leader.desc(), Member.name, Commitment.id
        )
    )
    if scope is not None:
        stmt = stmt.where(Commitment.branch_id.in_(scope))
    return stmt


def count_period_rows(branch_ids: Iterable[int] | None, period: Period, today: date) -> int:
    """The ledger's row count (published by the end, active in the period): one query."""
    cut = cutoff(period, today)
    stmt = sa.select(sa.func.count(Commitment.id)).where(*_active(period, cut, published_only=True))
    if branch_ids is not None:
        stmt = stmt.where(Commitment.branch_id.in_(list(branch_ids)))
    return db.session.scalar(stmt) or 0


def period_rows(
    branch_ids: Iterable[int] | None,
    period: Period,
    today: date | None = None,
    *,
    published_only: bool = True,
) -> Iterator[PeriodRow]:
    """The commitments active in ``period`` as they stood at its end, streamed."""
    today = today or local_today()
    end_day = as_of(period, today)
    stmt = period_query(branch_ids, period, today, published_only=published_only)
    min_ratings = participation_min()
    if db.session.get_bind().dialect.name == "postgresql":
        # For this transaction only. JIT: the query's cost estimate crosses the JIT
        # threshold, and compiling costs more than running it. cursor_tuple_fraction:
        # yield_per reads through a server-side cursor, which PostgreSQL plans for the
        # first 10% of the rows (nested loops over the windows: 2.7 s instead of 0.2 s
        # for 10,000 rows on tables not yet analysed); every row is read, so plan for all.
        db.session.execute(
            sa.text(
                "SELECT set_config('jit', 'off', true),"
                " set_config('cursor_tuple_fraction', '1', true)"
            )
        )
    # Core, on the session's connection (its transaction): the ORM's execution only
    # wraps each row again (a fifth of the fetch's Python time for 20,000 rows). It
    # would have flushed pending changes first: so do we.
    if db.session.autoflush:
        db.session.flush()
    result = db.session.connection().execute(stmt.execution_options(yield_per=500))
    # Unpacked by position: a Row's attribute access costs ~0.3 us, 30 of them per row
    # were a fifth of the ledger's Python time. The names are checked once per query.
    if tuple(result.keys()) != _ROW_COLUMNS:
        raise RuntimeError(f"period_query columns changed: {tuple(result.keys())}")
    for (
        commitment_id,
        branch,
        batch,
        member,
        is_leader,
        member_title,
        department,
        post_name,
        category,
        content,
        target,
        deadline,
        state_at_end,
        withdrawn_by_end,
        published_by_end,
        latest,
        latest_on,
        latest_progress,
        row_progress,
        all_records,
        records,
        evidence,
        satisfied,
        basic,
        unsatisfied,
        score,
        grade,
        member_id,
        entered_by_name,
    ) in result:
        state = CommitmentState(state_at_end)
        withdrawn = bool(withdrawn_by_end)
        if is_leader:
            post = member_title or "局领导"
        else:
            post = "·".join(x for x in (department, post_name) if x)
        if latest_progress is not None:
            progress = latest_progress
        else:
            # No record by the end: 0, unless the row never had records at all.
            progress = row_progress if not all_records else 0
        evaluated = state == S.evaluated
        late = (end_day - deadline).days
        yield PeriodRow(
            commitment_id=commitment_id,
            branch=branch,
            batch=batch,
            member=member,
            member_id=member_id,
            post=post,
            category=category,
            content=content,
            target=target,
            deadline=deadline,
            state=state,
            is_withdrawn=withdrawn,
            is_published=bool(published_by_end),
            progress=progress,
            latest_record=latest or "",
            latest_record_on=latest_on,
            record_count=records or 0,
            evidence_count=evidence or 0,
            satisfied=satisfied,
            basic=basic,
            unsatisfied=unsatisfied,
            score=score if evaluated else None,
            grade=grade if evaluated else None,
            days_overdue=late if late > 0 and not withdrawn and state in OPEN_STATES else 0,
            entered_by=entered_by_name or "",
            min_ratings=min_ratings,
        )


# period_query's columns, in order (period_rows unpacks them by position).
_ROW_COLUMNS = (
    "id",
    "branch",
    "batch",
    "member",
    "is_leader",
    "member_title",
    "department",
    "post",
    "category",
    "content",
    "target",
    "deadline",
    "state_at_end",
    "withdrawn",
    "published",
    "latest",
    "latest_on",
    "latest_progress",
    "progress",
    "all_records",
    "records",
    "evidence",
    "satisfied",
    "basic",
    "unsatisfied",
    "score",
    "grade",
    "member_id",
    "entered_by_name",
)


def new_figures(period: Period, today: date) -> CommitmentPeriodFigures:
    return CommitmentPeriodFigures(
        as_of=as_of(period, today),
        is_final=period.end < today,
        min_count=setting("PUBLIC_RATING_MIN_COUNT"),
        participation_min=participation_min(),
    )


def figures_of(rows: Iterable[PeriodRow], period: Period, today: date) -> CommitmentPeriodFigures:
    """Add up rows already read (``period_rows(..., published_only=False)``)."""
    counter = FigureCounter(period, today)
    for row in rows:
        counter.add(row)
    return counter.done()


def commitment_period_figures(
    branch_ids: Iterable[int] | None, period: Period, today: date | None = None
) -> CommitmentPeriodFigures:
    """The commitment figures of ``branch_ids`` (None: every branch) for ``period``, as
    of its end (or today while it runs). The ledger's summary is written from this."""
    today = today or local_today()
    return figures_of(period_rows(branch_ids, period, today, published_only=False), period, today)
