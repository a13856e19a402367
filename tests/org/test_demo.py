"""The seed-demo CLI: a bureau shaped like the source article, loaded idempotently."""

import sqlalchemy as sa

from partybuild.auth.models import User
from partybuild.core.audit import AuditEntry
from partybuild.core.permissions import Role
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Department, Member, MemberStatus, Organization, Post
from partybuild.org.service import member_problems

DEMO_USERS = {
    "admin": Role.admin,
    "secretary": Role.secretary,
    "member": Role.member,
    "reviewer": Role.reviewer,
    "secretary2": Role.secretary,
}


def _counts():
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Organization, Branch, Department, Post, Member, User, AuditEntry)
    )


def test_seed_demo_is_idempotent_and_shaped_like_the_bureau(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "demo12345" in result.output
    for username in DEMO_USERS:
        assert username in result.output
    first = _counts()

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "demo12345" in again.output  # the accounts are printed again
    assert _counts() == first

    branches = db.session.scalars(sa.select(Branch)).all()
    assert len(branches) >= 3
    members = db.session.scalars(sa.select(Member)).all()
    assert len(members) in range(110, 131)  # about 120, as the issue asks
    assert len({m.name for m in members}) == len(members)  # realistic, distinct names
    assert all(2 <= len(m.name) <= 4 for m in members)
    assert any(m.joined_on.month == 2 and m.joined_on.day == 29 for m in members)
    years = [m.joined_on.year for m in members]
    assert max(years) - min(years) >= 30  # join dates spread over decades
    assert any(m.status == MemberStatus.probationary for m in members)
    assert any(not m.is_active for m in members)  # retired members stay as history
    assert db.session.scalar(sa.select(sa.func.count(Department.id))) >= 5
    assert db.session.scalar(sa.select(sa.func.count(Post.id))) >= 10


def test_every_demo_member_passes_the_member_rules(runner):
    runner.invoke(args=["seed-demo"])
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    today = local_today()
    bad = []
    for m in db.session.scalars(sa.select(Member)):
        data = {
            "name": m.name,
            "gender": m.gender.value,
            "birth_on": m.birth_on,
            "joined_on": m.joined_on,
            "full_member_on": m.full_member_on,
            "status": m.status.value,
            "branch_id": m.branch_id,
            "party_group_id": m.party_group_id,
            "department_id": m.department_id,
            "post_id": m.post_id,
            "title": m.title,
            "phone": m.phone,
        }
        problems = member_problems(data, admin, m)
        if problems:
            bad.append((m.name, m.birth_on, m.joined_on, m.full_member_on, problems))
        if m.status == MemberStatus.probationary:
            # Probation lasts one year: a probationary member joined within it.
            assert (today - m.joined_on).days <= 366, m
    assert bad == []


def test_demo_accounts_log_in_with_demo_password(runner, client):
    runner.invoke(args=["seed-demo"])
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert set(DEMO_USERS) <= set(users)
    for username, role in DEMO_USERS.items():
        user = users[username]
        assert user.role == role and user.is_demo
        if role in (Role.secretary, Role.member):
            assert user.branch_id is not None and user.member.branch_id == user.branch_id
        resp = client.post("/auth/login", data={"username": username, "password": "demo12345"})
        assert resp.status_code == 302, (username, resp.get_data(as_text=True)[-500:])
        client.post("/auth/logout")
    assert users["secretary"].branch_id != users["secretary2"].branch_id


def test_seed_demo_on_a_database_with_an_admin_already(runner, client):
    """`create-admin` first, then `seed-demo`: the real admin is kept, the rest are created."""
    result = runner.invoke(args=["create-admin", "--password", "Real-admin-2026"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "已有同名正式账户，未改动：admin" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) >= 110
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    assert not admin.is_demo
    resp = client.post("/auth/login", data={"username": "admin", "password": "demo12345"})
    assert resp.status_code == 401
    resp = client.post("/auth/login", data={"username": "admin", "password": "Real-admin-2026"})
    assert resp.status_code == 302
    client.post("/auth/logout")
    for username in ("secretary", "member", "reviewer", "secretary2"):
        resp = client.post("/auth/login", data={"username": username, "password": "demo12345"})
        assert resp.status_code == 302, username
        client.post("/auth/logout")
    again = runner.invoke(args=["seed-demo"])
    assert "已创建演示账户" not in again.output
