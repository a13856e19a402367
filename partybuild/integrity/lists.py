"""Integrity lists: the ledger with its flags, rectifications, reminders, the heat map
counts. Plain filters in, a ``Select`` (or a few grouped rows) out; views paginate."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core.lists import contains, int_arg, text_arg
from partybuild.core.permissions import Role
from partybuild.core.settings import setting
from partybuild.extensions import db
from partybuild.integrity.models import (
    OPEN_STATES,
    ControlMeasure,
    Rectification,
    RectificationState,
    Reminder,
    RiskLevel,
    RiskPoint,
    overdue_rectification,
)
from partybuild.org.models import Branch, Member, Post, by_name

if TYPE_CHECKING:
    from partybuild.auth.models import User


def _scoped(stmt: sa.Select, column: sa.ColumnElement, user: "User") -> sa.Select:
    scope = user.branch_scope
    return stmt if scope is None else stmt.where(column.in_(scope))


def branches(user: "User") -> sa.Select:
    return _scoped(sa.select(Branch).order_by(Branch.code), Branch.id, user)


FLAG_LABELS = {
    "review_overdue": "排查逾期",
    "review_due": "即将到期排查",
    "rect_open": "整改未销号",
    "rect_overdue": "整改逾期",
}


def flag_conditions(today: date) -> dict[str, sa.ColumnElement[bool]]:
    soon = today + timedelta(days=setting("RISK_REVIEW_REMIND_DAYS"))
    overdue_rect = (
        sa.select(Rectification.id)
        .where(Rectification.risk_point_id == RiskPoint.id, overdue_rectification(today))
        .exists()
    )
    return {
        "review_overdue": RiskPoint.next_review_on < today,
        "review_due": sa.and_(RiskPoint.next_review_on >= today, RiskPoint.next_review_on <= soon),
        "rect_open": RiskPoint.open_rectifications > 0,
        "rect_overdue": overdue_rect,
    }


@dataclass(frozen=True)
class LedgerFilters:
    branch: int | None = None
    post: int | None = None
    category: str = ""
    level: RiskLevel | None = None
    q: str = ""
    retired: bool = False
    flag: str = ""
    likelihood: int | None = None
    impact: int | None = None
    residual: bool = False  # the heat-map cell is a residual one

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "LedgerFilters":
        level = args.get("level")
        cell = [int_arg(args, k) for k in ("likelihood", "impact")]
        return cls(
            branch=int_arg(args, "branch") or None,
            post=int_arg(args, "post") or None,
            category=args.get("category") or "",
            level=RiskLevel(level) if level in RiskLevel.__members__ else None,
            q=text_arg(args, "q"),
            retired=args.get("retired") == "1",
            flag=args.get("flag") or "",
            likelihood=cell[0] if cell[0] and 1 <= cell[0] <= 5 else None,
            impact=cell[1] if cell[1] and 1 <= cell[1] <= 5 else None,
            residual=args.get("basis") == "residual",
        )


def ledger_base(filters: LedgerFilters, user: "User") -> sa.Select:
    """The ledger before its flag filter (the flag chips count over this)."""
    stmt = sa.select(RiskPoint).join(Post, RiskPoint.post_id == Post.id)
    if user.branch_scope is not None:
        stmt = _scoped(stmt, RiskPoint.branch_id, user)
    elif filters.branch:
        stmt = stmt.where(RiskPoint.branch_id == filters.branch)
    if filters.post:
        stmt = stmt.where(RiskPoint.post_id == filters.post)
    if filters.category:
        stmt = stmt.where(RiskPoint.category == filters.category)
    if filters.level is not None:
        stmt = stmt.where(RiskPoint.level == filters.level)
    if filters.likelihood and filters.impact:
        if filters.residual:
            stmt = stmt.where(
                RiskPoint.residual_likelihood == filters.likelihood,
                RiskPoint.residual_impact == filters.impact,
            )
        else:
            stmt = stmt.where(
                RiskPoint.likelihood == filters.likelihood, RiskPoint.impact == filters.impact
            )
    if filters.q:
        stmt = stmt.where(
            contains([RiskPoint.title, RiskPoint.manifestation, RiskPoint.owner_name], filters.q)
        )
    return stmt.where(RiskPoint.is_active.is_(not filters.retired))


def ledger_options() -> tuple:
    return (
        selectinload(RiskPoint.post).selectinload(Post.department),
        selectinload(RiskPoint.branch),
        selectinload(RiskPoint.controls),
    )


def ledger(
    filters: LedgerFilters, user: "User", today: date, *, options: tuple | None = None
) -> sa.Select:
    stmt = ledger_where(filters, user, today)
    return stmt.options(*(ledger_options() if options is None else options)).order_by(
        RiskPoint.branch_id, Post.department_id, Post.name, RiskPoint.id
    )


def ledger_where(filters: LedgerFilters, user: "User", today: date) -> sa.Select:
    """The ledger's rows, flag filter included, unordered and without loader options."""
    stmt = ledger_base(filters, user)
    conditions = flag_conditions(today)
    if filters.flag in conditions:
        stmt = stmt.where(conditions[filters.flag])
    return stmt


def flag_counts(base: sa.Select, today: date) -> dict[str, int]:
    """Points per flag in ``base``, in one query."""
    conditions = flag_conditions(today)
    row = db.session.execute(
        base.with_only_columns(
            *(
                sa.func.coalesce(sa.func.sum(sa.case((c, 1), else_=0)), 0)
                for c in conditions.values()
            )
        ).order_by(None)
    ).one()
    return {key: int(n or 0) for key, n in zip(conditions, row, strict=True)}


def ledger_figures(filters: LedgerFilters, user: "User", today: date) -> tuple[dict, int]:
    """(points per flag, rows the list has) for the ledger page: two aggregate queries
    when the ledger changed, cached under the "integrity" data version otherwise (keyed
    by the filters, the user's branch scope and the day, which the flags depend on)."""
    from partybuild.core import dataversion

    scope = user.branch_scope
    soon = today + timedelta(days=setting("RISK_REVIEW_REMIND_DAYS"))

    def make() -> tuple[dict, int]:
        counts = flag_counts(ledger_base(filters, user), today)
        rows = ledger_where(filters, user, today)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(rows.subquery()))
        return counts, int(total or 0)

    key = (filters, None if scope is None else tuple(sorted(scope)), today, soon)
    return dataversion.cached("integrity.ledger", ("integrity",), make, key)


def overdue_point_ids(point_ids: list[int], today: date) -> set[int]:
    """Which of the page's points have an overdue rectification (one query)."""
    if not point_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Rectification.risk_point_id)
            .where(Rectification.risk_point_id.in_(point_ids), overdue_rectification(today))
            .distinct()
        )
    )


def active_control_counts(point_ids: list[int]) -> dict[int, int]:
    """Active control measures per point of the page (one grouped query)."""
    if not point_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(ControlMeasure.risk_point_id, sa.func.count())
            .where(ControlMeasure.risk_point_id.in_(point_ids), ControlMeasure.is_active.is_(True))
            .group_by(ControlMeasure.risk_point_id)
        ).all()
    )


# --- rectifications ------------------------------------------------------------------


@dataclass(frozen=True)
class RectificationFilters:
    branch: int | None = None
    state: RectificationState | None = None
    open_only: bool = False
    overdue: bool = False
    mine: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "RectificationFilters":
        state = args.get("state")
        return cls(
            branch=int_arg(args, "branch") or None,
            state=RectificationState(state) if state in RectificationState.__members__ else None,
            open_only=args.get("open") == "1",
            overdue=args.get("overdue") == "1",
            mine=args.get("mine") == "1",
        )


def rectifications(filters: RectificationFilters, user: "User", today: date) -> sa.Select:
    stmt = sa.select(Rectification)
    if filters.mine or user.role == Role.member:
        # A member sees only the rectifications they are responsible for.
        stmt = stmt.where(Rectification.responsible_id == (user.member_id or -1))
    elif user.branch_scope is not None:
        stmt = _scoped(stmt, Rectification.branch_id, user)
    elif filters.branch:
        stmt = stmt.where(Rectification.branch_id == filters.branch)
    if filters.state is not None:
        stmt = stmt.where(Rectification.state == filters.state)
    if filters.open_only:
        stmt = stmt.where(Rectification.state.in_(OPEN_STATES))
    if filters.overdue:
        stmt = stmt.where(overdue_rectification(today))
    return stmt.options(
        selectinload(Rectification.risk_point).selectinload(RiskPoint.post),
        selectinload(Rectification.responsible),
    ).order_by(Rectification.deadline, Rectification.id)


def reminders(user: "User") -> sa.Select:
    """Reminder conversations: a member sees their own; the secretary the branch's;
    reviewers and admins every branch's."""
    stmt = sa.select(Reminder).options(
        selectinload(Reminder.member), selectinload(Reminder.risk_point)
    )
    if user.role == Role.member:
        stmt = stmt.where(Reminder.member_id == (user.member_id or -1))
    else:
        stmt = _scoped(stmt, Reminder.branch_id, user)
    return stmt.order_by(Reminder.talked_on.desc(), Reminder.id.desc())


# --- the picture ---------------------------------------------------------------------


def heat_counts(user: "User", branch_id: int | None, residual: bool) -> dict[tuple[int, int], int]:
    """Active points per (likelihood, impact) cell in the user's scope (one query)."""
    lk = RiskPoint.residual_likelihood if residual else RiskPoint.likelihood
    im = RiskPoint.residual_impact if residual else RiskPoint.impact
    stmt = (
        sa.select(lk, im, sa.func.count(RiskPoint.id))
        .where(RiskPoint.is_active.is_(True), lk.is_not(None))
        .group_by(lk, im)
    )
    stmt = _scoped(stmt, RiskPoint.branch_id, user)
    if branch_id:
        stmt = stmt.where(RiskPoint.branch_id == branch_id)
    return {(a, b): n for a, b, n in db.session.execute(stmt)}


def distribution(user: "User", branch_id: int | None) -> dict[tuple[str, str], int]:
    """Active points per (category, level) in the user's scope (one query)."""
    stmt = (
        sa.select(RiskPoint.category, RiskPoint.level, sa.func.count(RiskPoint.id))
        .where(RiskPoint.is_active.is_(True))
        .group_by(RiskPoint.category, RiskPoint.level)
    )
    stmt = _scoped(stmt, RiskPoint.branch_id, user)
    if branch_id:
        stmt = stmt.where(RiskPoint.branch_id == branch_id)
    return {(c, RiskLevel(lv).value): n for c, lv, n in db.session.execute(stmt)}


def heat_figures(
    user: "User", branch_id: int | None, residual: bool
) -> tuple[dict[tuple[int, int], int], dict[tuple[str, str], int]]:
    """``heat_counts`` and ``distribution`` together, cached under the "integrity" data
    version (keyed by the user's branch scope, the branch and the basis)."""
    from partybuild.core import dataversion

    scope = user.branch_scope
    key = (None if scope is None else tuple(sorted(scope)), branch_id, residual)
    return dataversion.cached(
        "integrity.heat",
        ("integrity",),
        lambda: (heat_counts(user, branch_id, residual), distribution(user, branch_id)),
        key,
    )


def branch_level_counts(user: "User") -> list[tuple[Branch, dict[str, int]]]:
    """Each branch's active points by level (two queries), for the reviewer's panel."""
    rows = db.session.execute(
        _scoped(
            sa.select(RiskPoint.branch_id, RiskPoint.level, sa.func.count(RiskPoint.id))
            .where(RiskPoint.is_active.is_(True))
            .group_by(RiskPoint.branch_id, RiskPoint.level),
            RiskPoint.branch_id,
            user,
        )
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for branch_id, level, n in rows:
        counts.setdefault(branch_id, {})[RiskLevel(level).value] = n
    found = db.session.scalars(branches(user).where(Branch.id.in_(list(counts)))).all()
    return [(b, counts[b.id]) for b in found]


def branch_members(branch_id: int) -> sa.Select:
    """One branch's active members by name: the pickers' choices (never a whole roster)."""
    return (
        sa.select(Member.id, Member.name)
        .where(Member.branch_id == branch_id, Member.is_active.is_(True))
        .order_by(*by_name())
    )
