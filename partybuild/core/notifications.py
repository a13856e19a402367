"""In-app notifications shared by every domain.

``dedupe_key`` makes a reminder idempotent per object and period: a second
``notify`` with the same key is a no-op, so jobs can run twice harmlessly.
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from partybuild.core import dataversion
from partybuild.core.db import insert_ignoring_duplicates, insert_many_ignoring_duplicates, utcnow
from partybuild.extensions import db

logger = logging.getLogger(__name__)


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (sa.UniqueConstraint("user_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(255), default="")
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


# The unread count (every page's badge) and the workbench panel are cached per version.
dataversion.track("notifications", Notification)


def notify(
    user_id: int,
    kind: str,
    title: str,
    *,
    body: str = "",
    link: str = "",
    dedupe_key: str | None = None,
) -> int | None:
    """Add a notification unless one with the same (user, dedupe_key) exists; the new
    notification's id, or None when it was a duplicate. One statement: the unique
    constraint skips the duplicate (no SELECT first)."""
    session = db.session
    stmt = insert_ignoring_duplicates(Notification, session.get_bind().dialect.name).values(
        user_id=user_id,
        kind=kind,
        title=title,
        body=body,
        link=link,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
    )
    return session.execute(stmt.returning(Notification.id)).scalar()


def notify_each(
    users: sa.Select,
    kind: str,
    title: str,
    *,
    body: str = "",
    link: str = "",
    dedupe_key: str | None = None,
    params: dict[str, Any] | None = None,
) -> int:
    """``notify`` every user id that ``users`` selects (with its ``params``), in one
    ``INSERT … SELECT``; how many were added (duplicates are skipped). Pass a statement
    built once, with bind parameters for what varies: its INSERT is built once too."""
    session = db.session
    stmt = _insert_from(users, session.get_bind().dialect.name)
    values = {
        "n_kind": kind,
        "n_title": title,
        "n_body": body,
        "n_link": link,
        "n_dedupe_key": dedupe_key,
        "n_created_at": utcnow(),
    }
    return len(session.execute(stmt, {**(params or {}), **values}).all())


@lru_cache(maxsize=32)
def _insert_from(users: sa.Select, dialect: str) -> sa.Insert:
    """The ``INSERT … SELECT … RETURNING id`` of ``notify_each`` for ``users``, the
    notification's texts as bind parameters (building it costs more than running it)."""
    source = users.subquery()
    rows = sa.select(
        next(iter(source.c)),
        sa.bindparam("n_kind", type_=sa.String),
        sa.bindparam("n_title", type_=sa.String),
        sa.bindparam("n_body", type_=sa.Text),
        sa.bindparam("n_link", type_=sa.String),
        sa.bindparam("n_dedupe_key", type_=sa.String),
        sa.bindparam("n_created_at", type_=sa.DateTime),
    ).where(sa.true())  # SQLite parses INSERT … SELECT … ON CONFLICT only with a WHERE
    table = Notification.__table__
    columns = ["user_id", "kind", "title", "body", "link", "dedupe_key", "created_at"]
    return (
        insert_ignoring_duplicates(table, dialect).from_select(columns, rows).returning(table.c.id)
    )


def notify_many(rows: Iterable[dict[str, Any]], *, chunk: int = 1000) -> int:
    """Add many notifications in bulk; return how many were added.

    Each row is a dict of ``user_id, kind, title`` and optionally ``body, link,
    dedupe_key``. A row whose (user, dedupe_key) already exists is skipped by the
    unique constraint (no SELECT per row), so a job can run twice harmlessly.
    """
    now = utcnow()
    batch: list[dict[str, Any]] = []
    added = 0

    def flush_batch() -> int:
        n = len(insert_many_ignoring_duplicates(db.session, Notification, batch, [Notification.id]))
        batch.clear()
        return n

    for row in rows:
        batch.append(
            {"body": "", "link": "", "dedupe_key": None, "created_at": now, "read_at": None, **row}
        )
        if len(batch) >= chunk:
            added += flush_batch()
    return added + flush_batch()


def unread_count(user_id: int) -> int:
    def count() -> int:
        return (
            db.session.scalar(
                sa.select(sa.func.count(Notification.id)).where(
                    Notification.user_id == user_id, Notification.read_at.is_(None)
                )
            )
            or 0
        )

    if dataversion.prefetched("notifications"):
        # The page read the version already (the workbench): the count is free when
        # no notification changed since it was counted.
        return dataversion.cached(
            "notifications.unread", ("notifications",), count, user_id, region="workbench"
        )
    return count()


def mark_read(note: Notification) -> None:
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
