"""User accounts. A user has one role and, for secretaries and members, one branch."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partybuild.core import dataversion
from partybuild.core.db import str_enum, utcnow
from partybuild.core.permissions import Role
from partybuild.extensions import db
from partybuild.org.models import Branch, Member


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "role NOT IN ('secretary', 'member') OR branch_id IS NOT NULL",
            name="branch_scoped_roles_have_branch",
        ),
        sa.CheckConstraint("role != 'member' OR member_id IS NOT NULL", name="member_has_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(60), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # Indexed: jobs look up the few secretaries among 100k member accounts.
    role: Mapped[Role] = mapped_column(str_enum(Role, 16), index=True)
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id"), unique=True)
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    # Demo accounts may keep the published demo password; nobody else may.
    is_demo: Mapped[bool] = mapped_column(default=False)
    # 回避: a reviewer who acts for a secretary on her own commitments where her branch
    # names no deputy (the higher-level organisation's right, granted by an admin).
    acts_for_secretaries: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    # Set when someone else chose the password (an account created with an initial
    # password, an admin's reset): the next login must set a new one before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Part of the login token kept in the session and the remember cookie: raising it
    # (logout, password change or reset, role change, deactivation) ends every session.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    branch: Mapped[Branch | None] = relationship()
    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])

    AUDIT_FIELDS = (
        "username",
        "display_name",
        "role",
        "branch_id",
        "member_id",
        "is_active_account",
        "acts_for_secretaries",
    )

    def get_id(self) -> str:
        """Flask-Login's token for this user: "<id>:<session_version>"."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        """Flask-Login: inactive users cannot log in; nor can a retired member's account."""
        return self.is_active_account and (self.member is None or self.member.is_active)

    @property
    def label(self) -> str:
        return self.display_name or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def reads_all_branches(self) -> bool:
        return self.role in (Role.admin, Role.reviewer)

    def reads_branch(self, branch_id: int | None) -> bool:
        """Read access to a branch's lists: admins and reviewers, or a user of that branch."""
        return self.reads_all_branches or (branch_id is not None and self.branch_id == branch_id)

    def manages_branch(self, branch_id: int | None) -> bool:
        """Write access to a branch's records: an admin, or the secretary of that branch."""
        return self.is_admin or (
            self.role == Role.secretary and branch_id is not None and self.branch_id == branch_id
        )

    @property
    def branch_scope(self) -> list[int] | None:
        """The branches this user's lists cover: None means every branch."""
        return None if self.reads_all_branches else [self.branch_id]  # type: ignore[list-item]

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def lock_minutes_left(self, now: datetime | None = None) -> int:
        if not self.is_locked(now):
            return 0
        left: timedelta = self.locked_until - (now or utcnow())  # type: ignore[operator]
        return max(1, int(left.total_seconds() + 59) // 60)

    def can_manage(self, user: "User") -> bool:
        return user.is_authenticated and user.is_admin


def _user_names(ids: list[str]) -> dict[str, str]:
    from partybuild.core.forms import parse_id

    wanted = [i for i in (parse_id(v) for v in ids) if i is not None]
    rows = db.session.execute(
        sa.select(User.id, User.display_name, User.username).where(User.id.in_(wanted))
    )
    return {str(uid): display or username for uid, display, username in rows}


def _staff_choices() -> list[tuple[int, str]]:
    """People for the audit filter: the accounts that manage or review (few); members
    are found by typing a name."""
    rows = db.session.execute(
        sa.select(User.id, User.display_name, User.username, User.role)
        .where(User.role != Role.member)
        .order_by(User.role, User.username)
        .limit(500)
    )
    return [
        (uid, f"{display or username}（{role.label}）") for uid, display, username, role in rows
    ]


def _search_users(text: str) -> list[int]:
    from partybuild.core.lists import contains

    return list(
        db.session.scalars(
            sa.select(User.id).where(contains([User.username, User.display_name], text)).limit(200)
        )
    )


def _register_audit_labels() -> None:
    from partybuild.core import audit

    audit.register_object_type(
        "user",
        "账户",
        fields={
            "username": "登录名", "display_name": "姓名", "role": "角色",
            "branch_id": "所属党支部", "member_id": "对应党员", "is_active_account": "账户启用",
            "is_active": "账户启用", "acts_for_secretaries": "可代行支部书记审核",
        },
        values={"role": Role},
        names=_user_names,
        link=("auth.edit_user", "user_id"),
        choices=_staff_choices,
        search=_search_users,
        order=5,
    )  # fmt: skip


_register_audit_labels()


# Figures over accounts (the admin's panel, whose secretary a deputy acts for) are keyed
# by this version.
dataversion.track("accounts", User)
