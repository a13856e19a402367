"""One settings registry: every tunable value is declared once, read with ``setting(key)``.

Each domain declares its settings in ``<domain>/settings.py`` with ``declare(...)``; the
app factory imports those modules as it imports models. A value comes from, in order:

1. an admin's change on 系统设置 (table ``settings_values``; editable settings only),
2. the app config (``PARTYBUILD_<KEY>`` environment variables, or test config),
3. the declared default.

Stored values are read once per request (or app context), cached on ``flask.g``, so a
change made in one process is seen by every other process on its next request.
"""

import copy
import dataclasses
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from sqlalchemy.orm import Mapped, Session, mapped_column

from partybuild.core import audit
from partybuild.core.db import utcnow
from partybuild.core.service import PermissionDenied, ValidationFailed
from partybuild.extensions import db

logger = logging.getLogger(__name__)

_CACHE = "_settings_values"


class SettingValue(db.Model):
    """A value an admin set on 系统设置; absent means environment or default."""

    __tablename__ = "settings_values"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Kept as written, so the page can say who changed it without importing auth.
    updated_by_name: Mapped[str] = mapped_column(sa.String(80), default="")


# --- value types --------------------------------------------------------------------
#
# A type turns what the edit form sends (``raw``) into a value, or raises
# ValidationFailed with Chinese messages keyed by form field name; it also says how
# the value is stored as JSON and shown on the page.


class SettingType:
    kind = "readonly"  # which edit widget the template draws

    def parse(self, raw: Any) -> Any:
        raise NotImplementedError

    def from_form(self, form: Mapping[str, Any]) -> Any:
        return form.get("value", "")

    def to_json(self, value: Any) -> Any:
        return value

    def from_json(self, stored: Any) -> Any:
        return stored

    def display(self, value: Any) -> str:
        if value is None or value == "":
            return "（未设置）"
        return str(value)

    def form_fields(self, value: Any) -> dict[str, str]:
        """The edit form's field values that show ``value``."""
        return {"value": "" if value is None else str(value)}


def _int(raw: Any, field_name: str, low: int, high: int, what: str = "") -> int:
    text = str(raw if raw is not None else "").strip()
    message = f"{what}请输入 {low} 到 {high} 之间的整数"
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        raise ValidationFailed({field_name: message})
    number = int(text)
    if not low <= number <= high:
        raise ValidationFailed({field_name: message})
    return number


@dataclass(frozen=True)
class Int(SettingType):
    minimum: int = 0
    maximum: int = 1_000_000
    unit: str = ""
    kind = "int"

    def parse(self, raw: Any) -> int:
        return _int(raw, "value", self.minimum, self.maximum)

    def display(self, value: Any) -> str:
        if value is None or value == "":
            return "（未设置）"
        return f"{value} {self.unit}".strip()


@dataclass(frozen=True)
class Bytes(Int):
    """A size in bytes, shown in MB."""

    def display(self, value: Any) -> str:
        if value is None or value == "":
            return "（未设置）"
        return f"{int(value) / (1024 * 1024):g} MB"


@dataclass(frozen=True)
class Bool(SettingType):
    kind = "bool"

    def parse(self, raw: Any) -> bool:
        return raw is True or str(raw).strip().lower() in ("1", "on", "true", "y", "yes")

    def display(self, value: Any) -> str:
        return "是" if value else "否"

    def form_fields(self, value: Any) -> dict[str, str]:
        return {"value": "1" if value else ""}


@dataclass(frozen=True)
class Text(SettingType):
    max_length: int = 200
    # value -> Chinese label; when set, only these values are accepted.
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "choice" if self.choices else "text"

    def parse(self, raw: Any) -> str:
        text = str(raw if raw is not None else "").strip()
        if self.choices:
            if text not in dict(self.choices):
                raise ValidationFailed({"value": "请从列表中选择一项"})
            return text
        if len(text) > self.max_length:
            raise ValidationFailed({"value": f"不能超过 {self.max_length} 个字"})
        return text

    def display(self, value: Any) -> str:
        if self.choices:
            return dict(self.choices).get(str(value), str(value))
        return super().display(value)


@dataclass(frozen=True)
class Lines(SettingType):
    """A list of short texts, edited one per line."""

    min_items: int = 1
    max_items: int = 20
    max_length: int = 20
    kind = "lines"

    def parse(self, raw: Any) -> list[str]:
        lines = raw if isinstance(raw, list) else str(raw or "").splitlines()
        items = [str(line).strip() for line in lines if str(line).strip()]
        if len(items) < self.min_items:
            raise ValidationFailed({"value": f"至少填写 {self.min_items} 项，每行一项"})
        if len(items) > self.max_items:
            raise ValidationFailed({"value": f"最多 {self.max_items} 项"})
        too_long = [i for i in items if len(i) > self.max_length]
        if too_long:
            raise ValidationFailed(
                {"value": f"每项不能超过 {self.max_length} 个字：{too_long[0][:30]}"}
            )
        seen: set[str] = set()
        for item in items:
            if item in seen:
                raise ValidationFailed({"value": f"不能重复：{item}"})
            seen.add(item)
        return items

    def from_json(self, stored: Any) -> list[str]:
        return [str(i) for i in stored]

    def display(self, value: Any) -> str:
        return "、".join(value)

    def form_fields(self, value: Any) -> dict[str, str]:
        return {"value": "\n".join(value)}


@dataclass(frozen=True)
class Parts(SettingType):
    """Named numbers (weights, points): one number input per part."""

    parts: tuple[tuple[str, str], ...] = ()  # key -> Chinese label, in display order
    minimum: int = 0
    maximum: int = 100
    total: int | None = None  # when set, the parts must add up to it
    unit: str = ""
    kind = "parts"

    def from_form(self, form: Mapping[str, Any]) -> dict[str, Any]:
        return {key: form.get(f"part-{key}", "") for key, _ in self.parts}

    def parse(self, raw: Any) -> dict[str, int]:
        raw = raw if isinstance(raw, Mapping) else {}
        values: dict[str, int] = {}
        errors: dict[str, str] = {}
        for key, label in self.parts:
            try:
                values[key] = _int(raw.get(key), f"part-{key}", self.minimum, self.maximum, label)
            except ValidationFailed as exc:
                errors.update(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        if self.total is not None and sum(values.values()) != self.total:
            raise ValidationFailed(
                {"value": f"各项之和须为 {self.total}，现在是 {sum(values.values())}"}
            )
        return values

    def from_json(self, stored: Any) -> dict[str, int]:
        return {str(k): int(v) for k, v in stored.items()}

    def display(self, value: Any) -> str:
        labels = dict(self.parts)
        return "；".join(f"{labels.get(k, k)} {v}{self.unit}" for k, v in value.items())

    def form_fields(self, value: Any) -> dict[str, str]:
        return {f"part-{k}": str(v) for k, v in value.items()}


@dataclass(frozen=True)
class Bands(SettingType):
    """Grade bands: (minimum score, label) rows, highest first, the last from 0."""

    rows: int = 6  # edit rows offered on the form
    maximum: int = 100
    label_length: int = 10
    kind = "bands"

    def from_form(self, form: Mapping[str, Any]) -> list[tuple[Any, Any]]:
        count = 0
        while f"band-min-{count}" in form or f"band-label-{count}" in form:
            count += 1
        return [
            (form.get(f"band-min-{i}", ""), form.get(f"band-label-{i}", "")) for i in range(count)
        ]

    def row_count(self, value: Any) -> int:
        """Rows on the edit form: the current bands and room for more."""
        return max(self.rows, len(value) + 1)

    def parse(self, raw: Any) -> list[tuple[int, str]]:
        bands: list[tuple[int, str]] = []
        errors: dict[str, str] = {}
        for i, (low, label) in enumerate(raw or []):
            low, label = str(low if low is not None else "").strip(), str(label or "").strip()
            if not low and not label:
                continue  # an empty row
            if not label:
                errors[f"band-label-{i}"] = "请填写等次名称"
            elif len(label) > self.label_length:
                errors[f"band-label-{i}"] = f"等次名称不能超过 {self.label_length} 个字"
            try:
                number = _int(low, f"band-min-{i}", 0, self.maximum, "最低分")
            except ValidationFailed as exc:
                errors.update(exc.errors)
                continue
            bands.append((number, label))
        if errors:
            raise ValidationFailed(errors)
        if not bands:
            raise ValidationFailed({"value": "至少填写一个等次"})
        lows = [low for low, _ in bands]
        if any(a <= b for a, b in zip(lows, lows[1:], strict=False)):
            raise ValidationFailed({"value": "最低分须从高到低排列，且各不相同"})
        if lows[-1] != 0:
            raise ValidationFailed({"value": "最后一个等次的最低分须为 0，使每个分数都有等次"})
        labels = [label for _, label in bands]
        if len(set(labels)) != len(labels):
            raise ValidationFailed({"value": "等次名称不能重复"})
        return bands

    def to_json(self, value: Any) -> Any:
        return [[low, label] for low, label in value]

    def from_json(self, stored: Any) -> list[tuple[int, str]]:
        return [(int(low), str(label)) for low, label in stored]

    def display(self, value: Any) -> str:
        return "；".join(f"{label} ≥ {low} 分" for low, label in value)

    def form_fields(self, value: Any) -> dict[str, str]:
        fields = {}
        for i, (low, label) in enumerate(value):
            fields[f"band-min-{i}"], fields[f"band-label-{i}"] = str(low), label
        return fields


@dataclass(frozen=True)
class Secret(SettingType):
    """Never shown: only whether it is set."""

    def display(self, value: Any) -> str:
        return "已设置" if value else "未设置"


@dataclass(frozen=True)
class DatabaseUrl(SettingType):
    def display(self, value: Any) -> str:
        if not value:
            return "（未设置）"
        try:
            return sa.make_url(str(value)).render_as_string(hide_password=True)
        except sa.exc.ArgumentError:
            return "（格式无法识别）"


# --- the registry ---------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    type: SettingType
    label: str
    help: str = ""
    editable: bool = False
    # Extra rule on the parsed value: return a Chinese message to refuse it.
    validator: Callable[[Any], str | None] | None = None
    group: str = ""

    def parse(self, raw: Any) -> Any:
        value = self.type.parse(raw)
        if self.validator is not None:
            problem = self.validator(value)
            if problem:
                raise ValidationFailed({"value": problem})
        return value

    def display(self, value: Any) -> str:
        return self.type.display(value)


@dataclass
class Group:
    name: str
    label: str
    order: int = 50  # position on 系统设置 (lower first)
    settings: list[Setting] = field(default_factory=list)


REGISTRY: dict[str, Setting] = {}
GROUPS: dict[str, Group] = {}


def declare(
    group: str, label: str, settings: Iterable[Setting], *, order: int = 50
) -> list[Setting]:
    """Declare a domain's settings (called once, from ``<domain>/settings.py``).

    ``order`` places the group on 系统设置: what admins change most comes first.
    """
    declared = GROUPS.setdefault(group, Group(group, label, order))
    out = []
    for s in settings:
        if s.key in REGISTRY:
            raise ValueError(f"setting {s.key} declared twice")
        s = dataclasses.replace(s, group=group)
        REGISTRY[s.key] = s
        declared.settings.append(s)
        out.append(s)
    return out


def spec(key: str) -> Setting:
    """The declaration of ``key``; an unknown key is a programming error (KeyError)."""
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown setting {key!r}: declare it in a domain's settings.py") from None


# --- reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    value: Any
    updated_at: datetime
    updated_by_name: str


def _stored() -> dict[str, Stored]:
    """Admin-changed values, loaded once per app context (one small query)."""
    if not has_app_context():
        return {}
    cached = g.get(_CACHE)
    if cached is None:
        # No autoflush: a service may read a setting while building half-made rows.
        with db.session.no_autoflush:
            rows = db.session.execute(
                sa.select(
                    SettingValue.key,
                    SettingValue.value,
                    SettingValue.updated_at,
                    SettingValue.updated_by_name,
                )
            ).all()
        cached = {key: Stored(value, at, name) for key, value, at, name in rows}
        setattr(g, _CACHE, cached)
    return cached


def stamp() -> tuple:
    """What changes whenever an admin changes or resets a stored setting (for cache keys;
    the values come from the query every request makes anyway)."""
    return tuple(sorted((key, repr(s.value), str(s.updated_at)) for key, s in _stored().items()))


def forget_cached() -> None:
    if has_app_context():
        g.pop(_CACHE, None)


# --- one process's copy, for pages that must not pay a query for settings ------------
#
# A hot anonymous page (the public board) reads ``version_columns()`` in the one query
# it makes anyway and calls ``use_version``: while the stored values have not changed
# since this process last loaded them, the request reads them from memory. Every
# change inserts, updates (``updated_at`` = now) or deletes a row, so (rows, latest
# change) moves with it. Values loaded after the version was read are at least as new
# as that version, so a cached copy is never older than its key.

_process_copy: dict[int, tuple[Any, dict[str, "Stored"]]] = {}


def forget_process_copy() -> None:
    _process_copy.clear()


def version_columns() -> tuple[Any, Any]:
    """Two scalar subqueries that change whenever a stored value changes."""
    return (
        sa.select(sa.func.count()).select_from(SettingValue).scalar_subquery(),
        sa.select(sa.func.max(SettingValue.updated_at)).scalar_subquery(),
    )


def use_version(version: Any) -> None:
    """This request's stored values come from the process copy if it was loaded at
    ``version`` (read with :func:`version_columns`); else they are loaded (one query)
    on first use and kept for the next request."""
    app_key = id(current_app._get_current_object())
    held = _process_copy.get(app_key)
    if held is not None and held[0] == version:
        setattr(g, _CACHE, held[1])
        return
    g.pop(_CACHE, None)
    _process_copy[app_key] = (version, _stored())


def config_key() -> int:
    """A fingerprint of the declared settings' app-config values (environment, test
    config): part of the key of figures cached across requests, with the stored values'
    :func:`version_columns`, so a changed setting is never hidden by a cache."""
    config = current_app.config
    return hash(tuple((key, repr(config[key])) for key in REGISTRY if key in config))


def _from_store(s: Setting) -> tuple[bool, Any]:
    stored = _stored().get(s.key) if s.editable else None
    if stored is None:
        return False, None
    try:
        return True, s.type.from_json(stored.value)
    except (TypeError, ValueError, AttributeError):
        logger.warning("stored setting %s is unreadable; using config/default", s.key)
        return False, None


def setting(key: str) -> Any:
    """The value of ``key``: admin's change > app config / environment > default."""
    s = spec(key)
    found, value = _from_store(s)
    if found:
        return value
    config = current_app.config
    if key in config:
        return config[key]
    # A copy, so a caller cannot change the default; immutable values need none.
    if isinstance(s.default, int | float | str | bool | tuple | frozenset | type(None)):
        return s.default
    return copy.deepcopy(s.default)


@dataclass(frozen=True)
class Source:
    kind: str  # "stored", "config" or "default"
    label: str
    updated_at: datetime | None = None
    updated_by_name: str = ""


def groups() -> list[Group]:
    """Declared groups in page order."""
    return sorted(GROUPS.values(), key=lambda grp: grp.order)


def env_name(key: str) -> str:
    """The environment variable that sets ``key``."""
    return "PARTYBUILD_DATABASE_URL" if key == "SQLALCHEMY_DATABASE_URI" else f"PARTYBUILD_{key}"


def source_of(key: str) -> Source:
    from partybuild.core.timeutil import format_datetime

    s = spec(key)
    stored = _stored().get(key) if s.editable else None
    if stored is not None and _from_store(s)[0]:
        who = stored.updated_by_name or "系统"
        return Source(
            "stored",
            f"由 {who} 于 {format_datetime(stored.updated_at)} 修改",
            stored.updated_at,
            stored.updated_by_name,
        )
    config = current_app.config
    if key in config and config[key] != s.default:
        return Source("config", "环境变量（部署配置）")
    return Source("default", "默认值")


# --- changing -----------------------------------------------------------------------


def _require_admin(actor: Any) -> None:
    from partybuild.core.permissions import Role

    if getattr(actor, "role", None) != Role.admin:
        raise PermissionDenied("只有系统管理员可以修改系统设置")


def _editable(key: str) -> Setting:
    s = spec(key)
    if not s.editable:
        raise PermissionDenied(f"“{s.label}”是部署配置，只能通过环境变量修改")
    return s


def change_setting(key: str, raw_value: Any, actor: Any) -> Any:
    """Validate and store an admin's new value for ``key``; audited; flushes, never commits.

    ``raw_value`` is what the edit form sends (see each type's ``from_form``) or an
    already-typed value. Raises ValidationFailed (Chinese, by field) or PermissionDenied.
    """
    _require_admin(actor)
    s = _editable(key)
    value = s.parse(raw_value)
    before = setting(key)
    row = db.session.get(SettingValue, key)
    if row is None:
        row = SettingValue(key=key)
        db.session.add(row)
    row.value = s.type.to_json(value)
    row.updated_at = utcnow()
    row.updated_by_id = getattr(actor, "id", None)
    row.updated_by_name = getattr(actor, "label", "") or getattr(actor, "username", "")
    db.session.flush()
    audit.record(
        "change_setting",
        "setting",
        key,
        actor=actor,
        before={"value": s.type.to_json(before)},
        after={"value": row.value},
        summary=f"{s.label}：{s.display(value)}",
    )
    forget_cached()
    return value


def reset_setting(key: str, actor: Any) -> bool:
    """Drop the admin's value for ``key`` (back to environment or default); audited.

    Returns False when there was nothing to reset.
    """
    _require_admin(actor)
    s = _editable(key)
    row = db.session.get(SettingValue, key)
    if row is None:
        return False
    before = row.value
    db.session.delete(row)
    db.session.flush()
    forget_cached()
    after = setting(key)
    audit.record(
        "reset_setting",
        "setting",
        key,
        actor=actor,
        before={"value": before},
        after={"value": s.type.to_json(after)},
        summary=f"{s.label}：恢复为 {s.display(after)}",
    )
    return True


audit.register_action_labels({"change_setting": "修改系统设置", "reset_setting": "恢复默认设置"})


def _setting_link(key: str) -> str | None:
    from flask import url_for

    from partybuild.core.permissions import can_open

    s = REGISTRY.get(key)
    if s is None or not s.editable or not can_open("core.edit_setting"):
        return None
    return url_for("core.edit_setting", key=key)


# The summary says the new value in words; the stored JSON is not repeated on the page.
audit.register_object_type(
    "setting",
    "系统设置",
    fields={"value": "取值"},
    names=lambda keys: {k: REGISTRY[k].label for k in keys if k in REGISTRY},
    link=lambda key: _setting_link(key),
    hidden=("value",),
    order=90,
)


def _forget_on_rollback(session: Session, *args: Any) -> None:
    forget_cached()


sa.event.listen(Session, "after_soft_rollback", _forget_on_rollback)


def init_app(app: Flask) -> None:
    # Each request reads the stored values afresh (the test client may share one context).
    app.before_request(forget_cached)


# --- core's own settings: deployment, shown on 系统设置 but set only by environment ---

declare(
    "core",
    "系统与部署",
    [
        Setting(
            "SQLALCHEMY_DATABASE_URI",
            None,
            DatabaseUrl(),
            "数据库",
            "未设置时使用实例目录下的 SQLite 文件。",
        ),
        Setting(
            "SECRET_KEY",
            None,
            Secret(),
            "会话密钥",
            "未设置时首次启动自动生成并保存在实例目录。",
        ),
        Setting(
            "AUDIT_KEY",
            None,
            Secret(),
            "审计日志密钥",
            "审计日志每条记录以此密钥签名（不存入数据库）；未设置时首次启动自动生成并保存在"
            "实例目录的 audit_key 文件。更换时把旧密钥移入“审计日志旧密钥”。",
        ),
        Setting(
            "AUDIT_KEYRING",
            None,
            Secret(),
            "审计日志旧密钥",
            "轮换前使用过的审计密钥（逗号分隔或 JSON 列表），用于校验旧记录。",
        ),
        Setting(
            "PUBLIC_BASE_URL",
            "http://127.0.0.1:5000",
            Text(),
            "对外访问地址",
            "二维码和贺卡邮件中的链接指向此地址（内网访问地址）。",
        ),
        Setting(
            "SESSION_COOKIE_SECURE",
            False,
            Bool(),
            "仅通过 HTTPS 发送登录凭据",
            "网站以 HTTPS 提供服务时应设为 true。",
        ),
        Setting("PROXY_FIX_X_FOR", 0, Int(0, 5), "前置反向代理层数", "如 nginx 在前为 1。"),
        Setting("EXPORTS_DIR", None, Text(), "导出文件目录", "报告导出文件的保存位置。"),
        Setting(
            "UPLOAD_DIR",
            None,
            Text(),
            "上传文件目录",
            "践诺佐证材料等上传文件的保存位置；未设置时为实例目录下的 uploads。",
        ),
        Setting(
            "STORAGE_BACKEND",
            "local",
            Text(),
            "文件存储方式",
            "local：保存在本机目录（上述两个目录）；s3：保存在兼容 S3 的对象存储"
            "（如 MinIO），多台应用服务器共用时必须使用。",
        ),
        Setting(
            "STORAGE_S3_ENDPOINT_URL",
            None,
            Text(),
            "对象存储地址",
            "如 http://minio.internal:9000；未设置时为 AWS S3。",
        ),
        Setting("STORAGE_S3_BUCKET", None, Text(), "对象存储桶", "上传文件和导出文件共用此桶。"),
        Setting("STORAGE_S3_REGION", None, Text(), "对象存储区域", "如 us-east-1。"),
        Setting("STORAGE_S3_ACCESS_KEY", None, Text(), "对象存储访问密钥 ID"),
        Setting("STORAGE_S3_SECRET_KEY", None, Secret(), "对象存储访问密钥"),
        Setting(
            "UPLOAD_MAX_BYTES",
            10 * 1024 * 1024,
            Bytes(1, 1 << 31, "字节"),
            "单个上传文件大小上限",
        ),
        Setting("MAIL_SERVER", None, Text(), "邮件服务器", "未设置时不发送邮件。"),
        Setting(
            "MAIL_PORT", None, Int(1, 65535), "邮件服务器端口", "未设置时为 25（SSL 为 465）。"
        ),
        Setting("MAIL_USE_TLS", False, Bool(), "使用 STARTTLS"),
        Setting("MAIL_USE_SSL", False, Bool(), "使用 SSL 连接"),
        Setting("MAIL_USERNAME", None, Text(), "邮件账户"),
        Setting("MAIL_PASSWORD", None, Secret(), "邮件账户密码"),
        Setting("MAIL_SENDER", "partybuild@localhost", Text(), "发件人地址"),
        Setting("MAIL_SENDER_NAME", "党建工作平台", Text(), "发件人名称"),
        Setting("MAIL_TIMEOUT", 10, Int(1, 300, "秒"), "邮件发送超时"),
        Setting(
            "PAGE_CACHE_SIZE",
            512,
            Int(0, 100_000),
            "页面缓存条数",
            "每个进程缓存的已生成页面与统计数（公示栏、承诺列表；工作台另按 8 倍条数缓存），"
            "数据变化即失效；0 为不缓存。",
        ),
    ],
    order=90,
)

declare(
    "jobs",
    "后台任务进程（调度器）",
    [
        Setting("JOBS_CATCH_UP_DAYS", 7, Int(0, 60, "天"), "停机后补做的天数"),
        Setting("JOBS_HEARTBEAT_SECONDS", 300, Int(1, 3600, "秒"), "调度器心跳间隔"),
        Setting(
            "JOBS_HEARTBEAT_STALE_MINUTES",
            30,
            Int(1, 1440, "分钟"),
            "心跳超时提醒",
            "调度器超过此时间没有心跳时，管理员页面显示警告。",
        ),
        Setting(
            "JOBS_LOCK_DIR",
            None,
            Text(),
            "运行锁目录",
            "SQLite 下的锁文件目录；未设置时为实例目录。",
        ),
        Setting("BACKGROUND_POLL_SECONDS", 3, Int(1, 60, "秒"), "后台队列轮询间隔"),
        Setting("BACKGROUND_HEARTBEAT_SECONDS", 5, Int(1, 60, "秒"), "后台任务心跳间隔"),
        Setting(
            "BACKGROUND_STALE_SECONDS",
            60,
            Int(10, 3600, "秒"),
            "后台任务中断判定",
            "运行中的任务超过此时间没有心跳即判定进程已中断，标记为失败。",
        ),
    ],
    order=95,
)

# Shared by every public rating form (the commitments board, the model-post pages):
# see core/public_rating.py.
declare(
    "public_rating",
    "群众评价（公开页面）防刷",
    [
        Setting(
            "PUBLIC_RATE_LIMIT",
            10,
            Int(1, 1000, "次"),
            "同一网络地址评价次数上限",
            "在下面的时间窗口内，同一网络地址最多提交的评价次数（承诺公示栏与示范岗页面合计）。",
            editable=True,
        ),
        Setting(
            "PUBLIC_RATE_WINDOW",
            600,
            Int(10, 86400, "秒"),
            "评价次数限制的时间窗口",
            editable=True,
        ),
        Setting(
            "PUBLIC_RATING_PER_IP_DAILY",
            20,
            Int(1, 1000, "次"),
            "同一网络地址每天对同一项目的评价上限",
            "同一承诺或同一示范岗。防止清除浏览器记录后反复评价。",
            editable=True,
        ),
        Setting(
            "PUBLIC_RATING_COMMENT_MAX",
            200,
            Int(10, 2000, "字"),
            "群众评价留言字数上限",
            editable=True,
        ),
    ],
    order=15,
)
