"""Integrity risk (廉政风险防控): risk points per post, their controls, periodic reviews,
rectifications, political reminders and yearly acknowledgements.

"风险查到岗、制度建到岗、防控定到岗、责任落到岗": every ``RiskPoint`` belongs to a post
(``Post``) and to the branch whose secretary keeps it. Levels come from the risk matrix
(a setting, see ``integrity/settings.py``), never from code. Rectifications move through
the ``RECTIFICATION_LIFECYCLE`` table below (core.states).
"""

import calendar
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partybuild.core import audit, dataversion
from partybuild.core.db import LabelledEnum, str_enum, utcnow
from partybuild.core.settings import setting
from partybuild.core.states import Lifecycle, Stateful, Transition
from partybuild.extensions import db
from partybuild.org.models import Branch, Member, Post

if TYPE_CHECKING:
    from partybuild.auth.models import User


class RiskLevel(LabelledEnum):
    high = "high", "高"
    medium = "medium", "中"
    low = "low", "低"

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1}[self.value]

    @property
    def display(self) -> str:
        """The label as the RISK_LEVEL_LABELS display setting wants it (高 or 一级 …)."""
        return level_label(self)


def level_label(level: "RiskLevel | str | None") -> str:
    if level is None or level == "":
        return ""
    level = RiskLevel(level)
    style = setting("RISK_LEVEL_LABELS")
    if style == "grade_high_first":
        return {"high": "一级", "medium": "二级", "low": "三级"}[level.value]
    if style == "grade_low_first":
        return {"high": "三级", "medium": "二级", "low": "一级"}[level.value]
    return level.label


# Text that stands for a level in the matrix setting and in imported ledgers.
LEVEL_WORDS = {"高": RiskLevel.high, "中": RiskLevel.medium, "低": RiskLevel.low}


def matrix_level(likelihood: int, impact: int, matrix: list[str] | None = None) -> RiskLevel:
    """The level of a (likelihood, impact) cell, both 1–5, read from the RISK_MATRIX
    setting: row = likelihood, column = impact."""
    if not (1 <= likelihood <= 5 and 1 <= impact <= 5):
        raise ValueError("likelihood and impact are 1–5")
    rows = matrix if matrix is not None else setting("RISK_MATRIX")
    return LEVEL_WORDS[rows[likelihood - 1][impact - 1]]


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months; the 31st (or 29 February) falls back to the last day
    of a shorter month, so a quarterly cycle from 30 November lands on 28/29 February."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_cycle_months(level: RiskLevel) -> int:
    return int(setting("RISK_REVIEW_CYCLES")[RiskLevel(level).value])


def category_labels() -> dict[str, str]:
    return dict(setting("RISK_CATEGORIES"))


def category_label(code: str) -> str:
    return category_labels().get(code, code)


# --- the ledger ----------------------------------------------------------------------

_RANK = "CASE {c} WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 END"


class RiskPoint(db.Model):
    """廉政风险防控点: one risk at one post."""

    __tablename__ = "risk_points"
    __table_args__ = (
        sa.CheckConstraint(
            "(likelihood IS NULL AND impact IS NULL) OR (likelihood BETWEEN 1 AND 5"
            " AND impact BETWEEN 1 AND 5)",
            name="inherent_cell",
        ),
        sa.CheckConstraint(
            "(residual_likelihood IS NULL AND residual_impact IS NULL) OR"
            " (residual_likelihood BETWEEN 1 AND 5 AND residual_impact BETWEEN 1 AND 5)",
            name="residual_cell",
        ),
        # Controls may not make a risk worse unless someone wrote down why.
        sa.CheckConstraint(
            "residual_level IS NULL OR residual_reason != '' OR "
            f"{_RANK.format(c='residual_level')} <= {_RANK.format(c='level')}",
            name="residual_not_above",
        ),
        sa.CheckConstraint(
            "review_months IS NULL OR (review_months >= 1 AND review_months <= 36)",
            name="review_months_range",
        ),
        sa.CheckConstraint("is_active OR retired_at IS NOT NULL", name="retired_has_time"),
        sa.Index("ix_risk_points_branch_active", "branch_id", "is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(20), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))  # 风险点
    manifestation: Mapped[str] = mapped_column(sa.Text, default="")  # 表现形式
    basis: Mapped[str] = mapped_column(sa.Text, default="")  # 制度依据
    # Inherent (before controls): the cell when assessed; the level is kept even when an
    # imported ledger gave only the level.
    likelihood: Mapped[int | None]
    impact: Mapped[int | None]
    level: Mapped[RiskLevel] = mapped_column(str_enum(RiskLevel, 8), index=True)
    # Residual (after controls).
    residual_likelihood: Mapped[int | None]
    residual_impact: Mapped[int | None]
    residual_level: Mapped[RiskLevel | None] = mapped_column(str_enum(RiskLevel, 8))
    residual_reason: Mapped[str] = mapped_column(sa.Text, default="")
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id"), index=True)
    owner_name: Mapped[str] = mapped_column(sa.String(40), default="")  # 责任人
    leader_name: Mapped[str] = mapped_column(sa.String(40), default="")  # 责任领导
    review_months: Mapped[int | None]  # None: the cycle of the level (setting)
    next_review_on: Mapped[date] = mapped_column(index=True)
    last_reviewed_on: Mapped[date | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    retired_at: Mapped[datetime | None]
    retired_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    retired_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    # Kept with every change, so the ledger flags rows without a per-row query.
    open_rectifications: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    branch: Mapped[Branch] = relationship()
    post: Mapped[Post] = relationship()
    owner: Mapped[Member | None] = relationship()
    controls: Mapped[list["ControlMeasure"]] = relationship(
        back_populates="risk_point", order_by="ControlMeasure.id"
    )

    AUDIT_FIELDS = (
        "branch_id", "post_id", "category", "title", "manifestation", "basis", "likelihood",
        "impact", "level", "residual_likelihood", "residual_impact", "residual_level",
        "residual_reason", "owner_id", "owner_name", "leader_name", "review_months",
        "next_review_on", "is_active",
    )  # fmt: skip

    def __repr__(self) -> str:
        return f"<RiskPoint {self.id} {self.level}>"

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def cycle_months(self) -> int:
        return self.review_months or review_cycle_months(self.level)

    def review_overdue(self, today: date) -> bool:
        return self.is_active and self.next_review_on < today

    def review_due_soon(self, today: date) -> bool:
        from datetime import timedelta

        days = setting("RISK_REVIEW_REMIND_DAYS")
        return self.is_active and today <= self.next_review_on <= today + timedelta(days=days)

    def can_view(self, user: "User | None") -> bool:
        if user is None or not user.is_authenticated:
            return False
        if user.reads_all_branches or user.manages_branch(self.branch_id):
            return True
        # Members see the points of their own post (风险查到岗), not the branch's ledger.
        member = user.member if user.member_id else None
        return member is not None and member.post_id == self.post_id and self.is_active

    def can_manage(self, user: "User | None") -> bool:
        return user is not None and user.is_authenticated and user.manages_branch(self.branch_id)


class ControlMeasure(db.Model):
    """防控措施: what prevents the risk, who carries it out, how often, with what evidence."""

    __tablename__ = "risk_controls"
    __table_args__ = (
        sa.CheckConstraint("is_active OR retired_at IS NOT NULL", name="retired_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_point_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_points.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    owner_name: Mapped[str] = mapped_column(sa.String(40), default="")
    frequency: Mapped[str] = mapped_column(sa.String(20), default="")  # 每月 / 每件 …
    evidence: Mapped[str] = mapped_column(sa.String(200), default="")  # 留痕要求
    is_active: Mapped[bool] = mapped_column(default=True)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    risk_point: Mapped[RiskPoint] = relationship(back_populates="controls")

    AUDIT_FIELDS = ("text", "owner_name", "frequency", "evidence", "is_active")


# --- reviews (定期排查) -----------------------------------------------------------------


class ControlResult(LabelledEnum):
    done = "done", "已落实"
    partial = "partial", "部分落实"
    not_done = "not_done", "未落实"


class RiskReview(db.Model):
    """One periodic review of a risk point, with the level at that moment (a snapshot)."""

    __tablename__ = "risk_reviews"
    __table_args__ = (
        sa.CheckConstraint("next_review_on > reviewed_on", name="next_after_review"),
        sa.Index("ix_risk_reviews_point_day", "risk_point_id", "reviewed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_point_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_points.id"))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    reviewed_on: Mapped[date]
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewer_name: Mapped[str] = mapped_column(sa.String(80), default="")
    findings: Mapped[str] = mapped_column(sa.Text, default="")
    level: Mapped[RiskLevel] = mapped_column(str_enum(RiskLevel, 8))
    residual_level: Mapped[RiskLevel | None] = mapped_column(str_enum(RiskLevel, 8))
    likelihood: Mapped[int | None]
    impact: Mapped[int | None]
    next_review_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    risk_point: Mapped[RiskPoint] = relationship()
    results: Mapped[list["ReviewResult"]] = relationship(
        back_populates="review", order_by="ReviewResult.id"
    )


class ReviewResult(db.Model):
    __tablename__ = "risk_review_results"
    __table_args__ = (sa.UniqueConstraint("review_id", "control_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_reviews.id"), index=True)
    control_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_controls.id"), index=True)
    result: Mapped[ControlResult] = mapped_column(str_enum(ControlResult, 16))

    review: Mapped[RiskReview] = relationship(back_populates="results")
    control: Mapped[ControlMeasure] = relationship()


# --- rectifications (整改) --------------------------------------------------------------


class RectificationState(LabelledEnum):
    open = "open", "待整改"
    in_progress = "in_progress", "整改中"
    done = "done", "已完成待验收"
    verified = "verified", "已验收销号"


class RectificationAction(LabelledEnum):
    edit = "edit", "修改整改措施"
    start = "start", "开始整改"
    report_done = "report_done", "报告整改完成"
    reject = "reject", "退回重新整改"
    verify = "verify", "验收销号"
    reopen = "reopen", "重新打开"


# Prefixed names: the audit labels are one table shared by every domain.
audit.register_action_labels(
    {
        **{f"rectification_{a.value}": a.label for a in RectificationAction},
        "retire_risk_point": "停用风险点",
        "add_control": "增加防控措施",
        "retire_control": "停用防控措施",
        "risk_review": "定期排查",
        "risk_reminder": "提醒谈话",
        "acknowledge_risks": "确认知晓风险点",
    }
)


class RectificationActor(LabelledEnum):
    responsible = "responsible", "整改责任人"
    secretary = "secretary", "本支部书记"


def _not_own_rectification(r: "Rectification", user: "User") -> str | None:
    if user.member_id is not None and user.member_id == r.responsible_id:
        return "整改责任人不能验收本人负责的整改，请由其他人员验收"
    if r.done_by_id is not None and r.done_by_id == user.id:
        return "报告整改完成的人员不能同时验收，请由其他人员验收"
    return None


S, A = RectificationState, RectificationAction
RESPONSIBLE = frozenset({RectificationActor.responsible})
SECRETARY = frozenset({RectificationActor.secretary})
EITHER = RESPONSIBLE | SECRETARY
T = Transition
RECTIFICATION_TRANSITIONS: dict[tuple[RectificationState, RectificationAction], Transition] = {
    (S.open, A.edit): T(S.open, SECRETARY),
    (S.open, A.start): T(S.in_progress, EITHER),
    (S.open, A.report_done): T(S.done, EITHER),
    (S.in_progress, A.edit): T(S.in_progress, SECRETARY),
    (S.in_progress, A.report_done): T(S.done, EITHER),
    (S.done, A.reject): T(S.in_progress, SECRETARY),
    (S.done, A.verify): T(S.verified, SECRETARY, guard=_not_own_rectification),
    (S.verified, A.reopen): T(S.in_progress, SECRETARY),
}
del S, A, T

RECTIFICATION_LIFECYCLE = Lifecycle(
    RECTIFICATION_TRANSITIONS,
    actions=RectificationAction,
    noun="整改",
)
OPEN_STATES = (
    RectificationState.open,
    RectificationState.in_progress,
    RectificationState.done,
)


class Rectification(Stateful, db.Model):
    """整改: a measure against a finding, with a responsible person and a deadline."""

    __tablename__ = "risk_rectifications"
    __table_args__ = (
        sa.CheckConstraint("deadline >= opened_on", name="deadline_after_open"),
        sa.CheckConstraint(
            "(state IN ('done', 'verified')) = (done_at IS NOT NULL)", name="done_has_time"
        ),
        sa.CheckConstraint(
            "(state = 'verified') = (verified_at IS NOT NULL AND verified_by_id IS NOT NULL)",
            name="verified_has_verifier",
        ),
        sa.Index("ix_risk_rectifications_branch_state", "branch_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_point_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_points.id"), index=True)
    review_id: Mapped[int | None] = mapped_column(sa.ForeignKey("risk_reviews.id"), index=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"))
    problem: Mapped[str] = mapped_column(sa.Text)  # 发现的问题
    measure: Mapped[str] = mapped_column(sa.Text)  # 整改措施
    responsible_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    opened_on: Mapped[date]
    deadline: Mapped[date] = mapped_column(index=True)
    state: Mapped[RectificationState] = mapped_column(
        str_enum(RectificationState, 16), default=RectificationState.open
    )
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    done_note: Mapped[str] = mapped_column(sa.Text, default="")
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    verified_by_name: Mapped[str] = mapped_column(sa.String(80), default="")
    verify_note: Mapped[str] = mapped_column(sa.Text, default="")
    return_comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}
    lifecycle = RECTIFICATION_LIFECYCLE

    risk_point: Mapped[RiskPoint] = relationship()
    review: Mapped[RiskReview | None] = relationship()
    responsible: Mapped[Member] = relationship()

    AUDIT_FIELDS = ("problem", "measure", "responsible_id", "deadline", "state")

    def actors(self, user: "User | None") -> set[RectificationActor]:
        if user is None or not user.is_authenticated:
            return set()
        found = set()
        if user.member_id is not None and user.member_id == self.responsible_id:
            found.add(RectificationActor.responsible)
        if user.manages_branch(self.branch_id):
            found.add(RectificationActor.secretary)
        return found

    def can_view(self, user: "User | None") -> bool:
        if user is None or not user.is_authenticated:
            return False
        return user.reads_all_branches or bool(self.actors(user))

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, today: date) -> bool:
        return self.state in (RectificationState.open, RectificationState.in_progress) and (
            self.deadline < today
        )


def overdue_rectification(today: date) -> sa.ColumnElement[bool]:
    """SQL: a rectification still being worked on past its deadline (``is_overdue``)."""
    return sa.and_(
        Rectification.state.in_([RectificationState.open, RectificationState.in_progress]),
        Rectification.deadline < today,
    )


# --- reminders (提醒谈话) and acknowledgements ------------------------------------------


class Reminder(db.Model):
    """提醒谈话: a political reminder conversation with a member. Seen only by that member,
    the branch secretary and reviewers; never on public pages."""

    __tablename__ = "risk_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    risk_point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("risk_points.id"))
    talked_on: Mapped[date]
    reminder_name: Mapped[str] = mapped_column(sa.String(40))  # who reminded
    reason: Mapped[str] = mapped_column(sa.Text)
    content: Mapped[str] = mapped_column(sa.Text, default="")
    follow_up: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship()
    risk_point: Mapped[RiskPoint | None] = relationship()

    def can_view(self, user: "User | None") -> bool:
        if user is None or not user.is_authenticated:
            return False
        if user.reads_all_branches or user.manages_branch(self.branch_id):
            return True
        return user.member_id is not None and user.member_id == self.member_id


class Acknowledgement(db.Model):
    """A member's yearly confirmation that they know a risk point of their post."""

    __tablename__ = "risk_acknowledgements"
    __table_args__ = (sa.UniqueConstraint("risk_point_id", "member_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_point_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_points.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    year: Mapped[int]
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)


def _register_audit_labels() -> None:
    """How integrity objects read on the audit page."""
    audit.register_object_type(
        "risk_point",
        "廉政风险点",
        fields={
            "category": "风险类别", "title": "风险点", "manifestation": "表现形式",
            "basis": "依据", "likelihood": "可能性", "impact": "影响程度", "level": "风险等级",
            "residual_likelihood": "防控后可能性", "residual_impact": "防控后影响程度",
            "residual_level": "防控后风险等级", "residual_reason": "等级调整理由",
            "owner_id": "责任人", "owner_name": "责任人", "leader_name": "分管领导",
            "review_months": "排查周期（月）", "next_review_on": "下次排查日期",
            "last_reviewed_on": "上次排查日期", "text": "防控措施", "frequency": "频次",
            "evidence": "留痕材料", "control": "防控措施编号", "review": "排查记录编号",
            "findings": "发现的问题",
        },
        values={
            "category": category_label, "level": RiskLevel, "residual_level": RiskLevel,
        },
        refs={"owner_id": "member", "ids": "risk_point"},
        names=audit.names_from(RiskPoint.id, RiskPoint.title),
        link=("integrity.point", "point_id"),
        order=40,
    )  # fmt: skip
    audit.register_object_type(
        "rectification",
        "整改事项",
        fields={
            "problem": "发现的问题", "measure": "整改措施", "responsible_id": "整改责任人",
            "deadline": "整改时限", "state": "状态",
        },
        values={"state": RectificationState},
        refs={"responsible_id": "member"},
        names=audit.names_from(Rectification.id, Rectification.problem, fmt=lambda r: r[0][:30]),
        link=("integrity.rectification", "rect_id"),
        order=41,
    )  # fmt: skip
    audit.register_object_type(
        "risk_reminder",
        "提醒谈话",
        fields={"member_id": "谈话对象", "talked_on": "谈话日期"},
        names=audit.names_from(Reminder.id, Reminder.reason, fmt=lambda r: r[0][:30]),
        link=("integrity.reminder", "reminder_id"),
        order=42,
    )
    audit.register_object_type(
        "member", "党员", fields={"year": "年度", "points": "确认知晓的风险点"},
        refs={"points": "risk_point"},
    )  # fmt: skip


_register_audit_labels()


# Figures cached across requests (the workbench panels) are keyed by this version:
# every change to a model of this module bumps it in the same transaction.
dataversion.track_module("integrity", __name__)
