"""Scheduled reminders for commitments: the deadline is approaching."""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from partybuild.commitments.models import Commitment, CommitmentState
from partybuild.core import jobs
from partybuild.core.notifications import notify
from partybuild.core.settings import setting
from partybuild.core.timeutil import cn_date, local_today
from partybuild.extensions import db

logger = logging.getLogger(__name__)

# Only commitments still being kept need a nudge.
KEEPING = (CommitmentState.published, CommitmentState.in_progress)


def remind_deadlines(now: datetime) -> dict[str, int]:
    """Notify each member whose commitment is due within COMMITMENT_REMINDER_DAYS (7).

    One reminder per commitment and deadline (the dedupe key carries the
    deadline, so a moved deadline is reminded again); reruns are harmless.
    """
    from partybuild.auth.models import User

    today = local_today(now)
    days = setting("COMMITMENT_REMINDER_DAYS")
    rows = db.session.execute(
        sa.select(Commitment.id, Commitment.deadline, Commitment.content, User.id)
        .join(User, User.member_id == Commitment.member_id)
        .where(
            Commitment.state.in_(KEEPING),
            Commitment.is_withdrawn.is_(False),
            Commitment.deadline >= today,
            Commitment.deadline <= today + timedelta(days=days),
            User.is_active_account.is_(True),
        )
        .order_by(Commitment.id)
    ).all()
    sent = 0
    for commitment_id, deadline, content, user_id in rows:
        left = (deadline - today).days
        note = notify(
            user_id,
            "commitment_deadline",
            f"承诺即将到期：还有 {left} 天" if left else "承诺今天到期",
            body=f"“{content[:40]}”的完成时限是 {cn_date(deadline)}，请及时记录践诺情况或申请评诺。",
            link=jobs.url_path("commitments.detail", commitment_id=commitment_id),
            dedupe_key=f"commitment-deadline:{commitment_id}:{deadline.isoformat()}",
        )
        sent += note is not None
    db.session.commit()
    return {"due_soon": len(rows), "reminded": sent}


jobs.register(
    "commitment-deadlines",
    remind_deadlines,
    label="承诺到期提醒",
    hour=8,
    minute=0,
    description="承诺完成时限前7天起提醒党员本人（每个承诺每个时限提醒一次）。",
    count_labels={"due_soon": "即将到期", "reminded": "发出提醒"},
)


def digest_pending_comments(now: datetime) -> dict[str, int]:
    """Once a day, tell whoever moderates each commitment's public comments how many
    wait (one notification per person and day; a secretary's own commitments go to her
    deputy or the higher-level organisation, 回避)."""
    from partybuild.commitments import conflicts
    from partybuild.commitments.models import CommentState, PublicRating

    today = local_today(now)
    # Who moderates depends only on the owner and branch: one query per such pair.
    rows = db.session.execute(
        sa.select(Commitment.member_id, Commitment.branch_id, sa.func.count(PublicRating.id))
        .join(PublicRating, PublicRating.commitment_id == Commitment.id)
        .where(PublicRating.comment_state == CommentState.pending)
        .group_by(Commitment.member_id, Commitment.branch_id)
        .order_by(Commitment.branch_id, Commitment.member_id)
    ).all()
    waiting: dict[int, int] = {}
    for member_id, branch_id, n in rows:
        for user_id in conflicts.acting_user_ids(member_id, branch_id):
            waiting[user_id] = waiting.get(user_id, 0) + n
    sent = 0
    for user_id, n in sorted(waiting.items()):
        note = notify(
            user_id,
            "comment_digest",
            f"有 {n} 条群众留言待审核",
            body="群众留言审核后才会在公示栏公开；请及时处理。",
            link=jobs.url_path("commitments.moderation", state="pending"),
            dedupe_key=f"comment-digest:{today.isoformat()}",
        )
        sent += note is not None
    db.session.commit()
    return {"pending": sum(n for *_, n in rows), "notified": sent}


jobs.register(
    "commitment-comment-digest",
    digest_pending_comments,
    label="群众留言待审核汇总",
    hour=8,
    minute=30,
    description="每天一次，告诉支部书记（本人承诺则为代行的支委或上级党组织）有多少群众留言待审核。",
    count_labels={"pending": "待审核留言", "notified": "发出提醒"},
)
