"""The pending-import store shared by every spreadsheet import (upload → preview →
confirm): the checked rows wait in ``pending_imports`` between preview and confirm.

Confirming claims the import with a conditional UPDATE (pending → done) in the same
transaction that creates the domain rows, so a confirm sent twice (or four times at
once) imports once; the others get "该导入已完成，不能重复确认。". On PostgreSQL a
concurrent confirm waits on the row and then finds it done; on SQLite the UPDATE takes
the database's write lock. A failed import rolls the claim back with everything else,
so the import stays pending. Kept in the database, not on one instance's disk, so any
app instance can confirm it.

Each domain names its imports by a ``kind`` ("roster", "risk_points", "key_tasks").
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from partybuild.core import audit
from partybuild.core.db import LabelledEnum, str_enum, utcnow
from partybuild.core.service import ServiceError
from partybuild.extensions import db

PENDING_DAYS = 2  # a preview not confirmed within this many days is dropped
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{10,64}")


class ImportState(LabelledEnum):
    pending = "pending", "待确认"
    done = "done", "已导入"


class PendingImport(db.Model):
    """A previewed import waiting for its confirmation."""

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    branch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("branches.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    row_count: Mapped[int] = mapped_column(default=0)
    # The checked rows, cleared once imported.
    rows: Mapped[list | None] = mapped_column(sa.JSON)
    state: Mapped[ImportState] = mapped_column(str_enum(ImportState), default=ImportState.pending)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    confirmed_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<PendingImport {self.id} {self.kind} {self.state}>"


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class ImportPreview:
    """What a preview found: the valid rows (to keep), the refused rows with their row
    numbers, and how many data rows the file had."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and self.total > 0


def blank_row(row: Any) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def purge_old(days: int = PENDING_DAYS) -> int:
    """Drop imports previewed more than ``days`` ago (confirmed or not)."""
    return db.session.execute(
        sa.delete(PendingImport).where(PendingImport.created_at < utcnow() - timedelta(days))
    ).rowcount


def save_pending(
    kind: str,
    rows: list[dict[str, Any]],
    actor: Any,
    filename: str,
    branch_id: int | None = None,
) -> str:
    """Keep the checked rows until ``actor`` confirms them; returns the confirm token.
    Runs in the caller's transaction."""
    purge_old()
    token = secrets.token_urlsafe(16)
    db.session.add(
        PendingImport(
            kind=kind,
            token=token,
            user_id=actor.id,
            branch_id=branch_id,
            filename=(filename or "")[:255],
            row_count=len(rows),
            rows=audit.json_safe(rows),
        )
    )
    db.session.flush()
    return token


def load_pending(kind: str, token: str, actor: Any) -> PendingImport:
    """The pending import behind ``token``; another user's token or another kind's is
    refused like an unknown one."""
    if not _TOKEN_RE.fullmatch(token or ""):
        raise ServiceError("导入批次无效，请重新上传文件", "import_invalid")
    pending = db.session.scalar(sa.select(PendingImport).where(PendingImport.token == token))
    if pending is None or pending.user_id != actor.id or pending.kind != kind:
        raise ServiceError("导入批次无效或已过期，请重新上传文件", "import_invalid")
    return pending


def claim(pending: PendingImport) -> list[dict[str, Any]]:
    """Mark the import done, atomically, and return its rows; raises if another
    confirmation claimed it first. Call it in the transaction that creates the rows."""
    table = PendingImport.__table__
    claimed = db.session.execute(
        sa.update(table)
        .where(table.c.id == pending.id, table.c.state == ImportState.pending.value)
        .values(state=ImportState.done.value, confirmed_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise ServiceError("该导入已完成，不能重复确认。", "import_done")
    # Read after the claim: the rows of the import this transaction now owns.
    rows = db.session.execute(sa.select(table.c.rows).where(table.c.id == pending.id)).scalar()
    db.session.execute(sa.update(table).where(table.c.id == pending.id).values(rows=None))
    db.session.expire(pending)
    return list(rows or [])
