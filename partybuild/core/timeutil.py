"""Time: UTC in the database, Asia/Shanghai on screens and in documents."""

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from partybuild.core.db import utcnow

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

__all__ = [
    "LOCAL_TZ",
    "anniversary_of",
    "cn_date",
    "format_date",
    "format_datetime",
    "local_today",
    "to_local",
    "utcnow",
    "whole_years",
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


def anniversary_of(day: date, year: int, *, leap_day_to_march: bool = False) -> date:
    """``day``'s anniversary in ``year``. 29 February falls on 28 February in a common
    year, or on 1 March with ``leap_day_to_march``."""
    if (day.month, day.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 3, 1) if leap_day_to_march else date(year, 2, 28)
    return day.replace(year=year)


def whole_years(start: date, end: date) -> int:
    """Completed years from ``start`` to ``end`` (周岁-style): a year completes on the
    anniversary's month and day; from 29 February, on 1 March in a common year."""
    years = end.year - start.year
    return years - 1 if (end.month, end.day) < (start.month, start.day) else years
