"""Organisation structure and the member roster."""

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partybuild.core import dataversion
from partybuild.core.db import LabelledEnum, str_enum, utcnow
from partybuild.core.pinyin import sort_key
from partybuild.core.timeutil import anniversary_of, local_today, whole_years
from partybuild.extensions import db

if TYPE_CHECKING:
    from partybuild.auth.models import User


class OrganizationKind(enum.StrEnum):
    committee = "committee"  # 机关党委 / 上级党组织


class Gender(LabelledEnum):
    male = "male", "男"
    female = "female", "女"


class MemberStatus(LabelledEnum):
    full = "full", "正式党员"
    probationary = "probationary", "预备党员"


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(
        str_enum(OrganizationKind), default=OrganizationKind.committee
    )
    branches: Mapped[list["Branch"]] = relationship(
        back_populates="organization", order_by="Branch.code"
    )
    departments: Mapped[list["Department"]] = relationship(
        back_populates="organization", order_by="Department.name"
    )


class Branch(db.Model):
    __tablename__ = "branches"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped in the same transaction as any change that alters what the branch's public
    # pages show: their ETag, and the key of the rendered-page cache, so never stale.
    public_version: Mapped[int] = mapped_column(default=1, server_default="1")
    public_changed_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship(back_populates="branches")
    groups: Mapped[list["PartyGroup"]] = relationship(
        back_populates="branch", order_by="PartyGroup.name"
    )

    def can_view(self, user: "User") -> bool:
        return user.is_authenticated and user.reads_branch(self.id)

    def can_manage(self, user: "User") -> bool:
        """Write access to the branch's records (secretary of it, or admin)."""
        return user.is_authenticated and user.manages_branch(self.id)


class PartyGroup(db.Model):
    __tablename__ = "party_groups"
    __table_args__ = (sa.UniqueConstraint("branch_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))

    branch: Mapped[Branch] = relationship(back_populates="groups")


class Department(db.Model):
    __tablename__ = "departments"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))

    organization: Mapped[Organization] = relationship(back_populates="departments")
    posts: Mapped[list["Post"]] = relationship(back_populates="department", order_by="Post.name")


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (sa.UniqueConstraint("department_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    duties: Mapped[str] = mapped_column(sa.Text, default="")

    department: Mapped[Department] = relationship(back_populates="posts")

    @property
    def full_name(self) -> str:
        return f"{self.department.name}·{self.name}"


class Member(db.Model):
    """A party member. Never hard-deleted: retired with who, when and why."""

    __tablename__ = "members"
    __table_args__ = (
        sa.CheckConstraint(
            "full_member_on IS NULL OR full_member_on >= joined_on", name="full_after_join"
        ),
        sa.CheckConstraint(
            "(status = 'full') = (full_member_on IS NOT NULL)", name="status_matches_full_date"
        ),
        sa.CheckConstraint("is_active OR (retired_at IS NOT NULL)", name="retired_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    party_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party_groups.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40), index=True)
    # Pinyin sort key of the name (core.pinyin.sort_key), kept in step with ``name`` by
    # the listener below: lists order by it (``by_name()``), so SQL sorts and pages.
    name_pinyin: Mapped[str] = mapped_column(
        sa.String(320), default="", server_default="", index=True
    )
    gender: Mapped[Gender] = mapped_column(str_enum(Gender, 8))
    birth_on: Mapped[date]
    joined_on: Mapped[date] = mapped_column(index=True)
    full_member_on: Mapped[date | None]
    status: Mapped[MemberStatus] = mapped_column(str_enum(MemberStatus, 16), index=True)
    title: Mapped[str] = mapped_column(sa.String(60), default="")  # 职务, e.g. 局长
    is_leader: Mapped[bool] = mapped_column(default=False)  # 局领导 / 班子成员
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    is_active: Mapped[bool] = mapped_column(default=True, index=True)
    retired_at: Mapped[datetime | None]
    retired_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", use_alter=True))
    retired_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    branch: Mapped[Branch] = relationship()
    party_group: Mapped[PartyGroup | None] = relationship()
    department: Mapped[Department | None] = relationship()
    post: Mapped[Post | None] = relationship()

    AUDIT_FIELDS = (
        "name", "gender", "birth_on", "joined_on", "full_member_on", "status", "branch_id",
        "party_group_id", "department_id", "post_id", "title", "is_leader", "phone", "is_active",
    )  # fmt: skip

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.name}>"

    def party_standing_on(self, day: date) -> int | None:
        """党龄 on ``day``: whole years since 转正 (``full_member_on``, per the glossary),
        0 in the first year. None while probationary: no 转正 date, or 转正 after ``day``."""
        full = self.full_member_on
        if full is None or full > day:
            return None
        return whole_years(full, day)

    @property
    def party_standing_years(self) -> int | None:
        """党龄 today (see ``party_standing_on``)."""
        return self.party_standing_on(local_today())

    def political_birthday_in(self, year: int, *, leap_day_to_march: bool = False) -> date:
        """The political birthday (anniversary of ``joined_on``) in ``year``; a member who
        joined on 29 February has it on 28 February in a common year (1 March if
        ``leap_day_to_march``, the greetings setting). In the year of joining it is the
        joining day itself."""
        return anniversary_of(self.joined_on, year, leap_day_to_march=leap_day_to_march)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def can_view(self, user: "User") -> bool:
        if not user.is_authenticated:
            return False
        return (
            user.reads_all_branches
            or user.manages_branch(self.branch_id)
            or user.member_id == self.id
        )

    def can_edit(self, user: "User") -> bool:
        return user.is_authenticated and user.manages_branch(self.branch_id)

    def can_see_phone(self, user: "User") -> bool:
        return user.is_authenticated and (
            user.member_id == self.id or user.manages_branch(self.branch_id)
        )

    def phone_for(self, user: "User") -> str:
        return self.phone if self.can_see_phone(user) else self.masked_phone


@sa.event.listens_for(Member.name, "set")
def _name_set(target: Member, value: str | None, _old: object, _initiator: object) -> None:
    target.name_pinyin = sort_key(value or "")


def by_name() -> tuple:
    """ORDER BY terms for members by name in pinyin order (阿 < 张 < 赵), ties broken by
    the name and then the id, so pages are stable: ``.order_by(..., *by_name())``."""
    return (Member.name_pinyin, Member.name, Member.id)


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    if len(phone) <= 4:
        return "*" * len(phone)
    keep_head = 3 if len(phone) >= 11 else 1
    return phone[:keep_head] + "*" * (len(phone) - keep_head - 4) + phone[-4:]


class BranchDeputy(db.Model):
    """回避: the 副书记 or 支委委员 a branch names to act for its secretary on her own
    commitments (approving, scoring, moderating comments on them). One per branch."""

    __tablename__ = "branch_deputies"

    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(20))  # 副书记 or 支委委员
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    member: Mapped["Member"] = relationship()


DEPUTY_TITLES = ("副书记", "支委委员")


class CommitteePost(LabelledEnum):
    """支部委员会 posts; ``member`` is a plain 委员."""

    secretary = "secretary", "书记"
    deputy_secretary = "deputy_secretary", "副书记"
    organization = "organization", "组织委员"
    propaganda = "propaganda", "宣传委员"
    discipline = "discipline", "纪检委员"
    youth = "youth", "青年委员"
    member = "member", "委员"


# Posts a branch committee holds at most once.
SINGLE_POSTS = frozenset({CommitteePost.secretary})


class CommitteeMember(db.Model):
    """One seat on a branch's 支部委员会: the members expected at a 支委会."""

    __tablename__ = "branch_committee_members"
    __table_args__ = (sa.UniqueConstraint("branch_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    post: Mapped[CommitteePost] = mapped_column(str_enum(CommitteePost, 24))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    member: Mapped["Member"] = relationship()

    @classmethod
    def sitting(cls, branch_id: int) -> sa.Select:
        """The committee's active members who still belong to the branch, in post order."""
        order = sa.case({p.value: n for n, p in enumerate(CommitteePost)}, value=cls.post, else_=99)
        return (
            sa.select(cls)
            .join(Member, Member.id == cls.member_id)
            .where(
                cls.branch_id == branch_id,
                Member.branch_id == branch_id,
                Member.is_active.is_(True),
            )
            .order_by(order, Member.name, Member.id)
        )


def _register_audit_labels() -> None:
    """How organisation objects read on the audit page."""
    from partybuild.core import audit

    audit.register_field_labels(
        {
            "branch_id": "党支部", "member_id": "党员", "party_group_id": "党小组",
            "department_id": "科室", "post_id": "岗位", "name": "名称", "title": "标题",
            "is_active": "启用", "reason": "原因", "state": "状态", "note": "备注",
            "filename": "文件名", "ids": "对象", "count": "数量",
        },
        refs={
            "branch_id": "branch", "member_id": "member", "party_group_id": "party_group",
            "department_id": "department", "post_id": "post",
        },
    )  # fmt: skip
    audit.register_object_type(
        "organization", "上级组织", names=audit.names_from(Organization.id, Organization.name),
        order=10,
    )  # fmt: skip
    audit.register_object_type(
        "branch",
        "党支部",
        fields={"title": "代行职务", "member_id": "代行审核的支委", "post": "委员职务"},
        values={"post": CommitteePost},
        names=audit.names_from(Branch.id, Branch.name),
        actions={
            "set_deputy": "指定回避代行支委",
            "committee_set": "设置支部委员",
            "committee_remove": "免去支部委员",
        },
        choices=lambda: [
            (b.id, b.name)
            for b in db.session.execute(sa.select(Branch.id, Branch.name).order_by(Branch.code))
        ],
        order=11,
    )
    audit.register_object_type(
        "party_group", "党小组", names=audit.names_from(PartyGroup.id, PartyGroup.name), order=12
    )
    audit.register_object_type(
        "department", "科室", names=audit.names_from(Department.id, Department.name), order=13
    )
    audit.register_object_type("post", "岗位", names=audit.names_from(Post.id, Post.name), order=14)
    audit.register_object_type(
        "member",
        "党员",
        fields={
            "name": "姓名", "gender": "性别", "birth_on": "出生日期", "joined_on": "入党日期",
            "full_member_on": "转正日期", "status": "党员类别", "title": "职务",
            "is_leader": "领导干部", "phone": "手机号码", "is_active": "在册",
            "reason": "退出名册原因",
        },
        values={"gender": Gender, "status": MemberStatus},
        names=audit.names_from(Member.id, Member.name),
        link=("org.member_detail", "member_id"),
        order=15,
    )  # fmt: skip


_register_audit_labels()


# Figures cached across requests (the workbench panels) that read members, branches,
# posts or deputies are keyed by this version, bumped with every change to them.
dataversion.track_module("org", __name__)
# The roster-wide figures (members per branch, totals) read only the members.
dataversion.track("members", Member)
