"""Abuse resistance shared by every anonymous rating form (the commitments board, the
model-post pages): a browser id cookie, a per-network rate limit on submissions, one
rating per browser per item, a per-network daily cap per item, and comments that wait
for moderation.

A view uses it like this::

    if not public_rating.allow_submission():      # counts the attempt, commits it
        return error_response(429, public_rating.TOO_FAST)
    ...
    with boundary(form) as done:
        service.add_rating(item, ..., rater=public_rating.identify(
            request.cookies.get(public_rating.RATER_COOKIE, ""), public_rating.client_ip()))

and the service checks its own table with :func:`refuse_repeat`.
"""

import logging
import secrets
from dataclasses import dataclass

from flask import Response, current_app, request

from partybuild.core import ratelimit
from partybuild.core.boundary import boundary
from partybuild.core.service import ServiceError, ValidationFailed
from partybuild.core.settings import setting

logger = logging.getLogger(__name__)

RATER_COOKIE = "pb_rater"
# The cookie goes to every public page, so one browser is one rater everywhere.
COOKIE_PATH = "/public"
TOO_FAST = "评价提交过于频繁，请稍后再试。"
NO_COOKIE = "请允许浏览器保存 Cookie 后重新打开本页面再评价"
TOO_MANY_FROM_NETWORK = "来自同一网络的评价过多，请明天再试"

client_ip = ratelimit.client_ip


def give_rater_cookie(response: Response) -> Response:
    """A random browser id (an after_request hook of the public pages)."""
    if RATER_COOKIE not in request.cookies:
        response.set_cookie(
            RATER_COOKIE,
            secrets.token_urlsafe(18),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            path=COOKIE_PATH,
        )
    return response


def allow_submission() -> bool:
    """Count one submission from this client; False once over PUBLIC_RATE_LIMIT in the
    window. The count is committed at once, whatever becomes of the rating."""
    key = f"public-rate:{ratelimit.keyed_hash(client_ip(), 'rate-limit')}"
    with boundary():
        allowed = ratelimit.hit(key, setting("PUBLIC_RATE_LIMIT"), setting("PUBLIC_RATE_WINDOW"))
    return allowed


@dataclass(frozen=True)
class Rater:
    """An anonymous rater as stored: keyed hashes, never the cookie or the address."""

    browser_hash: str
    ip_hash: str


def identify(browser_id: str, ip: str) -> Rater:
    if not browser_id:
        raise ServiceError(NO_COOKIE)
    return Rater(
        ratelimit.keyed_hash(browser_id, "rating-browser"), ratelimit.keyed_hash(ip, "rating-ip")
    )


def refuse_repeat(*, same_browser: int, same_ip_today: int, duplicate: str) -> None:
    """Refuse a second rating from the browser, or too many from one network today.

    The caller counts its own table: ratings of this item by this browser (in the
    scope that allows one: a day, a round) and by this network today."""
    if same_browser:
        raise ServiceError(duplicate, code="duplicate")
    if same_ip_today >= setting("PUBLIC_RATING_PER_IP_DAILY"):
        raise ServiceError(TOO_MANY_FROM_NETWORK, code="too_many")


def clean_comment(comment: str | None, field: str = "comment") -> str:
    """The comment as stored; refused over PUBLIC_RATING_COMMENT_MAX characters."""
    comment = (comment or "").strip()
    limit = setting("PUBLIC_RATING_COMMENT_MAX")
    if len(comment) > limit:
        raise ValidationFailed({field: f"留言不能超过{limit}个字"})
    return comment
