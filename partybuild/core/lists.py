"""Building blocks for list pages: the one search helper, request-arg parsing, and the
audit-log list.

Each domain keeps its list queries in its own ``lists.py``: plain functions that take
plain filter values (a dataclass parsed from ``request.args``) and the user, and
return a ``Select`` that the view paginates. Views never build list queries.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from partybuild.core import audit
from partybuild.core.audit import AuditEntry
from partybuild.core.forms import parse_id
from partybuild.core.timeutil import LOCAL_TZ
from partybuild.extensions import db


def contains(
    columns: sa.ColumnElement | Sequence[sa.ColumnElement], text: str
) -> sa.ColumnElement[bool]:
    """Rows where any of ``columns`` contains ``text`` literally, ignoring case.

    ``%``, ``_`` and the escape character itself are escaped (``autoescape``), so a
    search box typed with ``%`` finds names containing ``%`` instead of every row.
    """
    cols = list(columns) if isinstance(columns, list | tuple) else [columns]
    return sa.or_(*(c.icontains(text, autoescape=True) for c in cols))


def int_arg(args: Mapping[str, str], name: str) -> int | None:
    """An id from the query string; junk and ids beyond any table's range are None."""
    return parse_id(args.get(name))


def text_arg(args: Mapping[str, str], name: str) -> str:
    return (args.get(name) or "").strip()


def _day_arg(args: Mapping[str, str], name: str) -> datetime | None:
    try:
        value = args.get(name)
        return datetime.strptime(value, "%Y-%m-%d") if value else None
    except ValueError:
        return None


# --- the audit log ------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # name or account typed in the box
    actor_id: int | None = None  # a person chosen from the list (or a link)
    branch_id: int | None = None
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    upto: int | None = None  # start the list at this entry (a broken link found by 校验)
    start: datetime | None = None  # first local day shown
    end: datetime | None = None  # last local day shown

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "AuditFilters":
        return cls(
            actor=text_arg(args, "actor")[:40],
            actor_id=int_arg(args, "actor_id"),
            branch_id=int_arg(args, "branch_id"),
            action=(args.get("action") or "")[:64],
            object_type=(args.get("object_type") or "")[:64],
            object_id=text_arg(args, "object_id")[:64],
            upto=int_arg(args, "entry"),
            start=_day_arg(args, "start"),
            end=_day_arg(args, "end"),
        )


def audit_entries(filters: AuditFilters) -> sa.Select:
    """The audit log, newest first (only admins and reviewers open it: no branch scope)."""
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.actor:
        # The typed text matches the account name kept in the entry, or the person's
        # name through the accounts table (a short list of ids, not a join on the log).
        people = audit.OBJECT_TYPES.get("user")
        ids = people.search(filters.actor) if people is not None and people.search else []
        matches = contains(AuditEntry.actor_name, filters.actor)
        if ids:
            matches = sa.or_(matches, AuditEntry.actor_id.in_(ids))
        stmt = stmt.where(matches)
    if filters.actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == filters.actor_id)
    if filters.branch_id is not None:
        stmt = stmt.where(AuditEntry.branch_id == filters.branch_id)
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.object_type:
        stmt = stmt.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id:
        stmt = stmt.where(AuditEntry.object_id == filters.object_id)
    if filters.upto is not None:
        stmt = stmt.where(AuditEntry.id <= filters.upto)
    if filters.start:
        stmt = stmt.where(AuditEntry.created_at >= filters.start.replace(tzinfo=LOCAL_TZ))
    if filters.end:
        stmt = stmt.where(
            AuditEntry.created_at
            < datetime.combine(filters.end.date() + timedelta(days=1), time(), LOCAL_TZ)
        )
    return stmt


COUNT_CAP = 1000


@dataclass
class Peek:
    """A page of a long list without counting all of it: one row more than the page is
    read to know whether a next page exists, and rows are counted only up to
    ``COUNT_CAP`` (``total`` is None beyond). Used with the ``pager`` template macro."""

    page: int
    per_page: int
    items: list[Any] = field(default_factory=list)
    has_next: bool = False
    total: int | None = None
    cap: int = COUNT_CAP

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def peek_page(stmt: sa.Select, args: Mapping[str, str], per_page: int) -> Peek:
    page = min(int_arg(args, "page") or 1, 1_000_000) or 1
    rows = list(db.session.scalars(stmt.limit(per_page + 1).offset((page - 1) * per_page)))
    first = stmt.order_by(None).limit(COUNT_CAP + 1)
    if not first._distinct:  # a row counts whatever its columns: read none of them
        first = first.with_only_columns(sa.literal(1), maintain_column_froms=True)
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(first.subquery()))
    total = counted if counted <= COUNT_CAP else None
    return Peek(page, per_page, rows[:per_page], len(rows) > per_page, total)
