"""Demo: card templates, and the political birthdays already past this month and week.

As if the scheduler had been running: every day of this month and of this week
before today is greeted, and so is the last political birthday of each demo
member account (so that logging in as ``member`` shows a card and an unread
badge at once). Today's and later birthdays are left for the scheduler.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from partybuild.core.permissions import Role
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.greetings import service
from partybuild.greetings.models import GiftKind, Greeting
from partybuild.org.models import Member


def _days_to_greet(today: date) -> list[date]:
    start = min(today.replace(day=1), today - timedelta(days=today.weekday()))
    days = {start + timedelta(days=i) for i in range((today - start).days)}
    days.add(today - timedelta(days=1))
    # The last political birthday of each member who has a demo account.
    from partybuild.auth.models import User

    rule = service.leap_day_rule()
    joined = db.session.scalars(
        sa.select(Member.joined_on)
        .join(User, User.member_id == Member.id)
        .where(User.role == Role.member, Member.is_active.is_(True))
    )
    for joined_on in joined:
        for year in (today.year, today.year - 1):
            on = service.anniversary_in(joined_on, year, rule)
            if on < today and year - joined_on.year >= 1:
                days.add(on)
                break
    return sorted(days)


def seed() -> list[str]:
    lines = []
    added = service.ensure_default_templates()
    if added:
        lines.append(f"已创建 {added} 个政治生日贺卡模板。")
    if db.session.scalar(sa.select(Greeting.id).limit(1)):
        return lines
    today = local_today()
    sent = sum(service.greet_day(day).get("greeted", 0) for day in _days_to_greet(today))
    first = db.session.scalar(sa.select(Greeting).order_by(Greeting.id).limit(1))
    if first is not None:
        first.gift_kind = GiftKind.cake
        first.gift_handed_by = "支部书记"
        first.gift_handed_on = first.anniversary_on
        first.gift_note = "支部委员会集体送上政治生日蛋糕"
    db.session.flush()
    lines.append(
        f"已为本月、本周此前的政治生日发出 {sent} 张电子贺卡"
        "（今天及以后的由定时任务发送；演示党员账户 member 可查看自己的贺卡）。"
    )
    return lines
