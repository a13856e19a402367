"""Flask configuration defaults, overridden by PARTYBUILD_* environment variables.

Application settings are declared in each domain's settings.py (see core/settings.py).
"""

import os
import secrets
from pathlib import Path


class Config:
    # SQLite in the instance folder unless PARTYBUILD_DATABASE_URL is set (see create_app).
    SQLALCHEMY_DATABASE_URI: str | None = None
    # No ping on every checkout (a round trip per request): core/db.py pings a pooled
    # connection only after it idled DB_PING_IDLE_SECONDS, and recycles it hourly.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False, "pool_recycle": 3600}
    DB_PING_IDLE_SECONDS = 10
    SQLALCHEMY_RECORD_QUERIES = False

    SECRET_KEY: str | None = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Set PARTYBUILD_SESSION_COOKIE_SECURE=true when served over HTTPS.
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024

    TIMEZONE = "Asia/Shanghai"
    # argon2id at OWASP strength (m=19 MiB, t=2, p=1); tests lower it for speed.
    PASSWORD_HASH_TIME_COST = 2
    PASSWORD_HASH_MEMORY_COST = 19 * 1024
    PASSWORD_HASH_PARALLELISM = 1
    # Everything an admin or a deployer tunes beyond Flask's own keys (page sizes,
    # lockout, commitment scoring, mail server, public base URL, ...) is declared once
    # in a domain's settings.py and read with partybuild.core.settings.setting(KEY).


def instance_secret_key(instance_path: str, name: str = "secret_key") -> str:
    """Read an instance key file, creating it on first run (never a key in the source).

    ``secret_key`` signs sessions; ``audit_key`` signs the audit chain.
    """
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()
