"""Who is greeted when: leap days, year boundaries, 0 years, retired members, reruns."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import time_machine

from partybuild.core import jobs
from partybuild.core.db import utcnow
from partybuild.core.notifications import Notification
from partybuild.extensions import db
from partybuild.greetings import service
from partybuild.greetings.models import Greeting, LeapDayRule
from partybuild.greetings.service import anniversary_in, years_on
from tests.greetings.conftest import greetings_for


@pytest.mark.parametrize(
    ("year", "rule", "expected"),
    [
        (2028, LeapDayRule.feb28, date(2028, 2, 29)),
        (2028, LeapDayRule.mar1, date(2028, 2, 29)),
        (2026, LeapDayRule.feb28, date(2026, 2, 28)),
        (2026, LeapDayRule.mar1, date(2026, 3, 1)),
        (2100, LeapDayRule.feb28, date(2100, 2, 28)),  # not a leap year
    ],
)
def test_leap_day_anniversary(year, rule, expected):
    assert anniversary_in(date(1996, 2, 29), year, rule) == expected


def test_joining_day_itself_is_not_a_political_birthday():
    assert years_on(date(2026, 7, 1), date(2026, 7, 1), LeapDayRule.feb28) is None
    assert years_on(date(2025, 7, 1), date(2026, 7, 1), LeapDayRule.feb28) == 1


def test_leap_day_member_common_year_default_is_28_february(app, joined, greet):
    m = joined(date(1996, 2, 29))
    assert greet(date(2026, 2, 27)).counts.get("greeted", 0) == 0
    run = greet(date(2026, 2, 28))
    assert run.counts["greeted"] == 1
    greet(date(2026, 3, 1))
    [g] = greetings_for(m)
    assert (g.anniversary_on, g.years) == (date(2026, 2, 28), 30)


@pytest.mark.parametrize("app_config", [{"GREETINGS_LEAP_DAY_RULE": "mar1"}])
def test_leap_day_member_common_year_1_march_by_config(app, joined, greet):
    m = joined(date(1996, 2, 29))
    greet(date(2026, 2, 28))
    assert greetings_for(m) == []
    greet(date(2026, 3, 1))
    [g] = greetings_for(m)
    assert g.anniversary_on == date(2026, 3, 1)


def test_leap_day_member_1_march_by_admin_setting(app, joined, greet, make_user):
    admin = make_user("admin")
    service.update_settings({"leap_day_rule": "mar1"}, admin)
    db.session.commit()
    m = joined(date(1996, 2, 29))
    greet(date(2026, 2, 28))
    greet(date(2026, 3, 1))
    [g] = greetings_for(m)
    assert g.anniversary_on == date(2026, 3, 1)


@pytest.mark.parametrize("rule", ["feb28", "mar1"])
def test_leap_day_member_in_leap_year_is_greeted_on_29_february(app, joined, greet, rule):
    app.config["GREETINGS_LEAP_DAY_RULE"] = rule
    m = joined(date(1996, 2, 29))
    greet(date(2028, 2, 28))
    greet(date(2028, 2, 29))
    greet(date(2028, 3, 1))
    [g] = greetings_for(m)
    assert (g.anniversary_on, g.years) == (date(2028, 2, 29), 32)


def test_ordinary_28_february_and_1_march_members_unaffected(app, joined, greet):
    feb28, mar1 = joined(date(2000, 2, 28)), joined(date(2000, 3, 1))
    app.config["GREETINGS_LEAP_DAY_RULE"] = "mar1"
    greet(date(2026, 2, 28))
    greet(date(2026, 3, 1))
    assert [g.anniversary_on for g in greetings_for(feb28)] == [date(2026, 2, 28)]
    assert [g.anniversary_on for g in greetings_for(mar1)] == [date(2026, 3, 1)]


def test_year_boundary_uses_shanghai_day(app, joined):
    dec31, jan1 = joined(date(2000, 12, 31)), joined(date(2001, 1, 1))
    # 15:59 UTC on 31 Dec is 23:59 in Shanghai: still 31 December.
    with time_machine.travel(datetime(2025, 12, 31, 15, 59, tzinfo=UTC), tick=False):
        jobs.run_job("greetings")
    assert [g.years for g in greetings_for(dec31)] == [25]
    assert greetings_for(jan1) == []
    # 16:30 UTC on 31 Dec is already 1 January 2026 in Shanghai.
    with time_machine.travel(datetime(2025, 12, 31, 16, 30, tzinfo=UTC), tick=False):
        jobs.run_job("greetings")
    [g] = greetings_for(jan1)
    assert (g.anniversary_on, g.years) == (date(2026, 1, 1), 25)
    assert len(greetings_for(dec31)) == 1


def test_member_who_joined_today_is_not_greeted(app, joined, greet):
    newcomer = joined(date(2026, 7, 1), full=False, full_member_on=None)
    one_year = joined(date(2025, 7, 1), full=False, full_member_on=None)
    run = greet(date(2026, 7, 1))
    assert greetings_for(newcomer) == []
    [g] = greetings_for(one_year)
    assert g.years == 1
    assert run.counts == {"found": 1, "greeted": 1}


def test_retired_member_is_not_greeted(app, joined, greet):
    retired = joined(date(2000, 7, 1))
    retired.is_active = False
    retired.retired_at = utcnow()
    retired.retired_reason = "组织关系转出"
    db.session.commit()
    active = joined(date(2001, 7, 1))
    greet(date(2026, 7, 1))
    assert greetings_for(retired) == []
    assert len(greetings_for(active)) == 1


def test_rerun_is_harmless(app, joined, greet, make_user):
    m = joined(date(2006, 7, 1))
    user = make_user("member", member=m)
    first = greet(date(2026, 7, 1))
    second = greet(date(2026, 7, 1))
    assert first.counts["greeted"] == 1
    assert second.counts == {"found": 1, "already": 1}
    assert len(greetings_for(m)) == 1
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id))
    assert len(list(notes)) == 1


def test_changing_leap_rule_mid_year_does_not_greet_twice(app, joined, greet):
    m = joined(date(1996, 2, 29))
    greet(date(2026, 2, 28))
    app.config["GREETINGS_LEAP_DAY_RULE"] = "mar1"
    run = greet(date(2026, 3, 1))
    assert run.counts == {"found": 1, "already": 1}
    assert len(greetings_for(m)) == 1


def test_card_text_uses_name_years_and_branch(app, joined, greet, org):
    m = joined(date(2006, 7, 1), name="张建国")
    greet(date(2026, 7, 1))
    [g] = greetings_for(m)
    assert "张建国" in g.card_text
    assert "20" in g.card_text
    assert org.a.name in g.card_text
    assert g.branch_id == org.a.id


def test_milestone_template_is_used_for_round_years(app, joined, greet, make_user):
    admin = make_user("admin")
    service.ensure_default_templates()
    milestone = db.session.scalar(
        sa.select(service.GreetingTemplate).where(service.GreetingTemplate.years == 20)
    )
    service.save_template(
        milestone,
        {
            "years": 20,
            "title": "二十年纪念",
            "body": "{姓名}：入党{入党周年}周年！",
            "is_active": True,
        },
        admin,
    )
    db.session.commit()
    twenty, nineteen = joined(date(2006, 7, 1), name="甲"), joined(date(2007, 7, 1), name="乙")
    greet(date(2026, 7, 1))
    [g20] = greetings_for(twenty)
    [g19] = greetings_for(nineteen)
    assert (g20.title, g20.card_text) == ("二十年纪念", "甲：入党20周年！")
    assert g19.title == "政治生日快乐"


def test_secretary_gets_a_daily_digest(app, joined, greet, make_user, org):
    secretary = make_user("secretary", branch=org.a)
    other = make_user("secretary", branch=org.b)
    joined(date(2006, 7, 1), name="王红梅")
    greet(date(2026, 7, 1))
    greet(date(2026, 7, 1))
    notes = list(
        db.session.scalars(sa.select(Notification).where(Notification.user_id == secretary.id))
    )
    assert len(notes) == 1
    assert "王红梅" in notes[0].body
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Notification.user_id == other.id)) == 0
    )


def test_greeting_needs_at_least_one_year(app, joined):
    m = joined(date(2006, 7, 1))
    db.session.add(
        Greeting(
            member_id=m.id, branch_id=m.branch_id, anniversary_on=date(2006, 7, 1),
            years=0, title="x", card_text="x",
        )
    )  # fmt: skip
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_title_longer_after_placeholders_is_clipped_not_a_failed_run(
    app, joined, greet, make_user, org
):
    """A 60-character title with {党支部} would overflow the 60-character column."""
    admin = make_user("admin")
    org.a.name = "市信访局机关第一党支部（信访接待中心）"
    service.ensure_default_templates()
    default = db.session.scalar(
        sa.select(service.GreetingTemplate).where(service.GreetingTemplate.years == 0)
    )
    title = "祝" * 55 + "{党支部}"
    service.save_template(
        default, {"years": 0, "title": title, "body": "{姓名}同志：生日快乐", "is_active": True},
        admin,
    )  # fmt: skip
    db.session.commit()
    m = joined(date(2007, 7, 1), name="周长题")
    run = greet(date(2026, 7, 1))
    assert run.outcome == jobs.Outcome.success and run.counts["greeted"] == 1
    [g] = greetings_for(m)
    assert len(g.title) == 60 and g.title.endswith("…")


def test_notified_counts_only_new_notifications(app, joined, make_user):
    m = joined(date(2006, 7, 1))
    user = make_user("member", member=m)
    from partybuild.core.notifications import notify

    notify(user.id, "greeting", "早先的通知", dedupe_key=f"greeting:{m.id}:20")
    counts = service.greet_day(date(2026, 7, 1))
    assert counts["greeted"] == 1 and counts.get("notified", 0) == 0
