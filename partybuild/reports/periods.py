"""Report periods: a year (2026), a quarter (2026Q3) or a month (2026-07)."""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

from partybuild.core.service import ServiceError

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
