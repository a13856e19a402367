"""HTTP security headers on every response, and safe redirect targets.

Headers come from Flask-Talisman, configured here once:

- Content-Security-Policy: every asset (Bootstrap, our JS and CSS) is served from
  ``static/``, so scripts, styles, fonts and connections are 'self' only; no inline
  script, no ``on*=`` attribute, no ``style=`` attribute or ``<style>`` block in the
  templates (JS lives in static/js, CSS in static/css). Images may also be ``data:``
  URIs (Bootstrap's CSS icons, the greeting card's PNG export). No plugin, no
  ``<base>``, forms post only here, and no other site may frame a page.
- X-Frame-Options DENY (for browsers without frame-ancestors), nosniff,
  Referrer-Policy, Permissions-Policy.
- HSTS only when the deployment says it is served over HTTPS
  (``PARTYBUILD_SESSION_COOKIE_SECURE=true``, set with TLS at the reverse proxy).

A response that sets its own Content-Security-Policy (stored uploads: a sandbox) keeps
it. Talisman would otherwise redirect to https and force secure cookies itself; TLS is
the reverse proxy's business here, so both are left to the deployment's config.
"""

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Flask, request
from flask_talisman import DENY, Talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

PERMISSIONS_POLICY = {
    feature: "()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "midi",
        "magnetometer",
        "gyroscope",
        "accelerometer",
        "browsing-topics",
        "interest-cohort",
    )
}


class _Talisman(Talisman):
    """Talisman that leaves a policy a response brings itself alone: stored uploads are
    served with ``default-src 'none'; sandbox`` (core/storage.py), stricter than pages."""

    def _set_content_security_policy_headers(self, headers, options):  # noqa: ANN001
        own = headers.get("Content-Security-Policy")
        super()._set_content_security_policy_headers(headers, options)
        if own:
            headers["Content-Security-Policy"] = own


talisman = _Talisman()


def init_app(app: Flask) -> None:
    behind_https = bool(app.config.get("SESSION_COOKIE_SECURE"))
    talisman.init_app(
        app,
        force_https=False,
        session_cookie_secure=behind_https,
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        frame_options=DENY,
        content_security_policy=CSP,
        permissions_policy=PERMISSIONS_POLICY,
        referrer_policy="strict-origin-when-cross-origin",
        strict_transport_security=behind_https,
        strict_transport_security_include_subdomains=False,
        x_content_type_options=True,
    )


# --- redirect targets ----------------------------------------------------------------

_MAX_TARGET = 2000
# Look-alike slashes: NFKC folds some ("／" to "/"), not all ("∕", "⁄").
_SLASHES = frozenset("\u2215\u2044\u29f8\u29f9\uff0f\uff3c\ufe68\u2216")


def _bad_text(text: str) -> bool:
    if "\\" in text or text.startswith("//") or not _SLASHES.isdisjoint(text):
        return True
    for ch in text:
        # Control characters (tab, CR, LF, NUL, DEL, C1), any kind of space, and
        # format characters (bidi overrides, zero-width): a plain path needs none.
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            return True
    return False


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (callers then go home).

    Accepted: "/path", "/path?query", "/path#frag". Refused: anything with a scheme or
    a host ("https:evil", "//evil", "javascript:"), backslashes ("/\\evil"), control
    characters and whitespace ("/\\t/evil", "/\\r\\n/x"), and the same once
    percent-decoded or Unicode-folded ("/%2F/evil", "/%09/evil", "/／evil").
    """
    if not target or len(target) > _MAX_TARGET or not target.startswith("/"):
        return None
    seen = target
    for _ in range(3):  # decoded twice more: "%252F" -> "%2F" -> "/"
        for form in (seen, unicodedata.normalize("NFKC", seen)):
            if _bad_text(form):
                return None
        decoded = unquote(seen)
        if decoded == seen:
            break
        seen = decoded
    else:
        return None  # still changing after three rounds: not a plain path
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def same_site_referrer() -> str | None:
    """The Referer as a safe path when it is a page of this site, else None."""
    ref = request.referrer
    if not ref:
        return None
    parts = urlsplit(ref)
    if parts.netloc != request.host:
        return None
    path = parts.path or "/"
    return safe_next(path + (f"?{parts.query}" if parts.query else ""))
