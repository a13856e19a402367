"""Commitment lists: the review queue, the overview with its flag chips, batches and the
moderation queue. Plain filters in, a ``Select`` out; the view paginates."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.commitments.models import (
    CommentState,
    Commitment,
    CommitmentBatch,
    CommitmentState,
    PublicRating,
    flag_conditions,
)
from partybuild.core.lists import contains, int_arg, text_arg
from partybuild.extensions import db
from partybuild.org.models import Branch, Member, by_name

if TYPE_CHECKING:
    from partybuild.auth.models import User


def list_options() -> tuple:
    """What a list row shows besides the commitment, loaded in a fixed number of queries."""
    return (
        selectinload(Commitment.member).selectinload(Member.post),
        selectinload(Commitment.member).selectinload(Member.department),
        selectinload(Commitment.batch),
        selectinload(Commitment.branch),
    )


def _scoped(stmt: sa.Select, column: sa.ColumnElement, user: "User") -> sa.Select:
    scope = user.branch_scope
    return stmt if scope is None else stmt.where(column.in_(scope))


def branches(user: "User") -> sa.Select:
    """The branches a user's commitment pages cover, by code."""
    return _scoped(sa.select(Branch).order_by(Branch.code), Branch.id, user)


def batches(user: "User") -> sa.Select:
    """The batches a user may list, newest first."""
    stmt = (
        sa.select(CommitmentBatch)
        .options(selectinload(CommitmentBatch.branch))
        .order_by(CommitmentBatch.commit_start.desc(), CommitmentBatch.id.desc())
    )
    return _scoped(stmt, CommitmentBatch.branch_id, user)


def review_queue(user: "User") -> sa.Select:
    """Submitted commitments waiting for the secretary, leaders' first (领导带头亮诺)."""
    stmt = (
        sa.select(Commitment)
        .join(Member, Commitment.member_id == Member.id)
        .where(Commitment.state == CommitmentState.submitted, Commitment.is_withdrawn.is_(False))
        .options(*list_options())
        .order_by(Member.is_leader.desc(), Commitment.submitted_at, Commitment.id)
    )
    return _scoped(stmt, Commitment.branch_id, user)


# --- the overview -----------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewFilters:
    branch: int | None = None  # only for users who read every branch
    batch: int | None = None
    category: str = ""
    q: str = ""  # part of the member's name or the commitment's text
    withdrawn: bool = False  # withdrawn commitments instead of live ones
    state: CommitmentState | None = None
    flag: str = ""  # a FLAG_LABELS key, "any", or "" for no flag filter
    member: int | None = None  # one member's commitments (linked from the member page)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "OverviewFilters":
        state = args.get("state")
        return cls(
            branch=int_arg(args, "branch") or None,
            batch=int_arg(args, "batch") or None,
            category=args.get("category") or "",
            q=text_arg(args, "q"),
            withdrawn=args.get("withdrawn") == "1",
            state=CommitmentState(state) if state in CommitmentState.__members__ else None,
            flag=args.get("flag") or "",
            member=int_arg(args, "member") or None,
        )


def overview_base(filters: OverviewFilters, user: "User", *, rows: bool = True) -> sa.Select:
    """The overview before its state and flag filters (the chips count over this).

    ``rows=False`` leaves out the join to members when no filter needs it (for counting:
    the page's rows need it for their order, the counts do not)."""
    stmt = sa.select(Commitment)
    if rows or filters.q:
        stmt = stmt.join(Member, Commitment.member_id == Member.id)
    if user.branch_scope is not None:
        stmt = _scoped(stmt, Commitment.branch_id, user)
    elif filters.branch:
        stmt = stmt.where(Commitment.branch_id == filters.branch)
    if filters.batch:
        stmt = stmt.where(Commitment.batch_id == filters.batch)
    if filters.category:
        stmt = stmt.where(Commitment.category == filters.category)
    if filters.member:
        stmt = stmt.where(Commitment.member_id == filters.member)
    if filters.q:
        stmt = stmt.where(contains([Member.name, Commitment.content], filters.q))
    return stmt.where(Commitment.is_withdrawn.is_(filters.withdrawn))


def overview_counts(base: sa.Select, today: date) -> tuple[dict[str, int], dict[str, int]]:
    """Commitments per state and per flag in ``base``, in one query: (states, flags)."""
    conditions = flag_conditions(today)
    counted = base.with_only_columns(
        Commitment.state,
        sa.func.count(Commitment.id),
        *(sa.func.sum(sa.case((cond, 1), else_=0)) for cond in conditions.values()),
    ).group_by(Commitment.state)
    state_counts: dict[str, int] = {}
    flag_counts = dict.fromkeys(conditions, 0)
    for state, n, *flag_ns in db.session.execute(counted):
        state_counts[CommitmentState(state).value] = n
        for key, fn in zip(conditions, flag_ns, strict=True):
            flag_counts[key] += int(fn or 0)
    return state_counts, flag_counts


def overview(filters: OverviewFilters, user: "User", today: date) -> sa.Select:
    """The overview rows: by branch, leaders first, then name."""
    stmt = overview_base(filters, user)
    if filters.state is not None:
        stmt = stmt.where(Commitment.state == filters.state)
    conditions = flag_conditions(today)
    if filters.flag in conditions:
        stmt = stmt.where(conditions[filters.flag])
    elif filters.flag == "any":
        stmt = stmt.where(sa.or_(*conditions.values()))
    return stmt.options(*list_options()).order_by(
        Commitment.branch_id, Member.is_leader.desc(), *by_name(), Commitment.id
    )


# --- public comments --------------------------------------------------------------------


def moderation_queue(
    state: CommentState, user: "User", stead: sa.ColumnElement[bool] | None = None
) -> sa.Select:
    """Public comments in one moderation state, newest first; ``stead`` (回避): only
    the secretaries' own commitments a deputy or granted reviewer moderates."""
    stmt = (
        sa.select(PublicRating)
        .join(Commitment, PublicRating.commitment_id == Commitment.id)
        .where(PublicRating.comment_state == state)
        .options(selectinload(PublicRating.commitment).selectinload(Commitment.member))
        .order_by(PublicRating.created_at.desc(), PublicRating.id.desc())
    )
    if stead is not None:
        return stmt.where(stead)
    return _scoped(stmt, Commitment.branch_id, user)


def pending_comments(user: "User") -> sa.Select:
    """A count of the comments waiting for moderation in the user's branches."""
    stmt = sa.select(sa.func.count(PublicRating.id)).where(
        PublicRating.comment_state == CommentState.pending
    )
    if user.branch_scope is None:  # every branch: the state's index alone answers
        return stmt
    stmt = stmt.join(Commitment, PublicRating.commitment_id == Commitment.id)
    return _scoped(stmt, Commitment.branch_id, user)


def overview_total(
    filters: OverviewFilters, state_counts: dict[str, int], flag_counts: dict[str, int]
) -> int | None:
    """The number of overview rows, from the chip counts already made (None: unknown,
    e.g. rows with any flag, which the per-flag counts cannot add up to)."""
    if filters.flag == "any":
        return None
    if filters.flag:
        if filters.state is not None:
            return None
        return flag_counts.get(filters.flag, 0)
    if filters.state is not None:
        return state_counts.get(filters.state.value, 0)
    return sum(state_counts.values())
