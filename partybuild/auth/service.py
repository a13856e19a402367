"""Account services: login with throttling, user management, password changes."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from partybuild.auth.models import User
from partybuild.auth.passwords import (
    DEMO_PASSWORD,
    hash_password,
    password_problem,
    verify_password,
)
from partybuild.core import audit
from partybuild.core.db import utcnow
from partybuild.core.permissions import Role
from partybuild.core.service import PermissionDenied, ServiceError, ValidationFailed
from partybuild.core.settings import setting
from partybuild.extensions import db
from partybuild.org.models import Branch, Member

logger = logging.getLogger(__name__)


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None


def _lock_message(user: User) -> str:
    return f"登录失败次数过多，账户已被锁定，请在 {user.lock_minutes_left()} 分钟后重试。"


def _dummy_hash() -> str:
    ext = current_app.extensions
    if "partybuild_dummy_hash" not in ext:
        ext["partybuild_dummy_hash"] = hash_password("not-a-real-password-0")
    return ext["partybuild_dummy_hash"]


def authenticate(username: str, password: str) -> LoginResult:
    """Check credentials, counting failures; lock the account after too many."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    generic = "用户名或密码错误。"
    if user is None:
        # Spend the time of a real check, so timing does not reveal which usernames exist.
        verify_password(_dummy_hash(), password)
        audit.record("login_failed", "user", None, summary=f"unknown user {username[:40]}")
        return LoginResult(None, generic)
    if user.is_locked():
        audit.record("login_refused_locked", "user", user.id, actor=user.username)
        return LoginResult(None, _lock_message(user))
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        max_failures = setting("LOGIN_MAX_FAILURES")
        if user.failed_logins >= max_failures:
            user.locked_until = utcnow() + timedelta(minutes=setting("LOGIN_LOCK_MINUTES"))
            user.failed_logins = 0
            audit.record("account_locked", "user", user.id, actor=user.username)
            return LoginResult(None, _lock_message(user))
        audit.record("login_failed", "user", user.id, actor=user.username)
        left = max_failures - user.failed_logins
        return LoginResult(None, f"{generic}再失败 {left} 次账户将被临时锁定。")
    if not user.is_active:
        audit.record("login_refused_inactive", "user", user.id, actor=user.username)
        if user.is_active_account:  # the linked member has left the roster
            return LoginResult(None, "该账户关联的党员已退出名册，账户不能再登录。")
        return LoginResult(None, "该账户已停用，请联系系统管理员。")
    if password == DEMO_PASSWORD and not user.is_demo:
        # The published demo password opens demo accounts only.
        audit.record("login_refused_demo_password", "user", user.id, actor=user.username)
        return LoginResult(None, "演示密码只能用于演示账户，请联系系统管理员重置密码。")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    audit.record("login", "user", user.id, actor=user, branch_id=user.branch_id)
    return LoginResult(user)


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied("只有系统管理员可以管理账户")


def _check_scope(data: dict[str, Any]) -> tuple[Branch | None, Member | None]:
    role = Role(data["role"])
    branch = db.session.get(Branch, data["branch_id"]) if data.get("branch_id") else None
    member = db.session.get(Member, data["member_id"]) if data.get("member_id") else None
    if role in (Role.secretary, Role.member) and branch is None:
        raise ValidationFailed({"branch_id": "支部书记和党员账户必须指定所属党支部"})
    if role == Role.member and member is None:
        raise ValidationFailed({"member_id": "党员账户必须关联一名党员"})
    if member is not None and branch is not None and member.branch_id != branch.id:
        raise ValidationFailed({"member_id": "关联的党员不属于所选党支部"})
    if role in (Role.admin, Role.reviewer):
        branch = None
    return branch, member


def create_user(data: dict[str, Any], actor: User) -> User:
    _require_admin(actor)
    username = data["username"].strip()
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise ValidationFailed({"username": "用户名已存在"})
    problem = password_problem(data["password"])
    if problem:
        raise ValidationFailed({"password": problem})
    branch, member = _check_scope(data)
    if member is not None and not member.is_active:
        raise ValidationFailed({"member_id": "该党员已退出名册，不能关联账户"})
    if member is not None and db.session.scalar(
        sa.select(User.id).where(User.member_id == member.id)
    ):
        raise ValidationFailed({"member_id": "该党员已关联其他账户"})
    user = User(
        username=username,
        display_name=data.get("display_name") or (member.name if member else ""),
        password_hash=hash_password(data["password"]),
        role=Role(data["role"]),
        branch_id=branch.id if branch else None,
        member_id=member.id if member else None,
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "create",
        "user",
        user.id,
        actor=actor,
        branch_id=user.branch_id,
        after=audit.snapshot(user, User.AUDIT_FIELDS),
    )
    return user


def update_user(user: User, data: dict[str, Any], actor: User) -> User:
    _require_admin(actor)
    before = audit.snapshot(user, User.AUDIT_FIELDS)
    branch, member = _check_scope(data)
    if member is not None and member.id != user.member_id and not member.is_active:
        raise ValidationFailed({"member_id": "该党员已退出名册，不能关联账户"})
    if member is not None:
        other = db.session.scalar(
            sa.select(User.id).where(User.member_id == member.id, User.id != user.id)
        )
        if other:
            raise ValidationFailed({"member_id": "该党员已关联其他账户"})
    if user.id == actor.id and Role(data["role"]) != Role.admin:
        raise ValidationFailed({"role": "不能取消自己的管理员角色"})
    user.display_name = data.get("display_name") or user.display_name
    user.role = Role(data["role"])
    user.branch_id = branch.id if branch else None
    user.member_id = member.id if member else None
    db.session.flush()
    audit.record(
        "update",
        "user",
        user.id,
        actor=actor,
        branch_id=user.branch_id,
        before=before,
        after=audit.snapshot(user, User.AUDIT_FIELDS),
    )
    return user


def set_user_active(user: User, active: bool, actor: User) -> None:
    _require_admin(actor)
    if user.id == actor.id and not active:
        raise ServiceError("不能停用自己的账户")
    if user.is_active_account == active:
        return
    user.is_active_account = active
    db.session.flush()
    audit.record(
        "activate" if active else "deactivate",
        "user",
        user.id,
        actor=actor,
        branch_id=user.branch_id,
        before={"is_active": not active},
        after={"is_active": active},
    )


def reset_password(user: User, new_password: str, actor: User) -> None:
    _require_admin(actor)
    problem = password_problem(new_password, is_demo=user.is_demo)
    if problem:
        raise ServiceError(problem)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    audit.record("reset_password", "user", user.id, actor=actor, branch_id=user.branch_id)


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed({"current_password": "当前密码不正确"})
    if current_password == new_password:
        raise ValidationFailed({"new_password": "新密码不能与当前密码相同"})
    problem = password_problem(new_password)
    if problem:
        raise ValidationFailed({"new_password": problem})
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    db.session.flush()
    audit.record("change_password", "user", user.id, actor=user, branch_id=user.branch_id)
