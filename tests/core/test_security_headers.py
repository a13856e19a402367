"""Issue 9, findings 4 and 5: security headers on every response, no inline script or
style in the templates, and redirect targets that stay on this site."""

import re
from pathlib import Path

import pytest

from partybuild.core.security import safe_next

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _csp(resp) -> dict[str, str]:
    header = resp.headers.get("Content-Security-Policy", "")
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def _assert_hardened(resp) -> None:
    csp = _csp(resp)
    assert csp.get("default-src") == "'self'"
    assert csp.get("script-src") == "'self'"  # no 'unsafe-inline', no nonce needed
    assert csp.get("style-src") == "'self'"
    assert csp.get("img-src") == "'self' data:"
    assert csp.get("object-src") == "'none'"
    assert csp.get("base-uri") == "'self'"
    assert csp.get("form-action") == "'self'"
    assert csp.get("frame-ancestors") == "'none'"
    assert resp.headers.get("X-Frame-Options") == "DENY"
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"
    assert resp.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"
    policy = resp.headers.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy


def test_every_kind_of_response_carries_the_headers(client, auth, org):
    responses = {
        "login page": client.get("/auth/login"),
        "public board": client.get(f"/public/{org.a.code}"),
        "404": client.get("/no/such/page"),
        "static": client.get("/static/css/app.css"),
        "login redirect": client.get("/org/members"),
    }
    auth.login("secretary")
    responses["members"] = client.get("/org/members")
    responses["405"] = client.get("/auth/logout")
    for name, resp in responses.items():
        assert resp.status_code in (200, 302, 404, 405), name
        _assert_hardened(resp)
        assert "Strict-Transport-Security" not in resp.headers, name  # plain HTTP deployment
        resp.close()  # the static file's handle


def test_hsts_only_when_the_deployment_is_behind_https(client):
    resp = client.get("/auth/login", base_url="https://localhost")
    assert "Strict-Transport-Security" not in resp.headers


class TestBehindHttps:
    @pytest.fixture
    def app_config(self):
        return {"SESSION_COOKIE_SECURE": True}

    def test_hsts_and_secure_cookie(self, client, make_user):
        resp = client.get("/auth/login", base_url="https://localhost")
        assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
        _assert_hardened(resp)
        # No redirect to https is forced by the app: TLS is the reverse proxy's business.
        assert client.get("/auth/login").status_code == 200
        user = make_user("member")
        resp = client.post(
            "/auth/login",
            data={"username": user.username, "password": "Correct-horse-9"},
            base_url="https://localhost",
        )
        assert resp.status_code == 302
        assert "Secure" in resp.headers["Set-Cookie"]


_INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"(?<![\w-])on[a-z]+\s*=", re.I), "on*= handler"),
    (re.compile(r"(?<![\w-])style\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> block"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_have_no_inline_script_or_style():
    problems = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in (".html", ".svg") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for pattern, what in _INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert problems == []


# --- redirect targets ----------------------------------------------------------------

BYPASSES = [
    "//evil.example",
    "//evil.example/",
    "///evil.example",
    "/\\evil.example",
    "\\/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/%2509/evil.example",
    "/\r\n/x",
    "/%0D%0A/x",
    "/%0d%0aSet-Cookie:x=1",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%255Cevil.example",
    "/%25252F/evil.example",
    "%2F%2Fevil.example",
    "https:evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "/／evil.example",
    "／／evil.example",
    "/∕evil.example",
    "/⁄evil.example",
    "/＼evil.example",
    "/\u3000/evil.example",
    "/\u200b/evil.example",
    "/\u202e/evil.example",
    "/\x00/evil.example",
    "/%00/evil.example",
    " //evil.example",
    "//evil.example\\@good",
    "/" + "a" * 5000,
    "",
]

GOOD = ["/", "/org/members", "/org/members?q=x&page=2", "/commitments/5#records", "/public/B01"]


@pytest.mark.parametrize("target", BYPASSES)
def test_safe_next_refuses_bypasses(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", GOOD)
def test_safe_next_keeps_site_paths(target):
    assert safe_next(target) == target


def test_login_with_hostile_next_lands_home_never_off_site(client, make_user):
    user = make_user("member")
    for target in BYPASSES:
        resp = client.post(
            "/auth/login",
            data={"username": user.username, "password": "Correct-horse-9"},
            query_string={"next": target},
        )
        if "\x00" in target:  # NUL in a query is refused outright (issue 9): no redirect
            assert resp.status_code == 400 and "Location" not in resp.headers, target
            continue
        assert resp.status_code == 302, target
        assert resp.headers["Location"] == "/", target
        client.post("/auth/logout")


def test_login_with_raw_encoded_next_in_the_url(client, make_user):
    """The query string exactly as an attacker's link carries it (issue 9, finding 4)."""
    user = make_user("member")
    for raw in ("/%09/evil.example", "/%0D%0A/x", "%2F%2Fevil.example", "/%5Cevil.example"):
        resp = client.post(
            f"/auth/login?next={raw}",
            data={"username": user.username, "password": "Correct-horse-9"},
        )
        assert resp.status_code == 302, raw
        assert resp.headers["Location"] == "/", raw
        client.post("/auth/logout")


def test_login_keeps_a_same_site_next(client, make_user):
    user = make_user("admin")
    resp = client.post(
        "/auth/login?next=/org/members%3Fq%3Dx",
        data={"username": user.username, "password": "Correct-horse-9"},
    )
    assert resp.headers["Location"] == "/org/members?q=x"


def test_a_response_with_its_own_policy_keeps_it(app, client):
    """Stored uploads are served under ``default-src 'none'; sandbox``; the pages'
    policy must not replace it."""
    from flask import Response

    from partybuild.core.permissions import public

    @app.get("/_test/own-policy")
    @public
    def own_policy():
        resp = Response(b"x", mimetype="image/png")
        resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return resp

    resp = client.get("/_test/own-policy")
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
