"""Round results: weighted by criterion weights and rater-group weights.

For each post and rater group: the average score per criterion (as 0–100 of the
criterion's scale) and the group score (criteria weighted). A group with fewer raters
than the round's ``min_raters`` is left out — its score is never shown — and the
weights of the remaining groups are renormalised to 100. Overall = groups weighted;
grade from RATING_GRADES; a score below RATING_REVOKE_BELOW flags the post for
revocation. Ranking within the round (one branch), ties sharing a rank.

An open round is computed from the sheets (a fixed number of queries); a closed
round is read from the figures frozen on its ``RoundPost`` rows.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from partybuild.core.settings import setting
from partybuild.extensions import db
from partybuild.ratings.models import (
    RaterGroup,
    RatingRound,
    RatingScore,
    RatingSheet,
    RoundPost,
    RoundState,
)

logger = logging.getLogger(__name__)

GROUPS = list(RaterGroup)


@dataclass
class GroupResult:
    group: RaterGroup
    weight: int  # the round's weight for the group
    count: int  # raters who rated the post
    shown: bool  # enough raters to show (and count) the group
    score: float | None = None  # 0–100, only when shown
    criteria: dict[int, float] = field(default_factory=dict)  # only when shown


@dataclass
class PostResult:
    model_post_id: int
    groups: list[GroupResult]
    criteria: dict[int, float]  # criterion id -> weighted 0–100
    score: float | None
    grade: str | None
    flagged: bool
    rank: int | None = None

    @property
    def left_out(self) -> list[GroupResult]:
        """Groups with a weight that were not counted (too few raters)."""
        return [g for g in self.groups if g.weight and not g.shown]

    @property
    def used_weights(self) -> dict[RaterGroup, float]:
        shown = [g for g in self.groups if g.shown and g.weight]
        total = sum(g.weight for g in shown)
        return {g.group: g.weight * 100 / total for g in shown} if total else {}

    def to_json(self) -> dict[str, Any]:
        return {
            "groups": [
                {
                    "group": g.group.value,
                    "weight": g.weight,
                    "count": g.count,
                    "shown": g.shown,
                    "score": g.score,
                    "criteria": {str(k): v for k, v in g.criteria.items()},
                }
                for g in self.groups
            ],
            "criteria": {str(k): v for k, v in self.criteria.items()},
        }

    @classmethod
    def from_row(cls, row: RoundPost) -> "PostResult":
        detail = row.detail or {"groups": [], "criteria": {}}
        groups = [
            GroupResult(
                group=RaterGroup(g["group"]),
                weight=g["weight"],
                count=g["count"],
                shown=g["shown"],
                score=g["score"],
                criteria={int(k): v for k, v in g["criteria"].items()},
            )
            for g in detail["groups"]
        ]
        return cls(
            model_post_id=row.model_post_id,
            groups=groups,
            criteria={int(k): v for k, v in detail["criteria"].items()},
            score=row.score,
            grade=row.grade,
            flagged=row.flagged,
            rank=row.rank,
        )


def grade_for(score: float | None, bands: list[tuple[int, str]] | None = None) -> str | None:
    if score is None:
        return None
    for low, label in bands or setting("RATING_GRADES"):
        if score >= low:
            return label
    return None


def _rank(found: list[PostResult]) -> None:
    ordered = sorted((r for r in found if r.score is not None), key=lambda r: -r.score)
    previous, rank = None, 0
    for i, r in enumerate(ordered, start=1):
        if r.score != previous:
            rank, previous = i, r.score
        r.rank = rank


def compute(rnd: RatingRound) -> list[PostResult]:
    """Live figures for every post of the round from its sheets (two queries)."""
    criteria = {c.id: c for c in rnd.criterion_set.criteria}
    averages = db.session.execute(
        sa.select(
            RatingSheet.model_post_id,
            RatingSheet.rater_group,
            RatingScore.criterion_id,
            sa.func.avg(RatingScore.score),
        )
        .join(RatingScore, RatingScore.sheet_id == RatingSheet.id)
        .where(RatingSheet.round_id == rnd.id)
        .group_by(RatingSheet.model_post_id, RatingSheet.rater_group, RatingScore.criterion_id)
    ).all()
    counts = db.session.execute(
        sa.select(RatingSheet.model_post_id, RatingSheet.rater_group, sa.func.count(RatingSheet.id))
        .where(RatingSheet.round_id == rnd.id)
        .group_by(RatingSheet.model_post_id, RatingSheet.rater_group)
    ).all()
    count_of = {(pid, RaterGroup(g)): n for pid, g, n in counts}
    avg_of: dict[tuple[int, RaterGroup], dict[int, float]] = {}
    for pid, g, cid, avg in averages:
        if cid in criteria:
            avg_of.setdefault((pid, RaterGroup(g)), {})[cid] = criteria[cid].to_percent(float(avg))
    bands = setting("RATING_GRADES")
    revoke_below = setting("RATING_REVOKE_BELOW")
    found = []
    for pid in rnd.post_ids:
        groups = []
        for group, weight in rnd.weights.items():
            n = count_of.get((pid, group), 0)
            shown = n >= rnd.min_raters and weight > 0
            g = GroupResult(group, weight, n, shown)
            if shown:
                g.criteria = {cid: round(avg_of[(pid, group)].get(cid, 0.0), 2) for cid in criteria}
                g.score = round(
                    sum(criteria[cid].weight * v for cid, v in g.criteria.items()) / 100, 2
                )
            groups.append(g)
        counted = [g for g in groups if g.shown]
        total = sum(g.weight for g in counted)
        per_criterion: dict[int, float] = {}
        score = None
        if total:
            for cid in criteria:
                per_criterion[cid] = round(
                    sum(g.weight * g.criteria[cid] for g in counted) / total, 2
                )
            score = round(sum(g.weight * (g.score or 0) for g in counted) / total, 2)
        found.append(
            PostResult(
                model_post_id=pid,
                groups=groups,
                criteria=per_criterion,
                score=score,
                grade=grade_for(score, bands),
                flagged=score is not None and score < revoke_below,
            )
        )
    _rank(found)
    return found


def freeze(rnd: RatingRound) -> list[PostResult]:
    """Write the figures on the round's rows (called once, when the round closes)."""
    found = {r.model_post_id: r for r in compute(rnd)}
    for entry in rnd.entries:
        r = found[entry.model_post_id]
        entry.score, entry.grade, entry.rank, entry.flagged = r.score, r.grade, r.rank, r.flagged
        entry.detail = r.to_json()
    db.session.flush()
    return list(found.values())


def for_round(rnd: RatingRound) -> list[PostResult]:
    """The round's figures: frozen when closed, live otherwise; ranked order."""
    if rnd.state == RoundState.closed:
        found = [PostResult.from_row(e) for e in rnd.entries]
    else:
        found = compute(rnd)
    return sorted(found, key=lambda r: (r.rank is None, r.rank or 0, r.model_post_id))
