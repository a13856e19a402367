"""Scheduled reminders for integrity risk: reviews falling due or overdue, rectification
deadlines. One notification per object, date and kind (dedupe keys carry the date, so a
moved date is reminded again); reruns and catch-up days are harmless."""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa

from partybuild.core import jobs
from partybuild.core.notifications import notify
from partybuild.core.permissions import Role
from partybuild.core.settings import setting
from partybuild.core.timeutil import cn_date, local_today
from partybuild.extensions import db
from partybuild.integrity.models import Rectification, RectificationState, RiskPoint

logger = logging.getLogger(__name__)


def _secretaries(branch_ids: set[int]) -> dict[int, list[int]]:
    """Active secretaries' user ids per branch (one query)."""
    from partybuild.auth.models import User

    found: dict[int, list[int]] = defaultdict(list)
    if not branch_ids:
        return found
    rows = db.session.execute(
        sa.select(User.branch_id, User.id).where(
            User.role == Role.secretary,
            User.branch_id.in_(branch_ids),
            User.is_active_account.is_(True),
        )
    )
    for branch_id, user_id in rows:
        found[branch_id].append(user_id)
    return found


def _users_of(member_ids: set[int]) -> dict[int, list[int]]:
    from partybuild.auth.models import User

    found: dict[int, list[int]] = defaultdict(list)
    if not member_ids:
        return found
    rows = db.session.execute(
        sa.select(User.member_id, User.id).where(
            User.member_id.in_(member_ids), User.is_active_account.is_(True)
        )
    )
    for member_id, user_id in rows:
        found[member_id].append(user_id)
    return found


def remind_reviews(now: datetime) -> dict[str, int]:
    """Before a review falls due (RISK_REVIEW_REMIND_DAYS) and once it is overdue: the
    branch secretaries and the point's owner."""
    today = local_today(now)
    soon = today + timedelta(days=setting("RISK_REVIEW_REMIND_DAYS"))
    points = db.session.execute(
        sa.select(
            RiskPoint.id, RiskPoint.branch_id, RiskPoint.owner_id, RiskPoint.title,
            RiskPoint.next_review_on,
        )
        .where(RiskPoint.is_active.is_(True), RiskPoint.next_review_on <= soon)
        .order_by(RiskPoint.id)
    ).all()  # fmt: skip
    secretaries = _secretaries({p.branch_id for p in points})
    owners = _users_of({p.owner_id for p in points if p.owner_id})
    sent = due = overdue = 0
    for p in points:
        late = p.next_review_on < today
        overdue += late
        due += not late
        kind = "overdue" if late else "due"
        title = (
            f"廉政风险点排查已逾期（应于{cn_date(p.next_review_on)}前）"
            if late
            else f"廉政风险点将于{cn_date(p.next_review_on)}到期排查"
        )
        link = jobs.url_path("integrity.point", point_id=p.id)
        for user_id in {*secretaries.get(p.branch_id, []), *owners.get(p.owner_id, [])}:
            note = notify(
                user_id, "risk_review", title, body=p.title[:60], link=link,
                dedupe_key=f"risk-review:{p.id}:{p.next_review_on.isoformat()}:{kind}",
            )  # fmt: skip
            sent += note is not None
    db.session.commit()
    return {"due": due, "overdue": overdue, "reminded": sent}


def remind_rectifications(now: datetime) -> dict[str, int]:
    """Before a rectification's deadline: the responsible person; once overdue: the
    responsible person and the branch secretaries."""
    today = local_today(now)
    soon = today + timedelta(days=setting("RECTIFICATION_REMIND_DAYS"))
    rows = db.session.execute(
        sa.select(
            Rectification.id, Rectification.branch_id, Rectification.responsible_id,
            Rectification.problem, Rectification.deadline,
        )
        .where(
            Rectification.state.in_([RectificationState.open, RectificationState.in_progress]),
            Rectification.deadline <= soon,
        )
        .order_by(Rectification.id)
    ).all()  # fmt: skip
    responsible = _users_of({r.responsible_id for r in rows})
    secretaries = _secretaries({r.branch_id for r in rows if r.deadline < today})
    sent = due = overdue = 0
    for r in rows:
        late = r.deadline < today
        overdue += late
        due += not late
        users = set(responsible.get(r.responsible_id, []))
        if late:
            users |= set(secretaries.get(r.branch_id, []))
            title = f"整改已逾期（期限{cn_date(r.deadline)}）"
        else:
            left = (r.deadline - today).days
            title = f"整改期限还有 {left} 天" if left else "整改今天到期"
        kind = "overdue" if late else "due"
        for user_id in users:
            note = notify(
                user_id, "rectification", title, body=r.problem[:60],
                link=jobs.url_path("integrity.rectification", rect_id=r.id),
                dedupe_key=f"rectification:{r.id}:{r.deadline.isoformat()}:{kind}",
            )  # fmt: skip
            sent += note is not None
    db.session.commit()
    return {"due": due, "overdue": overdue, "reminded": sent}


jobs.register(
    "integrity-reviews",
    remind_reviews,
    label="廉政风险排查提醒",
    hour=8,
    minute=10,
    description="风险点排查到期前和逾期后，提醒支部书记和风险点责任人（每个日期各提醒一次）。",
    count_labels={"due": "即将到期", "overdue": "已逾期", "reminded": "发出提醒"},
)
jobs.register(
    "integrity-rectifications",
    remind_rectifications,
    label="整改期限提醒",
    hour=8,
    minute=20,
    description="整改期限前提醒整改责任人；逾期后同时提醒支部书记。",
    count_labels={"due": "即将到期", "overdue": "已逾期", "reminded": "发出提醒"},
)
