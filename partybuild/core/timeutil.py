"""Time: UTC in the database, Asia/Shanghai on screens and in documents."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from partybuild.core.db import utcnow

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

__all__ = [
    "LOCAL_TZ",
    "cn_date",
    "format_date",
    "format_datetime",
    "local_today",
    "to_local",
    "utcnow",
]


def to_local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)


def local_today(now: datetime | None = None) -> date:
    return to_local(now or utcnow()).date()


def format_datetime(value: datetime | None) -> str:
    """Minute precision, as minutes of meetings expect: 2026-11-26 09:30."""
    return "" if value is None else to_local(value).strftime("%Y-%m-%d %H:%M")


def format_date(value: date | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d")


def cn_date(value: date) -> str:
    """2026年11月26日 — the official style, no leading zeros."""
    return f"{value.year}年{value.month}月{value.day}日"
