"""Issue 9, finding 6: a copied session cookie stops working once the user logs out, the
password is changed or reset, the role or scope changes, or the account is deactivated."""

import pytest

from partybuild.auth.models import User
from partybuild.extensions import db
from tests.conftest import FreshUserClient

PASSWORD = "Correct-horse-9"


def _login(client, user, password=PASSWORD):
    resp = client.post("/auth/login", data={"username": user.username, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-800:]


def _copy_cookie(app, source):
    """A second browser holding a copy of ``source``'s session cookie."""
    thief = FreshUserClient(app, app.response_class, use_cookies=True)
    cookie = source.get_cookie("session")
    assert cookie is not None
    thief.set_cookie("session", cookie.value)
    return thief


def _logged_in(client) -> bool:
    return client.get("/notifications").status_code == 200


@pytest.fixture
def admin_client(app, make_user):
    admin = make_user("admin", password="Admin-pass-123")
    c = FreshUserClient(app, app.response_class, use_cookies=True)
    c.post("/auth/login", data={"username": admin.username, "password": "Admin-pass-123"})
    assert _logged_in(c)
    return c


def test_copied_cookie_dies_with_logout(app, client, make_user):
    user = make_user("secretary")
    _login(client, user)
    thief = _copy_cookie(app, client)
    assert _logged_in(thief)
    client.post("/auth/logout")
    assert not _logged_in(client)
    resp = thief.get("/org/members")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    # Logging in again gives a new, working session; the copy stays dead.
    _login(client, user)
    assert _logged_in(client) and not _logged_in(thief)


def test_copied_cookie_dies_with_admin_password_reset(app, client, admin_client, make_user):
    user = make_user("member")
    _login(client, user)
    thief = _copy_cookie(app, client)
    resp = admin_client.post(
        f"/auth/users/{user.id}/password", data={"reset-new_password": "Brand-new-pass-7"}
    )
    assert resp.status_code == 302
    assert not _logged_in(thief) and not _logged_in(client)
    _login(client, user, "Brand-new-pass-7")
    # A password the admin chose must be replaced before anything else (issue 10).
    resp = client.get("/notifications")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/password")
    resp = client.post(
        "/auth/password",
        data={
            "current_password": "Brand-new-pass-7",
            "new_password": "Own-choice-pass-8",
            "confirm": "Own-choice-pass-8",
        },
    )
    assert resp.status_code == 302
    assert _logged_in(client) and not _logged_in(thief)


def test_copied_cookie_dies_with_role_change(app, client, admin_client, make_user, org):
    user = make_user("secretary")
    _login(client, user)
    thief = _copy_cookie(app, client)
    resp = admin_client.post(
        f"/auth/users/{user.id}/edit",
        data={
            "display_name": "",
            "role": "reviewer",
            "branch_id": "",
            "member_id": "",
            "version_id": str(db.session.get(User, user.id).version_id),
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[-500:]
    assert db.session.get(User, user.id).role == "reviewer"
    assert not _logged_in(thief) and not _logged_in(client)


def test_editing_only_the_display_name_keeps_sessions(app, client, admin_client, make_user, org):
    user = make_user("secretary")
    _login(client, user)
    resp = admin_client.post(
        f"/auth/users/{user.id}/edit",
        data={
            "display_name": "新名字",
            "role": "secretary",
            "branch_id": str(org.a.id),
            "member_id": "",
            "version_id": str(db.session.get(User, user.id).version_id),
        },
    )
    assert resp.status_code == 302
    assert _logged_in(client)


def test_copied_cookie_dies_with_deactivation_even_after_reactivation(
    app, client, admin_client, make_user
):
    user = make_user("secretary")
    _login(client, user)
    thief = _copy_cookie(app, client)
    admin_client.post(f"/auth/users/{user.id}/active", data={"active": "0"})
    admin_client.post(f"/auth/users/{user.id}/active", data={"active": "1"})
    assert db.session.get(User, user.id).is_active_account
    assert not _logged_in(thief)


def test_own_password_change_keeps_this_session_and_ends_the_others(app, client, make_user):
    user = make_user("member")
    _login(client, user)
    other_device = FreshUserClient(app, app.response_class, use_cookies=True)
    _login(other_device, user)
    thief = _copy_cookie(app, client)
    resp = client.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "new_password": "Brand-new-pass-7",
            "confirm": "Brand-new-pass-7",
        },
    )
    assert resp.status_code == 302
    assert _logged_in(client)
    assert not _logged_in(thief) and not _logged_in(other_device)


def test_admin_resetting_own_password_stays_logged_in(client, make_user):
    admin = make_user("admin", password="Admin-pass-123")
    _login(client, admin, "Admin-pass-123")
    resp = client.post(
        f"/auth/users/{admin.id}/password", data={"reset-new_password": "Brand-new-pass-7"}
    )
    assert resp.status_code == 302
    assert _logged_in(client)


def test_a_logout_does_not_make_an_admins_open_edit_form_stale(client, make_user):
    """The session version is bumped in plain SQL: the account's edit version stays."""
    user = make_user("member")
    _login(client, user)
    before = db.session.get(User, user.id).version_id
    client.post("/auth/logout")
    db.session.expire_all()
    assert db.session.get(User, user.id).version_id == before


def test_a_login_does_not_make_an_admins_open_edit_form_stale(client, make_user):
    """Login bookkeeping (last login, failure count) is plain SQL: the edit version stays."""
    user = make_user("member")
    before = db.session.get(User, user.id).version_id
    _login(client, user)
    assert _logged_in(client)
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.version_id == before
    assert fresh.last_login_at is not None and fresh.failed_logins == 0


def test_remember_cookie_token_carries_the_session_version(app, make_user):
    """Flask-Login keeps ``get_id()`` in the session and in a remember cookie; the
    loader refuses a token of an older version."""
    from partybuild.auth.views import load_user

    user = make_user("member")
    token = user.get_id()
    assert token == f"{user.id}:{user.session_version}"
    assert load_user(token) is user
    user.session_version += 1
    db.session.commit()
    assert load_user(token) is None
    assert load_user(str(user.id)) is None  # a bare id (the old token format) is refused
