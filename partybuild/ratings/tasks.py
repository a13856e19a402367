"""Scheduled work for rating rounds: open and close them on their dates, and remind
raters who have not finished two days before a round closes."""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core import jobs
from partybuild.core.notifications import notify
from partybuild.core.settings import setting
from partybuild.core.timeutil import cn_date, local_today
from partybuild.extensions import db
from partybuild.ratings import service
from partybuild.ratings.models import (
    ModelPost,
    RatingRound,
    RoundPost,
    RoundRater,
    RoundState,
)

logger = logging.getLogger(__name__)

BATCH = 200


def move_rounds(now: datetime) -> dict[str, int]:
    """Open draft rounds whose first day has come; close open rounds whose last day has
    passed (freezing their results). Idempotent: a moved round is not moved again."""
    today = local_today(now)
    opened = closed = 0
    due_open = db.session.scalars(
        sa.select(RatingRound)
        .where(RatingRound.state == RoundState.draft, RatingRound.opens_on <= today)
        .where(RatingRound.closes_on >= today)
        .options(selectinload(RatingRound.entries), selectinload(RatingRound.raters))
        .limit(BATCH)
    ).all()
    for rnd in due_open:
        if rnd.entries:
            service.open_due_round(rnd)
            opened += 1
    due_close = db.session.scalars(
        sa.select(RatingRound)
        .where(RatingRound.state == RoundState.open, RatingRound.closes_on < today)
        .limit(BATCH)
    ).all()
    for rnd in due_close:
        service.close_due_round(rnd)
        closed += 1
    db.session.commit()
    return {"opened": opened, "closed": closed}


def remind_raters(now: datetime) -> dict[str, int]:
    """Raters with posts still to rate, RATING_REMIND_DAYS (2) before the round closes;
    one reminder per rater and round."""
    from partybuild.auth.models import User

    today = local_today(now)
    last_day = today + timedelta(days=setting("RATING_REMIND_DAYS"))
    raters = db.session.scalars(
        sa.select(RoundRater)
        .join(RatingRound, RatingRound.id == RoundRater.round_id)
        .where(
            RatingRound.state == RoundState.open,
            RatingRound.closes_on >= today,
            RatingRound.closes_on <= last_day,
            RoundRater.reminded_at.is_(None),
        )
        .options(
            selectinload(RoundRater.round)
            .selectinload(RatingRound.entries)
            .selectinload(RoundPost.model_post)
            .selectinload(ModelPost.holders)
        )
        .limit(BATCH * 10)
    ).all()
    users = dict(
        db.session.execute(
            sa.select(User.member_id, User.id).where(
                User.member_id.in_([r.member_id for r in raters] or [0]),
                User.is_active_account.is_(True),
            )
        ).all()
    )
    sent = 0
    for rater in raters:
        rnd = rater.round
        expected = sum(1 for e in rnd.entries if rater.member_id not in e.model_post.holder_ids)
        if rater.rated_count >= expected or rater.member_id not in users:
            continue
        note = notify(
            users[rater.member_id],
            "rating_reminder",
            f"{rnd.title}即将结束",
            body=f"还有 {expected - rater.rated_count} 个示范岗待您测评，{cn_date(rnd.closes_on)}截止。",
            link=jobs.url_path("ratings.round_detail", round_id=rnd.id),
            dedupe_key=f"rating-remind:{rnd.id}",
        )
        rater.reminded_at = now
        sent += note is not None
    db.session.commit()
    return {"reminded": sent}


jobs.register(
    "rating-rounds",
    move_rounds,
    label="示范岗测评开始与结束",
    hour=0,
    minute=10,
    description="测评开始日自动开始测评；结束日次日自动结束并固定结果。",
    count_labels={"opened": "开始", "closed": "结束"},
)
jobs.register(
    "rating-reminders",
    remind_raters,
    label="示范岗测评截止提醒",
    hour=8,
    minute=30,
    description="测评结束前2天提醒尚未完成测评的领导和党员（每次测评提醒一次）。",
    count_labels={"reminded": "发出提醒"},
)
