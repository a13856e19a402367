"""Hash-chained audit trail.

Each entry stores the hash of the previous one, so altering or removing a row
breaks the chain at that point; ``verify_chain`` finds the first break.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from partybuild.core.db import utcnow
from partybuild.extensions import db

logger = logging.getLogger(__name__)

GENESIS = "0" * 64

# Chinese names of audit actions for screens; domains add theirs with register_action_labels.
ACTION_LABELS: dict[str, str] = {
    "create": "新建", "update": "修改", "rename": "改名", "retire": "退出名册",
    "reinstate": "恢复到名册", "activate": "启用", "deactivate": "停用", "close": "关闭",
    "import": "导入", "export": "导出", "export_finished": "导出完成", "download": "下载",
    "login": "登录", "login_failed": "登录失败", "account_locked": "账户锁定",
    "login_refused_locked": "锁定期间尝试登录", "login_refused_inactive": "停用账户尝试登录",
    "login_refused_demo_password": "非演示账户使用演示密码", "change_password": "修改密码",
    "reset_password": "重置密码", "seed_demo": "加载演示数据", "run_job": "运行定时任务",
    "moderate": "审核评论", "record_gift": "登记礼物发放",
}  # fmt: skip


def register_action_labels(labels: dict[str, str]) -> None:
    ACTION_LABELS.update({str(k): v for k, v in labels.items()})


_PG_LOCK_KEY = 7_301_001  # serialises chain appends on PostgreSQL


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(80), default="")
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    branch_id: Mapped[int | None] = mapped_column(index=True)
    summary: Mapped[str] = mapped_column(sa.String(255), default="")
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    def compute_hash(self) -> str:
        payload = {
            "prev": self.prev_hash,
            "at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "branch_id": self.branch_id,
            "summary": self.summary,
            "before": self.before,
            "after": self.after,
            "ip": self.ip,
        }
        raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for the fields that differ."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class AuditHead(db.Model):
    """The chain's newest hash and length, written with every entry, so that
    removing entries from the end of the chain is detected too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    entries: Mapped[int] = mapped_column(default=0)
    last_id: Mapped[int | None]
    last_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)


def json_safe(value: Any) -> Any:
    """Make a value storable in a JSON column with a stable representation."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return json_safe({f: getattr(obj, f) for f in fields})


def record(
    action: str,
    object_type: str,
    object_id: Any = None,
    *,
    actor: Any = None,
    branch_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
) -> AuditEntry:
    """Append an entry to the chain in the current transaction (the caller commits)."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    else:
        # pysqlite begins the transaction only at the first write: take the write
        # lock before reading the chain head, or two writers link to the same entry.
        session.execute(sa.text("UPDATE audit_entries SET id = id WHERE 0 = 1"))
    last = session.execute(
        sa.select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=actor.id if is_user else None,
        actor_name=(actor.username if is_user else (actor if isinstance(actor, str) else "系统")),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        branch_id=branch_id,
        summary=summary[:255],
        before=json_safe(before) if before is not None else None,
        after=json_safe(after) if after is not None else None,
        ip=request.remote_addr if has_request_context() else None,
        prev_hash=last or GENESIS,
    )
    # Hash what the database will give back (UTC, microseconds).
    entry.hash = entry.compute_hash()
    session.add(entry)
    session.flush()
    head = session.get(AuditHead, 1)
    if head is None:  # first entry, or a database from before the head existed
        count = session.scalar(sa.select(sa.func.count(AuditEntry.id))) or 0
        head = AuditHead(id=1, entries=count - 1)
        session.add(head)
    head.entries += 1
    head.last_id = entry.id
    head.last_hash = entry.hash
    session.flush()
    return entry


@dataclass
class VerifyResult:
    checked: int
    first_bad_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain() -> VerifyResult:
    prev = GENESIS
    checked = 0
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    with db.session.scalars(stmt) as entries:  # closes the server-side cursor on early return
        for entry in entries:
            checked += 1
            if entry.prev_hash != prev:
                return VerifyResult(checked, entry.id, "前一条记录缺失或被修改（链接断开）")
            if entry.compute_hash() != entry.hash:
                return VerifyResult(checked, entry.id, "记录内容被修改（哈希不符）")
            prev = entry.hash
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.entries != checked or head.last_hash != prev):
        return VerifyResult(
            checked, head.last_id, f"链尾记录缺失：应有 {head.entries} 条，实有 {checked} 条"
        )
    return VerifyResult(checked)
