"""Model-post and rating lists: plain filters in, a ``Select`` out; the view paginates."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.orm import selectinload

from partybuild.core.lists import contains, int_arg, text_arg
from partybuild.org.models import Branch, Member
from partybuild.ratings.models import (
    Appeal,
    AppealState,
    CommentState,
    ModelPost,
    ModelPostHolder,
    PostState,
    RatingRound,
    RatingSheet,
    RoundPost,
    RoundState,
)

if TYPE_CHECKING:
    from partybuild.auth.models import User


def _scoped(stmt: sa.Select, column: sa.ColumnElement, user: "User") -> sa.Select:
    scope = user.branch_scope
    return stmt if scope is None else stmt.where(column.in_(scope))


def branches(user: "User") -> sa.Select:
    return _scoped(sa.select(Branch).order_by(Branch.code), Branch.id, user)


def post_options() -> tuple:
    return (
        selectinload(ModelPost.holders).selectinload(ModelPostHolder.member),
        selectinload(ModelPost.branch),
        selectinload(ModelPost.post),
    )


def flagged_post_ids() -> sa.Select:
    """Posts whose latest closed round flagged them (score below the revocation line):
    the ones the secretary is advised to revoke (建议收回牌子)."""
    later = sa.orm.aliased(RoundPost)
    later_round = sa.orm.aliased(RatingRound)
    newer = (
        sa.select(later.id)
        .join(later_round, later_round.id == later.round_id)
        .where(
            later.model_post_id == RoundPost.model_post_id,
            later_round.state == RoundState.closed,
            later_round.closed_at > RatingRound.closed_at,
        )
    )
    return (
        sa.select(RoundPost.model_post_id)
        .join(RatingRound, RatingRound.id == RoundPost.round_id)
        .where(
            RoundPost.flagged.is_(True),
            RatingRound.state == RoundState.closed,
            ~newer.exists(),
        )
    )


def flagged_condition() -> sa.ColumnElement[bool]:
    return sa.and_(ModelPost.state == PostState.designated, ModelPost.id.in_(flagged_post_ids()))


def open_appeal_condition() -> sa.ColumnElement[bool]:
    return ModelPost.id.in_(sa.select(Appeal.model_post_id).where(Appeal.state == AppealState.open))


@dataclass(frozen=True)
class PostFilters:
    branch: int | None = None
    state: PostState | None = None
    q: str = ""  # part of the post's title or a holder's name
    flagged: bool = False  # advised for revocation by the latest closed round
    open_appeal: bool = False  # with an appeal still to be answered

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "PostFilters":
        try:
            state = PostState(args.get("state") or "") if args.get("state") else None
        except ValueError:
            state = None
        return cls(
            branch=int_arg(args, "branch"),
            state=state,
            q=text_arg(args, "q")[:40],
            flagged=args.get("flagged") == "1",
            open_appeal=args.get("appeal") == "open",
        )


def posts(filters: PostFilters, user: "User") -> sa.Select:
    stmt = (
        sa.select(ModelPost)
        .options(*post_options())
        .order_by(ModelPost.branch_id, ModelPost.state, ModelPost.id.desc())
    )
    stmt = _scoped(stmt, ModelPost.branch_id, user)
    if filters.branch is not None:
        stmt = stmt.where(ModelPost.branch_id == filters.branch)
    if filters.state is not None:
        stmt = stmt.where(ModelPost.state == filters.state)
    if filters.flagged:
        stmt = stmt.where(flagged_condition())
    if filters.open_appeal:
        stmt = stmt.where(open_appeal_condition())
    if filters.q:
        holder = (
            sa.select(ModelPostHolder.model_post_id)
            .join(Member, Member.id == ModelPostHolder.member_id)
            .where(contains(Member.name, filters.q))
        )
        stmt = stmt.where(sa.or_(contains(ModelPost.title, filters.q), ModelPost.id.in_(holder)))
    return stmt


def my_posts(user: "User") -> sa.Select:
    return (
        sa.select(ModelPost)
        .join(ModelPostHolder, ModelPostHolder.model_post_id == ModelPost.id)
        .where(ModelPostHolder.member_id == user.member_id)
        .options(*post_options())
        .order_by(ModelPost.id.desc())
    )


def rounds(user: "User", branch_id: int | None = None) -> sa.Select:
    stmt = (
        sa.select(RatingRound)
        .options(selectinload(RatingRound.branch), selectinload(RatingRound.criterion_set))
        .order_by(RatingRound.opens_on.desc(), RatingRound.id.desc())
    )
    stmt = _scoped(stmt, RatingRound.branch_id, user)
    if branch_id is not None:
        stmt = stmt.where(RatingRound.branch_id == branch_id)
    return stmt


def moderation_queue(state: CommentState, user: "User") -> sa.Select:
    stmt = (
        sa.select(RatingSheet)
        .join(ModelPost, ModelPost.id == RatingSheet.model_post_id)
        .where(RatingSheet.comment_state == state)
        .options(selectinload(RatingSheet.model_post), selectinload(RatingSheet.round))
        .order_by(RatingSheet.id.desc())
    )
    return _scoped(stmt, ModelPost.branch_id, user)
