"""Issue 10, point 9: accounts for roster members in one step, the once-shown sheet of
initial passwords, the forced change of a password someone else chose, and the links
between a member, their account and their commitments."""

import re

import sqlalchemy as sa

from partybuild.auth.models import User
from partybuild.auth.passwords import verify_password
from partybuild.core.audit import AuditEntry
from partybuild.core.permissions import Role
from partybuild.extensions import db
from tests.conftest import FreshUserClient

SHEET_PASSWORD = re.compile(r'data-testid="initial-password">([^<]+)<')


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _open(client, members, **extra) -> tuple[object, list[str]]:
    data = {"member_id": [str(m.id) for m in members], "role": "member", **extra}
    resp = client.post("/auth/accounts/roster", data=data)
    return resp, SHEET_PASSWORD.findall(_text(resp))


def _account(member) -> User | None:
    return db.session.scalar(sa.select(User).where(User.member_id == member.id))


def test_new_account_form_defaults_to_member_role(client, auth):
    auth.login("admin")
    page = _text(client.get("/auth/users/new"))
    assert re.search(r'<option selected value="member">党员</option>', page)
    assert not re.search(r'<option selected value="admin">', page)


def test_admin_opens_accounts_for_ticked_members_and_sees_passwords_once(
    client, auth, org, make_member, make_user
):
    ajiao = make_member(name="阿娇")
    zhang = make_member(name="张三")
    zhang_b = make_member(name="张三", branch=org.b)
    left_out = make_member(name="赵四")
    make_user("reviewer", username="zhangsan")  # the plain pinyin is taken
    auth.login("admin")
    page = _text(client.get("/auth/accounts/roster"))
    for name in ("阿娇", "张三", "赵四"):
        assert name in page

    resp, passwords = _open(client, [zhang, ajiao, zhang_b])
    assert resp.status_code == 200
    assert "no-store" in resp.headers["Cache-Control"]
    assert len(passwords) == 3 and len(set(passwords)) == 3
    page = _text(resp)
    assert "只在本页显示这一次" in page and "data-print" in page

    users = {m.id: _account(m) for m in (ajiao, zhang, zhang_b)}
    assert users[ajiao.id].username == "ajiao"
    assert {users[zhang.id].username, users[zhang_b.id].username} == {"zhangsan2", "zhangsan3"}
    assert _account(left_out) is None
    for member, user in ((ajiao, users[ajiao.id]), (zhang_b, users[zhang_b.id])):
        assert user.role == Role.member and user.branch_id == member.branch_id
        assert user.display_name == member.name and user.must_change_password
    # Each password on the sheet opens its own account; only hashes are stored.
    for member, user in zip(
        (ajiao, zhang, zhang_b), [users[ajiao.id], users[zhang.id], users[zhang_b.id]], strict=True
    ):
        row = re.search(
            rf"<td>{member.name}</td>\s*<td[^>]*>{member.branch.name}</td>\s*"
            rf'<td class="mono">{user.username}</td>\s*'
            r'<td class="mono" data-testid="initial-password">([^<]+)<',
            page,
        )
        assert row and verify_password(user.password_hash, row.group(1))
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert sum(e.action == "create_for_member" for e in entries) == 3
    dump = " ".join(f"{e.summary} {e.before} {e.after}" for e in entries)
    assert not any(p in dump for p in passwords)

    # Never again: the list no longer offers them, no page shows the passwords.
    page = _text(client.get("/auth/accounts/roster"))
    assert "阿娇" not in page and "赵四" in page
    for url in (
        "/auth/users",
        f"/auth/users/{users[ajiao.id].id}/edit",
        f"/org/members/{ajiao.id}",
    ):
        assert not any(p in _text(client.get(url)) for p in passwords)
    # Posting the same members again (a reload) opens nothing and shows no password.
    resp, again = _open(client, [ajiao])
    assert resp.status_code == 400 and again == []
    assert "以下党员已有账户" in _text(resp)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 5


def test_secretary_opens_member_accounts_for_her_own_branch_only(client, auth, org, make_member):
    mine = make_member(name="李明")
    theirs = make_member(name="林", branch=org.b)
    auth.login("secretary")
    page = _text(client.get("/auth/accounts/roster"))
    assert "李明" in page and "第二党支部" not in page
    assert 'value="secretary"' not in page  # no role choice: member accounts only
    resp, _ = _open(client, [mine], role="secretary")  # a forged choice is refused
    assert resp.status_code == 400 and _account(mine) is None
    resp, _ = _open(client, [mine, theirs])
    assert resp.status_code == 403 and _account(mine) is None and _account(theirs) is None
    resp, passwords = _open(client, [mine])
    assert resp.status_code == 200 and len(passwords) == 1
    assert _account(mine).username == "liming" and _account(mine).role == Role.member
    resp, _ = _open(client, [])
    assert resp.status_code == 400 and "请先勾选" in _text(resp)


def test_members_cannot_open_accounts(client, auth, make_member):
    auth.login("member")
    assert client.get("/auth/accounts/roster").status_code == 403
    resp, _ = _open(client, [make_member(name="王五")])
    assert resp.status_code == 403


def test_admin_may_open_a_secretary_account_for_a_member(client, auth, make_member):
    member = make_member(name="曾国藩")
    auth.login("admin")
    resp, passwords = _open(client, [member], role="secretary")
    assert resp.status_code == 200 and len(passwords) == 1
    user = _account(member)
    assert user.role == Role.secretary and user.username == "zengguofan"


def _login(client, username, password):
    resp = client.post("/auth/login", data={"username": username, "password": password})
    assert resp.status_code == 302, _text(resp)[-500:]


def test_first_login_with_an_initial_password_must_set_a_new_one(app, client, auth, make_member):
    member = make_member(name="阿娇")
    auth.login("admin")
    _, (password,) = _open(client, [member])
    auth.logout()

    _login(client, "ajiao", password)
    other = FreshUserClient(app, app.response_class, use_cookies=True)
    _login(other, "ajiao", password)  # a second browser, e.g. the phone
    for url in ("/", f"/org/members/{member.id}", "/notifications", "/commitments/mine"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/password")
    resp = client.post("/commitments/batches/1/new", data={"content": "x"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/password")
    page = _text(client.get("/auth/password"))
    assert 'data-testid="must-change"' in page
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"
    icon.close()

    # The same initial password is refused as the new one.
    resp = client.post(
        "/auth/password",
        data={"current_password": password, "new_password": password, "confirm": password},
    )
    assert resp.status_code == 400
    resp = client.post(
        "/auth/password",
        data={
            "current_password": password,
            "new_password": "Ajiao-own-77",
            "confirm": "Ajiao-own-77",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert not _account(member).must_change_password
    assert client.get(f"/org/members/{member.id}").status_code == 200
    # The change ended every other session (the phone logs in again).
    resp = other.get("/notifications")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    # Logout is always open.
    assert client.post("/auth/logout").status_code == 302


def test_admin_reset_forces_a_change_but_not_for_the_admin_herself(client, auth, make_user):
    user = make_user("member")
    admin = auth.login("admin")
    client.post(f"/auth/users/{user.id}/password", data={"reset-new_password": "Reset-by-admin-1"})
    client.post(f"/auth/users/{admin.id}/password", data={"reset-new_password": "Admin-own-new-2"})
    db.session.expire_all()
    assert db.session.get(User, user.id).must_change_password
    assert not db.session.get(User, admin.id).must_change_password
    assert client.get("/auth/users").status_code == 200  # the admin carries on


def test_member_page_links_to_account_and_commitments(client, auth, make_member, make_user):
    member = make_member(name="张三")
    account = make_user("member", member=member, username="zhangsan")
    other = make_member(name="赵四")
    auth.login("admin")
    page = _text(client.get(f"/org/members/{member.id}"))
    assert f'href="/auth/users/{account.id}/edit"' in page
    assert f"/commitments/overview?member={member.id}" in page
    page = _text(client.get(f"/auth/users/{account.id}/edit"))
    assert f'href="/org/members/{member.id}"' in page
    assert f'href="/org/members/{member.id}"' in _text(client.get("/auth/users"))
    page = _text(client.get(f"/org/members/{other.id}"))
    assert "尚未开通" in page and "/auth/accounts/roster?" in page

    auth.login("secretary")
    page = _text(client.get(f"/org/members/{member.id}"))
    assert "zhangsan" in page and "/auth/users/" not in page  # no admin page for her
    page = _text(client.get(f"/commitments/overview?member={member.id}"))
    assert 'data-testid="member-filter"' in page and "张三" in page

    auth.login(account)
    page = _text(client.get(f"/org/members/{member.id}"))
    assert 'href="/commitments/mine"' in page and 'data-testid="member-account"' not in page


def test_the_overview_filter_names_no_member_outside_the_readers_branches(
    client, auth, org, make_member
):
    stranger = make_member(name="欧阳修", branch=org.b)
    auth.login("secretary")
    page = _text(client.get(f"/commitments/overview?member={stranger.id}"))
    assert "欧阳修" not in page
    assert 'data-testid="member-filter"' not in _text(client.get("/commitments/overview?member=x"))
