"""Political birthdays (政治生日): greetings, card templates, gifts and e-mail status."""

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partybuild.core import dataversion
from partybuild.core.db import LabelledEnum, str_enum, utcnow
from partybuild.extensions import db
from partybuild.org.models import Branch, Member

if TYPE_CHECKING:
    from partybuild.auth.models import User


class LeapDayRule(LabelledEnum):
    """When members who joined on 29 February are greeted in a common year."""

    feb28 = "feb28", "平年在2月28日祝贺（默认）"
    mar1 = "mar1", "平年在3月1日祝贺"


class GiftKind(LabelledEnum):
    cake = "cake", "政治生日蛋糕"
    gift = "gift", "纪念品"
    other = "other", "其他"

    @property
    def phrase(self) -> str:
        """For sentences: "……已送达" (the label alone would read "政治生日政治生日蛋糕")."""
        return {"cake": "政治生日蛋糕", "gift": "政治生日纪念品", "other": "政治生日礼物"}[
            self.value
        ]


class EmailStatus(LabelledEnum):
    none = "none", "不发送"  # no e-mail (delivery off, or no address)
    pending = "pending", "待发送"
    sending = "sending", "发送中"  # claimed by a run; reset to failed if that run died
    sent = "sent", "已发送"
    failed = "failed", "发送失败（将重试）"


class GreetingTemplate(db.Model):
    """Card text with named placeholders; years=0 is the default, 10/20/… milestones."""

    __tablename__ = "greeting_templates"
    __table_args__ = (sa.CheckConstraint("years >= 0", name="years_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    years: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(sa.String(60))
    body: Mapped[str] = mapped_column(sa.Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    AUDIT_FIELDS = ("years", "title", "body", "is_active")

    @property
    def label(self) -> str:
        return "通用模板" if self.years == 0 else f"入党{self.years}周年模板"


class GreetingContact(db.Model):
    """E-mail address a member's cards are sent to (the roster has no e-mail field)."""

    __tablename__ = "greeting_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    member: Mapped[Member] = relationship()


class Greeting(db.Model):
    """One member's greeting for one political birthday: created once, never deleted."""

    __tablename__ = "greetings"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "anniversary_on"),
        # One greeting per anniversary, even if the 29 Feb rule changes mid-year.
        sa.UniqueConstraint("member_id", "years"),
        sa.CheckConstraint("years >= 1", name="not_zero_years"),
        sa.CheckConstraint("(gift_kind IS NULL) = (gift_handed_on IS NULL)", name="gift_has_date"),
        sa.CheckConstraint(
            "email_status != 'sent' OR email_sent_at IS NOT NULL", name="sent_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    # The member's branch on the day (members move; the card keeps its branch).
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    anniversary_on: Mapped[date] = mapped_column(index=True)
    years: Mapped[int]
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("greeting_templates.id"))
    title: Mapped[str] = mapped_column(sa.String(60))
    card_text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    opened_at: Mapped[datetime | None]

    gift_kind: Mapped[GiftKind | None] = mapped_column(str_enum(GiftKind, 16))
    gift_handed_by: Mapped[str] = mapped_column(sa.String(60), default="")
    gift_handed_on: Mapped[date | None]
    gift_note: Mapped[str] = mapped_column(sa.String(255), default="")
    gift_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    gift_recorded_at: Mapped[datetime | None]

    email_status: Mapped[EmailStatus] = mapped_column(
        str_enum(EmailStatus, 16), default=EmailStatus.none, index=True
    )
    email_to: Mapped[str] = mapped_column(sa.String(254), default="")
    email_attempts: Mapped[int] = mapped_column(default=0)
    email_claimed_at: Mapped[datetime | None]
    email_sent_at: Mapped[datetime | None]
    email_error: Mapped[str] = mapped_column(sa.String(500), default="")

    version_id: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version_id}

    member: Mapped[Member] = relationship()
    branch: Mapped[Branch] = relationship()
    template: Mapped[GreetingTemplate | None] = relationship()

    GIFT_FIELDS = ("gift_kind", "gift_handed_by", "gift_handed_on", "gift_note")

    def email_label(self, max_attempts: int) -> str:
        """The e-mail state in words; a failure says whether it will be retried."""
        if self.email_status == EmailStatus.failed:
            if self.email_attempts >= max_attempts:
                return f"发送失败（已尝试{self.email_attempts}次，不再重试）"
            return "发送失败（下次运行时重试）"
        return self.email_status.label

    @property
    def gift_recorded(self) -> bool:
        return self.gift_kind is not None

    def can_view(self, user: "User") -> bool:
        if not user.is_authenticated:
            return False
        return (
            user.reads_all_branches
            or user.manages_branch(self.branch_id)
            or user.member_id == self.member_id
        )

    def can_record_gift(self, user: "User") -> bool:
        return user.is_authenticated and user.manages_branch(self.branch_id)


def _greeting_names(ids: list[str]) -> dict[str, str]:
    from partybuild.core.forms import parse_id

    wanted = [i for i in (parse_id(v) for v in ids) if i is not None]
    rows = db.session.execute(
        sa.select(Greeting.id, Member.name, Greeting.years)
        .join(Member, Member.id == Greeting.member_id)
        .where(Greeting.id.in_(wanted))
    )
    return {str(gid): f"{name}入党{years}周年贺卡" for gid, name, years in rows}


def _register_audit_labels() -> None:
    from partybuild.core import audit

    audit.register_object_type(
        "greeting",
        "政治生日贺卡",
        fields={
            "on": "日期", "count": "张数", "greeted": "祝贺对象", "greeting_ids": "贺卡",
            "gift_kind": "礼物", "gift_handed_by": "送达人", "gift_handed_on": "送达日期",
            "gift_note": "备注",
        },
        values={"gift_kind": GiftKind},
        refs={"greeting_ids": "greeting"},
        names=_greeting_names,
        link=("greetings.card", "greeting_id"),
        order=60,
    )  # fmt: skip
    audit.register_object_type(
        "greeting_template",
        "贺卡模板",
        fields={"years": "入党周年（0 为通用）", "title": "标题", "body": "祝福语", "is_active": "启用"},
        names=audit.names_from(GreetingTemplate.id, GreetingTemplate.years, fmt=lambda r: (
            "通用模板" if r[0] == 0 else f"入党{r[0]}周年模板"
        )),
        link=("greetings.edit_template", "template_id"),
        order=61,
    )  # fmt: skip
    audit.register_object_type(
        "greeting_contact",
        "贺卡邮箱",
        fields={"email": "电子邮箱"},
        names=audit.names_from(Member.id, Member.name),
        link=("greetings.contact", "member_id"),
        order=62,
    )


_register_audit_labels()


# The workbench's greetings figures are keyed by this version (the job's bulk inserts go
# through the session, whose statement hook bumps it too).
dataversion.track_module("greetings", __name__)
