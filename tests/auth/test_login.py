"""Login, navigation per role, throttling, inactive accounts, the demo password."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from partybuild.auth.models import User
from partybuild.auth.passwords import DEMO_PASSWORD, hash_password
from partybuild.core.audit import AuditEntry
from partybuild.core.db import utcnow
from partybuild.extensions import db

PASSWORD = "Correct-horse-9"
# Issue 9: one answer for every failure (unknown user, wrong password, locked, inactive).
FAILED = "用户名或密码错误，或账户已被临时锁定，请稍后再试。"


def _text(resp):
    return resp.get_data(as_text=True)


def _login(client, username, password=PASSWORD, **kw):
    return client.post("/auth/login", data={"username": username, "password": password}, **kw)


def _actions(user_id=None):
    stmt = sa.select(AuditEntry.action).order_by(AuditEntry.id)
    if user_id is not None:
        stmt = stmt.where(AuditEntry.object_id == str(user_id))
    return list(db.session.scalars(stmt))


NAV = ("党员名册", "组织架构", "账户管理", "审计日志")


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("admin", {"党员名册", "组织架构", "账户管理", "审计日志"}),
        ("secretary", {"党员名册"}),
        ("member", set()),
        ("reviewer", {"党员名册", "组织架构", "审计日志"}),
    ],
)
def test_login_as_each_role_and_navigation(client, make_user, role, visible):
    user = make_user(role)
    resp = _login(client, user.username)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/")
    home = client.get("/")
    assert home.status_code == 200
    body = _text(home)
    assert f"（{user.role.label}）" in body and "退出登录" in body
    assert {label for label in NAV if label in body} == visible
    assert 'name="viewport"' in body and 'lang="zh-CN"' in body
    assert "login" in _actions(user.id)
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_login_redirects_to_next_but_never_off_site(client, make_user):
    user = make_user("admin")
    resp = _login(client, user.username, query_string={"next": "/org/members?q=x"})
    assert resp.headers["Location"].endswith("/org/members?q=x")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"):
        client.post("/auth/logout")
        resp = _login(client, user.username, query_string={"next": evil})
        assert resp.status_code == 302
        location = resp.headers["Location"]
        assert "evil" not in location and "javascript" not in location, evil


def test_logged_in_user_visiting_login_goes_home(client, auth):
    auth.login("member")
    assert client.get("/auth/login").status_code == 302


def test_logout_is_post_only(client, auth):
    auth.login("member")
    assert client.get("/auth/logout").status_code == 405
    resp = client.post("/auth/logout")
    assert resp.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_wrong_password_and_unknown_user_give_the_same_message(client, make_user):
    user = make_user("secretary")
    resp = _login(client, user.username, "wrong-password-1")
    assert resp.status_code == 401
    assert FAILED in _text(resp) and "再失败" not in _text(resp)
    known = _text(resp).split("login-error")[1][:200]
    resp = _login(client, "nobody", "wrong-password-1")
    assert resp.status_code == 401 and FAILED in _text(resp)
    assert _text(resp).split("login-error")[1][:200] == known
    assert "nobody" not in _text(resp).split("login-error")[1][:200]
    assert client.get("/").status_code == 302  # still anonymous
    assert _actions().count("login_failed") == 2


def test_empty_fields(client):
    resp = _login(client, "", "")
    assert "该字段是必填字段" in _text(resp)


def test_lockout_after_max_failures_and_unlock_after_expiry(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES"] = 3
    app.config["LOGIN_LOCK_MINUTES"] = 15
    user = make_user("secretary")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        assert FAILED in _text(_login(client, user.username, "bad-1"))
        assert FAILED in _text(_login(client, user.username, "bad-2"))
        db.session.refresh(user)
        assert user.failed_logins == 2 and user.locked_until is None
        body = _text(_login(client, user.username, "bad-3"))
        assert FAILED in body
        db.session.refresh(user)
        assert user.locked_until == start + timedelta(minutes=15)
        # The right password does not help while locked.
        resp = _login(client, user.username)
        assert resp.status_code == 401 and FAILED in _text(resp)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        resp = _login(client, user.username)
        assert resp.status_code == 401 and FAILED in _text(resp)
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        resp = _login(client, user.username)
        assert resp.status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None
    actions = _actions(user.id)
    assert actions.count("login_failed") == 2
    assert "account_locked" in actions and "login_refused_locked" in actions
    assert actions[-1] == "login"


def test_default_lockout_is_five_failures(client, make_user):
    user = make_user("member")
    for _ in range(4):
        _login(client, user.username, "bad")
    db.session.refresh(user)
    assert user.failed_logins == 4 and not user.is_locked()
    _login(client, user.username, "bad")
    db.session.refresh(user)
    assert user.is_locked() and user.lock_minutes_left() == 15


def test_admin_password_reset_unlocks(client, make_user):
    user = make_user("secretary")
    for _ in range(5):
        _login(client, user.username, "bad")
    admin = make_user("admin", password="Admin-pass-123")
    assert _login(client, admin.username, "Admin-pass-123").status_code == 302
    assert "已锁定" in _text(client.get("/auth/users"))
    resp = client.post(
        f"/auth/users/{user.id}/password", data={"reset-new_password": "Brand-new-pass-7"}
    )
    assert resp.status_code == 302
    assert "解除锁定" in _text(client.get(resp.headers["Location"]))
    client.post("/auth/logout")
    assert _login(client, user.username, PASSWORD).status_code == 401  # old password gone
    assert _login(client, user.username, "Brand-new-pass-7").status_code == 302


def test_successful_login_resets_failure_count(client, make_user):
    user = make_user("member")
    for _ in range(4):
        _login(client, user.username, "bad")
    assert _login(client, user.username).status_code == 302
    client.post("/auth/logout")
    _login(client, user.username, "bad")
    db.session.refresh(user)
    assert user.failed_logins == 1


def test_inactive_account_is_refused(client, make_user):
    user = make_user("secretary")
    user.is_active_account = False
    db.session.commit()
    resp = _login(client, user.username)
    assert resp.status_code == 401 and FAILED in _text(resp)
    assert client.get("/").status_code == 302
    assert "login_refused_inactive" in _actions(user.id)


def test_retired_members_account_can_no_longer_log_in(client, make_user):
    from partybuild.org.service import retire_member

    secretary = make_user("secretary")
    user = make_user("member")
    assert _login(client, user.username).status_code == 302
    retire_member(user.member, "组织关系转出", secretary)
    db.session.commit()
    assert client.get("/notifications").status_code == 302  # the open session ends too
    resp = _login(client, user.username)
    assert resp.status_code == 401 and FAILED in _text(resp)


def test_deactivation_ends_an_open_session(client, auth, make_user):
    user = make_user("secretary")
    assert _login(client, user.username).status_code == 302
    assert client.get("/org/members").status_code == 200
    user.is_active_account = False
    db.session.commit()
    resp = client.get("/org/members")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_demo_password_only_for_demo_accounts(client, make_user):
    demo = make_user("reviewer", password=DEMO_PASSWORD)
    demo.is_demo = True
    db.session.commit()
    assert _login(client, demo.username, DEMO_PASSWORD).status_code == 302
    client.post("/auth/logout")

    # A real account that somehow carries the demo password may not use it.
    real = make_user("reviewer")
    real.password_hash = hash_password(DEMO_PASSWORD)
    db.session.commit()
    resp = _login(client, real.username, DEMO_PASSWORD)
    assert resp.status_code == 401
    assert "演示密码" in _text(resp)
    assert client.get("/").status_code == 302


def test_login_usernames_are_trimmed(client, make_user):
    make_user("member", username="zhangsan")
    assert _login(client, "  zhangsan ").status_code == 302


def test_user_loader_ignores_garbage_ids(client):
    with client.session_transaction() as sess:
        sess["_user_id"] = "not-a-number"
    assert client.get("/").status_code == 302
    with client.session_transaction() as sess:
        sess["_user_id"] = "99999"
    assert client.get("/").status_code == 302


def test_session_cookie_flags(app, client, make_user):
    user = make_user("member")
    resp = _login(client, user.username)
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert db.session.get(User, user.id).last_login_at is not None


def test_unknown_user_costs_a_hash_check(client, monkeypatch):
    """Unknown usernames are not answered faster than wrong passwords."""
    from partybuild.auth import service

    calls = []
    real = service.verify_password
    monkeypatch.setattr(service, "verify_password", lambda h, p: calls.append(p) or real(h, p))
    _login(client, "nobody", "some-password-1")
    assert calls == ["some-password-1"]
