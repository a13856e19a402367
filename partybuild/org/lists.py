"""Roster lists: plain filters in, a Select out (the view paginates or exports it)."""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
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


def members(filters: MemberFilters, user: "User", *, units: bool = True) -> sa.Select:
    """The roster as the members page shows it: branch, leaders first, then name.
    ``units=False``: without loading branch, group, department and post (the page
    names them from the cached structure, ``tree().names``)."""
    stmt = sa.select(Member)
    if units:
        stmt = stmt.options(
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


# --- the structure as plain values, cached under the "org" data version -------------


@dataclass(frozen=True)
class Unit:
    """A branch, group, department or post, as pages show it (no ORM row)."""

    id: int
    name: str
    parent_id: int | None = None  # a group's branch, a post's department
    code: str = ""
    is_active: bool = True
    children: tuple["Unit", ...] = ()  # a branch's groups, a department's posts


@dataclass(frozen=True)
class Tree:
    org_name: str | None
    branches: tuple[Unit, ...]  # by code, each with its groups by name
    departments: tuple[Unit, ...]  # by name, each with its posts by name

    # Worked out once per cached tree (cached_property writes the instance's __dict__,
    # which a frozen dataclass allows); callers must not change the dicts.
    @cached_property
    def branch_names(self) -> dict[int, str]:
        return {b.id: b.name for b in self.branches}

    def groups(self, branch_ids: "set[int] | None" = None) -> list[Unit]:
        """Groups of ``branch_ids`` (all when None), by branch id then name."""
        found = [
            g
            for b in sorted(self.branches, key=lambda b: b.id)
            if branch_ids is None or b.id in branch_ids
            for g in b.children
        ]
        return found

    @cached_property
    def post_full_names(self) -> dict[int, str]:
        """ "科室·岗位" by post id (as ``Post.full_name``)."""
        return {p.id: f"{d.name}·{p.name}" for d in self.departments for p in d.children}

    @cached_property
    def names(self) -> dict[str, dict[int, str]]:
        """Every unit's name by id: {"branch": {...}, "group": ..., "department": ..., "post": ...}."""
        return {
            "branch": {b.id: b.name for b in self.branches},
            "group": {g.id: g.name for b in self.branches for g in b.children},
            "department": {d.id: d.name for d in self.departments},
            "post": {p.id: p.name for d in self.departments for p in d.children},
        }


def tree() -> Tree:
    """The organisation's branches, groups, departments and posts: a handful of
    small queries when the structure changed, one version read otherwise."""
    from partybuild.core import dataversion
    from partybuild.extensions import db
    from partybuild.org.models import Department, Organization, PartyGroup, Post

    def make() -> Tree:
        org = db.session.execute(
            sa.select(Organization.id, Organization.name).order_by(Organization.id).limit(1)
        ).first()
        if org is None:
            return Tree(None, (), ())
        groups: dict[int, list[Unit]] = {}
        for gid, branch_id, name in db.session.execute(
            sa.select(PartyGroup.id, PartyGroup.branch_id, PartyGroup.name).order_by(
                PartyGroup.branch_id, PartyGroup.name
            )
        ):
            groups.setdefault(branch_id, []).append(Unit(gid, name, branch_id))
        posts: dict[int, list[Unit]] = {}
        for pid, department_id, name in db.session.execute(
            sa.select(Post.id, Post.department_id, Post.name).order_by(Post.name)
        ):
            posts.setdefault(department_id, []).append(Unit(pid, name, department_id))
        branches = tuple(
            Unit(bid, name, None, code, is_active, tuple(groups.get(bid, ())))
            for bid, code, name, is_active in db.session.execute(
                sa.select(Branch.id, Branch.code, Branch.name, Branch.is_active).order_by(
                    Branch.code
                )
            )
        )
        departments = tuple(
            Unit(did, name, None, children=tuple(posts.get(did, ())))
            for did, name in db.session.execute(
                sa.select(Department.id, Department.name).order_by(Department.name)
            )
        )
        return Tree(org.name, branches, departments)

    return dataversion.cached("org.tree", ("org",), make)


def active_counts() -> dict[int, int]:
    """Active members per branch id, recounted only when a member changed."""
    from partybuild.core import dataversion
    from partybuild.extensions import db

    def make() -> dict[int, int]:
        return dict(
            db.session.execute(
                sa.select(Member.branch_id, sa.func.count())
                .where(Member.is_active.is_(True))
                .group_by(Member.branch_id)
            ).all()
        )

    return dataversion.cached("org.active_counts", ("members",), make)


def member_count(filters: MemberFilters, user: "User") -> int:
    """Rows of ``members(filters, user)``: counted when the roster changed, cached under
    the "members" data version (keyed by the filters and the user's scope) otherwise."""
    from partybuild.core import dataversion
    from partybuild.extensions import db

    def make() -> int:
        rows = members(filters, user, units=False).order_by(None)
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(rows.subquery())))

    scope = user.branch_scope
    key = (filters, None if scope is None else tuple(sorted(scope)))
    return dataversion.cached("org.member_count", ("members",), make, key)
