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
from partybuild.core.service import (
    PermissionDenied,
    ServiceError,
    ValidationFailed,
    check_version,
)
from partybuild.core.settings import setting
from partybuild.extensions import db
from partybuild.org.models import Branch, Member

logger = logging.getLogger(__name__)

audit.register_action_labels(
    {
        "logout": "退出登录",
        "change_password_failed": "修改密码时当前密码错误",
        "change_password_refused_locked": "锁定期间尝试修改密码",
        "create_for_member": "为名册党员开通账户",
    }
)


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None


# One answer for an unknown user, a wrong password, a locked or an inactive account,
# so the login page tells nobody which usernames exist or what state they are in.
LOGIN_FAILED = "用户名或密码错误，或账户已被临时锁定，请稍后再试。"


def _dummy_hash() -> str:
    ext = current_app.extensions
    if "partybuild_dummy_hash" not in ext:
        ext["partybuild_dummy_hash"] = hash_password("not-a-real-password-0")
    return ext["partybuild_dummy_hash"]


def authenticate(username: str, password: str) -> LoginResult:
    """Check credentials, counting failures; lock the account after too many.

    Every path checks one password hash (a dummy one for unknown usernames, the real
    one even for a locked account), so the time of the answer does not tell either.
    """
    name = username.strip()
    user = db.session.scalar(sa.select(User).where(User.username == name))
    if user is None:
        verify_password(_dummy_hash(), password)
        audit.record("login_failed", "user", None, summary=f"不存在的账号：{name[:40]}")
        return LoginResult(None, LOGIN_FAILED)
    password_ok = verify_password(user.password_hash, password)
    if user.is_locked():
        audit.record("login_refused_locked", "user", user.id, actor=user.username)
        return LoginResult(None, LOGIN_FAILED)
    if not password_ok:
        count_failed_password(user, "login_failed")
        return LoginResult(None, LOGIN_FAILED)
    if not user.is_active:
        audit.record("login_refused_inactive", "user", user.id, actor=user.username)
        return LoginResult(None, LOGIN_FAILED)
    if password == DEMO_PASSWORD and not user.is_demo:
        # The published demo password opens demo accounts only.
        audit.record("login_refused_demo_password", "user", user.id, actor=user.username)
        return LoginResult(None, "演示密码只能用于演示账户，请联系系统管理员重置密码。")
    # Plain SQL, as for a failed attempt and a logout: logging in is not an edit of the
    # account (its version stays, so an admin's open edit form is not refused as stale).
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(failed_logins=0, locked_until=None, last_login_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["failed_logins", "locked_until", "last_login_at"])
    audit.record("login", "user", user.id, actor=user, branch_id=user.branch_id)
    return LoginResult(user)


def count_failed_password(user: User, action: str) -> bool:
    """Count one wrong password for ``user`` and audit it; True if the account is now locked.

    One UPDATE ... RETURNING in the database, so simultaneous failures are each counted
    (no lost update between reading and writing the counter). A failure after an
    expired lock starts counting afresh; the one that reaches LOGIN_MAX_FAILURES locks
    the account (audited as ``account_locked``), later ones extend the lock. Plain SQL,
    so a failed attempt does not count as an edit of the account (its version stays).
    """
    now = utcnow()
    max_failures = setting("LOGIN_MAX_FAILURES")
    lock_until = sa.literal(
        now + timedelta(minutes=setting("LOGIN_LOCK_MINUTES")), User.locked_until.type
    )
    expired = sa.and_(User.locked_until.is_not(None), User.locked_until <= now)
    count = sa.case((expired, 1), else_=User.failed_logins + 1)
    failures = db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(
            failed_logins=count,
            locked_until=sa.case(
                (count >= max_failures, lock_until),
                (expired, sa.null()),
                else_=User.locked_until,
            ),
        )
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.expire(user, ["failed_logins", "locked_until"])
    if failures == max_failures:
        audit.record("account_locked", "user", user.id, actor=user.username)
    else:
        audit.record(action, "user", user.id, actor=user.username)
    return failures >= max_failures


def end_sessions(user: User) -> None:
    """Every session and "remember me" cookie of ``user`` stops working on its next
    request (the login token carries the session version). Plain SQL, so a logout
    does not make an admin's open edit form of the account stale."""
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["session_version"])


def logout(user: User) -> None:
    end_sessions(user)
    audit.record("logout", "user", user.id, actor=user, branch_id=user.branch_id)


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


def _acts_for(data: dict[str, Any]) -> bool:
    """回避: only a reviewer (the higher-level organisation) is granted the right to act
    for a secretary on her own commitments; admins have it anyway."""
    return bool(data.get("acts_for_secretaries")) and Role(data["role"]) == Role.reviewer


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
        acts_for_secretaries=_acts_for(data),
        must_change_password=True,  # the admin chose it: the owner sets their own
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


def update_user(user: User, data: dict[str, Any], actor: User, version: int | None = None) -> User:
    _require_admin(actor)
    check_version(user, version, "账户")
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
    scope_before = (user.role, user.branch_id, user.member_id)
    user.display_name = data.get("display_name") or user.display_name
    user.role = Role(data["role"])
    user.branch_id = branch.id if branch else None
    user.member_id = member.id if member else None
    user.acts_for_secretaries = _acts_for(data)
    db.session.flush()
    if (user.role, user.branch_id, user.member_id) != scope_before:
        end_sessions(user)  # open sessions must not keep the old rights
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
    if not active:
        end_sessions(user)
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
    # Someone else's reset is known to two people: its owner must replace it.
    user.must_change_password = user.id != actor.id
    db.session.flush()
    end_sessions(user)
    audit.record("reset_password", "user", user.id, actor=actor, branch_id=user.branch_id)


def check_current_password(user: User, password: str) -> str | None:
    """The change-password page's check of the current password: a wrong one is counted
    and audited like a failed login and locks the account the same way. Returns the
    message to show, or None when the password is right and the account not locked."""
    password_ok = verify_password(user.password_hash, password)
    if user.is_locked():
        audit.record("change_password_refused_locked", "user", user.id, actor=user)
        return _locked_message(user)
    if not password_ok:
        if count_failed_password(user, "change_password_failed"):
            return _locked_message(user)
        return "当前密码不正确"
    return None


def _locked_message(user: User) -> str:
    return f"当前密码输错次数过多，账户已被临时锁定，请在 {user.lock_minutes_left()} 分钟后再试"


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    """Set a new password; every other session of the user ends (the caller keeps its
    own by logging the user in again)."""
    if user.is_locked() or not verify_password(user.password_hash, current_password):
        raise ValidationFailed({"current_password": "当前密码不正确"})
    if current_password == new_password:
        raise ValidationFailed({"new_password": "新密码不能与当前密码相同"})
    problem = password_problem(new_password)
    if problem:
        raise ValidationFailed({"new_password": problem})
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    db.session.flush()
    end_sessions(user)
    audit.record("change_password", "user", user.id, actor=user, branch_id=user.branch_id)


# --- accounts for roster members, in one step -----------------------------------------

BULK_ACCOUNTS_MAX = 100  # one sheet of initial passwords; hashing each takes a moment

# No look-alikes (0/O, 1/l/I) on a sheet that people copy by hand.
_PASSWORD_LETTERS = "abcdefghijkmnpqrstuvwxyz"
_PASSWORD_DIGITS = "23456789"


@dataclass(frozen=True)
class IssuedAccount:
    """An account just created for a member, with its initial password: the password
    exists only in this object, for the one printed sheet."""

    user: User
    member: Member
    password: str


def initial_password() -> str:
    """A random password that passes the policy, in groups of four for reading aloud."""
    import secrets

    alphabet = _PASSWORD_LETTERS + _PASSWORD_DIGITS
    groups = max(3, -(-setting("PASSWORD_MIN_LENGTH") // 4))
    while True:
        chars = [secrets.choice(alphabet) for _ in range(groups * 4)]
        chars[secrets.randbelow(len(chars))] = secrets.choice(_PASSWORD_DIGITS)
        password = "-".join("".join(chars[i : i + 4]) for i in range(0, len(chars), 4))
        if password_problem(password) is None and any(c.isalpha() for c in password):
            return password


def _username_base(member: Member) -> str:
    from partybuild.core.pinyin import romanise

    base = romanise(member.name)[:32]
    return base if len(base) >= 3 else f"{base or 'dy'}{member.id}"


def _free_usernames(bases: set[str]) -> dict[str, set[str]]:
    """For each base, the usernames already taken that start with it (one query)."""
    taken: dict[str, set[str]] = {b: set() for b in bases}
    if not bases:
        return taken
    rows = db.session.scalars(
        sa.select(User.username).where(
            sa.or_(*(User.username.startswith(b, autoescape=True) for b in bases))
        )
    )
    for name in rows:
        for b in bases:
            if name.startswith(b):
                taken[b].add(name)
    return taken


def member_account_roles(actor: User) -> list[Role]:
    """The roles ``actor`` may give accounts opened for roster members: a secretary
    opens member accounts only; an admin may also open a secretary's."""
    return [Role.member, Role.secretary] if actor.is_admin else [Role.member]


def create_member_accounts(
    member_ids: list[int], actor: User, role: Role = Role.member
) -> list[IssuedAccount]:
    """Open an account for each selected roster member: a username from the pinyin of
    the name (张三 → zhangsan, zhangsan2, … when taken), a random initial password that
    must be changed at the first login. All or nothing. The passwords are returned to
    be shown once; only their hashes are stored, and the audit log never sees them."""
    if actor.role not in (Role.admin, Role.secretary):
        raise PermissionDenied("只有系统管理员和支部书记可以为党员开通账户")
    if role not in member_account_roles(actor):
        raise PermissionDenied("支部书记只能开通党员账户")
    ids = sorted(set(member_ids))
    if not ids:
        raise ServiceError("请先勾选要开通账户的党员")
    if len(ids) > BULK_ACCOUNTS_MAX:
        raise ServiceError(f"一次最多为 {BULK_ACCOUNTS_MAX} 名党员开通账户，请分批进行")
    members = db.session.scalars(sa.select(Member).where(Member.id.in_(ids))).all()
    if len(members) != len(ids) or any(not actor.manages_branch(m.branch_id) for m in members):
        raise PermissionDenied("只能为本支部在册党员开通账户")
    retired = [m.name for m in members if not m.is_active]
    if retired:
        raise ServiceError(f"以下党员已退出名册，不能开通账户：{'、'.join(retired)}")
    having = db.session.scalars(
        sa.select(Member.name)
        .join(User, User.member_id == Member.id)
        .where(Member.id.in_(ids))
        .order_by(Member.name_pinyin)
    ).all()
    if having:
        raise ServiceError(f"以下党员已有账户，请刷新列表后重新勾选：{'、'.join(having)}")

    members = sorted(members, key=lambda m: (m.branch_id, m.name_pinyin, m.id))
    bases = {m.id: _username_base(m) for m in members}
    taken = _free_usernames(set(bases.values()))
    issued = []
    for member in members:
        base = bases[member.id]
        username, n = base, 1
        while username in taken[base]:
            n += 1
            username = f"{base}{n}"
        taken[base].add(username)
        password = initial_password()
        user = User(
            username=username,
            display_name=member.name,
            password_hash=hash_password(password),
            role=role,
            branch_id=member.branch_id,
            member_id=member.id,
            password_changed_at=utcnow(),
            must_change_password=True,
        )
        db.session.add(user)
        issued.append(IssuedAccount(user, member, password))
    db.session.flush()
    for item in issued:
        audit.record(
            "create_for_member",
            "user",
            item.user.id,
            actor=actor,
            branch_id=item.user.branch_id,
            after=audit.snapshot(item.user, User.AUDIT_FIELDS),
        )
    return issued
