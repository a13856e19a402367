"""Pages: secretary lists, the member's e-card and badge, preview, gifts, templates."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.greetings import service
from partybuild.greetings.models import GiftKind, Greeting, GreetingTemplate
from tests.greetings.conftest import greetings_for


def _years_ago(years: int, days: int = 0) -> date:
    today = local_today()
    day = today + timedelta(days=days)
    return day.replace(year=day.year - years) if (day.month, day.day) != (2, 29) else day


@pytest.fixture
def birthday_today(joined, greet, make_user, org):
    """A branch-A member whose 10th political birthday is today, greeted, with an account."""
    m = joined(_years_ago(10), name="李海燕")
    user = make_user("member", member=m)
    greet(local_today())
    [g] = greetings_for(m)
    return m, user, g


def test_secretary_sees_todays_and_months_birthdays(client, auth, joined, org):
    joined(_years_ago(12), name="今天生日")
    joined(_years_ago(12), name="别支部的", branch=org.b)
    auth.login("secretary", branch=org.a)
    html = client.get("/greetings/").get_data(as_text=True)
    today_part = html.split('data-testid="today-table"')[1].split("</table>")[0]
    assert "今天生日" in today_part
    assert "别支部的" not in html
    assert "集体政治生日名单" in html


def test_month_list_is_filtered_by_month(client, auth, joined, org):
    today = local_today()
    other_month = 1 if today.month != 1 else 2
    joined(date(2001, other_month, 15), name="别月的")
    joined(_years_ago(5), name="本月的")
    auth.login("secretary", branch=org.a)
    html = client.get("/greetings/").get_data(as_text=True)
    assert "本月的" in html and "别月的" not in html
    html = client.get(f"/greetings/?month={today.year}-{other_month:02d}").get_data(as_text=True)
    assert "别月的" in html


def test_month_list_takes_constant_queries(client, auth, joined, org, greet, query_counter):
    auth.login("admin")
    for i in range(2):
        joined(_years_ago(5 + i), name=f"党员甲{i}", branch=org.a if i % 2 else org.b)
    greet(local_today())
    client.get("/greetings/")  # the structure is cached once (the roster changes below)
    joined(_years_ago(30), name="党员丙", branch=org.a)
    greet(local_today())  # both rounds follow a job run (its banner is worked out again)
    # Each time: the first request after a roster change (the month is worked out again)
    # and the next one (from the cache under the roster's data version).
    with query_counter() as few:
        client.get("/greetings/")
    with query_counter() as few_cached:
        client.get("/greetings/")
    for i in range(6):
        joined(_years_ago(8 + i), name=f"党员乙{i}", branch=org.a if i % 2 else org.b)
    greet(local_today())
    with query_counter() as many:
        resp = client.get("/greetings/")
    with query_counter() as many_cached:
        assert client.get("/greetings/").status_code == 200
    assert resp.status_code == 200
    assert many.count == few.count
    assert many_cached.count == few_cached.count
    assert "党员乙5" in resp.get_data(as_text=True)  # never a stale month list


def test_member_gets_card_notification_badge_until_opened(client, auth, birthday_today):
    m, user, g = birthday_today
    auth.login(user)
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="unread-badge"' in home
    card = client.get(f"/greetings/cards/{g.id}")
    html = card.get_data(as_text=True)
    assert card.status_code == 200
    assert "<svg" in html and "李海燕" in html and "10" in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )  # no external fonts or images in the card
    assert 'data-testid="unread-badge"' not in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Greeting, g.id).opened_at is not None


def test_card_svg_download(client, auth, birthday_today):
    _m, user, g = birthday_today
    auth.login(user)
    resp = client.get(f"/greetings/cards/{g.id}/card.svg")
    assert resp.mimetype == "image/svg+xml"
    assert resp.get_data(as_text=True).startswith("<?xml")
    assert "attachment" in resp.headers["Content-Disposition"]


def test_card_scope(client, auth, birthday_today, make_user, org):
    _m, _user, g = birthday_today
    auth.login("member")  # another member of the same branch
    assert client.get(f"/greetings/cards/{g.id}").status_code == 404
    auth.login("secretary", branch=org.b)
    assert client.get(f"/greetings/cards/{g.id}").status_code == 404
    auth.login("secretary", branch=org.a)
    assert client.get(f"/greetings/cards/{g.id}").status_code == 200
    auth.login("reviewer")
    assert client.get(f"/greetings/cards/{g.id}").status_code == 200


def test_member_sees_own_cards(client, auth, birthday_today):
    _m, user, g = birthday_today
    auth.login(user)
    html = client.get("/greetings/").get_data(as_text=True)
    assert "我的电子贺卡" in html and f"/greetings/cards/{g.id}" in html


def test_secretary_previews_upcoming_card(client, auth, joined, org):
    on = local_today() + timedelta(days=3)
    m = joined(
        on.replace(year=on.year - 30) if (on.month, on.day) != (2, 29) else on, name="赵卫东"
    )
    auth.login("secretary", branch=org.a)
    html = client.get(f"/greetings/preview/{m.id}?on={on.isoformat()}").get_data(as_text=True)
    assert "贺卡预览" in html and "赵卫东" in html and "30" in html
    assert greetings_for(m) == []  # a preview sends nothing
    other = joined(date(2000, 1, 5), branch=org.b)
    assert client.get(f"/greetings/preview/{other.id}").status_code == 404
    auth.login("member")
    assert client.get(f"/greetings/preview/{m.id}").status_code == 403


def test_phone_list_shows_card_gift_and_preview_without_side_scrolling(
    client, auth, birthday_today, joined, org
):
    """Each member is drawn once: a table row from md up, a stacked card on phones
    (.table-cards), with the card, the gift and the preview in it."""
    _m, _user, g = birthday_today
    tomorrow = joined(_years_ago(7, days=1), name="明天生日")
    auth.login("secretary", branch=org.a)
    html = client.get("/greetings/").get_data(as_text=True)
    month = html.split('data-testid="month-table"')[1].split("</table>")[0]
    assert "李海燕" in month and "明天生日" in month
    assert f"/greetings/cards/{g.id}/gift" in month  # record the cake
    assert f"/greetings/preview/{tomorrow.id}" in month  # preview before it goes out
    assert "table-cards" in html.split('data-testid="month-table"')[0].rsplit("<table", 1)[1]
    assert html.count("明天生日") == 1  # not a second list for phones


def test_secretary_records_gift(client, auth, birthday_today, org):
    _m, _user, g = birthday_today
    auth.login("secretary", branch=org.a)
    resp = client.post(
        f"/greetings/cards/{g.id}/gift",
        data={
            "gift_kind": "cake",
            "gift_handed_by": "支部书记王某",
            "gift_handed_on": local_today().isoformat(),
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    g = db.session.get(Greeting, g.id)
    assert (g.gift_kind, g.gift_handed_by) == (GiftKind.cake, "支部书记王某")
    html = client.get("/greetings/").get_data(as_text=True)
    assert "政治生日蛋糕" in html and "支部书记王某" in html


def test_gift_in_the_future_is_refused_in_chinese(client, auth, birthday_today, org):
    _m, _user, g = birthday_today
    auth.login("secretary", branch=org.a)
    resp = client.post(
        f"/greetings/cards/{g.id}/gift",
        data={
            "gift_kind": "gift",
            "gift_handed_by": "王某",
            "gift_handed_on": (local_today() + timedelta(days=2)).isoformat(),
        },
    )
    assert resp.status_code == 400
    assert "送达日期不能晚于今天" in resp.get_data(as_text=True)


def test_other_branch_secretary_cannot_record_gift(client, auth, birthday_today, org):
    _m, _user, g = birthday_today
    auth.login("secretary", branch=org.b)
    assert client.post(f"/greetings/cards/{g.id}/gift", data={}).status_code == 404
    auth.login("reviewer")
    assert client.get(f"/greetings/cards/{g.id}/gift").status_code == 403


def test_admin_edits_template_and_unknown_placeholder_is_refused(client, auth):
    service.ensure_default_templates()
    db.session.commit()
    row = db.session.scalar(sa.select(GreetingTemplate).where(GreetingTemplate.years == 0))
    auth.login("admin")
    page = client.get("/greetings/templates").get_data(as_text=True)
    assert "{姓名}" in page and "{入党周年}" in page  # placeholders are documented
    resp = client.post(
        f"/greetings/templates/{row.id}/edit",
        data={
            "years": "0",
            "title": "政治生日快乐",
            "body": "{姓名}同志，{职务}好",
            "is_active": "y",
            "version_id": str(row.version_id),  # edit forms must send it (issue 9)
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "未知的占位符：{职务}" in html
    assert "{姓名}同志，{职务}好" in html  # what was typed is kept
    db.session.expire_all()
    assert "{职务}" not in db.session.get(GreetingTemplate, row.id).body
    resp = client.post(
        f"/greetings/templates/{row.id}/edit",
        data={
            "years": "0",
            "title": "祝贺",
            "body": "{姓名}同志：入党{入党周年}年！",
            "is_active": "y",
            "version_id": str(row.version_id),  # edit forms must send it (issue 9)
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(GreetingTemplate, row.id).body == "{姓名}同志：入党{入党周年}年！"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{姓名", "花括号不配对"),
        ("{}好", "占位符不能为空"),
        ("{姓名!r}", "格式说明"),
        ("{name} {姓名}", "未知的占位符：{name}"),
        ("{姓名.__class__}", "未知的占位符"),
    ],
)
def test_template_problems(body, message):
    assert message in service.template_problem(body)


def test_template_with_escaped_braces_is_fine():
    assert service.template_problem("{{致敬}} {姓名} {党龄} {党支部} {日期} {入党日期}") is None


def test_template_and_settings_pages_are_admin_only(client, auth):
    auth.login("secretary")
    assert client.get("/greetings/templates").status_code == 403
    assert client.post("/greetings/settings", data={"leap_day_rule": "mar1"}).status_code == 403


def test_admin_changes_leap_day_setting(client, auth):
    auth.login("admin")
    resp = client.post("/greetings/settings", data={"leap_day_rule": "mar1"})
    assert resp.status_code == 302
    assert service.leap_day_rule().value == "mar1"
    assert "3月1日" in client.get("/greetings/templates").get_data(as_text=True)


def test_secretary_sets_member_email(client, auth, joined, org):
    m = joined(date(2000, 5, 5))
    auth.login("secretary", branch=org.a)
    resp = client.post(f"/greetings/members/{m.id}/email", data={"email": "not-an-email"})
    assert "邮箱地址格式不正确" in resp.get_data(as_text=True)
    resp = client.post(f"/greetings/members/{m.id}/email", data={"email": "li@example.cn"})
    assert resp.status_code == 302
    other = joined(date(2000, 5, 5), branch=org.b)
    assert client.get(f"/greetings/members/{other.id}/email").status_code == 404


def test_gift_wording_does_not_repeat_political_birthday(client, auth, birthday_today, org):
    _m, _user, g = birthday_today
    auth.login("secretary", branch=org.a)
    resp = client.post(
        f"/greetings/cards/{g.id}/gift",
        data={"gift_kind": "cake", "gift_handed_by": "王书记", "gift_handed_on": g.anniversary_on},
        follow_redirects=True,
    )
    assert "李海燕的政治生日蛋糕已送达" in resp.get_data(as_text=True)
    card = client.get(f"/greetings/cards/{g.id}").get_data(as_text=True)
    assert "政治生日蛋糕已于" in card and "政治生日政治生日" not in card


def test_card_text_is_filled_with_solid_colours_so_it_prints(client, auth, birthday_today, org):
    """Chromium prints gradient-filled SVG text as a solid block hiding the title."""
    import re

    _m, _user, g = birthday_today
    auth.login("secretary", branch=org.a)
    svg = client.get(f"/greetings/cards/{g.id}/card.svg").get_data(as_text=True)
    texts = re.findall(r"<(?:text|tspan)\b[^>]*>", svg)
    assert texts and not [t for t in texts if 'fill="url(' in t]


@pytest.mark.parametrize(("role", "sees"), [("admin", True), ("secretary", False)])
def test_template_settings_link_only_for_admins(client, auth, role, sees):
    auth.login(role)
    body = client.get("/greetings/").get_data(as_text=True)
    assert ("贺卡模板与设置" in body) is sees


def test_week_panel_counts_the_weeks_birthdays_across_months_and_29_february(
    app, joined, make_user, org
):
    """The workbench count reads only the week's month-days (and 29 February) from the
    database; it still counts exactly the week's political birthdays."""
    from partybuild.greetings.views import _week_panel

    for on in (date(2001, 2, 23), date(2004, 2, 29), date(2001, 2, 21), date(2001, 3, 1)):
        joined(on, branch=org.a)
    for on in (date(2001, 3, 30), date(2001, 4, 2), date(2001, 4, 5), date(2001, 3, 28)):
        joined(on, branch=org.a)
    user = make_user("secretary", branch=org.a)
    with app.test_request_context("/"):
        # Monday 22 February 2027 to Sunday 28 February: 29 February falls on the 28th.
        assert _week_panel(user, date(2027, 2, 24)).items[0].count == 2
        # Monday 29 March 2027 to Sunday 4 April: a week over two months.
        assert _week_panel(user, date(2027, 4, 1)).items[0].count == 2
