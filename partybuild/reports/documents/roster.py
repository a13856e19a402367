"""党员名册: the branch roster as it stood at the end of the period (default: today)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa

from partybuild.core.permissions import Role
from partybuild.core.timeutil import cn_date
from partybuild.extensions import db
from partybuild.org.models import Department, Gender, Member, Post, mask_phone
from partybuild.reports.document import OfficialDocument
from partybuild.reports.documents import percent, signers, tracked
from partybuild.reports.periods import midnight_after
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "党员名册"

# Landscape: 225 mm of text width.
COLUMNS = [
    ("序号", 12),
    ("姓名", 22),
    ("性别", 12),
    ("入党日期", 28),
    ("转正日期", 28),
    ("党员状态", 22),
    ("科室", 32),
    ("岗位", 36),
    ("联系电话", 32),
]


def as_of(params: ReportParams) -> date:
    """The roster's reference day: the period's last day, never later than today."""
    if params.period is None:
        return params.today
    return min(params.period.end, params.today)


def _scope(params: ReportParams) -> list[sa.ColumnElement[bool]]:
    """Members on the roll at the end of ``as_of``: joined by then, not yet retired."""
    day = as_of(params)
    conditions = [
        Member.joined_on <= day,
        sa.or_(Member.is_active.is_(True), Member.retired_at >= midnight_after(day)),
    ]
    if params.branch_ids is not None:
        conditions.append(Member.branch_id.in_(params.branch_ids))
    return conditions


def count_rows(params: ReportParams) -> int:
    return db.session.scalar(sa.select(sa.func.count(Member.id)).where(*_scope(params))) or 0


def title(params: ReportParams) -> str:
    return f"{params.scope_name}{LABEL}"


def _rows(params: ReportParams) -> Iterator[tuple[object, ...]]:
    day = as_of(params)
    stmt = (
        sa.select(
            Member.name,
            Member.gender,
            Member.joined_on,
            Member.full_member_on,
            Department.name,
            Post.name,
            Member.phone,
        )
        .outerjoin(Department, Member.department_id == Department.id)
        .outerjoin(Post, Member.post_id == Post.id)
        .where(*_scope(params))
        .order_by(Member.branch_id, Member.is_leader.desc(), Member.joined_on, Member.id)
    )
    for n, (name, gender, joined, full, dept, post, phone) in enumerate(
        db.session.execute(stmt), start=1
    ):
        is_full = full is not None and full <= day
        yield (
            n,
            name,
            Gender(gender).label,
            joined,
            full if is_full else None,
            "正式党员" if is_full else "预备党员",
            dept,
            post,
            mask_phone(phone),  # a document leaves the system: never the full number
        )


def _summary(params: ReportParams) -> str:
    day = as_of(params)
    is_full = sa.and_(Member.full_member_on.is_not(None), Member.full_member_on <= day)
    total, full, male = db.session.execute(
        sa.select(
            sa.func.count(Member.id),
            sa.func.count(Member.id).filter(is_full),
            sa.func.count(Member.id).filter(Member.gender == Gender.male),
        ).where(*_scope(params))
    ).one()
    if not total:
        return f"截至{cn_date(day)}，{params.scope_name}名册中没有党员。"
    return (
        f"截至{cn_date(day)}，{params.scope_name}共有党员{total}名，"
        f"其中正式党员{full}名、预备党员{total - full}名；"
        f"男性{male}名、女性{total - male}名，女性占{percent(total - male, total)}。"
    )


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    total = count_rows(params)
    # Wholly landscape: a portrait summary page and signature page would be mostly empty.
    doc = OfficialDocument(title(params), issuer=params.issuer, landscape=True)
    doc.summary(_summary(params))
    rows = doc.table(COLUMNS, tracked(_rows(params), total, progress), landscape_section=True)
    doc.sign_off(
        params.today,
        signers=signers(params),
        seal=True,
        notes=[
            f"说明：名册为截至{cn_date(as_of(params))}在册的党员（此后入党、转出的不计入，"
            "党员状态按当日计）；先列班子成员，其余按入党时间先后排列；联系电话已做脱敏处理。"
        ],
    )
    return BuiltReport(doc, rows)


KIND = register(
    ReportKind(
        key="roster",
        label=LABEL,
        description="党支部党员名册（姓名、性别、入党日期、转正日期、状态、科室、岗位，电话脱敏）",
        build=build,
        count_rows=count_rows,
        title=title,
        period="optional",
        roles=frozenset({Role.admin, Role.reviewer, Role.secretary}),
        order=30,
    )
)
