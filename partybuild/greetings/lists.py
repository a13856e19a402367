"""Greetings lists: the month's political birthdays, a page at a time.

A month of a city's roster is thousands of members: the order is worked out on a few
light columns, and only the page shown is loaded as members with their greetings.
"""

import sqlalchemy as sa

from partybuild.core import dataversion
from partybuild.core.lists import Peek
from partybuild.extensions import db
from partybuild.greetings import service
from partybuild.org.models import Member

MONTH_PER_PAGE = 50


def birthdays_in_month_page(
    year: int, month: int, branch_ids: list[int] | None, page: int, per_page: int = MONTH_PER_PAGE
) -> Peek:
    """One page of ``service.birthdays_in_month`` (same rows, same order), with greetings;
    ``total`` is the whole month's count."""
    rule = service.leap_day_rule()
    found = month_order(year, month, None if branch_ids is None else sorted(branch_ids), rule)
    page = max(page, 1)
    shown = found[(page - 1) * per_page : page * per_page]
    members = {
        m.id: m
        for m in db.session.scalars(
            sa.select(Member).where(Member.id.in_([row[3] for row in shown]))
        )
    }
    birthdays = [
        service.Birthday(members[member_id], on, years)
        for on, _, _, member_id, years in shown
        if member_id in members
    ]
    service.attach_greetings(birthdays)
    return Peek(page, per_page, birthdays, len(found) > page * per_page, len(found))


def month_order(
    year: int, month: int, branch_ids: list[int] | None, rule: "service.LeapDayRule"
) -> tuple[tuple, ...]:
    """The month's birthdays as (day, branch id, name, member id, years), in page order:
    worked out over the month's members when the roster changed, cached under the
    "members" data version (and the leap-day rule) otherwise."""

    def make() -> tuple[tuple, ...]:
        months = {month, 2} if month == 3 else {month}
        stmt = sa.select(Member.id, Member.joined_on, Member.branch_id, Member.name).where(
            Member.is_active.is_(True), sa.extract("month", Member.joined_on).in_(sorted(months))
        )
        if branch_ids is not None:
            stmt = stmt.where(Member.branch_id.in_(branch_ids))
        found = []
        for member_id, joined, branch_id, name in db.session.execute(stmt):
            on = service.anniversary_in(joined, year, rule)
            if on.month == month and year - joined.year >= 1:
                found.append((on, branch_id, name, member_id, year - joined.year))
        found.sort()
        return tuple(found)

    scope = None if branch_ids is None else tuple(branch_ids)
    return dataversion.cached("greetings.month", ("members",), make, year, month, scope, rule.value)
