"""Demo accounts; password demo12345, accepted only because they are flagged is_demo."""

import logging

import sqlalchemy as sa

from partybuild.auth.models import User
from partybuild.auth.passwords import DEMO_PASSWORD, hash_password
from partybuild.core import audit
from partybuild.core.db import utcnow
from partybuild.core.permissions import Role
from partybuild.extensions import db
from partybuild.org.models import Branch, Member

logger = logging.getLogger(__name__)

DEMO_ACCOUNTS = [
    ("admin", "系统管理员"),
    ("secretary", "机关第一党支部 支部书记"),
    ("member", "机关第一党支部 党员"),
    ("reviewer", "机关党委 上级审阅（只读）"),
    ("secretary2", "机关第二党支部 支部书记"),
]


def _planned_users() -> list[User]:
    """The five demo accounts, linked to members of the demo branches B01 and B02."""
    b1 = db.session.scalar(sa.select(Branch).where(Branch.code == "B01"))
    b2 = db.session.scalar(sa.select(Branch).where(Branch.code == "B02"))
    b1_members = db.session.scalars(
        sa.select(Member)
        .where(Member.branch_id == b1.id, Member.is_leader.is_(False), Member.is_active)
        .order_by(Member.id)
    ).all()
    b2_first = db.session.scalars(
        sa.select(Member).where(Member.branch_id == b2.id, Member.is_active).order_by(Member.id)
    ).first()
    return [
        User(username="admin", display_name="系统管理员", role=Role.admin),
        User(
            username="secretary",
            display_name=b1_members[0].name,
            role=Role.secretary,
            branch_id=b1.id,
            member_id=b1_members[0].id,
        ),
        User(
            username="member",
            display_name=b1_members[1].name,
            role=Role.member,
            branch_id=b1.id,
            member_id=b1_members[1].id,
        ),
        User(username="reviewer", display_name="机关党委审阅", role=Role.reviewer),
        User(
            username="secretary2",
            display_name=b2_first.name,
            role=Role.secretary,
            branch_id=b2.id,
            member_id=b2_first.id,
        ),
    ]


def seed() -> list[str]:
    """Create each missing demo account; an existing account of that name is left alone."""
    existing = {
        u.username: u
        for u in db.session.scalars(
            sa.select(User).where(User.username.in_([n for n, _ in DEMO_ACCOUNTS]))
        )
    }
    linked = set(db.session.scalars(sa.select(User.member_id).where(User.member_id.is_not(None))))
    created: list[User] = []
    if len(existing) < len(DEMO_ACCOUNTS):
        pw = hash_password(DEMO_PASSWORD)
        for user in _planned_users():
            if user.username in existing or (user.member_id and user.member_id in linked):
                continue
            user.password_hash = pw
            user.is_demo = True
            user.password_changed_at = utcnow()
            if user.member_id and user.role == Role.secretary:
                db.session.get(Member, user.member_id).title = "支部书记"
            created.append(user)
        db.session.add_all(created)
        db.session.flush()
        for u in created:
            audit.record(
                "create",
                "user",
                u.id,
                actor="seed-demo",
                branch_id=u.branch_id,
                after=audit.snapshot(u, User.AUDIT_FIELDS),
            )
    demo_names = {u.username for u in created} | {name for name, u in existing.items() if u.is_demo}
    lines = [f"已创建演示账户 {len(created)} 个。"] if created else []
    skipped = [name for name, _ in DEMO_ACCOUNTS if name in existing and not existing[name].is_demo]
    if skipped:
        lines.append(f"已有同名正式账户，未改动：{'、'.join(skipped)}")
    if demo_names:
        lines.append(f"演示账户（密码均为 {DEMO_PASSWORD}，仅限演示数据）：")
        lines += [f"  {name:<11}{label}" for name, label in DEMO_ACCOUNTS if name in demo_names]
    return lines
