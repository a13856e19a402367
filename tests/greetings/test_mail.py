"""Optional e-mail delivery against a real local SMTP server (aiosmtpd)."""

import email
import email.policy
import socket
from datetime import date

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from partybuild.extensions import db
from partybuild.greetings import service
from partybuild.greetings.models import EmailStatus, Greeting
from tests.greetings.conftest import greetings_for


class Sink:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802 - aiosmtpd API
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_port() -> int:
    return _free_port()


@pytest.fixture
def app_config(smtp_port: int) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_TIMEOUT": 5}


@pytest.fixture
def member_with_email(joined, make_user):
    m = joined(date(2006, 7, 1), name="周晓燕")
    user = make_user("secretary")
    service.set_contact_email(m, "zhou@example.cn", user)
    db.session.commit()
    return m


def test_failed_send_is_retried_on_next_run_and_never_duplicated(
    app, member_with_email, greet, smtp_port
):
    # No server listening yet: the send fails, the greeting stands.
    first = greet(date(2026, 7, 1))
    assert first.outcome.value == "success"
    assert first.counts["greeted"] == 1 and first.counts["mail_failed"] == 1
    [g] = greetings_for(member_with_email)
    assert g.email_status == EmailStatus.failed
    assert g.email_attempts == 1 and g.email_error

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        second = greet(date(2026, 7, 1))
        third = greet(date(2026, 7, 1))
    finally:
        controller.stop()
    assert second.counts == {"found": 1, "already": 1, "mail_sent": 1}
    assert third.counts == {"found": 1, "already": 1}
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert message.rcpt_tos == ["zhou@example.cn"]
    parsed = email.message_from_bytes(message.content, policy=email.policy.default)
    assert "周晓燕" in parsed["Subject"]
    assert "/greetings/cards/" in parsed.get_content()
    [g] = greetings_for(member_with_email)
    assert g.email_status == EmailStatus.sent
    assert g.email_attempts == 2 and g.email_sent_at is not None
    assert db.session.scalar(sa.select(sa.func.count(Greeting.id))) == 1


def test_sent_once_when_server_is_up(app, member_with_email, greet, smtp_port):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        run = greet(date(2026, 7, 1))
        greet(date(2026, 7, 1))
    finally:
        controller.stop()
    assert run.counts["mail_sent"] == 1
    assert len(sink.messages) == 1


def test_member_without_address_gets_no_mail(app, joined, greet):
    m = joined(date(2006, 7, 1))
    greet(date(2026, 7, 1))
    [g] = greetings_for(m)
    assert g.email_status == EmailStatus.none


def test_attempts_are_capped(app, member_with_email, greet):
    app.config["GREETINGS_MAIL_MAX_ATTEMPTS"] = 2
    for _ in range(4):
        greet(date(2026, 7, 1))
    [g] = greetings_for(member_with_email)
    assert (g.email_status, g.email_attempts) == (EmailStatus.failed, 2)


def test_list_says_whether_a_failed_mail_will_be_retried(app, client, auth, joined, greet, org):
    from partybuild.core.timeutil import local_today

    app.config["GREETINGS_MAIL_MAX_ATTEMPTS"] = 2
    today = local_today()
    day = today.replace(day=min(today.day, 28))
    m = joined(day.replace(year=day.year - 7), name="吴邮件")
    service.set_contact_email(m, "wu@example.cn", auth.login("secretary", branch=org.a))
    db.session.commit()
    greet(day)  # no SMTP server listening: the send fails
    html = client.get(f"/greetings/?month={today:%Y-%m}").get_data(as_text=True)
    assert "发送失败（下次运行时重试）" in html
    greet(day)
    html = client.get(f"/greetings/?month={today:%Y-%m}").get_data(as_text=True)
    assert "发送失败（已尝试2次，不再重试）" in html and "下次运行时重试" not in html


def test_mail_goes_out_only_after_the_greeting_is_committed(
    app, member_with_email, greet, smtp_port
):
    """While the SMTP server receives the card, another connection already sees the row."""
    seen: list = []
    engine = db.engine  # the SMTP server's thread has no app context

    class CheckingSink(Sink):
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
            with engine.connect() as conn:  # a connection of its own, outside the job
                seen.extend(
                    conn.execute(sa.text("SELECT member_id, email_status FROM greetings")).all()
                )
            return await super().handle_DATA(server, session, envelope)

    sink = CheckingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        run = greet(date(2026, 7, 1))
    finally:
        controller.stop()
    assert run.counts["mail_sent"] == 1 and len(sink.messages) == 1
    assert [tuple(r) for r in seen] == [(member_with_email.id, "sending")]
