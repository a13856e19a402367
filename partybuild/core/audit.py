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
from dataclasses import dataclass, field
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


# --- how entries read on the audit page ----------------------------------------------
#
# Each domain registers its object types (Chinese name, field labels, value labels, a
# batch name loader and a link) with ``register_object_type`` in its own module; core
# knows none of them. Fields shared by every type (``branch_id`` …) are registered once
# with ``register_field_labels`` by the domain that owns what they point at.

# A value formatter: a LabelledEnum class, a {stored value: label} mapping, or a callable.
Formatter = Any


@dataclass
class ObjectType:
    key: str
    label: str  # 承诺
    fields: dict[str, str]
    values: dict[str, Formatter]
    refs: dict[str, str]  # field -> object type its value (an id, or a list of ids) names
    names: Any = None  # Callable[[list[str]], dict[str, str]]: ids -> names, one query
    link: Any = None  # (endpoint, id argument) or Callable[[str], str | None]
    order: int = 100
    # For the page's filters: a short list of (id, name) for a select, and a text search
    # returning matching ids (both read small tables, never the audit log).
    choices: Any = None  # Callable[[], list[tuple[int, str]]]
    search: Any = None  # Callable[[str], list[int]]
    hidden: set[str] = field(default_factory=set)  # fields the summary already tells
    listed: bool = True  # offered in the page's filter (False: only names other fields)


OBJECT_TYPES: dict[str, ObjectType] = {}
COMMON_FIELDS: dict[str, str] = {}
COMMON_VALUES: dict[str, Formatter] = {}
COMMON_REFS: dict[str, str] = {}
# Who acted when no account did (``actor="cli"``, the demo seed, the scheduler).
SYSTEM_ACTORS: dict[str, str] = {
    "cli": "命令行", "系统": "系统", "seed-demo": "演示数据", "scheduler": "定时任务",
}  # fmt: skip


def register_object_type(
    key: str,
    label: str,
    *,
    fields: dict[str, str] | None = None,
    values: dict[str, Formatter] | None = None,
    refs: dict[str, str] | None = None,
    names: Any = None,
    link: Any = None,
    actions: dict[str, str] | None = None,
    order: int = 100,
    choices: Any = None,
    search: Any = None,
    hidden: tuple[str, ...] = (),
    listed: bool = True,
) -> ObjectType:
    """Declare an audited object type. Registering a key again adds to it (a domain may
    register fields next to the model and the loader next to the views)."""
    t = OBJECT_TYPES.setdefault(key, ObjectType(key, label, {}, {}, {}, order=order))
    t.label = label
    t.fields.update(fields or {})
    t.values.update(values or {})
    t.refs.update(refs or {})
    t.names = names or t.names
    t.link = link or t.link
    t.choices = choices or t.choices
    t.search = search or t.search
    t.hidden.update(hidden)
    t.listed = listed
    if actions:
        register_action_labels(actions, object_type=key)
    return t


def names_from(id_column: Any, *columns: Any, fmt: Any = None) -> Any:
    """A names loader for ``register_object_type``: ids -> names in one SELECT of the
    id and ``columns`` (joined by ``fmt(row)``, by default the first column)."""

    def load(ids: list[str]) -> dict[str, str]:
        from partybuild.core.forms import parse_id

        wanted = [i for i in (parse_id(v) for v in ids) if i is not None]
        if not wanted:
            return {}
        rows = db.session.execute(sa.select(id_column, *columns).where(id_column.in_(wanted)))
        return {str(r[0]): str(fmt(r[1:]) if fmt else r[1]) for r in rows}

    return load


def register_field_labels(
    fields: dict[str, str],
    *,
    values: dict[str, Formatter] | None = None,
    refs: dict[str, str] | None = None,
) -> None:
    """Labels of fields that mean the same for every object type."""
    COMMON_FIELDS.update(fields)
    COMMON_VALUES.update(values or {})
    COMMON_REFS.update(refs or {})


def object_type_label(key: str) -> str:
    t = OBJECT_TYPES.get(key)
    return t.label if t is not None else key


def kind_choices() -> list[tuple[str, str]]:
    """Object types for the audit page's filter, by their Chinese names."""
    types = sorted(OBJECT_TYPES.values(), key=lambda t: (t.order, t.label))
    return [(t.key, t.label) for t in types if t.listed]


def action_choices() -> list[tuple[str, str]]:
    """Every registered action once per label (typed labels included)."""
    seen: dict[str, str] = {}
    for key, label in ACTION_LABELS.items():
        seen.setdefault(key, label)
    for (_, key), label in _TYPED_LABELS.items():
        seen.setdefault(key, label)
    return sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class EntryView:
    """An audit entry as the page shows it: every name in Chinese."""

    entry: "AuditEntry"
    actor: str
    actor_id: int | None
    action: str
    type_label: str
    object_name: str
    object_url: str | None
    branch: str
    summary: str
    changes: list[Change]


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")
_MAX_VALUE = 120


def _type_of(key: str) -> ObjectType | None:
    return OBJECT_TYPES.get(key)


def _ref_type(t: ObjectType | None, field_name: str) -> str | None:
    return (t.refs.get(field_name) if t else None) or COMMON_REFS.get(field_name)


def _field_label(t: ObjectType | None, field_name: str) -> str:
    return (t.fields.get(field_name) if t else None) or COMMON_FIELDS.get(field_name) or field_name


def _formatter(t: ObjectType | None, field_name: str) -> Formatter:
    return (t.values.get(field_name) if t else None) or COMMON_VALUES.get(field_name)


def _ids(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and not isinstance(v, dict | list)]
    if value is None or isinstance(value, dict | bool):
        return []
    return [str(value)]


class _Names:
    """Names of the objects a page of entries mentions: one query per object type."""

    def __init__(self) -> None:
        self.wanted: dict[str, set[str]] = {}
        self.found: dict[str, dict[str, str]] = {}

    def want(self, type_key: str | None, ids: list[str]) -> None:
        if type_key and ids:
            self.wanted.setdefault(type_key, set()).update(ids)

    def load(self) -> None:
        for key, ids in self.wanted.items():
            t = _type_of(key)
            if t is None or t.names is None:
                continue
            try:
                self.found[key] = {str(k): v for k, v in t.names(sorted(ids)).items()}
            except (ValueError, sa.exc.DataError):
                self.found[key] = {}

    def name(self, type_key: str, object_id: str) -> str:
        found = self.found.get(type_key, {}).get(str(object_id))
        if found:
            return found
        return f"{object_type_label(type_key)}（编号 {object_id}）"


def _format_value(t: ObjectType | None, field_name: str, value: Any, names: _Names) -> str:
    if value is None or value == "" or value == []:
        return "—"
    ref = _ref_type(t, field_name)
    if ref and _ids(value):
        return "、".join(names.name(ref, i) for i in _ids(value))
    fmt = _formatter(t, field_name)
    if fmt is not None:
        if isinstance(fmt, type) and issubclass(fmt, Enum):
            try:
                member = fmt(value)
                return getattr(member, "label", str(value))
            except ValueError:
                return str(value)
        if isinstance(fmt, dict):
            return str(fmt.get(value, value))
        try:
            return str(fmt(value))
        except Exception:  # a formatter must never break the page
            logger.warning("audit formatter for %s.%s failed", t.key if t else "", field_name)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        parts = [f"{_field_label(t, k)}：{_format_value(t, k, v, names)}" for k, v in value.items()]
        return "；".join(parts) or "—"
    if isinstance(value, list):
        return "、".join(_format_value(t, field_name, v, names) for v in value) or "—"
    text = str(value)
    if isinstance(value, str) and _ISO_DATETIME.match(text):
        try:
            from partybuild.core.timeutil import format_datetime

            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                return format_datetime(moment)
        except ValueError:
            pass
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _want_refs(t: ObjectType | None, data: dict | None, names: _Names) -> None:
    for k, v in (data or {}).items():
        if isinstance(v, dict):
            _want_refs(t, v, names)
        else:
            names.want(_ref_type(t, k), _ids(v))


_SENTINEL = 918273645546372819  # stands for the id in a link built once per endpoint


def _link(t: ObjectType | None, object_id: str | None, patterns: dict | None = None) -> str | None:
    """The object's page, if the user may open it. ``patterns`` (one dict per page)
    keeps each endpoint's answer and URL with a stand-in id, so a page of entries asks
    the URL map once per endpoint instead of once per entry."""
    from flask import url_for

    from partybuild.core.permissions import can_open

    if t is None or t.link is None or object_id is None:
        return None
    if callable(t.link):
        return t.link(object_id)
    endpoint, arg = t.link
    try:
        value: Any = int(object_id) if arg.endswith("_id") else object_id
    except ValueError:
        return None
    if patterns is None or not isinstance(value, int) or value < 0:
        if not can_open(endpoint):
            return None
        try:
            return url_for(endpoint, **{arg: value})
        except Exception:  # noqa: BLE001 - a stale id must not break the page
            return None
    if endpoint not in patterns:
        pattern = None
        if can_open(endpoint):
            try:
                pattern = url_for(endpoint, **{arg: _SENTINEL})
            except Exception:  # noqa: BLE001
                pattern = None
        patterns[endpoint] = pattern
    pattern = patterns[endpoint]
    return None if pattern is None else pattern.replace(str(_SENTINEL), str(value), 1)


def present(entries: list["AuditEntry"]) -> list[EntryView]:
    """The page's entries in Chinese, with names of what they mention. A fixed number
    of queries: one per object type mentioned, whatever the number of entries."""
    names = _Names()
    for e in entries:
        t = _type_of(e.object_type)
        if e.object_id is not None:
            names.want(e.object_type, [e.object_id])
        if e.actor_id is not None:
            names.want("user", [str(e.actor_id)])
        if e.branch_id is not None:
            names.want("branch", [str(e.branch_id)])
        _want_refs(t, e.before, names)
        _want_refs(t, e.after, names)
    names.load()
    views = []
    patterns: dict[str, str | None] = {}
    for e in entries:
        t = _type_of(e.object_type)
        if e.actor_id is not None:
            actor = names.found.get("user", {}).get(str(e.actor_id)) or e.actor_name
        else:
            actor = SYSTEM_ACTORS.get(e.actor_name, e.actor_name)
        if e.object_id is not None:
            object_name = names.found.get(e.object_type, {}).get(e.object_id) or (
                f"编号 {e.object_id}"
            )
        else:
            object_name = ""
        changes = [
            Change(
                _field_label(t, k),
                _format_value(t, k, old, names),
                _format_value(t, k, new, names),
            )
            for k, old, new in e.changes
            if t is None or k not in t.hidden
        ]
        views.append(
            EntryView(
                entry=e,
                actor=actor,
                actor_id=e.actor_id,
                action=e.action_label,
                type_label=object_type_label(e.object_type),
                object_name=object_name,
                object_url=_link(t, e.object_id, patterns),
                branch=names.name("branch", str(e.branch_id)) if e.branch_id is not None else "",
                summary=e.summary,
                changes=changes,
            )
        )
    return views


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
    the entry, update the head. The entry returned is not attached to the session.
    """
    ring = keyring()
    session = db.session
    session.flush()  # the caller's pending rows are written (and have their ids) first
    # Then plain statements on the transaction's connection: three round trips, no unit
    # of work (an append is in every change; see bench/bench_verbs.py).
    conn = session.connection()
    entries, last_hash = _lock_head(conn)
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
        prev_hash=last_hash,
        key_id=ring.current_id,
    )
    # Hash what the database will give back (UTC, microseconds).
    entry.hash = entry.compute_hash(ring.current)
    table = AuditEntry.__table__
    values = {c.key: getattr(entry, c.key) for c in table.columns if c.key != "id"}
    entry.id = conn.execute(table.insert().values(values).returning(table.c.id)).scalar_one()
    entries += 1
    head = AuditHead.__table__
    conn.execute(
        head.update()
        .where(head.c.id == 1)
        .values(
            entries=entries,
            last_id=entry.id,
            last_hash=entry.hash,
            key_id=ring.current_id,
            mac=head_mac(ring.current, entries, entry.id, entry.hash),
        )
    )
    from partybuild.core import pagecache  # here: pagecache → settings → audit

    pagecache.mark_written(session)
    return entry


def _lock_head(conn: sa.Connection) -> tuple[int, str]:
    """(entries, last hash) of the head row, locked for this transaction (created empty
    on a new database).

    A missing head on a non-empty chain is not rebuilt from the entries: the next
    entry then links to GENESIS and ``verify_chain`` reports the break."""
    table = AuditHead.__table__
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        stmt = (
            sa.select(table.c.entries, table.c.last_hash).where(table.c.id == 1).with_for_update()
        )
    else:
        # pysqlite begins the transaction only at the first write: take the write lock
        # with the read (a no-op UPDATE), or two writers link to the same entry.
        stmt = (
            table.update()
            .where(table.c.id == 1)
            .values(entries=table.c.entries)
            .returning(table.c.entries, table.c.last_hash)
        )
    row = conn.execute(stmt).one_or_none()
    if row is None:
        if postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        conn.execute(
            insert(table).values(id=1, entries=0, last_hash=GENESIS).on_conflict_do_nothing()
        )
        row = conn.execute(stmt).one()
    return row.entries, row.last_hash


def read_head() -> Any:
    """The head row as it stands in the database (entries, last_id, last_hash, key_id,
    mac), or None before the first entry. Appends write it with plain statements, so a
    head loaded as an object earlier in the session could be out of date."""
    table = AuditHead.__table__
    return db.session.execute(sa.select(table).where(table.c.id == 1)).one_or_none()


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
    head = read_head()
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
