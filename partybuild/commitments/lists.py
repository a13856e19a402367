"""Commitment lists: the review queue, the overview with its flag chips, batches and the
moderation queue. Plain filters in, a ``Select`` out; the view paginates."""

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from partybuild.commitments.models import (
    CommentState,
    Commitment,
    CommitmentBatch,
    CommitmentState,
    PublicRating,
    flag_conditions,
)
from partybuild.core import pagecache
from partybuild.core.lists import contains, int_arg, text_arg
from partybuild.core.settings import setting
from partybuild.extensions import db
from partybuild.org.models import Branch, Member, by_name

if TYPE_CHECKING:
    from partybuild.auth.models import User


def list_options() -> tuple:
    """What a list row shows besides the commitment: all many-to-one, so joined into the
    row query itself (one query, not one per relation). The query joins ``Member``
    already (its rows are ordered by the member), and that join fills the member."""
    return (
        contains_eager(Commitment.member).joinedload(Member.post),
        contains_eager(Commitment.member).joinedload(Member.department),
        joinedload(Commitment.batch),
        joinedload(Commitment.branch),
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


def batch_choices(user: "User") -> sa.Select:
    """The batches for a filter drop-down: plain rows (id, title, branch_name), same order."""
    stmt = (
        sa.select(CommitmentBatch.id, CommitmentBatch.title, Branch.name.label("branch_name"))
        .join(Branch, Branch.id == CommitmentBatch.branch_id)
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


def overview_counts(
    base: sa.Select, today: date
) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Commitments per state and per flag in ``base``, and per state those with any
    flag, in one query: (states, flags, flagged by state)."""
    conditions = flag_conditions(today)
    counted = base.with_only_columns(
        Commitment.state,
        sa.func.count(Commitment.id),
        sa.func.sum(sa.case((sa.or_(*conditions.values()), 1), else_=0)),
        *(sa.func.sum(sa.case((cond, 1), else_=0)) for cond in conditions.values()),
    ).group_by(Commitment.state)
    state_counts: dict[str, int] = {}
    flagged: dict[str, int] = {}
    flag_counts = dict.fromkeys(conditions, 0)
    for state, n, any_n, *flag_ns in db.session.execute(counted):
        state_counts[CommitmentState(state).value] = n
        flagged[CommitmentState(state).value] = int(any_n or 0)
        for key, fn in zip(conditions, flag_ns, strict=True):
            flag_counts[key] += int(fn or 0)
    return state_counts, flag_counts, flagged


def overview_counts_by_branch(
    base: sa.Select, today: date, branch_ids: list[int]
) -> dict[int, tuple[dict[str, int], dict[str, int], dict[str, int]]]:
    """:func:`overview_counts` per branch (every id in ``branch_ids`` has an entry), in
    one query grouped by branch and state."""
    conditions = flag_conditions(today)
    counted = base.with_only_columns(
        Commitment.branch_id,
        Commitment.state,
        sa.func.count(Commitment.id),
        sa.func.sum(sa.case((sa.or_(*conditions.values()), 1), else_=0)),
        *(sa.func.sum(sa.case((cond, 1), else_=0)) for cond in conditions.values()),
    ).group_by(Commitment.branch_id, Commitment.state)
    out = {bid: ({}, dict.fromkeys(conditions, 0), {}) for bid in branch_ids}
    for bid, state, n, any_n, *flag_ns in db.session.execute(counted):
        states, flags, flagged = out.setdefault(bid, ({}, dict.fromkeys(conditions, 0), {}))
        states[CommitmentState(state).value] = n
        flagged[CommitmentState(state).value] = int(any_n or 0)
        for key, fn in zip(conditions, flag_ns, strict=True):
            flags[key] += int(fn or 0)
    return out


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
    filters: OverviewFilters,
    state_counts: dict[str, int],
    flag_counts: dict[str, int],
    flagged: dict[str, int] | None = None,
) -> int | None:
    """The number of overview rows, from the chip counts already made (None: unknown,
    e.g. one flag within one state, which the counts do not break down)."""
    if filters.flag == "any":
        if flagged is None:
            return None
        if filters.state is not None:
            return flagged.get(filters.state.value, 0)
        return sum(flagged.values())
    if filters.flag:
        if filters.state is not None:
            return None
        return flag_counts.get(filters.flag, 0)
    if filters.state is not None:
        return state_counts.get(filters.state.value, 0)
    return sum(state_counts.values())


# --- figures over many commitments, cached per data version -------------------------------
# A reviewer's overview adds up every branch's commitments. Every change to a commitment,
# its records, ratings or comments bumps its branch's ``public_version`` in the same
# transaction (commitments/models.py), so figures keyed by the versions of the branches
# they cover are recomputed on the first request after any change and never served stale.

# Settings the figures depend on: a changed setting makes a new key too.
FIGURE_SETTINGS = (
    "COMMITMENT_STALE_DAYS",
    "COMMITMENT_HIGH_PROGRESS",
    "COMMITMENT_RUSH_DAYS",
    "COMMITMENT_RUSH_MAX_RECORDS",
    "PARTICIPATION_MIN_RATINGS",
    "PUBLIC_RATING_MIN_COUNT",
)


def data_version(branches: "list[Branch]") -> tuple:
    """A key part that changes whenever anything in these branches' commitments does."""
    settings = tuple(setting(key) for key in FIGURE_SETTINGS)
    return (settings, tuple((b.id, b.public_version) for b in branches))


@dataclass(frozen=True)
class OverviewFigures:
    state_counts: dict[str, int]
    flag_counts: dict[str, int]
    flagged: dict[str, int]  # per state, commitments with any flag
    summary: object  # rates.RateSummary
    pending_comments: int


def overview_figures(
    filters: OverviewFilters, user: "User", today: date, branches: "list[Branch]"
) -> OverviewFigures:
    """The overview's chips, rate summary and pending-comment count; ``branches`` are the
    branches the user's overview covers (their versions key the cache).

    Each figure is cached per branch and its version, and added up here: after a change
    in one branch only that branch is counted again (one grouped query over the branches
    whose figures are missing), not every commitment of the reviewer's whole scope."""
    from partybuild.commitments import rates

    settings = tuple(setting(key) for key in FIGURE_SETTINGS)
    # Every filter the chips count over (all but state and flag): a new filter joins the key.
    counted = dataclasses.replace(filters, state=None, flag="", branch=None)
    chip_branches = branches
    if user.branch_scope is None and filters.branch:
        chip_branches = [b for b in branches if b.id == filters.branch]

    def chips(missing: list[int]) -> dict[int, tuple]:
        base = overview_base(counted, user, rows=False).where(Commitment.branch_id.in_(missing))
        return overview_counts_by_branch(base, today, missing)

    def summaries(missing: list[int]) -> dict[int, object]:
        found = rates.rates_by("branch", branch_ids=missing, batch_id=filters.batch)
        return {bid: found.get(bid) or rates.RateSummary() for bid in missing}

    def pending(missing: list[int]) -> dict[int, int]:
        stmt = (
            sa.select(Commitment.branch_id, sa.func.count(PublicRating.id))
            .join(Commitment, PublicRating.commitment_id == Commitment.id)
            .where(PublicRating.comment_state == CommentState.pending)
            .group_by(Commitment.branch_id)
        )
        if user.branch_scope is not None or len(missing) < len(branches):
            stmt = stmt.where(Commitment.branch_id.in_(missing))
        # else every branch is missing: the pending comments by their state's index, each
        # looked up by its commitment's key (not every commitment of every branch).
        found = dict(db.session.execute(stmt).all())
        return {bid: found.get(bid, 0) for bid in missing}

    by_chips = per_branch("commitments.chips", chip_branches, chips, counted, today, settings)
    by_rates = per_branch("commitments.rates", branches, summaries, filters.batch, settings)
    by_pending = per_branch("commitments.pending", branches, pending)

    state_counts: dict[str, int] = {}
    flagged: dict[str, int] = {}
    flag_counts = dict.fromkeys(flag_conditions(today), 0)
    for states, flags, any_flag in by_chips.values():
        for target, part in ((state_counts, states), (flag_counts, flags), (flagged, any_flag)):
            for key, n in part.items():
                target[key] = target.get(key, 0) + n
    summary = rates.rates_sum(by_rates.values())
    return OverviewFigures(state_counts, flag_counts, flagged, summary, sum(by_pending.values()))


def per_branch(name: str, branches: "list[Branch]", make, *parts) -> dict:  # noqa: ANN001, ANN002
    """{branch id: value}, each value cached under ``name``, the branch's id and version and
    ``parts``; ``make(ids)`` computes those missing, all at once (one grouped query), and
    must return a value for every id it is given. Cache plain values, never ORM rows."""
    keys = {b.id: (name, b.id, b.public_version, *parts) for b in branches}
    found = pagecache.get_many(list(keys.values()))
    out = {bid: found[key] for bid, key in keys.items() if key in found}
    missing = [bid for bid in keys if bid not in out]
    if missing:
        made = make(missing)
        for bid in missing:
            out[bid] = made[bid]
            pagecache.put(keys[bid], made[bid])
    return out


def versioned(name: str, branches: "list[Branch]", make, *parts):  # noqa: ANN001, ANN002, ANN201
    """``make()`` cached under ``name``, ``parts`` and the data version of ``branches``
    (which must cover every commitment ``make`` reads). Cache plain values, never ORM rows."""
    return pagecache.get_or_make((name, *parts, data_version(branches)), make)


# --- whole page bodies, cached per data version ------------------------------------------
# A list page's body reads only rows that bump their branch's ``public_version`` when they
# change (commitments, batches, records, ratings and comments, members, posts and
# departments: commitments/models.py), the settings, the day and who is looking. Keyed by
# all of these, a body rendered once serves every later request until one of them moves:
# the first request after any change renders afresh, so a body is never stale.


@functools.cache
def _versions_query() -> sa.Select:
    return sa.select(Branch.id, Branch.public_version).order_by(Branch.id)


def branch_versions(user: "User") -> tuple[tuple[int, int], ...]:
    """(id, public_version) of every branch the user's lists cover: one plain query."""
    stmt = _scoped(_versions_query(), Branch.id, user)
    return tuple((bid, version) for bid, version in db.session.execute(stmt))


def page_body(name: str, user: "User", render, *parts) -> Markup:  # noqa: ANN001
    """``render()`` (the page's body) cached per data version of the user's branches,
    for users who see the same body (role, branch, member: the recusal marks), with
    ``parts`` (the request's arguments). The CSRF token is this visitor's on every hit."""
    from partybuild.core import settings as settings_store
    from partybuild.core.timeutil import local_today

    key = (
        name,
        user.role,
        user.branch_id,
        user.member_id,
        branch_versions(user),
        local_today(),
        settings_store.stamp(),  # every setting: the stored values and the app config
        settings_store.config_key(),
        *parts,
    )
    return pagecache.html(key, render)


def batch_figures(
    items: "list[CommitmentBatch]",
) -> tuple[dict[int, dict[str, int]], dict[int, object]]:
    """For the batches on a page: live commitments per state, and rate summaries, both
    by batch id (two grouped queries over those batches only, cached per version)."""
    from partybuild.commitments import rates

    ids = [b.id for b in items]

    def make() -> tuple[dict[int, dict[str, int]], dict[int, object]]:
        counts: dict[int, dict[str, int]] = {i: {} for i in ids}
        rows = db.session.execute(
            sa.select(Commitment.batch_id, Commitment.state, sa.func.count())
            .where(Commitment.batch_id.in_(ids), Commitment.is_withdrawn.is_(False))
            .group_by(Commitment.batch_id, Commitment.state)
        )
        for batch_id, state, n in rows:
            counts[batch_id][CommitmentState(state).value] = n
        return counts, rates.rates_by("batch", batch_ids=ids)

    if not ids:
        return {}, {}
    branches = list({b.branch_id: b.branch for b in items}.values())
    return versioned("commitments.batches", branches, make, tuple(ids))


# --- 代填: the branch's members for the secretary to pick -------------------------------


def branch_members(branch_id: int, q: str = "") -> sa.Select:
    """Active members of a branch, searched by name, for the 代填 picker."""
    stmt = sa.select(Member).where(Member.branch_id == branch_id, Member.is_active.is_(True))
    if q:
        stmt = stmt.where(contains(Member.name, q))
    return stmt.order_by(Member.is_leader.desc(), Member.name, Member.id)


@dataclass(frozen=True)
class BatchProgress:
    """What one member has in one batch (withdrawn items not counted)."""

    items: int = 0
    proxy_drafts: int = 0  # drafts entered by the secretary, not yet submitted


def batch_progress(batch_id: int, member_ids: list[int]) -> dict[int, BatchProgress]:
    """One query for the members on a page."""
    if not member_ids:
        return {}
    proxy_draft = sa.and_(
        Commitment.state == CommitmentState.draft, Commitment.entered_by_id.is_not(None)
    )
    rows = db.session.execute(
        sa.select(
            Commitment.member_id,
            sa.func.count(Commitment.id),
            sa.func.sum(sa.case((proxy_draft, 1), else_=0)),
        )
        .where(
            Commitment.batch_id == batch_id,
            Commitment.member_id.in_(member_ids),
            Commitment.is_withdrawn.is_(False),
        )
        .group_by(Commitment.member_id)
    )
    return {mid: BatchProgress(n, int(drafts or 0)) for mid, n, drafts in rows}


def members_with_account(member_ids: list[int]) -> set[int]:
    """Which of these members can sign in (an active account); one query."""
    from partybuild.auth.models import User

    if not member_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(User.member_id).where(
                User.member_id.in_(member_ids), User.is_active_account.is_(True)
            )
        )
    )
