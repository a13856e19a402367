"""Optional SMTP delivery, off unless PARTYBUILD_MAIL_SERVER is set.

Settings (declared in core/settings.py; PARTYBUILD_-prefixed environment variables):
MAIL_SERVER, MAIL_PORT (25), MAIL_SENDER, MAIL_SENDER_NAME, MAIL_USERNAME,
MAIL_PASSWORD, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL, MAIL_TIMEOUT (seconds, 10).

Callers send only after their database commit and record the outcome on their
own rows, so a failure is retried by the next job run and never duplicates data.
"""

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from partybuild.core.settings import setting

logger = logging.getLogger(__name__)


class MailError(Exception):
    """Delivery failed; the message is short and safe to store and show."""


def is_enabled() -> bool:
    return bool(setting("MAIL_SERVER"))


def _sender() -> str:
    sender = setting("MAIL_SENDER") or "partybuild@localhost"
    name = setting("MAIL_SENDER_NAME") or "党建工作平台"
    return formataddr((name, sender)) if "<" not in sender else sender


def build_message(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = _sender()
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="partybuild.local")
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def send_mail(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Send one message; raise MailError on any failure (never a partial success)."""
    if not is_enabled():
        raise MailError("未配置邮件服务器")
    host = setting("MAIL_SERVER")
    use_ssl = bool(setting("MAIL_USE_SSL"))
    port = int(setting("MAIL_PORT") or (465 if use_ssl else 25))
    timeout = float(setting("MAIL_TIMEOUT") or 10)
    username = setting("MAIL_USERNAME")
    msg = build_message(to, subject, text, html)
    try:
        if use_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if setting("MAIL_USE_TLS") and not use_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if username:
                smtp.login(username, setting("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("mail to %s failed: %s", to, exc)
        raise MailError(f"{type(exc).__name__}: {exc}"[:500]) from exc
    logger.info("mail sent to %s: %s", to, subject)
