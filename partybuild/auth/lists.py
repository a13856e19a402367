"""The user-account list: plain filters in, a Select out (the view paginates)."""

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.auth.models import User
from partybuild.core.db import utcnow
from partybuild.core.lists import contains, text_arg
from partybuild.core.permissions import Role


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
