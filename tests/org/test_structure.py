"""Organisation structure: admin manages branches, groups, departments and posts."""

import sqlalchemy as sa

from partybuild.extensions import db
from partybuild.org.models import Branch, Department, Member, PartyGroup, Post
from tests.org.helpers import entries, member_form, text


def _flash_after(client, resp):
    assert resp.status_code == 302
    return text(client.get(resp.headers["Location"]))


def test_structure_page_lists_everything(client, auth, org, make_member):
    make_member(branch=org.a)
    auth.login("admin")
    body = text(client.get("/org/structure"))
    for name in (
        "测试局机关党委",
        "第一党支部",
        "第二党支部",
        "第一党小组",
        "接访科",
        "信访接待岗",
    ):
        assert name in body
    assert "1 名党员" in body and "添加党支部" in body and "改名" in body


def test_admin_creates_each_kind(client, auth, org):
    admin = auth.login("admin")
    body = _flash_after(
        client, client.post("/org/structure/branch", data={"name": "第三党支部", "code": "c3"})
    )
    assert "已添加：第三党支部" in body
    branch = db.session.scalar(sa.select(Branch).where(Branch.name == "第三党支部"))
    assert branch.code == "C3" and branch.organization_id == org.organization.id

    client.post("/org/structure/group", data={"name": "第二党小组", "parent_id": org.a.id})
    client.post("/org/structure/department", data={"name": "办信科"})
    client.post("/org/structure/post", data={"name": "接访协调岗", "parent_id": org.department.id})
    assert db.session.scalar(
        sa.select(PartyGroup).where(
            PartyGroup.name == "第二党小组", PartyGroup.branch_id == org.a.id
        )
    )
    assert db.session.scalar(sa.select(Department).where(Department.name == "办信科"))
    assert db.session.scalar(sa.select(Post).where(Post.name == "接访协调岗"))
    created = entries(action="create")
    assert [e.object_type for e in created] == ["branch", "party_group", "department", "post"]
    assert all(e.actor_id == admin.id for e in created)
    assert created[0].after == {"name": "第三党支部"}


def test_duplicate_names_are_refused(client, auth, org):
    auth.login("admin")
    cases = [
        ("branch", {"name": "第一党支部", "code": "NEW"}, "同名或同编码的党支部已存在"),
        ("branch", {"name": "全新党支部", "code": "a"}, "同名或同编码的党支部已存在"),
        ("group", {"name": "第一党小组", "parent_id": org.a.id}, "该党支部已有同名党小组"),
        ("department", {"name": "接访科"}, "同名科室已存在"),
        ("post", {"name": "信访接待岗", "parent_id": org.department.id}, "该科室已有同名岗位"),
        ("branch", {"name": "坏编码支部", "code": "第三"}, "支部编码只能包含"),
        ("branch", {"name": "", "code": "X"}, "请填写名称"),
        ("branch", {"name": "   ", "code": "X"}, "请填写名称"),
        ("group", {"name": "孤儿小组", "parent_id": "99999"}, "请选择党支部"),
        ("post", {"name": "孤儿岗位"}, "请选择科室"),
        ("department", {"name": "长" * 121}, "请填写名称"),
    ]
    before = entries()
    for kind, data, message in cases:
        body = _flash_after(client, client.post(f"/org/structure/{kind}", data=data))
        assert message in body, (kind, data)
    assert entries() == before
    assert db.session.scalar(sa.select(sa.func.count(Branch.id))) == 2
    # The same group name in another branch is fine.
    client.post("/org/structure/group", data={"name": "第一党小组", "parent_id": org.b.id})
    assert db.session.scalar(sa.select(sa.func.count(PartyGroup.id))) == 2


def test_rename(client, auth, org):
    auth.login("admin")
    body = _flash_after(
        client, client.post(f"/org/structure/branch/{org.a.id}/rename", data={"name": "甲支部"})
    )
    assert "名称已修改" in body and "甲支部" in body
    db.session.refresh(org.a)
    assert org.a.name == "甲支部"
    (entry,) = entries(action="rename")
    assert entry.before == {"name": "第一党支部"} and entry.after == {"name": "甲支部"}

    for kind, unit, taken in (
        ("branch", org.a, "第二党支部"),
        ("department", org.department, None),
    ):
        if taken:
            body = _flash_after(
                client,
                client.post(f"/org/structure/{kind}/{unit.id}/rename", data={"name": taken}),
            )
            assert "同名党支部已存在" in body
    body = _flash_after(
        client, client.post(f"/org/structure/post/{org.post.id}/rename", data={"name": " "})
    )
    assert "岗位名称不能为空" in body
    db.session.expire_all()
    assert db.session.get(Branch, org.a.id).name == "甲支部"
    assert db.session.get(Post, org.post.id).name == "信访接待岗"
    assert len(entries(action="rename")) == 1


def test_rename_group_to_sibling_name_is_refused(client, auth, org):
    sibling = PartyGroup(branch=org.a, name="第二党小组")
    db.session.add(sibling)
    db.session.commit()
    auth.login("admin")
    body = _flash_after(
        client,
        client.post(f"/org/structure/group/{org.group_a.id}/rename", data={"name": "第二党小组"}),
    )
    assert "同名党小组已存在" in body
    # ... the app still works after the refused write.
    client.post(f"/org/structure/group/{org.group_a.id}/rename", data={"name": "第三党小组"})
    db.session.expire_all()
    assert db.session.get(PartyGroup, org.group_a.id).name == "第三党小组"


def test_unknown_kind_or_unit_is_404(client, auth, org):
    auth.login("admin")
    assert client.post("/org/structure/planet", data={"name": "x"}).status_code == 404
    assert client.post("/org/structure/branch/9999/rename", data={"name": "x"}).status_code == 404
    assert client.post("/org/structure/planet/1/rename", data={"name": "x"}).status_code == 404


def test_reviewer_reads_only(client, auth, org):
    auth.login("reviewer")
    resp = client.get("/org/structure")
    assert resp.status_code == 200
    body = text(resp)
    assert "第一党支部" in body and "添加党支部" not in body and "改名" not in body
    for url, data in (
        ("/org/structure/branch", {"name": "第三党支部", "code": "C"}),
        (f"/org/structure/branch/{org.a.id}/rename", {"name": "x"}),
        (f"/org/structure/branch/{org.a.id}/active", {"active": "0"}),
        ("/org/structure/department", {"name": "新科室"}),
    ):
        assert client.post(url, data=data).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(Branch, org.a.id).name == "第一党支部"
    assert db.session.scalar(sa.select(sa.func.count(Branch.id))) == 2


def test_secretary_and_member_are_refused(client, auth, org):
    for role in ("secretary", "member"):
        auth.login(role)
        assert client.get("/org/structure").status_code == 403
        assert client.post("/org/structure/department", data={"name": "x"}).status_code == 403
        auth.logout()


def test_closing_a_branch(client, auth, org):
    auth.login("admin")
    assert "撤销支部" in text(client.get("/org/structure"))
    client.post(f"/org/structure/branch/{org.b.id}/active", data={"active": "0"})
    db.session.refresh(org.b)
    assert not org.b.is_active
    page = text(client.get("/org/structure"))
    assert "已撤销" in page and "恢复支部" in page
    (entry,) = entries(action="deactivate")
    assert entry.object_type == "branch" and entry.after == {"is_active": False}
    # A closed branch is no longer offered and refuses new members.
    assert org.b.name not in text(client.get("/org/members/new"))
    data = member_form(org, branch_id=org.b.id, party_group_id="")
    assert "已撤销" in text(client.post("/org/members/new", data=data))
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 0
    client.post(f"/org/structure/branch/{org.b.id}/active", data={"active": "1"})
    db.session.refresh(org.b)
    assert org.b.is_active
