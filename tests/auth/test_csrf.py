"""CSRF protection on every form: a POST without a valid token is refused and saves nothing."""

import re

import pytest
import sqlalchemy as sa

from partybuild.auth.models import User
from partybuild.core.audit import AuditEntry
from partybuild.extensions import db
from partybuild.org.models import Member
from tests.org.helpers import member_form


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _token(client, url):
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _assert_refused(resp):
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "CSRF" in body and "请刷新页面后重新提交" in body and "Traceback" not in body


def _audit_count():
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))


def test_login_without_token_is_refused(client, make_user):
    user = make_user("admin", password="Correct-horse-9")
    _assert_refused(
        client.post("/auth/login", data={"username": user.username, "password": "Correct-horse-9"})
    )
    _assert_refused(
        client.post(
            "/auth/login",
            data={"username": user.username, "password": "Correct-horse-9", "csrf_token": "forged"},
        )
    )
    assert client.get("/").status_code == 302  # not logged in
    assert _audit_count() == 0
    db.session.refresh(user)
    assert user.last_login_at is None and user.failed_logins == 0


def test_login_with_token_works(client, make_user):
    user = make_user("admin", password="Correct-horse-9")
    token = _token(client, "/auth/login")
    resp = client.post(
        "/auth/login",
        data={"username": user.username, "password": "Correct-horse-9", "csrf_token": token},
    )
    assert resp.status_code == 302


def test_create_member_without_token_is_refused(client, auth, org):
    auth.login("secretary")
    _assert_refused(client.post("/org/members/new", data=member_form(org)))
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 0
    token = _token(client, "/org/members/new")
    resp = client.post("/org/members/new", data={**member_form(org), "csrf_token": token})
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 1


def test_other_posts_without_token_are_refused(client, auth, org, make_member, make_user):
    member = make_member()
    target = make_user("reviewer")
    auth.login("admin")
    for url, data in (
        (f"/org/members/{member.id}/retire", {"reason": "x"}),
        (f"/org/members/{member.id}/edit", member_form(org, version_id=1)),
        ("/org/structure/department", {"name": "新科室"}),
        (f"/auth/users/{target.id}/active", {"active": "0"}),
        (f"/auth/users/{target.id}/password", {"reset-new_password": "Reset-pass-2026"}),
        ("/auth/users/new", {"username": "x.y", "role": "reviewer", "password": "Reset-pass-2026"}),
        ("/auth/password", {"current_password": "a", "new_password": "b", "confirm": "b"}),
        ("/auth/logout", {}),
    ):
        _assert_refused(client.post(url, data=data))
    db.session.expire_all()
    assert db.session.get(Member, member.id).is_active
    assert db.session.get(User, target.id).is_active_account
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2
    assert _audit_count() == 0


def test_json_client_gets_csrf_error_code(client, auth):
    auth.login("admin")
    resp = client.post(
        "/org/structure/department", data={"name": "x"}, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "csrf_failed"
