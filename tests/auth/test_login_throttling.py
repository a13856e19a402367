"""Issue 9, finding 7: one answer for every login failure, an atomic failure counter,
a per-address limit beside the per-account lock, and change-password failures that are
counted, locked and audited like login failures."""

import threading
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from partybuild.auth import service
from partybuild.auth.models import User
from partybuild.core.audit import AuditEntry
from partybuild.core.db import utcnow
from partybuild.extensions import db
from tests.conftest import FreshUserClient

PASSWORD = "Correct-horse-9"
FAILED = "用户名或密码错误，或账户已被临时锁定，请稍后再试。"


def _login(client, username, password=PASSWORD):
    return client.post("/auth/login", data={"username": username, "password": password})


def _error(resp) -> str:
    body = resp.get_data(as_text=True)
    start = body.index('data-testid="login-error">') + len('data-testid="login-error">')
    return body[start : body.index("</div>", start)]


def _actions(user_id) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_id == str(user_id))
            .order_by(AuditEntry.id)
        )
    )


def test_every_failure_gets_the_same_answer(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES"] = 3
    wrong = make_user("secretary")
    locked = make_user("secretary")
    inactive = make_user("secretary")
    retired = make_user("member")
    inactive.is_active_account = False
    retired.member.is_active = False
    retired.member.retired_at = utcnow()
    locked.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    answers = {
        "unknown user": _login(client, "nobody-here", "Wrong-pass-1"),
        "wrong password": _login(client, wrong.username, "Wrong-pass-1"),
        "locked, right password": _login(client, locked.username),
        "locked, wrong password": _login(client, locked.username, "Wrong-pass-1"),
        "inactive, right password": _login(client, inactive.username),
        "retired member, right password": _login(client, retired.username),
    }
    for _ in range(2):
        _login(client, wrong.username, "Wrong-pass-1")
    answers["the failure that locks"] = _login(client, wrong.username, "Wrong-pass-1")
    for case, resp in answers.items():
        assert resp.status_code == 401, case
        assert _error(resp) == FAILED, case
    assert db.session.get(User, wrong.id).is_locked()


def test_locked_and_unknown_accounts_spend_a_hash_check(client, make_user, monkeypatch):
    """No path answers faster than a wrong password: each checks one password hash."""
    calls = []
    real = service.verify_password
    monkeypatch.setattr(service, "verify_password", lambda h, p: calls.append(p) or real(h, p))
    user = make_user("member")
    user.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    _login(client, user.username, "Locked-try-1")
    _login(client, "nobody-here", "Unknown-try-1")
    assert calls == ["Locked-try-1", "Unknown-try-1"]


def test_fifty_simultaneous_wrong_passwords_are_all_counted_and_audited(app, make_user):
    app.config["LOGIN_CLIENT_LIMIT"] = 1000
    user = make_user("secretary")
    username, version = user.username, user.version_id  # not loaded from the threads
    n = 50
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attempt(i: int) -> None:
        try:
            with app.app_context():
                c = FreshUserClient(app, app.response_class, use_cookies=True)
                barrier.wait(timeout=30)
                resp = _login(c, username, f"Wrong-pass-{i}")
                statuses.append(resp.status_code)
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert statuses == [401] * n
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    actions = _actions(user.id)
    refused = actions.count("login_refused_locked")
    counted = actions.count("login_failed") + actions.count("account_locked")
    assert counted + refused == n  # every attempt audited
    assert fresh.failed_logins == counted  # every checked attempt counted, none lost
    assert actions.count("account_locked") == 1
    assert fresh.is_locked()
    assert fresh.version_id == version  # a failed login is not an edit of the account


def test_lock_expires_and_counting_starts_afresh(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES"] = 3
    user = make_user("member")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        for i in range(3):
            _login(client, user.username, f"bad-{i}")
        db.session.expire_all()
        assert db.session.get(User, user.id).is_locked()
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        _login(client, user.username, "bad-again")
        db.session.expire_all()
        fresh = db.session.get(User, user.id)
        assert fresh.failed_logins == 1 and fresh.locked_until is None
        assert _login(client, user.username).status_code == 302


def test_per_address_limit_stops_trying_many_usernames(app, client, make_user):
    """60 usernames tried from one address: after LOGIN_CLIENT_LIMIT failures the
    address is refused with 429, even for a real account and its right password."""
    user = make_user("member")
    statuses = [_login(client, f"guess{i}", "Wrong-pass-1").status_code for i in range(60)]
    assert statuses[:20] == [401] * 20
    assert statuses[20:] == [429] * 40
    resp = _login(client, user.username)
    assert resp.status_code == 429
    assert "登录尝试过于频繁，请稍后再试" in resp.get_data(as_text=True)
    # Another address is not held up.
    other = client.post(
        "/auth/login",
        data={"username": user.username, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 302


def test_per_address_limit_counts_only_failures(app, client, make_user):
    """Colleagues behind one address logging in successfully do not use it up."""
    app.config["LOGIN_CLIENT_LIMIT"] = 5
    users = [make_user("member") for _ in range(8)]
    for user in users:
        assert _login(client, user.username).status_code == 302
        client.post("/auth/logout")


def test_per_address_window_passes(app, client, make_user):
    app.config["LOGIN_CLIENT_LIMIT"] = 5
    app.config["LOGIN_CLIENT_WINDOW"] = 300
    user = make_user("member")
    start = utcnow().replace(second=0, microsecond=0)
    start = start - timedelta(minutes=start.minute % 5)
    with time_machine.travel(start + timedelta(seconds=1), tick=False):
        for i in range(5):
            _login(client, f"guess{i}", "bad")
        assert _login(client, user.username).status_code == 429
    with time_machine.travel(start + timedelta(seconds=301), tick=False):
        assert _login(client, user.username).status_code == 302


def _change(client, current, new="Brand-new-pass-7"):
    return client.post(
        "/auth/password",
        data={"current_password": current, "new_password": new, "confirm": new},
    )


def test_change_password_failures_are_counted_locked_and_audited(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES"] = 3
    user = make_user("member")
    assert _login(client, user.username).status_code == 302
    for i in range(2):
        resp = _change(client, f"Wrong-current-{i}")
        assert resp.status_code == 400 and "当前密码不正确" in resp.get_data(as_text=True)
    resp = _change(client, "Wrong-current-3")
    assert resp.status_code == 400 and "账户已被临时锁定" in resp.get_data(as_text=True)
    # Locked: even the right current password is refused now.
    resp = _change(client, PASSWORD)
    assert resp.status_code == 400 and "账户已被临时锁定" in resp.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.is_locked() and fresh.password_hash == user.password_hash
    actions = _actions(user.id)
    assert actions.count("change_password_failed") == 2
    assert actions.count("account_locked") == 1
    assert actions.count("change_password_refused_locked") == 1
    assert "change_password" not in actions
    # The lock holds for the login page too.
    client.post("/auth/logout")
    assert _login(client, user.username).status_code == 401


def test_change_password_with_right_current_password_resets_nothing_else(client, make_user):
    user = make_user("member")
    assert _login(client, user.username).status_code == 302
    assert _change(client, "Wrong-current-1").status_code == 400
    assert _change(client, PASSWORD).status_code == 302
    assert "change_password" in _actions(user.id)


def test_two_logins_of_one_account_at_once_answer_retry_not_500(client, make_user, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError

    user = make_user("member", password=PASSWORD)

    def lost_the_race(*_args, **_kwargs):
        raise StaleDataError("the other login changed the account row first")

    monkeypatch.setattr(service, "authenticate", lost_the_race)
    resp = _login(client, user.username)
    assert resp.status_code == 409
    assert "登录未完成，请重新登录" in resp.get_data(as_text=True)
