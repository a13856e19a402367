"""Roster lists: plain filters in, a Select out (the view paginates or exports it)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core.lists import contains, int_arg, text_arg
from partybuild.org.models import Branch, Member, MemberStatus, by_name

if TYPE_CHECKING:
    from partybuild.auth.models import User


@dataclass(frozen=True)
class MemberFilters:
    branch: int | None = None  # only for users who read every branch
    group: int | None = None
    department: int | None = None
    status: MemberStatus | None = None
    active: bool | None = True  # None: active and retired alike
    q: str = ""  # part of the name or title

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "MemberFilters":
        status = args.get("status")
        active = args.get("active", "1")
        return cls(
            branch=int_arg(args, "branch"),
            group=int_arg(args, "group"),
            department=int_arg(args, "department"),
            status=MemberStatus(status) if status in MemberStatus.__members__ else None,
            active={"1": True, "0": False}.get(active),
            q=text_arg(args, "q"),
        )


def branches(user: "User") -> sa.Select:
    """The branches a user's roster covers, by code."""
    stmt = sa.select(Branch).order_by(Branch.code)
    scope = user.branch_scope
    if scope is not None:
        stmt = stmt.where(Branch.id.in_(scope))
    return stmt


def members(filters: MemberFilters, user: "User") -> sa.Select:
    """The roster as the members page shows it: branch, leaders first, then name."""
    stmt = sa.select(Member).options(
        selectinload(Member.branch),
        selectinload(Member.party_group),
        selectinload(Member.department),
        selectinload(Member.post),
    )
    scope = user.branch_scope
    if scope is not None:
        stmt = stmt.where(Member.branch_id.in_(scope))
    elif filters.branch is not None:
        stmt = stmt.where(Member.branch_id == filters.branch)
    if filters.group is not None:
        stmt = stmt.where(Member.party_group_id == filters.group)
    if filters.department is not None:
        stmt = stmt.where(Member.department_id == filters.department)
    if filters.status is not None:
        stmt = stmt.where(Member.status == filters.status)
    if filters.active is not None:
        stmt = stmt.where(Member.is_active.is_(filters.active))
    if filters.q:
        stmt = stmt.where(contains([Member.name, Member.title], filters.q))
    return stmt.order_by(Member.branch_id, Member.is_leader.desc(), *by_name())


SEARCH_LIMIT = 20


def member_choices(user: "User", q: str = "", *, ids: list[int] | None = None) -> sa.Select:
    """Active members a user may pick (a member: only themself), by name: those whose name
    contains ``q``, or those with ``ids``; at most SEARCH_LIMIT. For type-ahead pickers,
    never a whole roster in a drop-down."""
    from partybuild.core.permissions import Role

    stmt = sa.select(Member).options(selectinload(Member.branch)).where(Member.is_active.is_(True))
    if user.role == Role.member:
        stmt = stmt.where(Member.id == user.member_id)
    elif user.branch_scope is not None:
        stmt = stmt.where(Member.branch_id.in_(user.branch_scope))
    if ids is not None:
        stmt = stmt.where(Member.id.in_(ids))
    elif q:
        stmt = stmt.where(contains(Member.name, q))
    order = [*by_name()]
    if q:  # names that start with what was typed come first
        order.insert(0, sa.case((Member.name.startswith(q, autoescape=True), 0), else_=1))
    return stmt.order_by(*order).limit(SEARCH_LIMIT)
