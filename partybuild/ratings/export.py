"""Round results as rows (for the .xlsx export and the Word document). No rater identities:
only group averages, and only for groups with enough raters."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.extensions import db
from partybuild.ratings import results
from partybuild.ratings.models import (
    ModelPost,
    ModelPostHolder,
    RaterGroup,
    RatingCriterion,
    RatingRound,
)


@dataclass
class ResultRow:
    rank: int | None
    title: str
    holders: str
    score: float | None
    grade: str | None
    flagged: bool
    criteria: list[float | None]  # in the set's order
    groups: list[str]  # per group: score, or why it is not shown
    left_out: str  # "群众测评（2人，不足3人）" …


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def round_rows(rnd: RatingRound) -> tuple[list[RatingCriterion], list[ResultRow]]:
    criteria = list(rnd.criterion_set.criteria)
    found = results.for_round(rnd)
    posts = {
        p.id: p
        for p in db.session.scalars(
            sa.select(ModelPost)
            .where(ModelPost.id.in_([r.model_post_id for r in found] or [0]))
            .options(selectinload(ModelPost.holders).selectinload(ModelPostHolder.member))
        )
    }
    rows = []
    for r in found:
        post = posts[r.model_post_id]
        groups = []
        for g in r.groups:
            if not g.weight:
                groups.append("不参与")
            elif g.shown:
                groups.append(f"{fmt(g.score)}（{g.count}人）")
            else:
                groups.append(f"不足{rnd.min_raters}人，未计入")
        left = "；".join(
            f"{g.group.label}（{g.count}人，不足{rnd.min_raters}人）" for g in r.left_out
        )
        rows.append(
            ResultRow(
                rank=r.rank,
                title=post.title,
                holders=post.holder_names,
                score=r.score,
                grade=r.grade,
                flagged=r.flagged,
                criteria=[r.criteria.get(c.id) for c in criteria],
                groups=groups,
                left_out=left,
            )
        )
    return criteria, rows


def round_xlsx(rnd: RatingRound) -> bytes:
    from partybuild.core.xlsx import Sheet

    criteria, rows = round_rows(rnd)
    header = (
        ["名次", "示范岗", "党员", "总分", "等次"]
        + [f"{c.name}（{c.weight}%）" for c in criteria]
        + [f"{g.label}（{w}%）" for g, w in rnd.weights.items()]
        + ["说明"]
    )
    sheet = Sheet("测评结果", widths=[6, 24, 16, 8, 8] + [10] * (len(criteria) + 3) + [30])
    sheet.append([sheet.cell(f"{rnd.branch.name} {rnd.title} 测评结果", bold=True, size=13)])
    sheet.append([sheet.cell(h, bold=True, fill="F2DCDB") for h in header])
    for row in rows:
        note = []
        if row.left_out:
            note.append(f"未计入：{row.left_out}，其余权重按比例折算")
        if row.flagged:
            note.append("低于收回牌子提示线")
        sheet.append(
            [row.rank or "—", row.title, row.holders, fmt(row.score), row.grade or "—"]
            + [fmt(v) for v in row.criteria]
            + row.groups
            + ["；".join(note)]
        )
    return sheet.to_bytes()


GROUP_LABELS = RaterGroup.labels()
