"""Period parsing: 2026, 2026Q3, 2026-07 and the Chinese errors for anything else."""

from datetime import date

import pytest

from partybuild.reports.periods import InvalidPeriod, parse_period


@pytest.mark.parametrize(
    ("text", "code", "start", "end", "label"),
    [
        ("2026", "2026", date(2026, 1, 1), date(2026, 12, 31), "2026年"),
        ("2026Q1", "2026Q1", date(2026, 1, 1), date(2026, 3, 31), "2026年第一季度"),
        ("2026Q3", "2026Q3", date(2026, 7, 1), date(2026, 9, 30), "2026年第三季度"),
        ("2026q4", "2026Q4", date(2026, 10, 1), date(2026, 12, 31), "2026年第四季度"),
        ("2026-07", "2026-07", date(2026, 7, 1), date(2026, 7, 31), "2026年7月"),
        ("2026-7", "2026-07", date(2026, 7, 1), date(2026, 7, 31), "2026年7月"),
        ("2028-02", "2028-02", date(2028, 2, 1), date(2028, 2, 29), "2028年2月"),
        ("2026-02", "2026-02", date(2026, 2, 1), date(2026, 2, 28), "2026年2月"),
        (" 2026Q2 ", "2026Q2", date(2026, 4, 1), date(2026, 6, 30), "2026年第二季度"),
    ],
)
def test_valid_periods(text: str, code: str, start: date, end: date, label: str) -> None:
    period = parse_period(text)
    assert (period.code, period.start, period.end, period.label) == (code, start, end, label)
    assert period.start in period and period.end in period
    assert period.end_exclusive not in period
    assert str(period) == code


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请填写期间：请填写年度（如 2026）、季度（如 2026Q3）或月份（如 2026-07）"),
        (None, "请填写期间"),
        ("2026Q5", "期间“2026Q5”的季度应为 Q1–Q4"),
        ("2026Q0", "季度应为 Q1–Q4"),
        ("2026-13", "期间“2026-13”的月份应在 1–12 之间"),
        ("2026-00", "月份应在 1–12 之间"),
        ("1900", "年份应在 1921–2100 之间"),
        ("26", "期间“26”格式不正确，请填写年度（如 2026）、季度（如 2026Q3）或月份（如 2026-07）"),
        ("2026年", "格式不正确"),
        ("2026-07-01", "格式不正确"),
        ("2026H1", "格式不正确"),
        ("abc", "格式不正确"),
    ],
)
def test_bad_periods_have_a_chinese_message(text: str | None, message: str) -> None:
    with pytest.raises(InvalidPeriod) as info:
        parse_period(text)
    assert message in info.value.message
    assert info.value.code == "invalid_period"
