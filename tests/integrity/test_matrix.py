"""Levels come from the matrix setting (every cell), cycles follow the level across month
ends and leap years, and the level labels are a display setting."""

from datetime import date

import pytest

from partybuild.core import settings
from partybuild.core.service import ValidationFailed
from partybuild.extensions import db
from partybuild.integrity.models import (
    RiskLevel,
    add_months,
    level_label,
    matrix_level,
    review_cycle_months,
)
from partybuild.integrity.settings import DEFAULT_MATRIX

H, M, L = RiskLevel.high, RiskLevel.medium, RiskLevel.low
# Likelihood rows 1..5, impact columns 1..5, written out by hand (L×I: ≤4 低, 5–12 中, ≥15 高).
EXPECTED = [
    [L, L, L, L, M],
    [L, L, M, M, M],
    [L, M, M, M, H],
    [L, M, M, H, H],
    [M, M, H, H, H],
]


@pytest.mark.parametrize("likelihood", range(1, 6))
@pytest.mark.parametrize("impact", range(1, 6))
def test_default_matrix_every_cell(app, likelihood, impact):
    assert matrix_level(likelihood, impact) == EXPECTED[likelihood - 1][impact - 1]


def test_matrix_is_data_an_admin_changes(app, make_user):
    admin = make_user("admin")
    strict = ["中中中高高", "中中高高高", "中高高高高", "高高高高高", "高高高高高"]
    settings.change_setting("RISK_MATRIX", "\n".join(strict), admin)
    db.session.commit()
    for lk in range(1, 6):
        for im in range(1, 6):
            word = strict[lk - 1][im - 1]
            assert matrix_level(lk, im) == {"高": H, "中": M, "低": L}[word]
    assert matrix_level(1, 1) == M  # was 低 with the default


@pytest.mark.parametrize(
    "raw",
    [
        "低低低低\n低低中中中\n低中中中高\n低中中高高\n中中高高高",  # a missing cell
        "低低低低中\n低低中中中\n低中中中高\n低中中高高",  # a missing row
        "低低低低中\n低低中中中\n低中X中高\n低中中高高\n中中高高高",  # not a level
        "低低低低中\n低低中中中\n低中中中高\n低中中高高\n中中高高高\n高高高高高",  # a sixth row
    ],
)
def test_matrix_setting_refuses_a_cell_without_a_level(app, make_user, raw):
    with pytest.raises(ValidationFailed) as err:
        settings.change_setting("RISK_MATRIX", raw, make_user("admin"))
    assert "高/中/低" in err.value.message or "5 行" in err.value.message
    assert settings.setting("RISK_MATRIX") == DEFAULT_MATRIX


def test_categories_setting_keeps_codes(app, make_user):
    admin = make_user("admin")
    settings.change_setting("RISK_CATEGORIES", "power 权力行使\nfinance 财务管理", admin)
    db.session.commit()
    assert settings.setting("RISK_CATEGORIES") == [["power", "权力行使"], ["finance", "财务管理"]]
    with pytest.raises(ValidationFailed):
        settings.change_setting("RISK_CATEGORIES", "权力行使", admin)  # no code


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 3, date(2026, 4, 30)),  # 31 → a 30-day month
        (date(2025, 11, 30), 3, date(2026, 2, 28)),  # into a common February
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # into a leap February
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # from a leap day, a year on
        (date(2028, 2, 29), 6, date(2028, 8, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # across the year end
    ],
)
def test_add_months_across_month_ends_and_leap_years(start, months, expected):
    assert add_months(start, months) == expected


def test_cycle_follows_level_by_default(app, make_user):
    assert [review_cycle_months(lv) for lv in (H, M, L)] == [3, 6, 12]
    settings.change_setting(
        "RISK_REVIEW_CYCLES", {"high": 1, "medium": 4, "low": 24}, make_user("admin")
    )
    db.session.commit()
    assert [review_cycle_months(lv) for lv in (H, M, L)] == [1, 4, 24]


def test_level_labels_are_a_display_setting(app, make_user):
    assert [level_label(lv) for lv in (H, M, L)] == ["高", "中", "低"]
    admin = make_user("admin")
    settings.change_setting("RISK_LEVEL_LABELS", "grade_high_first", admin)
    db.session.commit()
    assert [level_label(lv) for lv in (H, M, L)] == ["一级", "二级", "三级"]
    settings.change_setting("RISK_LEVEL_LABELS", "grade_low_first", admin)
    db.session.commit()
    assert [level_label(lv) for lv in (H, M, L)] == ["三级", "二级", "一级"]
