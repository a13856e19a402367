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
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    start: datetime | None = None  # first local day shown
    end: datetime | None = None  # last local day shown

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "AuditFilters":
        return cls(
            actor=text_arg(args, "actor"),
            action=args.get("action") or "",
            object_type=args.get("object_type") or "",
            object_id=text_arg(args, "object_id"),
            start=_day_arg(args, "start"),
            end=_day_arg(args, "end"),
        )


def audit_entries(filters: AuditFilters) -> sa.Select:
    """The audit log, newest first (only admins and reviewers open it: no branch scope)."""
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.actor:
        stmt = stmt.where(contains(AuditEntry.actor_name, filters.actor))
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.object_type:
        stmt = stmt.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id:
        stmt = stmt.where(AuditEntry.object_id == filters.object_id)
    if filters.start:
        stmt = stmt.where(AuditEntry.created_at >= filters.start.replace(tzinfo=LOCAL_TZ))
    if filters.end:
        stmt = stmt.where(
            AuditEntry.created_at
            < datetime.combine(filters.end.date() + timedelta(days=1), time(), LOCAL_TZ)
        )
    return stmt


def distinct_values(column: sa.ColumnElement) -> list[Any]:
    """The distinct values of an indexed column, by skipping through its index (one
    probe per value: a recursive CTE of ``min(col) WHERE col > previous``), not a
    DISTINCT over every row. For a column with few values in a large table."""
    found = sa.select(sa.func.min(column).label("v")).cte("found", recursive=True)
    following = sa.select(
        sa.select(sa.func.min(column)).where(column > found.c.v).scalar_subquery()
    ).where(found.c.v.is_not(None))
    found = found.union_all(following)
    return list(db.session.scalars(sa.select(found.c.v).where(found.c.v.is_not(None))))


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
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(first.subquery()))
    total = counted if counted <= COUNT_CAP else None
    return Peek(page, per_page, rows[:per_page], len(rows) > per_page, total)
