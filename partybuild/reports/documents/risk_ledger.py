"""廉政风险防控点台账: a branch's (or every branch's) integrity-risk checkpoints in the
common column layout, landscape, as of the period's last day (or today).

Rows are the points that existed then and were not yet retired; reviews due before the
as-of day are marked 逾期, as are rectifications still open past their deadline.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core.permissions import Role
from partybuild.core.timeutil import LOCAL_TZ, cn_date
from partybuild.extensions import db
from partybuild.integrity.models import (
    Rectification,
    RectificationState,
    RiskLevel,
    RiskPoint,
    category_labels,
    level_label,
    overdue_rectification,
)
from partybuild.org.models import Post
from partybuild.reports.document import OfficialDocument
from partybuild.reports.documents import tracked
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


def _end_at(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), LOCAL_TZ)


def _query(params: ReportParams) -> sa.Select:
    end = _end_at(as_of(params))
    stmt = (
        sa.select(RiskPoint)
        .join(Post, RiskPoint.post_id == Post.id)
        .where(
            RiskPoint.created_at < end,
            sa.or_(RiskPoint.retired_at.is_(None), RiskPoint.retired_at >= end),
        )
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


def table_rows(params: ReportParams) -> Iterator[tuple[object, ...]]:
    """Rows streamed in pages of 500 (controls loaded per page: a few queries each)."""
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
        for p in page:
            n += 1
            measures = "\n".join(
                f"{i}. {c.text}" for i, c in enumerate((c for c in p.controls if c.is_active), 1)
            )
            review = "逾期" if p.next_review_on < day else f"{p.next_review_on:%Y-%m-%d}"
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
                review,
            )
            yield (n, p.branch.name, *cells[1:]) if with_branch else cells


def _figures(params: ReportParams) -> dict[str, object]:
    day = as_of(params)
    ids = _query(params).with_only_columns(RiskPoint.id).order_by(None).scalar_subquery()
    by: dict[tuple[str, str], int] = {}
    for category, level, n in db.session.execute(
        sa.select(RiskPoint.category, RiskPoint.level, sa.func.count(RiskPoint.id))
        .where(RiskPoint.id.in_(ids))
        .group_by(RiskPoint.category, RiskPoint.level)
    ):
        by[(category, RiskLevel(level).value)] = n
    overdue_reviews = db.session.scalar(
        sa.select(sa.func.count(RiskPoint.id)).where(
            RiskPoint.id.in_(ids), RiskPoint.next_review_on < day
        )
    )
    open_rects, late_rects = db.session.execute(
        sa.select(
            sa.func.count(Rectification.id),
            sa.func.coalesce(sa.func.sum(sa.case((overdue_rectification(day), 1), else_=0)), 0),
        ).where(
            Rectification.risk_point_id.in_(ids), Rectification.state != RectificationState.verified
        )
    ).one()
    return {"by": by, "overdue_reviews": overdue_reviews or 0, "open": open_rects or 0,
            "late": int(late_rects or 0)}  # fmt: skip


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
    lines.append(
        f"排查逾期的风险点{f['overdue_reviews']}个；未销号的整改{f['open']}项，"
        f"其中逾期{f['late']}项。"
    )
    return lines


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    total = count_rows(params)
    doc = OfficialDocument(f"{params.scope_name}{LABEL}", issuer=params.issuer, landscape=True)
    if params.period is not None:
        doc.paragraph(f"（{params.period.label}）", indent=False, align="center")
    for line in summary_text(params, _figures(params)):
        doc.summary(line)
    rows = doc.table(
        columns(params),
        tracked(table_rows(params), total, progress),
        landscape_section=True,
        font_size_pt=TABLE_FONT_PT,
    )
    doc.paragraph(
        "说明：风险点按“风险查到岗、制度建到岗、防控定到岗、责任落到岗”登记；"
        "“排查”列为下次排查日期，逾期未排查的标“逾期”。"
    )
    doc.signature(None, params.today)
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
