"""党员示范岗测评结果: a branch's rating rounds that close within the period.

Per round: the weights and the minimum-raters rule, then one row per post with its
weighted score per criterion, each rater group's score where it has enough raters,
the overall score, the grade and the rank within the branch. Groups left out and
posts flagged for revocation are named below the table. No rater appears anywhere:
the figures are the round's own (frozen once the round is closed).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core.permissions import Role
from partybuild.core.settings import setting
from partybuild.extensions import db
from partybuild.ratings.export import fmt, round_rows
from partybuild.ratings.models import CriterionSet, RatingRound, RoundPost, RoundState
from partybuild.reports.document import OfficialDocument
from partybuild.reports.documents import signers
from partybuild.reports.periods import PERIOD_RULE, period_heading
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "党员示范岗测评结果"
TABLE_FONT_PT = 9
WIDTH_MM = 225  # landscape text width
NUMBERS = "一二三四五六七八九十"


def _rounds_query(params: ReportParams) -> sa.Select:
    stmt = sa.select(RatingRound).where(RatingRound.state != RoundState.draft)
    if params.branch_ids is not None:
        stmt = stmt.where(RatingRound.branch_id.in_(params.branch_ids))
    if params.period is not None:
        stmt = stmt.where(
            RatingRound.closes_on >= params.period.start,
            RatingRound.closes_on <= params.period.end,
        )
    return stmt.order_by(RatingRound.closes_on, RatingRound.id)


def count_rows(params: ReportParams) -> int:
    rounds = _rounds_query(params).with_only_columns(RatingRound.id).order_by(None).subquery()
    return (
        db.session.scalar(
            sa.select(sa.func.count(RoundPost.id)).where(RoundPost.round_id.in_(sa.select(rounds)))
        )
        or 0
    )


def title(params: ReportParams) -> str:
    period = params.period.label if params.period is not None else ""
    return f"{params.scope_name}{period}{LABEL}"


def _columns(rnd: RatingRound) -> list[tuple[str, float]]:
    groups = [(f"{g.label}\n{w}%", 17.0) for g, w in rnd.weights.items() if w]
    fixed = [("名次", 10.0), ("示范岗", 34.0), ("党员", 18.0)]
    tail = [("总分", 13.0), ("等次", 13.0)]
    criteria = list(rnd.criterion_set.criteria)
    left = WIDTH_MM - sum(w for _, w in fixed + groups + tail)
    each = left / max(1, len(criteria))
    return fixed + [(f"{c.name}\n{c.weight}%", each) for c in criteria] + groups + tail


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    rounds = db.session.scalars(
        _rounds_query(params).options(
            selectinload(RatingRound.criterion_set).selectinload(CriterionSet.criteria),
            selectinload(RatingRound.entries),
            selectinload(RatingRound.branch),
        )
    ).all()
    total = count_rows(params)
    doc = OfficialDocument(f"{params.scope_name}{LABEL}", issuer=params.issuer, landscape=True)
    if params.period is not None:
        doc.paragraph(period_heading(params.period, params.today), indent=False, align="center")
    if not rounds:
        doc.summary(f"{params.scope_name}在本期间没有结束的党员示范岗测评。")
    written = 0
    revoke_below = setting("RATING_REVOKE_BELOW")
    for i, rnd in enumerate(rounds):
        criteria, rows = round_rows(rnd)
        doc.heading(f"{NUMBERS[i % 10]}、{rnd.title}")
        state = "已结束，结果已固定" if rnd.state == RoundState.closed else "测评中，为当前得分"
        weights = "、".join(f"{g.label}{w}%" for g, w in rnd.weights.items())
        doc.summary(
            f"测评时间{rnd.opens_on:%Y年%m月%d日}至{rnd.closes_on:%Y年%m月%d日}（{state}）；"
            f"按{rnd.criterion_set.name}测评，参评示范岗{len(rows)}个；权重为{weights}。"
            f"某一人群测评人数少于{rnd.min_raters}人时不显示该组得分，也不计入总分，"
            "其权重由其余人群按比例分担。"
        )
        cells = []
        for row in rows:
            groups = [g for g, (_grp, w) in zip(row.groups, rnd.weights.items(), strict=True) if w]
            cells.append(
                (row.rank or "—", row.title, row.holders)
                + tuple(fmt(v) for v in row.criteria)
                + tuple(g.replace("，未计入", "\n未计入") for g in groups)
                + (fmt(row.score), row.grade or "—")
            )
        written += doc.table(_columns(rnd), cells, font_size_pt=TABLE_FONT_PT)
        progress(written, total)
        notes = [f"{r.title}：{r.left_out}未计入" for r in rows if r.left_out]
        flagged = [r.title for r in rows if r.flagged]
        if notes:
            doc.paragraph("说明：" + "；".join(notes) + "。")
        if flagged:
            doc.paragraph(f"得分低于{revoke_below}分、建议收回牌子的示范岗：{'、'.join(flagged)}。")
    doc.sign_off(
        params.today,
        signers=signers(params),
        seal=True,
        notes=[
            f"说明：{PERIOD_RULE}列入本表的是测评截止日期在本期间内的测评；"
            "已结束的测评为结束时固定的结果，测评中的为截至日的当前得分。"
        ],
    )
    return BuiltReport(doc, written)


KIND = register(
    ReportKind(
        key="ratings",
        label=LABEL,
        description="按党支部和期间导出示范岗测评结果：各项标准得分、各人群得分、总分、等次和排名",
        build=build,
        count_rows=count_rows,
        title=title,
        period="required",
        roles=frozenset({Role.admin, Role.reviewer, Role.secretary}),
        order=40,
    )
)
