"""Cadence periods and the compliance grid, across a year boundary and in local time."""

from datetime import date

from partybuild.extensions import db
from partybuild.meetings import cadence
from partybuild.meetings.models import MeetingType
from tests.meetings.conftest import local


def test_periods_of_monthly_and_quarterly_types():
    assert cadence.period_of(date(2025, 12, 31), 12).label == "2025年12月"
    assert cadence.period_of(date(2026, 1, 1), 12).label == "2026年1月"
    q4, q1 = cadence.period_of(date(2025, 12, 31), 4), cadence.period_of(date(2026, 1, 1), 4)
    assert (q4.start, q4.end) == (date(2025, 10, 1), date(2025, 12, 31))
    assert (q1.start, q1.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert cadence.period_of(date(2026, 7, 9), 1).months == tuple(range(1, 13))
    assert [p.months for p in cadence.periods_in(2026, 2)] == [
        (1, 2, 3, 4, 5, 6),
        (7, 8, 9, 10, 11, 12),
    ]


def _row(grids, branch_id, mtype):
    return next(r for r in grids[branch_id] if r.type == mtype)


def test_grid_marks_gaps_across_the_year_boundary(world):
    a = world.org.a.id
    # 31 December 2025 at 23:30 local: December 2025 and Q4 2025, not 2026.
    dec = world.meeting(MeetingType.committee_meeting, starts_at=local(2025, 12, 31, 23, 30))
    world.hold(dec)
    q4 = world.meeting(MeetingType.general_assembly, starts_at=local(2025, 12, 30, 14))
    world.hold(q4)
    # 1 January 2026 at 00:30 local is still 31 December in UTC: it counts for January.
    jan = world.meeting(MeetingType.committee_meeting, starts_at=local(2026, 1, 1, 0, 30))
    world.hold(jan)
    # March 2026: only planned.
    world.meeting(MeetingType.committee_meeting, starts_at=local(2026, 3, 10))
    db.session.commit()

    today = date(2026, 3, 5)
    grids = cadence.grid([a], 2026, today)
    committee = _row(grids, a, MeetingType.committee_meeting)
    assert [c.status for c in committee.cells[:4]] == ["met", "gap", "planned", "open"]
    assert committee.met == 1 and committee.gaps == 1
    assembly = _row(grids, a, MeetingType.general_assembly)
    assert [c.span for c in assembly.cells] == [3, 3, 3, 3]
    assert assembly.cells[0].status == "open"  # Q1 2026 not over; Q4 2025 does not count

    # The workbench's totals agree with the grid's, boundary meetings included.
    assert cadence.totals([a], 2026, today)[a] == (
        sum(r.met for r in grids[a]),
        sum(r.per_year for r in grids[a]),
        sum(r.gaps for r in grids[a]),
    )
    assert cadence.totals([a], 2025, today)[a][0] == sum(
        r.met for r in cadence.grid([a], 2025, today)[a]
    )

    last_year = cadence.grid([a], 2025, date(2026, 3, 5))
    assert _row(last_year, a, MeetingType.committee_meeting).cells[11].status == "met"
    assert _row(last_year, a, MeetingType.committee_meeting).cells[10].status == "gap"
    assert _row(last_year, a, MeetingType.general_assembly).cells[3].status == "met"
    assert _row(last_year, a, MeetingType.general_assembly).cells[2].status == "gap"


def test_unmet_now_lists_types_neither_held_nor_planned(world):
    a = world.org.a.id
    world.meeting(MeetingType.committee_meeting, starts_at=local(2026, 1, 20))
    missing = dict(cadence.unmet_now([a], date(2026, 1, 25))[a])
    assert MeetingType.committee_meeting not in missing
    assert missing[MeetingType.general_assembly].label == "2026年第1季度"
    assert MeetingType.theme_day in missing


def test_cadence_is_a_setting(world):
    from partybuild.core.settings import change_setting

    change_setting(
        "MEETING_CADENCE",
        {"general_assembly": "2", "committee_meeting": "12", "group_meeting": "12",
         "party_lecture": "4", "topic_meeting": "4", "theme_day": "0",
         "org_life_meeting": "1"},
        world.users["admin"],
    )  # fmt: skip
    db.session.commit()
    grids = cadence.grid([world.org.a.id], 2026, date(2026, 12, 31))
    assert [c.span for c in _row(grids, world.org.a.id, MeetingType.general_assembly).cells] == [
        6,
        6,
    ]
    assert _row(grids, world.org.a.id, MeetingType.theme_day).gaps == 0


def test_meetings_version_moves_with_every_committed_change(world):
    import sqlalchemy as sa

    from partybuild.core import dataversion
    from partybuild.meetings.models import Meeting

    def version() -> int:
        return dict(dataversion.current(["meetings"]))["meetings"]

    start = version()
    m = world.meeting(MeetingType.committee_meeting, starts_at=local(2026, 2, 3))
    planned = version()
    assert planned > start
    m.title = m.title  # no real change: no new version
    db.session.commit()
    assert version() == planned
    db.session.execute(sa.update(Meeting).where(Meeting.id == m.id).values(place="二楼"))
    db.session.rollback()
    assert version() == planned  # a rolled-back change moves nothing
    db.session.execute(sa.update(Meeting).where(Meeting.id == m.id).values(place="二楼"))
    db.session.commit()
    assert version() == planned + 1  # counted as the change commits


def test_figures_read_inside_a_writing_transaction_are_not_kept_for_others(world):
    """A version seen before a rollback can be taken again by another commit: what was
    computed from the rolled-back rows must not be served under it."""
    import sqlalchemy as sa

    from partybuild.core import dataversion
    from partybuild.meetings.models import Meeting

    m = world.meeting(MeetingType.committee_meeting, starts_at=local(2026, 2, 3))
    db.session.commit()

    def place() -> str:
        return dataversion.cached(
            "test.place", ("meetings",), lambda: db.session.get(Meeting, m.id).place, m.id
        )

    db.session.execute(sa.update(Meeting).where(Meeting.id == m.id).values(place="会议室甲"))
    assert place() == "会议室甲"  # the writer sees its own change
    db.session.rollback()
    db.session.execute(sa.update(Meeting).where(Meeting.id == m.id).values(place="会议室乙"))
    db.session.commit()  # the same version number as the rolled-back change
    assert place() == "会议室乙"
    assert place() == "会议室乙"  # and now it is kept: served from the cache
