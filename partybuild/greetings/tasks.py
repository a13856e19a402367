"""Scheduled work: the day's greetings, then e-mail delivery after the commit."""

import logging
from collections import Counter
from datetime import datetime, timedelta

import sqlalchemy as sa

from partybuild.core import jobs, mail
from partybuild.core.settings import setting
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.greetings import service
from partybuild.greetings.models import EmailStatus, Greeting

logger = logging.getLogger(__name__)

# A claim older than this belongs to a run that died mid-send.
STALE_CLAIM = timedelta(minutes=30)


def mail_max_attempts() -> int:
    return int(setting("GREETINGS_MAIL_MAX_ATTEMPTS"))


def send_greetings(now: datetime) -> dict[str, int]:
    """Greet every active member whose political birthday is the local day of ``now``.
    The job runner commits the day's greetings together with its progress."""
    return service.greet_day(local_today(now))


def deliver_greeting_mail(now: datetime) -> dict[str, int]:
    """Send queued and failed card e-mails; each is claimed, sent, then recorded.

    Runs after the greetings are committed. A failure stays "failed" and is
    retried on the next run, up to GREETINGS_MAIL_MAX_ATTEMPTS attempts.
    """
    if not mail.is_enabled():
        return {}
    max_attempts = mail_max_attempts()
    counts: Counter = Counter()
    db.session.execute(
        sa.update(Greeting)
        .where(
            Greeting.email_status == EmailStatus.sending,
            Greeting.email_claimed_at < now - STALE_CLAIM,
        )
        .values(
            email_status=EmailStatus.failed,
            email_error="上次发送过程中断",
            version_id=Greeting.version_id + 1,
        )
    )
    db.session.commit()
    due = db.session.scalars(
        sa.select(Greeting.id)
        .where(
            Greeting.email_status.in_([EmailStatus.pending, EmailStatus.failed]),
            Greeting.email_attempts < max_attempts,
        )
        .order_by(Greeting.id)
    ).all()
    for greeting_id in due:
        # Claim the row so that no other process sends the same card.
        claimed = db.session.execute(
            sa.update(Greeting)
            .where(
                Greeting.id == greeting_id,
                Greeting.email_status.in_([EmailStatus.pending, EmailStatus.failed]),
            )
            .values(
                email_status=EmailStatus.sending,
                email_attempts=Greeting.email_attempts + 1,
                email_claimed_at=now,
                version_id=Greeting.version_id + 1,
            )
        ).rowcount
        db.session.commit()
        if not claimed:
            continue
        greeting = db.session.get(Greeting, greeting_id, populate_existing=True)
        try:
            mail.send_mail(
                greeting.email_to,
                f"{greeting.title} · {greeting.member.name}",
                _mail_text(greeting),
            )
        except mail.MailError as exc:
            greeting.email_status = EmailStatus.failed
            greeting.email_error = str(exc)[:500]
            counts["mail_failed"] += 1
        else:
            greeting.email_status = EmailStatus.sent
            greeting.email_sent_at = now
            greeting.email_error = ""
            counts["mail_sent"] += 1
        db.session.commit()
    return dict(counts)


def _mail_text(greeting: Greeting) -> str:
    base = (setting("PUBLIC_BASE_URL") or "").rstrip("/")
    return (
        f"{greeting.card_text}\n\n"
        f"—— {greeting.branch.name}\n\n"
        f"查看并保存您的电子贺卡：{base}{service.card_path(greeting.id)}\n"
    )


jobs.register(
    "greetings",
    send_greetings,
    label="政治生日贺卡",
    hour=7,
    minute=30,
    after=deliver_greeting_mail,
    # Without a mail server there is nothing to deliver: the run ends with the day's commit.
    after_needed=mail.is_enabled,
    description="向当天政治生日的党员发送电子贺卡并通知支部书记；配置邮件服务器时同时发送邮件。",
    count_labels={
        "found": "政治生日人数",
        "greeted": "发出贺卡",
        "already": "此前已发",
        "notified": "站内通知",
        "mail_queued": "待发邮件",
        "mail_sent": "邮件已发",
        "mail_failed": "邮件失败",
    },
)
