"""Report periods: a year (2026), a quarter (2026Q3) or a month (2026-07)."""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from partybuild.core.service import ServiceError
from partybuild.core.timeutil import LOCAL_TZ, cn_date

logger = logging.getLogger(__name__)

CN_QUARTERS = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
MIN_YEAR, MAX_YEAR = 1921, 2100

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})\s*[Qq]\s*(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})\s*-\s*(\d{1,2})$")

FORMAT_HINT = "请填写年度（如 2026）、季度（如 2026Q3）或月份（如 2026-07）"


class InvalidPeriod(ServiceError, ValueError):
    """A period string that is not a year, quarter or month; the message is Chinese."""

    code = "invalid_period"


@dataclass(frozen=True)
class Period:
    """An inclusive range of days with its canonical code and Chinese label."""

    code: str
    start: date
    end: date
    label: str

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return self.code


def _check_year(text: str, year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidPeriod(f"期间“{text}”的年份应在 {MIN_YEAR}–{MAX_YEAR} 之间")


def parse_period(value: str | None) -> Period:
    """Parse ``2026`` / ``2026Q3`` / ``2026-07``; raise :class:`InvalidPeriod` otherwise."""
    text = (value or "").strip()
    if not text:
        raise InvalidPeriod(f"请填写期间：{FORMAT_HINT}")
    if m := _YEAR.match(text):
        year = int(m[1])
        _check_year(text, year)
        return Period(f"{year}", date(year, 1, 1), date(year, 12, 31), f"{year}年")
    if m := _QUARTER.match(text):
        year, quarter = int(m[1]), int(m[2])
        _check_year(text, year)
        if not 1 <= quarter <= 4:
            raise InvalidPeriod(f"期间“{text}”的季度应为 Q1–Q4")
        first = 3 * quarter - 2
        last = first + 2
        return Period(
            f"{year}Q{quarter}",
            date(year, first, 1),
            date(year, last, calendar.monthrange(year, last)[1]),
            f"{year}年{CN_QUARTERS[quarter]}",
        )
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        _check_year(text, year)
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"期间“{text}”的月份应在 1–12 之间")
        return Period(
            f"{year}-{month:02d}",
            date(year, month, 1),
            date(year, month, calendar.monthrange(year, month)[1]),
            f"{year}年{month}月",
        )
    raise InvalidPeriod(f"期间“{text}”格式不正确，{FORMAT_HINT}")


# --------------------------------------------------------------------------- as of


def as_of(period: Period | None, today: date) -> date:
    """The day a period's figures are taken on: its last day, or ``today`` while it
    has not ended (and ``today`` for documents without a period)."""
    if period is None:
        return today
    return min(period.end, today)


def is_over(period: Period, today: date) -> bool:
    return period.end < today


def midnight_after(day: date) -> datetime:
    """The first instant (tz-aware) of the day after ``day`` in Asia/Shanghai."""
    return datetime.combine(day + timedelta(days=1), time(), LOCAL_TZ)


def cutoff(period: Period | None, today: date) -> datetime:
    """The first instant (tz-aware, Asia/Shanghai) after the as-of day: anything
    recorded at or after it is not counted."""
    return midnight_after(as_of(period, today))


def start_instant(period: Period) -> datetime:
    """The first instant of the period (tz-aware, Asia/Shanghai)."""
    return datetime.combine(period.start, time(), LOCAL_TZ)


def period_label(period: Period, today: date) -> str:
    """ "2026年第三季度", or "2026年第四季度（截至2026年11月27日）" while it runs."""
    if is_over(period, today):
        return period.label
    return f"{period.label}（截至{cn_date(as_of(period, today))}）"


# The one rule every document follows; each document's 说明 repeats it.
PERIOD_RULE = (
    "统计口径：列入期间内处于有效状态的事项，数字和状态均按期末（期间未结束的按截至日）计算，"
    "期末以后的记录、评价、评分和状态变化不计入。"
)


def period_heading(period: Period, today: date) -> str:
    """The line under a document's title: "（2026年第三季度）", or
    "（2026年第四季度，截至2026年11月27日）" for a period that has not ended."""
    if is_over(period, today):
        return f"（{period.label}）"
    return f"（{period.label}，截至{cn_date(as_of(period, today))}）"
