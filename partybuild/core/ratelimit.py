"""Fixed-window rate limits kept in the database, so every web worker sees the same counts.

``hit(key, limit, window_seconds)`` counts one event and says whether it is
within the limit. The counter change joins the caller's transaction: commit it
even when the request is refused, or the refused attempts are not counted.
"""

import hashlib
import hmac
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.orm import Mapped, mapped_column

from partybuild.core.db import utcnow
from partybuild.extensions import db

logger = logging.getLogger(__name__)


class RateLimitCounter(db.Model):
    __tablename__ = "rate_limit_counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(sa.String(100), unique=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)


def keyed_hash(value: str, purpose: str) -> str:
    """HMAC of a client identifier: stable per deployment, not reversible to the IP."""
    secret = (current_app.config.get("SECRET_KEY") or "").encode()
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def client_ip() -> str:
    # Behind a reverse proxy, configure werkzeug's ProxyFix so remote_addr is the client.
    return request.remote_addr or "unknown"


def hit(key: str, limit: int, window_seconds: int, now: datetime | None = None) -> bool:
    """Count one event for ``key``; True while the window's count is within ``limit``."""
    now = now or utcnow()
    bucket, start = _bucket(key, window_seconds, now)
    count = _increment(bucket)
    if count is None:
        expires = datetime.fromtimestamp(start + window_seconds, now.tzinfo) + timedelta(seconds=1)
        db.session.execute(sa.delete(RateLimitCounter).where(RateLimitCounter.expires_at < now))
        try:
            with db.session.begin_nested():
                db.session.add(RateLimitCounter(bucket=bucket, count=1, expires_at=expires))
            count = 1
        except sa.exc.IntegrityError:  # another worker created it first
            count = _increment(bucket) or 1
    allowed = count <= limit
    if not allowed:
        logger.info("rate limit exceeded for bucket %s (%d > %d)", bucket, count, limit)
    return allowed


def refund(key: str, window_seconds: int, now: datetime) -> None:
    """Take back one event counted by ``hit(key, window_seconds, now=now)`` (same ``now``):
    for limits that should count only failures, hit first (atomic), refund on success."""
    bucket, _start = _bucket(key, window_seconds, now)
    db.session.execute(
        sa.update(RateLimitCounter)
        .where(RateLimitCounter.bucket == bucket, RateLimitCounter.count > 0)
        .values(count=RateLimitCounter.count - 1)
        .execution_options(synchronize_session=False)
    )


def _bucket(key: str, window_seconds: int, now: datetime) -> tuple[str, int]:
    start = int(now.timestamp()) // window_seconds * window_seconds
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"{digest}:{window_seconds}:{start}", start


def _increment(bucket: str) -> int | None:
    return db.session.execute(
        sa.update(RateLimitCounter)
        .where(RateLimitCounter.bucket == bucket)
        .values(count=RateLimitCounter.count + 1)
        .returning(RateLimitCounter.count)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
