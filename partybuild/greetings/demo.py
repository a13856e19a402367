"""Demo: card templates, and this week's past political birthdays already greeted."""

from datetime import timedelta

import sqlalchemy as sa

from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.greetings import service
from partybuild.greetings.models import GiftKind, Greeting


def seed() -> list[str]:
    lines = []
    added = service.ensure_default_templates()
    if added:
        lines.append(f"已创建 {added} 个政治生日贺卡模板。")
    if db.session.scalar(sa.select(Greeting.id).limit(1)):
        return lines
    # Days of this week before today, as the scheduler would have done them;
    # today's and later ones are left for the scheduler (`flask jobs run`).
    today = local_today()
    sent = 0
    for offset in range(7, 0, -1):
        day = today - timedelta(days=offset)
        if day.isocalendar().week == today.isocalendar().week or offset == 1:
            sent += service.greet_day(day).get("greeted", 0)
    first = db.session.scalar(sa.select(Greeting).order_by(Greeting.id).limit(1))
    if first is not None:
        first.gift_kind = GiftKind.cake
        first.gift_handed_by = "支部书记"
        first.gift_handed_on = first.anniversary_on
        first.gift_note = "支部委员会集体送上政治生日蛋糕"
    db.session.flush()
    lines.append(f"已为本周此前的政治生日发出 {sent} 张电子贺卡（今天及以后的由定时任务发送）。")
    return lines
