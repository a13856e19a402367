"""Building blocks for list pages: the one search helper, request-arg parsing, and the
audit-log list.

Each domain keeps its list queries in its own ``lists.py``: plain functions that take
plain filter values (a dataclass parsed from ``request.args``) and the user, and
return a ``Select`` that the view paginates. Views never build list queries.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from partybuild.core.audit import AuditEntry
from partybuild.core.forms import parse_id
from partybuild.core.timeutil import LOCAL_TZ


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
