"""Deny by default: every route declares who may use it."""

import pytest

from partybuild.core import permissions


def test_every_route_declares_an_access_rule(app):
    missing = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if permissions.access_rule(app, rule.endpoint) is None
    ]
    assert missing == [], f"routes without an access rule: {missing}"


def test_only_intended_routes_are_public(app):
    public = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if permissions.access_rule(app, rule.endpoint) == permissions.PUBLIC
    )
    allowed_prefixes = ("static", "auth.login", "public.", "core.favicon")
    assert all(ep.startswith(allowed_prefixes) for ep in public), public


def test_undeclared_route_is_refused(app, client, auth):
    @app.get("/undeclared-probe")
    def undeclared_probe():
        return "secret"

    auth.login("admin")
    resp = client.get("/undeclared-probe")
    assert resp.status_code == 403
    assert "secret" not in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/auth/users", {"admin"}),
        ("/audit", {"admin", "reviewer"}),
        ("/org/members", {"admin", "secretary", "reviewer"}),
        ("/org/members/new", {"admin", "secretary"}),
        ("/org/structure", {"admin", "reviewer"}),
        ("/notifications", {"admin", "secretary", "reviewer", "member"}),
    ],
)
def test_role_rules(app, client, auth, path, allowed):
    for role in ("admin", "secretary", "reviewer", "member"):
        auth.login(role)
        status = client.get(path).status_code
        assert (status == 200) == (role in allowed), (role, path, status)
        auth.logout()


def test_error_pages_are_chinese_without_traceback(client, auth):
    auth.login("member")
    resp = client.get("/auth/users")
    assert resp.status_code == 403
    body = resp.get_data(as_text=True)
    assert "您没有权限访问此页面" in body and "Traceback" not in body
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and "页面不存在" in resp.get_data(as_text=True)


def test_json_clients_get_stable_error_codes(client, auth):
    auth.login("member")
    resp = client.get("/auth/users", headers={"Accept": "application/json"})
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "forbidden"


@pytest.fixture
def app_config():
    return {"PROPAGATE_EXCEPTIONS": False}


def test_unexpected_error_shows_chinese_500_page(app, client, auth):
    from partybuild.core.permissions import authenticated

    @app.get("/boom-probe")
    @authenticated
    def boom_probe():
        raise RuntimeError("internal detail")

    auth.login("member")
    resp = client.get("/boom-probe")
    assert resp.status_code == 500
    body = resp.get_data(as_text=True)
    assert "系统内部错误" in body and "internal detail" not in body


def test_allows_is_the_route_rule():
    from types import SimpleNamespace

    from partybuild.core.permissions import AUTHENTICATED, PUBLIC, Role, allows

    anonymous = SimpleNamespace(is_authenticated=False)
    secretary = SimpleNamespace(is_authenticated=True, role=Role.secretary)
    rule = frozenset({Role.admin, Role.secretary})
    assert allows(PUBLIC, anonymous) and allows(PUBLIC, None)
    assert not allows(AUTHENTICATED, anonymous) and allows(AUTHENTICATED, secretary)
    assert allows(rule, secretary) and not allows(rule, anonymous)
    assert not allows(frozenset({Role.admin}), secretary)
    assert not allows(None, secretary)  # a route without a rule opens to nobody


@pytest.mark.parametrize(
    "endpoint",
    [
        "auth.users",
        "core.audit_log",
        "core.job_runs",
        "org.members",
        "org.create_member",
        "org.structure",
        "commitments.review",
        "commitments.overview",
        "commitments.mine",
        "greetings.templates",
        "core.notifications",
    ],
)
def test_can_open_agrees_with_the_request_check(app, client, auth, endpoint):
    """Templates show a link exactly when following it would not be refused."""
    from flask import url_for

    from partybuild.core.permissions import can_open

    with app.test_request_context():
        path = url_for(endpoint)
    for role in ("admin", "secretary", "reviewer", "member"):
        user = auth.login(role)
        with app.test_request_context():
            expected = can_open(endpoint, user)
        status = client.get(path).status_code
        assert (status != 403) == expected, (role, endpoint, status)
        auth.logout()
    with app.test_request_context():
        from flask_login import AnonymousUserMixin

        assert not can_open(endpoint, AnonymousUserMixin())
