"""Demo accounts; password demo12345, accepted only because they are flagged is_demo."""

import sqlalchemy as sa

from partybuild.auth.models import User
from partybuild.auth.passwords import DEMO_PASSWORD, hash_password
from partybuild.core import audit
from partybuild.core.db import utcnow
from partybuild.core.permissions import Role
from partybuild.extensions import db
from partybuild.org.models import Branch, Member

DEMO_ACCOUNTS = [
    ("admin", "系统管理员"),
    ("secretary", "机关第一党支部 支部书记"),
    ("member", "机关第一党支部 党员"),
    ("reviewer", "机关党委 上级审阅（只读）"),
    ("secretary2", "机关第二党支部 支部书记"),
]


def seed() -> list[str]:
    lines = []
    if not db.session.scalar(sa.select(User.id).where(User.username == "admin")):
        b1 = db.session.scalar(sa.select(Branch).where(Branch.code == "B01"))
        b2 = db.session.scalar(sa.select(Branch).where(Branch.code == "B02"))
        b1_members = db.session.scalars(
            sa.select(Member)
            .where(Member.branch_id == b1.id, Member.is_leader.is_(False))
            .order_by(Member.id)
        ).all()
        b2_first = db.session.scalars(
            sa.select(Member).where(Member.branch_id == b2.id).order_by(Member.id)
        ).first()
        pw = hash_password(DEMO_PASSWORD)
        b1_members[0].title = "支部书记"
        b2_first.title = "支部书记"
        users = [
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
        for u in users:
            u.password_hash = pw
            u.is_demo = True
            u.password_changed_at = utcnow()
        db.session.add_all(users)
        db.session.flush()
        for u in users:
            audit.record(
                "create",
                "user",
                u.id,
                actor="seed-demo",
                branch_id=u.branch_id,
                after=audit.snapshot(u, User.AUDIT_FIELDS),
            )
        lines.append("已创建演示账户。")
    lines.append(f"演示账户（密码均为 {DEMO_PASSWORD}，仅限演示数据）：")
    lines += [f"  {name:<11}{label}" for name, label in DEMO_ACCOUNTS]
    return lines
