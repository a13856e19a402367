"""党龄 (party standing, from 转正) and the political birthday (anniversary of 入党) at
their edges: 29 February, the day before/on/after, 转正 today or still ahead."""

from datetime import date

import pytest
import time_machine

from partybuild.greetings import service as greetings
from partybuild.org.models import Member, MemberStatus
from tests.org.helpers import text


def member(joined_on: date = date(2005, 7, 1), full_member_on: date | None = None) -> Member:
    status = MemberStatus.full if full_member_on else MemberStatus.probationary
    return Member(joined_on=joined_on, full_member_on=full_member_on, status=status)


@pytest.mark.parametrize(
    ("full_member_on", "day", "expected"),
    [
        (date(2006, 7, 1), date(2026, 6, 30), 19),  # day before the anniversary
        (date(2006, 7, 1), date(2026, 7, 1), 20),  # on it
        (date(2006, 7, 1), date(2026, 7, 2), 20),  # day after
        (date(2006, 7, 1), date(2006, 7, 1), 0),  # 转正 today: full member, 0 years
        (date(2006, 7, 1), date(2007, 6, 30), 0),
        (date(2006, 7, 1), date(2007, 7, 1), 1),
        (date(2006, 7, 1), date(2006, 6, 30), None),  # 转正 still ahead: no 党龄 yet
        # 转正 on 29 February: a year completes on 1 March in a common year.
        (date(2004, 2, 29), date(2026, 2, 28), 21),
        (date(2004, 2, 29), date(2026, 3, 1), 22),
        (date(2004, 2, 29), date(2028, 2, 28), 23),
        (date(2004, 2, 29), date(2028, 2, 29), 24),
    ],
)
def test_party_standing_counts_whole_years_from_full_membership(full_member_on, day, expected):
    assert member(full_member_on=full_member_on).party_standing_on(day) == expected


def test_party_standing_ignores_the_joining_date() -> None:
    # Joined 2000, 转正 2010: 党龄 counts from 转正, not from 入党.
    m = member(joined_on=date(2000, 7, 1), full_member_on=date(2010, 7, 1))
    assert m.party_standing_on(date(2026, 7, 1)) == 16


def test_probationary_member_has_no_party_standing() -> None:
    m = member(joined_on=date(2025, 7, 1), full_member_on=None)
    assert m.party_standing_on(date(2026, 7, 1)) is None
    assert m.party_standing_on(date(2035, 7, 1)) is None


@pytest.mark.parametrize(
    ("joined_on", "year", "expected"),
    [
        (date(1996, 2, 29), 2028, date(2028, 2, 29)),  # leap year: on the day
        (date(1996, 2, 29), 2026, date(2026, 2, 28)),  # common year: 28 February
        (date(1996, 2, 29), 2100, date(2100, 2, 28)),  # century, not a leap year
        (date(1996, 2, 29), 2000, date(2000, 2, 29)),  # 400-year leap year
        (date(1996, 2, 29), 1996, date(1996, 2, 29)),  # year of joining: the day itself
        (date(2005, 7, 1), 2026, date(2026, 7, 1)),
        (date(2005, 7, 1), 2005, date(2005, 7, 1)),
        (date(2005, 2, 28), 2028, date(2028, 2, 28)),  # 28 February stays put in leap years
        (date(2005, 3, 1), 2026, date(2026, 3, 1)),
    ],
)
def test_political_birthday_in_a_year(joined_on, year, expected):
    assert member(joined_on=joined_on).political_birthday_in(year) == expected


def test_leap_day_birthday_on_1_march_when_greetings_say_so() -> None:
    m = member(joined_on=date(1996, 2, 29))
    assert m.political_birthday_in(2026, leap_day_to_march=True) == date(2026, 3, 1)
    assert m.political_birthday_in(2028, leap_day_to_march=True) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("full", "expected"),
    [(True, "20"), (False, "0")],
)
def test_greeting_card_placeholder_uses_org_standing(app, make_member, full, expected):
    m = make_member(
        joined_on=date(2005, 7, 1),
        full_member_on=date(2006, 7, 1) if full else None,
        full=full,
    )
    values = greetings.placeholder_values(m, date(2026, 7, 1), 21)
    assert values["党龄"] == expected


@time_machine.travel("2026-07-01 10:00 +0800", tick=False)
def test_member_page_shows_standing_or_probation(app, client, auth, make_member) -> None:
    full = make_member(name="满期党员", joined_on=date(2005, 7, 1), full_member_on=date(2006, 7, 1))
    probationary = make_member(name="预备党员甲", joined_on=date(2026, 1, 5), full=False)
    auth.login("admin")
    assert "20 年" in text(client.get(f"/org/members/{full.id}"))
    assert "—（预备期）" in text(client.get(f"/org/members/{probationary.id}"))
