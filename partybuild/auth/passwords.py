"""Password hashing (argon2id) and the password policy."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from partybuild.core.settings import setting

DEMO_PASSWORD = "demo12345"


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["PASSWORD_HASH_TIME_COST"],
        memory_cost=cfg["PASSWORD_HASH_MEMORY_COST"],
        parallelism=cfg["PASSWORD_HASH_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, is_demo: bool = False) -> str | None:
    """A Chinese message explaining why the password is refused, or None."""
    if is_demo and password == DEMO_PASSWORD:
        return None
    if password == DEMO_PASSWORD:
        return "演示密码只能用于演示账户，请设置其他密码"
    min_len = setting("PASSWORD_MIN_LENGTH")
    if len(password) < min_len:
        return f"密码长度至少 {min_len} 位"
    if password.isdigit() or password.isalpha():
        return "密码须同时包含字母和数字（或符号）"
    if len(set(password)) < 4:
        return "密码过于简单"
    return None
