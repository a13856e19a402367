"""廉政风险防控点台账: a branch's (or every branch's) integrity-risk checkpoints in the
common column layout, landscape, as of the period's last day (or today).

The period rule (``periods.PERIOD_RULE``): rows are the points that existed at the end
and were not yet retired; each review column shows the due date from the last review
made by then (逾期 when it had passed), rectifications count as open or late as they
stood at the end; reviews and rectifications after it are not counted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core.permissions import Role
from partybuild.core.timeutil import cn_date
from partybuild.extensions import db
from partybuild.integrity.models import (
    Rectification,
    RiskLevel,
    RiskPoint,
    RiskReview,
    category_labels,
    level_label,
)
from partybuild.org.models import Post
from partybuild.reports.document import OfficialDocument
from partybuild.reports.documents import signers, tracked
from partybuild.reports.periods import PERIOD_RULE, midnight_after, period_heading
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "廉政风险防控点台账"
TABLE_FONT_PT = 9
# Landscape, 225 mm; checked in LibreOffice: a date fits 排查, 风险等级 and 责任领导 keep
# their headers on one line.
COLUMNS = [
    ("序号", 10), ("科室", 18), ("风险类别", 16), ("风险点", 38), ("表现形式", 34),
    ("风险等级", 16), ("防控措施", 41), ("责任人", 14), ("责任领导", 16), ("排查", 22),
]  # fmt: skip
BRANCH_COLUMN = ("党支部", 18)
NARROWER_FOR_BRANCH = {"表现形式": 8, "防控措施": 6, "风险点": 4}


def as_of(params: ReportParams) -> date:
    period = params.period
    return min(period.end, params.today) if period is not None else params.today


def in_force(day: date) -> sa.ColumnElement[bool]:
    """Points that existed at the end of ``day`` and were not yet retired. A point
    exists by then if registered by then, or if it was already reviewed by then (points
    entered later for checks already made still count). The work report counts the same."""
    end = midnight_after(day)
    reviewed = (
        sa.select(RiskReview.id)
        .where(RiskReview.risk_point_id == RiskPoint.id, RiskReview.reviewed_on <= day)
        .correlate(RiskPoint)
        .exists()
    )
    return sa.and_(
        sa.or_(RiskPoint.created_at < end, reviewed),
        sa.or_(RiskPoint.retired_at.is_(None), RiskPoint.retired_at >= end),
    )


def _query(params: ReportParams) -> sa.Select:
    """The points in force at the as-of day (``in_force``)."""
    stmt = (
        sa.select(RiskPoint).join(Post, RiskPoint.post_id == Post.id).where(in_force(as_of(params)))
    )
    if params.branch_ids is not None:
        stmt = stmt.where(RiskPoint.branch_id.in_(params.branch_ids))
    return stmt


def count_rows(params: ReportParams) -> int:
    stmt = _query(params).with_only_columns(sa.func.count(RiskPoint.id)).order_by(None)
    return db.session.scalar(stmt) or 0


def title(params: ReportParams) -> str:
    period = params.period.label if params.period is not None else ""
    return f"{params.scope_name}{period}{LABEL}"


def columns(params: ReportParams) -> list[tuple[str, float]]:
    if params.branch is not None:
        return COLUMNS
    cols = [(name, width - NARROWER_FOR_BRANCH.get(name, 0)) for name, width in COLUMNS]
    return [cols[0], BRANCH_COLUMN, *cols[1:]]


def _reviews_at_end(ids: list[int], day: date) -> dict[int, date]:
    """{point id: next review due} from each point's last review dated up to ``day``."""
    if not ids:
        return {}
    ranked = (
        sa.select(
            RiskReview.risk_point_id,
            RiskReview.next_review_on,
            sa.func.row_number()
            .over(
                partition_by=RiskReview.risk_point_id,
                order_by=(RiskReview.reviewed_on.desc(), RiskReview.id.desc()),
            )
            .label("n"),
        )
        .where(RiskReview.risk_point_id.in_(ids), RiskReview.reviewed_on <= day)
        .subquery()
    )
    return dict(
        db.session.execute(
            sa.select(ranked.c.risk_point_id, ranked.c.next_review_on).where(ranked.c.n == 1)
        ).all()
    )


def _reviewed_ever(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(RiskReview.risk_point_id).where(RiskReview.risk_point_id.in_(ids)).distinct()
        )
    )


def _open_at_end(day: date) -> sa.ColumnElement[bool]:
    """A rectification opened by ``day`` and not yet verified (销号) by its end."""
    cut = midnight_after(day)
    return sa.and_(
        Rectification.opened_on <= day,
        sa.or_(Rectification.verified_at.is_(None), Rectification.verified_at >= cut),
    )


def _late_at_end(day: date) -> sa.ColumnElement[bool]:
    """Open at the end of ``day``, past its deadline and not yet done by then."""
    cut = midnight_after(day)
    return sa.and_(
        _open_at_end(day),
        Rectification.deadline < day,
        sa.or_(Rectification.done_at.is_(None), Rectification.done_at >= cut),
    )


def due_at_end(point: RiskPoint, reviewed: dict[int, date], ever: set[int]) -> date | None:
    """The next review due at the end: from the last review by then; a point never
    reviewed keeps its first due date; one reviewed only later: unknown (None)."""
    if point.id in reviewed:
        return reviewed[point.id]
    return point.next_review_on if point.id not in ever else None


def review_cell(due: date | None, day: date, late_rects: int) -> str:
    if due is None:
        text = "期末前未排查"
    elif due < day:
        text = f"逾期\n应于{due:%Y-%m-%d}"
    else:
        text = f"{due:%Y-%m-%d}"
    if late_rects:
        text += f"\n整改逾期{late_rects}项"
    return text


def table_rows(params: ReportParams) -> Iterator[tuple[object, ...]]:
    """Rows streamed in pages of 500 (controls, reviews and late rectifications loaded
    per page: a few queries each), each point as it stood at the as-of day."""
    day = as_of(params)
    labels = category_labels()
    stmt = (
        _query(params)
        .options(selectinload(RiskPoint.controls), selectinload(RiskPoint.post).selectinload(Post.department),
                 selectinload(RiskPoint.branch))
        .order_by(RiskPoint.branch_id, Post.department_id, Post.name, RiskPoint.id)
    )  # fmt: skip
    with_branch = params.branch is None
    n = 0
    offset = 0
    while True:
        page = db.session.scalars(stmt.limit(500).offset(offset)).all()
        if not page:
            return
        offset += len(page)
        ids = [p.id for p in page]
        reviewed, ever = _reviews_at_end(ids, day), _reviewed_ever(ids)
        late = dict(
            db.session.execute(
                sa.select(Rectification.risk_point_id, sa.func.count(Rectification.id))
                .where(Rectification.risk_point_id.in_(ids), _late_at_end(day))
                .group_by(Rectification.risk_point_id)
            ).all()
        )
        for p in page:
            n += 1
            measures = "\n".join(
                f"{i}. {c.text}" for i, c in enumerate((c for c in p.controls if c.is_active), 1)
            )
            cells = (
                n,
                f"{p.post.department.name}\n{p.post.name}",
                labels.get(p.category, p.category),
                p.title,
                p.manifestation,
                level_label(p.level),
                measures,
                p.owner_name,
                p.leader_name,
                review_cell(due_at_end(p, reviewed, ever), day, late.get(p.id, 0)),
            )
            yield (n, p.branch.name, *cells[1:]) if with_branch else cells


def _figures(params: ReportParams) -> dict[str, object]:
    day = as_of(params)
    ids_q = _query(params).with_only_columns(RiskPoint.id).order_by(None)
    ids = list(db.session.scalars(ids_q))
    by: dict[tuple[str, str], int] = {}
    for category, level, n in db.session.execute(
        sa.select(RiskPoint.category, RiskPoint.level, sa.func.count(RiskPoint.id))
        .where(RiskPoint.id.in_(ids_q.scalar_subquery()))
        .group_by(RiskPoint.category, RiskPoint.level)
    ):
        by[(category, RiskLevel(level).value)] = n
    reviewed, ever = _reviews_at_end(ids, day), _reviewed_ever(ids)
    points = {
        p.id: p
        for p in db.session.scalars(
            sa.select(RiskPoint).where(RiskPoint.id.in_(ids_q.scalar_subquery()))
        )
    }
    overdue_reviews = sum(
        1
        for p in points.values()
        if (due := due_at_end(p, reviewed, ever)) is not None and due < day
    )
    rects = sa.select(sa.func.count(Rectification.id)).where(
        Rectification.risk_point_id.in_(ids_q.scalar_subquery())
    )
    open_rects = db.session.scalar(rects.where(_open_at_end(day))) or 0
    late_rects = db.session.scalar(rects.where(_late_at_end(day))) or 0
    reviews_done = 0
    if params.period is not None:
        reviews_done = (
            db.session.scalar(
                sa.select(sa.func.count(RiskReview.id)).where(
                    RiskReview.risk_point_id.in_(ids_q.scalar_subquery()),
                    RiskReview.reviewed_on.between(params.period.start, day),
                )
            )
            or 0
        )
    return {"by": by, "overdue_reviews": overdue_reviews, "open": open_rects,
            "late": late_rects, "reviews": reviews_done}  # fmt: skip


def summary_text(params: ReportParams, f: dict) -> list[str]:
    by: dict[tuple[str, str], int] = f["by"]
    total = sum(by.values())
    scope = f"{params.scope_name}（截至{cn_date(as_of(params))}）"
    if not total:
        return [f"{scope}尚未登记廉政风险防控点。"]
    labels = category_labels()
    cats = "、".join(
        f"{labels.get(c, c)}{n}个"
        for c in dict.fromkeys([*labels, *(c for c, _ in by)])
        if (n := sum(v for (cc, _), v in by.items() if cc == c))
    )
    levels = "、".join(
        f"{level_label(lv)}{n}个"
        for lv in RiskLevel
        if (n := sum(v for (_, lvv), v in by.items() if lvv == lv.value))
    )
    lines = [f"{scope}共排查登记廉政风险防控点{total}个，其中{cats}；按风险等级，{levels}。"]
    done = f"本期开展排查{f['reviews']}次；" if params.period is not None else ""
    lines.append(
        f"{done}排查逾期的风险点{f['overdue_reviews']}个；未销号的整改{f['open']}项，"
        f"其中逾期{f['late']}项。"
    )
    return lines


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    total = count_rows(params)
    doc = OfficialDocument(f"{params.scope_name}{LABEL}", issuer=params.issuer, landscape=True)
    if params.period is not None:
        doc.paragraph(period_heading(params.period, params.today), indent=False, align="center")
    for line in summary_text(params, _figures(params)):
        doc.summary(line)
    rows = doc.table(
        columns(params),
        tracked(table_rows(params), total, progress),
        landscape_section=True,
        font_size_pt=TABLE_FONT_PT,
    )
    doc.sign_off(
        params.today,
        signers=signers(params),
        seal=True,
        notes=[
            f"说明：{PERIOD_RULE}风险点按“风险查到岗、制度建到岗、防控定到岗、责任落到岗”登记；"
            "“排查”列为期末应进行下次排查的日期，期末已过该日期仍未排查的标“逾期”，"
            "期末已过整改时限仍未完成的整改标“整改逾期”。"
        ],
    )
    return BuiltReport(doc, rows)


KIND = register(
    ReportKind(
        key="risks",
        label=LABEL,
        description="按党支部（审阅人员可选全部党支部）导出岗位廉政风险防控点，横向表格，逾期排查标注",
        build=build,
        count_rows=count_rows,
        title=title,
        period="optional",
        all_branches=True,
        roles=frozenset({Role.admin, Role.reviewer, Role.secretary}),
        order=25,
    )
)
