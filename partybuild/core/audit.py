"""Keyed, hash-chained audit trail.

Each entry stores the hash of the previous one, so altering or removing a row
breaks the chain at that point; ``verify_chain`` finds the first break. Hashes are
HMAC-SHA256 with the audit key (``AUDIT_KEY``, never stored in the database), and
the chain head (count, last id, last hash) carries an HMAC too, so someone with
write access to the database but not the key cannot rewrite or cut off the tail
and make the head agree.

Each entry stores the id of the key that signed it; old keys stay verifiable
through ``AUDIT_KEYRING`` (see README, "审计密钥轮换"). Entries written before keys
existed have no key id and verify with the old plain SHA-256 rule; they may only
precede keyed entries, and the head signature (first made by the migration that
introduced keys) covers them.
"""

import hashlib
import hmac
import json
import logging
import re
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


# Labels that hold only for one object type, where an action name is shared by domains
# (a meeting's "edit" is not a commitment's).
_TYPED_LABELS: dict[tuple[str, str], str] = {}


def register_action_labels(labels: dict[str, str], *, object_type: str | None = None) -> None:
    if object_type is None:
        ACTION_LABELS.update({str(k): v for k, v in labels.items()})
    else:
        _TYPED_LABELS.update({(object_type, str(k)): v for k, v in labels.items()})


def action_label_of(object_type: str | None, action: str) -> str:
    return _TYPED_LABELS.get((object_type or "", action)) or ACTION_LABELS.get(action, action)


def key_id_of(key: bytes) -> str:
    """A short public name for a key (stored with each entry); reveals nothing useful."""
    return hashlib.sha256(b"partybuild-audit-key-id\0" + key).hexdigest()[:12]


def _as_keys(value: Any) -> list[bytes]:
    if not value:
        return []
    if isinstance(value, str):
        value = re.split(r"[\s,]+", value)
    return [str(v).strip().encode() for v in value if str(v).strip()]


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def keyring() -> Keyring:
    """The current audit key (``AUDIT_KEY``) and the retired ones (``AUDIT_KEYRING``)."""
    from partybuild.core.settings import setting

    current = _as_keys(setting("AUDIT_KEY"))
    if not current:
        raise RuntimeError("AUDIT_KEY is not configured")
    keys = {key_id_of(k): k for k in _as_keys(setting("AUDIT_KEYRING"))}
    current_id = key_id_of(current[0])
    keys[current_id] = current[0]
    return Keyring(current_id, keys)


def entry_hash(e: Any, key: bytes | None) -> str:
    """The hash of an entry (an AuditEntry or a row with its columns): HMAC-SHA256 with
    ``key`` when it has a key id, else the plain SHA-256 of entries from before keys."""
    payload = {
        "prev": e.prev_hash,
        "at": e.created_at.isoformat(timespec="microseconds"),
        "actor_id": e.actor_id,
        "actor_name": e.actor_name,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "branch_id": e.branch_id,
        "summary": e.summary,
        "before": e.before,
        "after": e.after,
        "ip": e.ip,
    }
    if e.key_id is not None:
        payload["key"] = e.key_id
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    if e.key_id is None:
        return hashlib.sha256(raw).hexdigest()
    if key is None:
        raise ValueError("a keyed entry needs its key")
    return hmac.new(key, raw, hashlib.sha256).hexdigest()


def head_mac(key: bytes, entries: int, last_id: int | None, last_hash: str) -> str:
    """The signature of the chain head: its length and where it ends."""
    message = f"audit-head|{entries}|{'' if last_id is None else last_id}|{last_hash}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        # One object's history, newest first (a member's page, the log filtered by object).
        sa.Index("ix_audit_entries_object", "object_type", "object_id", "id"),
    )

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
    # Which audit key signed the entry; NULL for entries from before keys (plain SHA-256).
    key_id: Mapped[str | None] = mapped_column(sa.String(16))

    def compute_hash(self, key: bytes | None = None) -> str:
        """HMAC-SHA256 with ``key`` (by default the keyring's key for ``key_id``);
        the legacy plain SHA-256 for an entry without a key id."""
        if self.key_id is not None and key is None:
            key = keyring().keys[self.key_id]
        return entry_hash(self, key)

    @property
    def action_label(self) -> str:
        return action_label_of(self.object_type, self.action)

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for the fields that differ."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class AuditHead(db.Model):
    """The chain's newest hash and length, written and signed with every entry, so
    that removing entries from the end of the chain is detected too. Its row is the
    lock appends take: reading it is the only look at the chain an append needs."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    entries: Mapped[int] = mapped_column(default=0)
    last_id: Mapped[int | None]
    last_hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)
    key_id: Mapped[str | None] = mapped_column(sa.String(16))
    mac: Mapped[str | None] = mapped_column(sa.String(64))

    def sign(self, ring: Keyring) -> None:
        self.key_id = ring.current_id
        self.mac = head_mac(ring.current, self.entries, self.last_id, self.last_hash)


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
    """Append an entry to the chain in the current transaction (the caller commits).

    Constant work whatever the chain's length: lock and read the head row, insert
    the entry, update the head.
    """
    ring = keyring()
    head = _locked_head()
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
        prev_hash=head.last_hash,
        key_id=ring.current_id,
    )
    # Hash what the database will give back (UTC, microseconds).
    entry.hash = entry.compute_hash(ring.current)
    session = db.session
    session.add(entry)
    session.flush()
    head.entries += 1
    head.last_id = entry.id
    head.last_hash = entry.hash
    head.sign(ring)
    session.flush()
    return entry


def _locked_head() -> AuditHead:
    """The head row, locked for this transaction (created empty on a new database).

    A missing head on a non-empty chain is not rebuilt from the entries: the next
    entry then links to GENESIS and ``verify_chain`` reports the break."""
    session = db.session
    table = AuditHead.__table__
    postgres = session.get_bind().dialect.name == "postgresql"
    select = sa.select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)
    if postgres:
        select = select.with_for_update()
    else:
        # pysqlite begins the transaction only at the first write: take the write
        # lock before reading the head, or two writers link to the same entry.
        session.execute(sa.update(table).where(table.c.id == 1).values(entries=table.c.entries))
    head = session.scalars(select).one_or_none()
    if head is None:
        if postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(
            insert(table).values(id=1, entries=0, last_hash=GENESIS).on_conflict_do_nothing()
        )
        head = session.scalars(select).one()
    return head


@dataclass
class VerifyResult:
    checked: int
    first_bad_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None and not self.reason


def verify_chain() -> VerifyResult:
    """Walk the chain in order; the first entry that does not check, or a head that
    does not match the chain or its signature, fails it."""
    ring = keyring()
    prev = GENESIS
    checked = 0
    keyed = False  # once an entry is keyed, every later one must be
    # Plain rows, not ORM objects: a city's chain has millions of entries.
    table = AuditEntry.__table__
    stmt = sa.select(table).order_by(table.c.id).execution_options(yield_per=2000)
    with db.session.execute(stmt) as entries:  # closes the server-side cursor on early return
        for entry in entries:
            checked += 1
            if entry.prev_hash != prev:
                return VerifyResult(checked, entry.id, "前一条记录缺失或被修改（链接断开）")
            if entry.key_id is None:
                if keyed:
                    return VerifyResult(checked, entry.id, "记录缺少密钥标识（哈希不符）")
                expected = entry_hash(entry, None)
            else:
                keyed = True
                key = ring.keys.get(entry.key_id)
                if key is None:
                    return VerifyResult(
                        checked,
                        entry.id,
                        f"签名密钥 {entry.key_id} 不在密钥环中，无法校验（请在 AUDIT_KEYRING 中保留旧密钥）",
                    )
                expected = entry_hash(entry, key)
            if not hmac.compare_digest(expected, entry.hash):
                return VerifyResult(checked, entry.id, "记录内容被修改（哈希不符）")
            prev = entry.hash
    head = db.session.get(AuditHead, 1)
    if head is None:
        if checked:
            return VerifyResult(checked, None, "链头记录缺失")
        return VerifyResult(checked)
    if head.entries != checked or head.last_hash != prev:
        return VerifyResult(
            checked, head.last_id, f"链尾记录缺失：应有 {head.entries} 条，实有 {checked} 条"
        )
    if checked:
        key = ring.keys.get(head.key_id or "")
        expected = head_mac(key, head.entries, head.last_id, head.last_hash) if key else ""
        if not head.mac or not hmac.compare_digest(expected, head.mac):
            return VerifyResult(checked, head.last_id, "链头签名不符（链尾可能被删除或改写）")
    return VerifyResult(checked)
