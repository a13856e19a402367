"""The user-account list: plain filters in, a Select out (the view paginates)."""

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.auth.models import User
from partybuild.core.db import utcnow
from partybuild.core.lists import contains, text_arg
from partybuild.core.permissions import Role
from partybuild.org.models import Branch, Member, by_name


@dataclass(frozen=True)
class UserFilters:
    q: str = ""  # part of the username or display name
    role: Role | None = None
    locked: bool = False  # only accounts locked now (too many failed logins)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "UserFilters":
        role = args.get("role")
        return cls(
            q=text_arg(args, "q"),
            role=Role(role) if role in Role.__members__ else None,
            locked=args.get("locked") == "1",
        )


def users(filters: UserFilters) -> sa.Select:
    """Every account (only admins open this list: no branch scope), by username."""
    stmt = sa.select(User).options(selectinload(User.branch), selectinload(User.member))
    if filters.q:
        stmt = stmt.where(contains([User.username, User.display_name], filters.q))
    if filters.role is not None:
        stmt = stmt.where(User.role == filters.role)
    if filters.locked:
        stmt = stmt.where(User.locked_until > utcnow())
    return stmt.order_by(User.username)


def members_without_account(user: User, branch_id: int | None, q: str = "") -> sa.Select:
    """Active roster members who have no account yet, in ``user``'s branches (a secretary:
    her own), optionally one branch and a name search; by branch, then pinyin."""
    stmt = (
        sa.select(Member)
        .join(Branch, Branch.id == Member.branch_id)
        .outerjoin(User, User.member_id == Member.id)
        .options(selectinload(Member.branch))
        .where(Member.is_active.is_(True), User.id.is_(None), Branch.is_active.is_(True))
    )
    if not user.is_admin:
        stmt = stmt.where(Member.branch_id == user.branch_id)
    elif branch_id is not None:
        stmt = stmt.where(Member.branch_id == branch_id)
    if q:
        stmt = stmt.where(contains([Member.name, Member.title], q))
    return stmt.order_by(Branch.code, *by_name())
