"""Scheduled reminders: meetings not yet arranged in their period, tomorrow's meetings,
key tasks due within a week or overdue. Each reminder has a dedupe key, so a rerun
(or a catch-up after downtime) sends nothing twice."""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from partybuild.core import jobs
from partybuild.core.notifications import notify
from partybuild.core.settings import setting
from partybuild.core.timeutil import cn_date, local_today
from partybuild.extensions import db
from partybuild.meetings import cadence
from partybuild.meetings.models import (
    OPEN_TASK_STATES,
    Attendance,
    KeyTask,
    Meeting,
    MeetingState,
)
from partybuild.meetings.service import notify_users
from partybuild.org.models import Branch

logger = logging.getLogger(__name__)


def _secretaries(branch_ids: list[int]) -> dict[int, list[int]]:
    from partybuild.auth.models import User
    from partybuild.core.permissions import Role

    out: dict[int, list[int]] = {}
    for user_id, branch_id in db.session.execute(
        sa.select(User.id, User.branch_id).where(
            User.role == Role.secretary,
            User.branch_id.in_(branch_ids),
            User.is_active_account.is_(True),
        )
    ):
        out.setdefault(branch_id, []).append(user_id)
    return out


def remind_meeting_gaps(now: datetime) -> dict[str, int]:
    """In the last MEETING_GAP_REMIND_DAYS of a period, tell the secretary which
    required meeting types have been neither held nor planned in it."""
    today = local_today(now)
    window = setting("MEETING_GAP_REMIND_DAYS")
    branch_ids = list(db.session.scalars(sa.select(Branch.id).where(Branch.is_active.is_(True))))
    unmet = cadence.unmet_now(branch_ids, today)
    secretaries = _secretaries(branch_ids)
    gaps = sent = 0
    for branch_id, missing in unmet.items():
        for mtype, period in missing:
            if (period.end - today).days >= window:
                continue
            gaps += 1
            for user_id in secretaries.get(branch_id, []):
                note = notify(
                    user_id,
                    "meeting_gap",
                    f"{period.label}尚未召开{mtype.label}",
                    body=f"本期截至{cn_date(period.end)}，{mtype.label}既未召开也未安排，请及时安排。",
                    link=jobs.url_path("meetings.plan", type=mtype.value),
                    dedupe_key=f"meeting-gap:{branch_id}:{mtype.value}:{period.key}",
                )
                sent += note is not None
    db.session.commit()
    return {"gaps": gaps, "reminded": sent}


def notify_tomorrows_meetings(now: datetime) -> dict[str, int]:
    """The day before a planned meeting, each expected member is told when and where."""
    tomorrow = local_today(now) + timedelta(days=1)
    start, end = cadence.local_bounds(tomorrow, tomorrow)
    meetings = db.session.scalars(
        sa.select(Meeting).where(
            Meeting.state == MeetingState.planned,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    ).all()
    sent = 0
    for m in meetings:
        member_ids = list(
            db.session.scalars(sa.select(Attendance.member_id).where(Attendance.meeting_id == m.id))
        )
        when = m.starts_at.astimezone(cadence.LOCAL_TZ).strftime("%H:%M")
        sent += notify_users(
            member_ids,
            "meeting_notice",
            f"明天{when}：{m.title}",
            body=f"{m.type.label}，地点：{m.place or '另行通知'}。",
            link=jobs.url_path("meetings.detail", meeting_id=m.id),
            dedupe_key=f"meeting-notice:{m.id}:{m.starts_at:%Y%m%d%H%M}",
        )
    db.session.commit()
    return {"meetings": len(meetings), "notified": sent}


def remind_key_tasks(now: datetime) -> dict[str, int]:
    """A week before a key task's deadline, and once it is overdue, remind its
    responsible leader and the branch secretary (once per task, deadline and kind)."""
    today = local_today(now)
    days = setting("KEY_TASK_REMIND_DAYS")
    tasks = db.session.scalars(
        sa.select(KeyTask)
        .where(
            KeyTask.state.in_(OPEN_TASK_STATES), KeyTask.deadline <= today + timedelta(days=days)
        )
        .order_by(KeyTask.id)
    ).all()
    secretaries = _secretaries(list({t.branch_id for t in tasks}))
    due = overdue = sent = 0
    for t in tasks:
        late = t.deadline < today
        kind = "overdue" if late else "due"
        overdue += late
        due += not late
        title = (
            f"重点任务已逾期：{t.title}"[:120]
            if late
            else f"重点任务{(t.deadline - today).days}天后到期：{t.title}"[:120]
        )
        key = f"key-task-{kind}:{t.id}:{t.deadline.isoformat()}"
        link = jobs.url_path("meetings.task_detail", task_id=t.id)
        body = f"完成时限：{cn_date(t.deadline)}。请及时推进并记录进展。"
        sent += notify_users([t.lead_member_id], "key_task", title, body=body, link=link,
                             dedupe_key=key)  # fmt: skip
        for user_id in secretaries.get(t.branch_id, []):
            sent += (
                notify(user_id, "key_task", title, body=body, link=link, dedupe_key=key) is not None
            )
    db.session.commit()
    return {"due_soon": due, "overdue": overdue, "reminded": sent}


jobs.register(
    "meeting-gaps",
    remind_meeting_gaps,
    label="组织生活未召开提醒",
    hour=8,
    minute=10,
    description="某类会议在本期（月、季度、年）最后几天仍未召开也未安排时提醒支部书记。",
    count_labels={"gaps": "未安排的会议", "reminded": "发出提醒"},
)
jobs.register(
    "meeting-notices",
    notify_tomorrows_meetings,
    label="会议前一天通知",
    hour=9,
    minute=0,
    description="计划中的会议召开前一天通知应到党员。",
    count_labels={"meetings": "明天的会议", "notified": "发出通知"},
)
jobs.register(
    "key-task-reminders",
    remind_key_tasks,
    label="重点任务到期提醒",
    hour=8,
    minute=20,
    description="重点任务截止前7天和逾期时提醒责任领导和支部书记。",
    count_labels={"due_soon": "即将到期", "overdue": "已逾期", "reminded": "发出提醒"},
)
