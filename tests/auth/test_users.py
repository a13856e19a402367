"""Account management by the admin, own password change, and the create-admin CLI."""

import pytest
import sqlalchemy as sa

from partybuild.auth.models import User
from partybuild.auth.passwords import DEMO_PASSWORD, verify_password
from partybuild.core.audit import AuditEntry
from partybuild.core.permissions import Role
from partybuild.extensions import db

GOOD_PASSWORD = "Strong-pass-2026"


def _text(resp):
    return resp.get_data(as_text=True)


def _follow(client, resp):
    assert resp.status_code == 302, _text(resp)[-2000:]
    return _text(client.get(resp.headers["Location"]))


def _user(username):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.username == username))


def _entries(action):
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def _form(**kw):
    data = {
        "username": "wang.xiuying",
        "display_name": "",
        "role": "member",
        "branch_id": "",
        "member_id": "",
        "password": GOOD_PASSWORD,
    }
    data.update({k: str(v) for k, v in kw.items()})
    return data


# --- create ---------------------------------------------------------------------------


def test_admin_creates_member_account_linked_to_member(client, auth, org, make_member):
    member = make_member(name="王秀英")
    admin = auth.login("admin")
    page = _text(client.get("/auth/users/new"))
    assert "王秀英（第一党支部）" in page and "新建账户" in page
    resp = client.post("/auth/users/new", data=_form(branch_id=org.a.id, member_id=member.id))
    assert "账户 wang.xiuying 已创建" in _follow(client, resp)
    user = _user("wang.xiuying")
    assert user.role == Role.member and user.branch_id == org.a.id
    assert user.member_id == member.id and user.display_name == "王秀英"
    assert not user.is_demo and verify_password(user.password_hash, GOOD_PASSWORD)
    assert GOOD_PASSWORD not in user.password_hash
    (entry,) = _entries("create")
    assert entry.actor_id == admin.id and entry.object_id == str(user.id)
    assert entry.after["role"] == "member" and entry.after["member_id"] == member.id
    assert "password" not in str(entry.after)

    auth.logout()
    resp = client.post("/auth/login", data={"username": "wang.xiuying", "password": GOOD_PASSWORD})
    assert resp.status_code == 302
    # The admin chose the password: its owner replaces it first (issue 10).
    resp = client.get(f"/org/members/{member.id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/auth/password")
    resp = client.post(
        "/auth/password",
        data={
            "current_password": GOOD_PASSWORD,
            "new_password": "Xiuying-own-1",
            "confirm": "Xiuying-own-1",
        },
    )
    assert resp.status_code == 302
    assert client.get(f"/org/members/{member.id}").status_code == 200


def test_admin_creates_secretary_and_reviewer(client, auth, org):
    auth.login("admin")
    client.post(
        "/auth/users/new", data=_form(username="sec.b", role="secretary", branch_id=org.b.id)
    )
    assert _user("sec.b").branch_id == org.b.id and _user("sec.b").role == Role.secretary
    # Reviewers read every branch: a branch given by mistake is dropped.
    client.post("/auth/users/new", data=_form(username="rev", role="reviewer", branch_id=org.a.id))
    assert _user("rev").role == Role.reviewer and _user("rev").branch_id is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"role": "secretary"}, "支部书记和党员账户必须指定所属党支部"),
        ({"role": "member", "branch_id": "A"}, "党员账户必须关联一名党员"),
        ({"role": "member", "branch_id": "B", "member_id": "M"}, "关联的党员不属于所选党支部"),
        ({"password": "short1"}, "密码长度至少 10 位"),
        ({"password": "abcdefghijkl"}, "密码须同时包含字母和数字"),
        ({"password": "1234567890123"}, "密码须同时包含字母和数字"),
        ({"password": "ab1ab1ab1ab1"}, "密码过于简单"),
        ({"password": DEMO_PASSWORD}, "演示密码只能用于演示账户"),
        ({"username": "张三"}, "用户名只能包含字母、数字"),
        ({"username": "ab"}, "字段长度"),
        ({"role": "superuser"}, "不是有效的选择"),
        ({"password": ""}, "该字段是必填字段"),
        ({"role": "secretary", "branch_id": "abc"}, "选择无效"),
    ],
)
def test_create_user_refusals(client, auth, org, make_member, overrides, message):
    member = make_member()
    ids = {"A": org.a.id, "B": org.b.id, "M": member.id}
    overrides = {k: ids.get(v, v) for k, v in overrides.items()}
    data = _form(role="reviewer")
    data.update({k: str(v) for k, v in overrides.items()})
    auth.login("admin")
    resp = client.post("/auth/users/new", data=data)
    body = _text(resp)
    assert message in body, body[-3000:]
    assert _user(data["username"]) is None
    assert _entries("create") == []


def test_duplicate_username_and_member_already_linked(client, auth, org, make_member):
    member = make_member()
    auth.login("admin")
    client.post("/auth/users/new", data=_form(branch_id=org.a.id, member_id=member.id))
    body = _text(client.post("/auth/users/new", data=_form(role="reviewer")))
    assert "用户名已存在" in body
    body = _text(
        client.post(
            "/auth/users/new",
            data=_form(username="other", branch_id=org.a.id, member_id=member.id),
        )
    )
    assert "该党员已关联其他账户" in body
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2  # admin + the first


def test_retired_member_cannot_get_an_account(client, auth, org, make_member):
    from partybuild.org import service as org_service

    member = make_member()
    admin = auth.login("admin")
    org_service.retire_member(member, "转出", admin)
    db.session.commit()
    body = _text(
        client.post("/auth/users/new", data=_form(branch_id=org.a.id, member_id=member.id))
    )
    assert "已退出名册" in body
    assert _user("wang.xiuying") is None


# --- edit, deactivate, reset --------------------------------------------------------------


def test_admin_edits_user(client, auth, org, make_user, make_member):
    user = make_user("secretary", branch=org.a, username="sec.a")
    auth.login("admin")
    page = _text(client.get(f"/auth/users/{user.id}/edit"))
    assert "编辑账户 sec.a" in page and "重置密码" in page
    data = _form(username="sec.a", role="secretary", branch_id=org.b.id, display_name="乙书记")
    del data["password"]
    data["version_id"] = str(user.version_id)
    assert "账户已更新" in _follow(client, client.post(f"/auth/users/{user.id}/edit", data=data))
    user = _user("sec.a")
    assert user.branch_id == org.b.id and user.display_name == "乙书记"
    (entry,) = _entries("update")
    assert entry.before["branch_id"] == org.a.id and entry.after["branch_id"] == org.b.id
    # The username cannot be changed by posting another one.
    data.update(username="hijack", version_id=str(user.version_id))
    client.post(f"/auth/users/{user.id}/edit", data=data)
    assert _user("sec.a") is not None and _user("hijack") is None
    # Bad scope is refused without changing anything.
    data.update(username="sec.a", role="member", member_id="", version_id=str(user.version_id))
    assert "党员账户必须关联一名党员" in _text(
        client.post(f"/auth/users/{user.id}/edit", data=data)
    )
    assert _user("sec.a").role == Role.secretary
    assert client.get("/auth/users/9999/edit").status_code == 404


def test_admin_cannot_demote_or_deactivate_self(client, auth):
    admin = auth.login("admin")
    data = _form(username=admin.username, role="reviewer", version_id=str(admin.version_id))
    del data["password"]
    body = _text(client.post(f"/auth/users/{admin.id}/edit", data=data))
    assert "不能取消自己的管理员角色" in body
    body = _follow(client, client.post(f"/auth/users/{admin.id}/active", data={"active": "0"}))
    assert "不能停用自己的账户" in body
    db.session.refresh(admin)
    assert admin.role == Role.admin and admin.is_active_account


def test_deactivate_and_reactivate(client, auth, make_user):
    user = make_user("secretary", password="Correct-horse-9")
    auth.login("admin")
    body = _follow(client, client.post(f"/auth/users/{user.id}/active", data={"active": "0"}))
    assert "账户已停用" in body and "已停用" in body
    assert not _user(user.username).is_active_account
    auth.logout()
    resp = client.post(
        "/auth/login", data={"username": user.username, "password": "Correct-horse-9"}
    )
    # Issue 9: the login page no longer says the account is inactive.
    assert resp.status_code == 401 and "用户名或密码错误" in _text(resp)
    auth.login("admin")
    body = _follow(client, client.post(f"/auth/users/{user.id}/active", data={"active": "1"}))
    assert "账户已启用" in body
    assert [e.action for e in _entries("deactivate") + _entries("activate")] == [
        "deactivate",
        "activate",
    ]


def test_reset_password(client, auth, make_user):
    user = make_user("member")
    auth.login("admin")
    url = f"/auth/users/{user.id}/password"
    assert "密码长度至少" in _follow(client, client.post(url, data={"reset-new_password": "x1"}))
    assert "请输入新密码" in _follow(client, client.post(url, data={"reset-new_password": ""}))
    body = _follow(client, client.post(url, data={"reset-new_password": DEMO_PASSWORD}))
    assert "演示密码只能用于演示账户" in body
    body = _follow(client, client.post(url, data={"reset-new_password": "Reset-pass-2026"}))
    assert f"已重置 {user.username} 的密码" in body
    assert verify_password(_user(user.username).password_hash, "Reset-pass-2026")
    (entry,) = _entries("reset_password")
    assert entry.object_id == str(user.id) and "Reset-pass" not in str(entry.after)


def test_users_list_search_and_role_filter(client, auth, make_user):
    make_user("secretary", username="li.sec")
    make_user("reviewer", username="zhao.rev")
    auth.login("admin")
    body = _text(client.get("/auth/users"))
    assert "li.sec" in body and "zhao.rev" in body
    body = _text(client.get("/auth/users", query_string={"q": "zhao"}))
    assert "zhao.rev" not in body.split("<tbody>")[0] and "li.sec" not in body
    body = _text(client.get("/auth/users", query_string={"role": "secretary"}))
    assert "li.sec" in body and "zhao.rev" not in body


@pytest.mark.parametrize("role", ["secretary", "member", "reviewer"])
def test_non_admin_gets_403(client, auth, make_user, role):
    target = make_user("member")
    auth.login(role)
    assert client.get("/auth/users").status_code == 403
    assert client.get("/auth/users/new").status_code == 403
    assert (
        client.post("/auth/users/new", data=_form(role="admin", username="evil")).status_code == 403
    )
    assert client.get(f"/auth/users/{target.id}/edit").status_code == 403
    edit = _form(username=target.username, role="admin")
    assert client.post(f"/auth/users/{target.id}/edit", data=edit).status_code == 403
    assert client.post(f"/auth/users/{target.id}/active", data={"active": "0"}).status_code == 403
    resp = client.post(
        f"/auth/users/{target.id}/password", data={"reset-new_password": "Evil-pass-123"}
    )
    assert resp.status_code == 403
    target = _user(target.username)
    assert target.role == Role.member and target.is_active_account
    assert _user("evil") is None


def test_service_refuses_non_admin(make_user):
    from partybuild.auth import service
    from partybuild.core.service import PermissionDenied

    secretary = make_user("secretary")
    with pytest.raises(PermissionDenied):
        service.create_user(_form(role="admin"), secretary)
    with pytest.raises(PermissionDenied):
        service.reset_password(secretary, "Whatever-123", secretary)


# --- own password -------------------------------------------------------------------------


def test_change_own_password(client, auth, make_user):
    user = make_user("member", password="Correct-horse-9")
    auth.login(user)
    assert "修改密码" in _text(client.get("/auth/password"))

    def post(current, new, confirm=None):
        return _text(
            client.post(
                "/auth/password",
                data={"current_password": current, "new_password": new, "confirm": confirm or new},
            )
        )

    assert "当前密码不正确" in post("wrong-password", "New-pass-2026")
    assert "密码长度至少 10 位" in post("Correct-horse-9", "short1")
    assert "密码须同时包含字母和数字" in post("Correct-horse-9", "onlyletterspassword")
    assert "演示密码只能用于演示账户" in post("Correct-horse-9", DEMO_PASSWORD)
    assert "新密码不能与当前密码相同" in post("Correct-horse-9", "Correct-horse-9")
    assert "两次输入的新密码不一致" in post("Correct-horse-9", "New-pass-2026", "New-pass-2027")
    assert verify_password(_user(user.username).password_hash, "Correct-horse-9")

    resp = client.post(
        "/auth/password",
        data={
            "current_password": "Correct-horse-9",
            "new_password": "New-pass-2026",
            "confirm": "New-pass-2026",
        },
    )
    assert "密码已修改" in _follow(client, resp)
    assert verify_password(_user(user.username).password_hash, "New-pass-2026")
    (entry,) = _entries("change_password")
    assert entry.actor_id == user.id
    client.post("/auth/logout")
    login = {"username": user.username, "password": "Correct-horse-9"}
    assert client.post("/auth/login", data=login).status_code == 401
    login["password"] = "New-pass-2026"
    assert client.post("/auth/login", data=login).status_code == 302


def test_wrong_current_password_is_shown_on_that_field(client, auth, make_user):
    auth.login(make_user("member"))
    body = _text(
        client.post(
            "/auth/password",
            data={
                "current_password": "nope",
                "new_password": "New-pass-2026",
                "confirm": "New-pass-2026",
            },
        )
    )
    current_field = body.split('name="current_password"')[1].split('name="new_password"')[0]
    assert "当前密码不正确" in current_field


def test_change_password_needs_login(client):
    assert client.get("/auth/password").status_code == 302


# --- create-admin CLI ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "密码长度至少 10 位"),
        ("abcdefghijkl", "密码须同时包含字母和数字"),
        (DEMO_PASSWORD, "演示密码只能用于演示账户"),
    ],
)
def test_create_admin_refuses_weak_passwords(runner, password, message):
    result = runner.invoke(args=["create-admin", "--username", "boss", "--password", password])
    assert result.exit_code != 0
    assert message in result.output
    assert _user("boss") is None


def test_create_admin(runner, client):
    result = runner.invoke(args=["create-admin", "--username", "boss", "--password", GOOD_PASSWORD])
    assert result.exit_code == 0, result.output
    user = _user("boss")
    assert user.role == Role.admin and not user.is_demo
    again = runner.invoke(args=["create-admin", "--username", "boss", "--password", GOOD_PASSWORD])
    assert again.exit_code != 0 and "已存在" in again.output
    resp = client.post("/auth/login", data={"username": "boss", "password": GOOD_PASSWORD})
    assert resp.status_code == 302
    assert _text(client.get("/")).count("账户管理") >= 1
    assert _entries("create")[0].actor_name == "cli"


def test_create_admin_prompts_for_password(runner, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "short")
    result = runner.invoke(args=["create-admin", "--username", "boss"])
    assert result.exit_code != 0 and "密码长度至少" in result.output


@pytest.mark.parametrize("version", [None, "", "abc", "0"])
def test_edit_user_without_its_version_is_a_conflict(client, auth, org, make_user, version):
    """Issue 9, finding 11: the account form carries its version; a POST without it (or
    with a garbled one) is refused like a stale page, keeping what was typed."""
    user = make_user("secretary", branch=org.a, username="sec.v")
    auth.login("admin")
    page = _text(client.get(f"/auth/users/{user.id}/edit"))
    assert f'name="version_id" type="hidden" value="{user.version_id}"' in page
    data = _form(username="sec.v", role="secretary", branch_id=org.b.id, display_name="改后的名字")
    del data["password"]
    if version is not None:
        data["version_id"] = version
    resp = client.post(f"/auth/users/{user.id}/edit", data=data)
    assert resp.status_code == 409
    body = _text(resp)
    assert "账户已被他人修改" in body and "改后的名字" in body
    db.session.expire_all()
    user = _user("sec.v")
    assert user.branch_id == org.a.id and user.display_name != "改后的名字"
    assert _entries("update") == []


def test_edit_user_from_a_stale_page_is_a_conflict(client, auth, org, make_user):
    user = make_user("secretary", branch=org.a, username="sec.s")
    auth.login("admin")
    stale = str(user.version_id)
    data = _form(username="sec.s", role="secretary", branch_id=org.a.id, display_name="第一次")
    del data["password"]
    data["version_id"] = stale
    assert client.post(f"/auth/users/{user.id}/edit", data=data).status_code == 302
    data["display_name"] = "第二次"
    resp = client.post(f"/auth/users/{user.id}/edit", data=data)
    assert resp.status_code == 409 and "第二次" in _text(resp)
    db.session.expire_all()
    assert _user("sec.s").display_name == "第一次"
