"""Public participation (参评率) and satisfaction (满意率) figures, always with the spread.

参评率 = published commitments with at least PARTICIPATION_MIN_RATINGS ratings
/ published commitments; 满意率 = (满意 + 基本满意) / all ratings. Neither is
shown below PUBLIC_RATING_MIN_COUNT ratings: a rate from three votes says nothing.
Every function runs a fixed number of queries whatever the data size.
"""

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from partybuild.commitments.models import Commitment, RatingLevel
from partybuild.core.settings import setting
from partybuild.extensions import db

logger = logging.getLogger(__name__)

LEVELS = list(RatingLevel)


@dataclass
class RateSummary:
    published: int = 0  # commitments on the public board
    rated: int = 0  # of those, with at least ``participation_min`` ratings
    counts: dict[str, int] = field(default_factory=lambda: {lv.value: 0 for lv in LEVELS})
    min_count: int = 5
    participation_min: int = 3

    @property
    def ratings(self) -> int:
        return sum(self.counts.values())

    @property
    def visible(self) -> bool:
        """Enough ratings for rates to mean something."""
        return self.ratings >= self.min_count and self.ratings > 0

    @property
    def participation_rate(self) -> float | None:
        if not self.visible or not self.published:
            return None
        return self.rated / self.published

    @property
    def satisfaction_rate(self) -> float | None:
        if not self.visible:
            return None
        good = self.counts["satisfied"] + self.counts["basic"]
        return good / self.ratings

    def spread(self) -> list[tuple[str, int, float]]:
        """(label, count, share) per level, for a bar, not a single number."""
        total = self.ratings or 1
        return [(lv.label, self.counts[lv.value], self.counts[lv.value] / total) for lv in LEVELS]


def _new_summary() -> RateSummary:
    return RateSummary(
        min_count=setting("PUBLIC_RATING_MIN_COUNT"),
        participation_min=setting("PARTICIPATION_MIN_RATINGS"),
    )


def rating_counts(commitment_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{commitment id: {level: count}} in one query, from the counters kept on each
    commitment row (levels with no ratings are 0)."""
    ids = list(commitment_ids)
    result: dict[int, dict[str, int]] = {i: {lv.value: 0 for lv in LEVELS} for i in ids}
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(Commitment.id, *(Commitment.rating_column(lv) for lv in LEVELS)).where(
            Commitment.id.in_(ids)
        )
    )
    for cid, *ns in rows:
        result[cid] = {lv.value: n for lv, n in zip(LEVELS, ns, strict=True)}
    return result


def _scope(
    stmt: sa.Select,
    branch_ids: Iterable[int] | None,
    batch_id: int | None,
    among: sa.ScalarSelect | None = None,
    batch_ids: Iterable[int] | None = None,
) -> sa.Select:
    stmt = stmt.where(Commitment.on_public_board())
    if batch_ids is not None:
        stmt = stmt.where(Commitment.batch_id.in_(list(batch_ids)))
    if branch_ids is not None:
        stmt = stmt.where(Commitment.branch_id.in_(list(branch_ids)))
    if batch_id is not None:
        stmt = stmt.where(Commitment.batch_id == batch_id)
    if among is not None:
        stmt = stmt.where(Commitment.id.in_(among))
    return stmt


def rates_by(
    group: str = "branch",
    *,
    branch_ids: Iterable[int] | None = None,
    batch_id: int | None = None,
    batch_ids: Iterable[int] | None = None,
    among: sa.ScalarSelect | None = None,
) -> dict[int, RateSummary]:
    """Rate summaries grouped by ``branch`` or ``batch`` id, in one query over the
    commitments asked for (their rating counters; the ratings table is not read).

    ``among`` (a scalar subquery of commitment ids, e.g. a report's own rows) narrows
    the commitments further; only those on the public board count either way."""
    key = Commitment.branch_id if group == "branch" else Commitment.batch_id
    need = setting("PARTICIPATION_MIN_RATINGS")
    columns = [Commitment.rating_column(lv) for lv in LEVELS]
    total = sum(columns[1:], columns[0])
    rows = db.session.execute(
        _scope(
            sa.select(
                key,
                sa.func.count(Commitment.id),
                sa.func.sum(sa.case((total >= need, 1), else_=0)),
                *(sa.func.sum(col) for col in columns),
            ).group_by(key),
            branch_ids,
            batch_id,
            among,
            batch_ids,
        )
    ).all()
    out: dict[int, RateSummary] = {}
    for gid, n, rated, *levels in rows:
        summary = out.setdefault(gid, _new_summary())
        summary.published, summary.rated = n, int(rated or 0)
        for lv, count in zip(LEVELS, levels, strict=True):
            summary.counts[lv.value] = int(count or 0)
    return out


@functools.cache
def _branch_batch_query() -> sa.Select:
    # Built once: the public board asks for it on every render.
    columns = [Commitment.rating_column(lv) for lv in LEVELS]
    total = sum(columns[1:], columns[0])
    need = sa.bindparam("need", type_=sa.Integer)
    return _scope(
        sa.select(
            sa.func.count(Commitment.id),
            sa.func.sum(sa.case((total >= need, 1), else_=0)),
            *(sa.func.sum(col) for col in columns),
        ).where(
            Commitment.branch_id == sa.bindparam("branch_id"),
            Commitment.batch_id == sa.bindparam("batch_id"),
        ),
        None,
        None,
    )


def branch_batch(branch_id: int, batch_id: int) -> RateSummary:
    """The summary of one branch's batch (its public board), in one query: the same
    figures as ``rates([branch_id], batch_id)``."""
    summary = _new_summary()
    params = {"need": summary.participation_min, "branch_id": branch_id, "batch_id": batch_id}
    n, rated, *levels = db.session.execute(_branch_batch_query(), params).one()
    summary.published, summary.rated = n or 0, int(rated or 0)
    for lv, count in zip(LEVELS, levels, strict=True):
        summary.counts[lv.value] = int(count or 0)
    return summary


def rates_sum(summaries: Iterable[RateSummary]) -> RateSummary:
    """One summary adding up several (e.g. one per branch)."""
    total = _new_summary()
    for summary in summaries:
        total.published += summary.published
        total.rated += summary.rated
        for level, n in summary.counts.items():
            total.counts[level] += n
    return total


def rates(
    branch_ids: Iterable[int] | None = None,
    batch_id: int | None = None,
    *,
    among: sa.ScalarSelect | None = None,
) -> RateSummary:
    """One summary over the given branches (None: all) and batch (None: all), optionally
    only ``among`` the commitment ids of a subquery."""
    by_branch = rates_by("branch", branch_ids=branch_ids, batch_id=batch_id, among=among)
    return rates_sum(by_branch.values())
