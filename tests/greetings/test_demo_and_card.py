"""Demo data makes the feature visible at once; the card text fits the card."""

from datetime import timedelta

import sqlalchemy as sa

from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.greetings import service
from partybuild.greetings.models import Greeting, GreetingTemplate


def test_demo_has_templates_and_this_weeks_birthdays(app, client, auth):
    from partybuild.auth import demo as auth_demo
    from partybuild.auth.models import User
    from partybuild.greetings import demo
    from partybuild.org import demo as org_demo

    org_demo.seed()
    auth_demo.seed()
    lines = demo.seed()
    db.session.commit()
    assert any("贺卡模板" in line for line in lines)
    assert db.session.scalar(sa.select(sa.func.count(GreetingTemplate.id))) == 6
    today = local_today()
    sent = db.session.scalars(sa.select(Greeting)).all()
    # As if the scheduler had been running: nothing is sent early, and every
    # political birthday of this month and this week before today is greeted.
    assert sent and all(g.anniversary_on < today for g in sent)
    start = min(today.replace(day=1), today - timedelta(days=today.weekday()))
    past = [
        b
        for d in range((today - start).days)
        for b in service.birthdays_on(start + timedelta(days=d))
    ]
    service.attach_greetings(past)
    assert all(b.greeting is not None for b in past)
    # The demo member account has a card waiting for it, with an unread badge.
    member_user = db.session.scalar(sa.select(User).where(User.username == "member"))
    assert any(g.member_id == member_user.member_id for g in sent)
    auth.login(member_user)
    assert 'data-testid="unread-badge"' in client.get("/").get_data(as_text=True)
    assert "未读" in client.get("/greetings/").get_data(as_text=True)
    upcoming = [b for d in range(0, 5) for b in service.birthdays_on(today + timedelta(days=d))]
    assert len(upcoming) >= 4
    # Seeding again adds nothing.
    demo.seed()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Greeting.id))) == len(sent)


def test_card_lines_fit_the_card():
    text = (
        "王建国同志：\n今天是您的政治生日。2005年7月1日，您在党旗下庄严宣誓，"
        "至今已走过21年光辉历程。感谢您在机关第一党支部的辛勤付出！"
    )
    lines = service.card_lines(text)
    assert lines[0] == "王建国同志："
    assert lines[1].startswith("\u3000\u3000今天")
    assert "".join(lines).replace("\u3000", "") == text.replace("\n", "")
    for line in lines:
        body = line.rstrip("，。、；：！？”）》")
        assert service._text_width(body) <= 18.5
    assert not any(line[:1] in "，。！" for line in lines)


def test_overlong_text_is_cut_with_an_ellipsis():
    lines = service.card_lines("党" * 500)
    assert len(lines) == 14 and lines[-1].endswith("…")
