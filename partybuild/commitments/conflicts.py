"""回避 (conflict of interest): nobody approves, scores or moderates comments on their
own commitment. On a branch secretary's own commitment the branch's deputy (副书记 or
支委委员, ``BranchDeputy``) acts as the secretary; where the branch names none, the
higher-level organisation does: an admin, or a reviewer granted ``acts_for_secretaries``.

Who acts in whose stead is worked out here and read by ``Commitment.actors``; the
facts are cached on the loaded commitment for its session's life (a page asks many
times; one query answers them all).
"""

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import sqlalchemy as sa

from partybuild.core.permissions import Role
from partybuild.extensions import db
from partybuild.org.models import BranchDeputy

if TYPE_CHECKING:
    from partybuild.auth.models import User
    from partybuild.commitments.models import Commitment

_CACHE = "_conflict_facts"


@dataclass(frozen=True)
class Deputy:
    member_id: int
    title: str


def _holds_secretary_account(account, member_id, branch_id) -> sa.Exists:
    """SQL: the member holds the branch's secretary account (``account`` is ``User`` or
    an alias of it; ids are values, bind parameters or columns)."""
    return sa.exists().where(
        account.member_id == member_id,
        account.role == Role.secretary,
        account.branch_id == branch_id,
    )


def _facts(c: "Commitment") -> tuple[bool, Deputy | None]:
    """(the member holds this branch's secretary account, the branch's deputy), in one
    query, cached on the loaded commitment."""
    cached = c.__dict__.get(_CACHE)
    if cached is not None and cached[0] == (c.member_id, c.branch_id):
        return cached[1]
    if sa.inspect(c).transient:  # never saved: nobody's account is recorded against it
        return False, None
    from partybuild.auth.models import User

    owned = _holds_secretary_account(User, c.member_id, c.branch_id)
    deputy = sa.select(BranchDeputy).where(BranchDeputy.branch_id == c.branch_id)
    # No autoflush: the facts are about accounts and deputies, not the commitment a
    # service is changing (its pending changes are flushed once, with the event).
    with db.session.no_autoflush:
        row = db.session.execute(
            sa.select(
                owned,
                deputy.with_only_columns(BranchDeputy.member_id).scalar_subquery(),
                deputy.with_only_columns(BranchDeputy.title).scalar_subquery(),
            )
        ).one()
    facts = (bool(row[0]), Deputy(row[1], row[2]) if row[1] is not None else None)
    c.__dict__[_CACHE] = ((c.member_id, c.branch_id), facts)
    return facts


def is_secretary_owned(c: "Commitment") -> bool:
    return _facts(c)[0]


def deputy_of(c: "Commitment") -> Deputy | None:
    return _facts(c)[1]


def stead_role(c: "Commitment", user: "User | None") -> str | None:
    """How ``user`` acts for the secretary on her own commitment ``c`` ("副书记",
    "上级党组织"), or None when they do not (or need not: it is not hers)."""
    if user is None or not user.is_authenticated or not c.member_id:
        return None
    if user.member_id is not None and user.member_id == c.member_id:
        return None  # never on one's own
    could = (
        user.is_admin
        or (user.role == Role.reviewer and bool(user.acts_for_secretaries))
        or (user.member_id is not None and user.branch_id == c.branch_id)
    )
    if not could:  # most users: no query
        return None
    owned, deputy = _facts(c)
    if not owned:
        return None
    if deputy is not None and user.member_id == deputy.member_id:
        return deputy.title
    if user.is_admin:
        return "上级党组织（系统管理员）"
    if deputy is None and user.role == Role.reviewer and user.acts_for_secretaries:
        # The higher-level organisation steps in only where the branch names no deputy.
        return "上级党组织"
    return None


@cache
def _acting_statement() -> sa.Select:
    """Built once (building it costs more than running it): the query of
    ``acting_user_ids`` for the ``member_id`` and ``branch_id`` parameters."""
    from partybuild.auth.models import User

    member_id, branch_id = sa.bindparam("member_id"), sa.bindparam("branch_id")
    owned = _holds_secretary_account(sa.orm.aliased(User), member_id, branch_id)
    deputy = sa.select(BranchDeputy.member_id).where(BranchDeputy.branch_id == branch_id)
    who = sa.or_(
        sa.and_(~owned, User.role == Role.secretary, User.branch_id == branch_id),
        sa.and_(owned, User.member_id == deputy.scalar_subquery()),
        sa.and_(
            owned,
            ~deputy.exists(),
            sa.or_(
                User.role == Role.admin,
                sa.and_(User.role == Role.reviewer, User.acts_for_secretaries.is_(True)),
            ),
        ),
    )
    return (
        sa.select(User.id)
        .where(User.is_active_account.is_(True), who)
        .where(sa.or_(User.member_id.is_(None), User.member_id != member_id))
        .order_by(User.id)
    )


def acting_user_ids(member_id: int, branch_id: int) -> list[int]:
    """The active accounts to tell about work that the secretary does on a commitment of
    ``member_id`` in ``branch_id``: the branch's secretaries, or, on a secretary's own
    commitment, who acts in her stead (the deputy, else the higher-level organisation).
    One query."""
    return list(db.session.scalars(*acting_users(member_id, branch_id)))


def acting_users(member_id: int, branch_id: int) -> tuple[sa.Select, dict[str, int]]:
    """The query of ``acting_user_ids`` and its parameters (to select from it)."""
    return _acting_statement(), {"member_id": member_id, "branch_id": branch_id}


def stead_condition(user: "User") -> sa.ColumnElement[bool] | None:
    """SQL condition: commitments on which ``user`` acts for the secretary (her own), or
    None when the user acts in nobody's stead (the deputy's and a granted reviewer's
    lists and workbench panel use it; secretaries and admins have their branch lists)."""
    from partybuild.auth.models import User
    from partybuild.commitments.models import Commitment

    owned = _holds_secretary_account(
        sa.orm.aliased(User), Commitment.member_id, Commitment.branch_id
    )
    if user.role == Role.reviewer and user.acts_for_secretaries:
        return sa.and_(owned, Commitment.branch_id.not_in(sa.select(BranchDeputy.branch_id)))
    if user.member_id is None or user.role != Role.member:
        return None
    if not db.session.scalar(
        sa.select(sa.exists().where(BranchDeputy.member_id == user.member_id))
    ):
        return None  # an ordinary member: one small query
    return sa.and_(
        owned,
        Commitment.member_id != user.member_id,
        Commitment.branch_id.in_(
            sa.select(BranchDeputy.branch_id).where(BranchDeputy.member_id == user.member_id)
        ),
    )
