"""Member roster: list, search, filters, pagination, create/edit/retire, detail, validation."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org import service
from partybuild.org.models import Department, Member, MemberStatus, PartyGroup, Post
from tests.org.helpers import entries, member_form, text


def _count_members() -> int:
    return db.session.scalar(sa.select(sa.func.count(Member.id)))


# --- list, search, filters, pagination ----------------------------------------------


def test_list_search_and_filters(client, auth, org, make_member):
    other_group = PartyGroup(branch=org.a, name="第二党小组")
    other_dept = Department(organization=org.organization, name="办信科")
    db.session.add_all([other_group, other_dept])
    db.session.commit()
    make_member(name="王秀英", party_group=org.group_a, department=org.department)
    make_member(name="李建国", party_group=other_group, department=other_dept, full=False)
    make_member(name="赵德胜", branch=org.b, party_group=org.group_b)
    retired = make_member(name="孙长青")
    service.retire_member(retired, "组织关系转出", auth.login("admin"))
    db.session.commit()

    def names(**args):
        resp = client.get("/org/members", query_string=args)
        assert resp.status_code == 200
        body = text(resp)
        return {n for n in ("王秀英", "李建国", "赵德胜", "孙长青") if n in body}

    assert names() == {"王秀英", "李建国", "赵德胜"}  # active only by default
    assert names(q="秀英") == {"王秀英"}
    assert names(q="不存在的人") == set()
    assert names(branch=org.b.id) == {"赵德胜"}
    assert names(group=other_group.id) == {"李建国"}
    assert names(department=org.department.id) == {"王秀英"}
    assert names(status="probationary") == {"李建国"}
    assert names(status="full") == {"王秀英", "赵德胜"}
    assert names(active="0") == {"孙长青"}
    assert names(active="all") == {"王秀英", "李建国", "赵德胜", "孙长青"}
    # Combined filters narrow further; junk values are ignored rather than crashing.
    assert names(branch=org.a.id, status="full") == {"王秀英"}
    assert names(branch="abc", group="x", status="bogus") == {"王秀英", "李建国", "赵德胜"}


def test_search_treats_wildcards_literally(client, auth, make_member):
    make_member(name="王秀英")
    auth.login("admin")
    assert "王秀英" not in text(client.get("/org/members", query_string={"q": "%"}))
    assert "王秀英" not in text(client.get("/org/members", query_string={"q": "_"}))


def test_pagination(app, client, auth, make_member):
    app.config["MEMBERS_PER_PAGE"] = 5
    for i in range(12):
        make_member(name=f"名单{i:02d}")
    auth.login("admin")
    first = text(client.get("/org/members"))
    assert "共 12 条，第 1 / 3 页" in first
    assert first.count("名单") == 5
    third = text(client.get("/org/members", query_string={"page": 3}))
    assert third.count("名单") == 2 and "名单11" in third
    # Filters are kept in the page links.
    filtered = text(client.get("/org/members", query_string={"q": "名单", "status": "full"}))
    assert "q=%E5%90%8D%E5%8D%95" in filtered and "status=full" in filtered
    assert client.get("/org/members", query_string={"page": 99}).status_code == 404


def test_member_list_query_count_does_not_grow(client, auth, org, make_member, query_counter):
    auth.login("admin")

    def seed(n):
        for i in range(n):
            branch = org.a if i % 4 else org.b
            make_member(
                branch=branch,
                party_group=(org.group_a if branch is org.a else org.group_b) if i % 2 else None,
                department=org.department,
                post=org.post if i % 3 else None,
                title="科长" if i % 5 == 0 else "",
            )

    seed(5)
    client.get("/org/members")  # warm-up: the cached structure is filled once
    with query_counter() as small:
        assert client.get("/org/members").status_code == 200
    seed(55)
    client.get("/org/members")
    with query_counter() as large:
        assert client.get("/org/members").status_code == 200
    assert small.count == large.count, (small.statements, large.statements)
    with query_counter() as export:
        assert client.get("/org/members/export.xlsx").status_code == 200
    assert export.count < 20


def test_members_page_roles(client, auth):
    for role, status in (("admin", 200), ("secretary", 200), ("reviewer", 200), ("member", 403)):
        auth.login(role)
        assert client.get("/org/members").status_code == status, role
        auth.logout()


def test_reviewer_sees_no_write_buttons(client, auth, make_member):
    make_member(name="王秀英")
    auth.login("reviewer")
    body = text(client.get("/org/members"))
    assert "王秀英" in body and "添加党员" not in body and "导入名册" not in body
    assert "导出 Excel" in body


# --- create -------------------------------------------------------------------------


def test_secretary_creates_member(client, auth, org):
    user = auth.login("secretary")
    form = text(client.get("/org/members/new"))
    assert "添加党员" in form and org.b.name not in form  # only own branch offered
    resp = client.post("/org/members/new", data=member_form(org))
    assert resp.status_code == 302
    member = db.session.scalar(sa.select(Member).where(Member.name == "张建国"))
    assert member.branch_id == org.a.id and member.status == MemberStatus.full
    assert member.party_group_id == org.group_a.id and member.post_id == org.post.id
    assert resp.headers["Location"].endswith(f"/org/members/{member.id}")
    page = text(client.get(resp.headers["Location"]))
    assert "已添加党员 张建国" in page and "13912345678" in page
    (entry,) = entries(action="create", object_type="member")
    assert entry.actor_id == user.id and entry.after["name"] == "张建国"
    assert entry.after["joined_on"] == "2008-07-01" and entry.branch_id == org.a.id


def test_create_probationary_member(client, auth, org):
    auth.login("secretary")
    data = member_form(org, status="probationary", full_member_on="", joined_on="2025-01-10")
    data["joined_on"] = (local_today() - timedelta(days=100)).isoformat()
    assert client.post("/org/members/new", data=data).status_code == 302
    member = db.session.scalar(sa.select(Member))
    assert member.status == MemberStatus.probationary and member.full_member_on is None
    assert "预备期" in text(client.get(f"/org/members/{member.id}"))


TOMORROW = "tomorrow"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"full_member_on": "2008-06-30"}, "转正日期不能早于入党日期"),
        ({"joined_on": TOMORROW, "full_member_on": ""}, "日期不能晚于今天"),
        ({"birth_on": TOMORROW}, "日期不能晚于今天"),
        ({"full_member_on": TOMORROW}, "日期不能晚于今天"),
        ({"birth_on": "1990-07-02", "joined_on": "2008-07-01"}, "入党时应年满18周岁"),
        ({"full_member_on": ""}, "正式党员须填写转正日期"),
        ({"status": "probationary"}, "预备党员不应填写转正日期"),
        ({"phone": "12345"}, "联系电话格式不正确"),
        ({"phone": "1391234567a"}, "联系电话格式不正确"),
        ({"name": ""}, "该字段是必填字段"),
        ({"name": "   "}, "该字段是必填字段"),
        ({"joined_on": "2008-02-30"}, "不是有效的日期值"),
        ({"birth_on": "一九八五年"}, "不是有效的日期值"),
        ({"gender": "other"}, "不是有效的选择"),
        ({"status": "expelled"}, "不是有效的选择"),
        ({"branch_id": ""}, "请选择所属党支部"),
        ({"branch_id": "99999"}, "请选择所属党支部"),
        ({"branch_id": "abc", "party_group_id": "x"}, "请选择所属党支部"),
        ({"department_id": "99999", "post_id": ""}, "科室不存在"),
        ({"title": "长" * 61}, "字段长度"),
    ],
)
def test_create_member_validation(client, auth, org, overrides, message):
    if TOMORROW in overrides.values():
        tomorrow = (local_today() + timedelta(days=1)).isoformat()
        overrides = {k: tomorrow if v == TOMORROW else v for k, v in overrides.items()}
    auth.login("secretary")
    resp = client.post("/org/members/new", data=member_form(org, **overrides))
    assert resp.status_code == 400
    body = text(resp)
    assert message in body
    assert "Traceback" not in body
    assert 'value="张建国"' in body or overrides.get("name") is not None  # input kept
    assert _count_members() == 0


def test_group_of_another_branch_and_post_of_another_department(client, auth, org):
    other_dept = Department(organization=org.organization, name="办信科")
    other_post = Post(department=other_dept, name="来信办理岗")
    db.session.add_all([other_dept, other_post])
    db.session.commit()
    auth.login("admin")
    body = text(
        client.post("/org/members/new", data=member_form(org, party_group_id=org.group_b.id))
    )
    assert "所选党小组不属于该党支部" in body
    body = text(client.post("/org/members/new", data=member_form(org, post_id=other_post.id)))
    assert "所选岗位不属于该科室" in body
    body = text(client.post("/org/members/new", data=member_form(org, department_id="")))
    assert "所选岗位不属于该科室" in body
    assert _count_members() == 0


def test_leap_day_join_date_is_accepted(client, auth, org):
    auth.login("secretary")
    data = member_form(
        org, birth_on="1970-01-01", joined_on="1996-02-29", full_member_on="1997-03-01"
    )
    assert client.post("/org/members/new", data=data).status_code == 302
    assert db.session.scalar(sa.select(Member.joined_on)) == date(1996, 2, 29)


def test_member_turning_18_on_join_day_is_accepted(client, auth, org):
    auth.login("secretary")
    data = member_form(org, birth_on="1990-07-01", joined_on="2008-07-01", full_member_on="")
    data["status"] = "probationary"
    assert client.post("/org/members/new", data=data).status_code == 302


# --- edit, concurrency ----------------------------------------------------------------


def test_edit_member_writes_before_and_after(client, auth, org, make_member):
    member = make_member(name="王秀英", phone="13800000001")
    auth.login("secretary")
    page = text(client.get(f"/org/members/{member.id}/edit"))
    assert "王秀英" in page and 'name="version_id" value="1"' in page
    data = member_form(org, name="王秀英", phone="13900000002", title="副科长", version_id=1)
    data.update(birth_on="1980-01-01", joined_on="2005-07-01", full_member_on="2006-07-01")
    resp = client.post(f"/org/members/{member.id}/edit", data=data)
    assert resp.status_code == 302
    db.session.refresh(member)
    assert member.phone == "13900000002" and member.title == "副科长"
    assert member.version_id == 2
    (entry,) = entries(action="update", object_type="member")
    changed = {f: (old, new) for f, old, new in entry.changes}
    assert changed["phone"] == ("13800000001", "13900000002")
    assert changed["title"] == ("", "副科长")
    assert "name" not in changed
    detail = text(client.get(f"/org/members/{member.id}"))
    assert "党员信息已保存" in detail and "13800000001 → 13900000002" in detail


def test_edit_validation_keeps_record(client, auth, org, make_member):
    member = make_member(name="王秀英")
    auth.login("secretary")
    data = member_form(org, name="王秀英", full_member_on="1990-01-01", version_id=1)
    resp = client.post(f"/org/members/{member.id}/edit", data=data)
    assert resp.status_code == 400 and "转正日期不能早于入党日期" in text(resp)
    db.session.refresh(member)
    assert member.full_member_on == date(2006, 7, 1) and member.version_id == 1
    assert entries(action="update") == []


def test_stale_edit_is_refused_with_clear_message(client, auth, org, make_member):
    member = make_member(name="王秀英")
    admin = auth.login("admin")
    # Someone else saves first (version 1 -> 2) ...
    service.update_member(
        member, {**member_form(org, name="王秀英（甲）"), "birth_on": member.birth_on,
                 "joined_on": member.joined_on, "full_member_on": member.full_member_on},
        admin, 1,
    )  # fmt: skip
    db.session.commit()
    # ... then this user submits the form they opened at version 1.
    resp = client.post(
        f"/org/members/{member.id}/edit",
        data=member_form(org, name="王秀英（乙）", version_id=1),
    )
    assert resp.status_code == 409
    assert "已被他人修改" in text(resp)
    # Saving the same page again is still refused: the user must reload first.
    assert 'name="version_id" value="1"' in text(resp)
    resp = client.post(
        f"/org/members/{member.id}/edit",
        data=member_form(org, name="王秀英（乙）", version_id=1),
    )
    assert "已被他人修改" in text(resp)
    db.session.refresh(member)
    assert member.name == "王秀英（甲）" and member.version_id == 2
    assert 'name="version_id" value="2"' in text(client.get(f"/org/members/{member.id}/edit"))


def test_race_between_check_and_save_is_not_a_silent_overwrite(
    client, auth, org, make_member, monkeypatch
):
    """Another writer commits after the version check: the ORM version column catches it."""
    member = make_member(name="王秀英")
    auth.login("secretary")
    real_problems = service.member_problems

    def problems_then_concurrent_write(data, actor, *args):
        db.session.execute(
            sa.text("UPDATE members SET name = :n, version_id = version_id + 1 WHERE id = :i"),
            {"n": "他人保存", "i": member.id},
        )
        return real_problems(data, actor, *args)

    monkeypatch.setattr(service, "member_problems", problems_then_concurrent_write)
    url = f"/org/members/{member.id}/edit"
    resp = client.post(
        url,
        data=member_form(org, name="我的修改", version_id=1),
        headers={"Referer": f"http://localhost{url}"},
    )
    # The form is shown again (409) with what the user typed and the reason.
    assert resp.status_code == 409
    page = text(resp)
    assert "该记录已被他人修改" in page and 'value="我的修改"' in page
    db.session.expire_all()
    assert db.session.get(Member, member.id).name != "我的修改"
    assert entries(action="update") == []


def test_cannot_edit_retired_member(client, auth, org, make_member):
    member = make_member(name="王秀英")
    admin = auth.login("secretary")
    service.retire_member(member, "去世", admin)
    db.session.commit()
    resp = client.post(f"/org/members/{member.id}/edit", data=member_form(org, version_id=2))
    assert resp.status_code == 302
    assert "该党员已退出名册，不能修改" in text(client.get(resp.headers["Location"]))
    resp = client.get(f"/org/members/{member.id}/edit")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        f"/org/members/{member.id}"
    )
    db.session.refresh(member)
    assert member.name == "王秀英"


# --- retire / reinstate ---------------------------------------------------------------


def test_retire_and_reinstate(client, auth, make_member):
    member = make_member(name="王秀英")
    user = auth.login("secretary")
    resp = client.post(f"/org/members/{member.id}/retire", data={"reason": "组织关系转出"})
    assert resp.status_code == 302
    db.session.refresh(member)
    assert not member.is_active and member.retired_reason == "组织关系转出"
    assert member.retired_by_id == user.id and member.retired_at is not None
    page = text(client.get(f"/org/members/{member.id}"))
    assert "已退出名册，历史记录保留" in page and "组织关系转出" in page and "恢复到名册" in page
    assert "王秀英" not in text(client.get("/org/members"))
    assert "王秀英" in text(client.get("/org/members?active=0"))

    # Retiring twice is refused with a message.
    client.post(f"/org/members/{member.id}/retire", data={"reason": "再次"})
    assert "该党员已退出名册" in text(client.get(f"/org/members/{member.id}"))

    assert client.post(f"/org/members/{member.id}/reinstate").status_code == 302
    db.session.refresh(member)
    assert member.is_active and member.retired_reason == "" and member.retired_at is None
    assert "已恢复到名册" in text(client.get(f"/org/members/{member.id}"))
    client.post(f"/org/members/{member.id}/reinstate")
    assert "该党员在名册中" in text(client.get(f"/org/members/{member.id}"))

    actions = [e.action for e in entries(object_type="member", object_id=str(member.id))]
    assert actions == ["retire", "reinstate"]
    (retire,) = entries(action="retire")
    assert retire.before == {"is_active": True}
    assert retire.after == {"is_active": False, "reason": "组织关系转出"}


def test_retire_needs_a_reason(client, auth, make_member):
    member = make_member()
    auth.login("secretary")
    client.post(f"/org/members/{member.id}/retire", data={"reason": "  "})
    assert "请填写退出原因" in text(client.get(f"/org/members/{member.id}"))
    db.session.refresh(member)
    assert member.is_active


def test_members_are_never_hard_deleted(app, client, auth, make_member):
    member = make_member()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("org."):
            assert "DELETE" not in rule.methods and "delete" not in rule.rule, rule
    auth.login("admin")
    assert client.delete(f"/org/members/{member.id}").status_code == 405
    service.retire_member(member, "去世", auth.user)
    db.session.commit()
    assert db.session.get(Member, member.id) is not None


def test_reviewer_cannot_write(client, auth, org, make_member):
    member = make_member(name="王秀英")
    auth.login("reviewer")
    assert client.get("/org/members/new").status_code == 403
    assert client.post("/org/members/new", data=member_form(org, name="新人")).status_code == 403
    assert client.get(f"/org/members/{member.id}/edit").status_code == 403
    assert client.post(f"/org/members/{member.id}/edit", data=member_form(org)).status_code == 403
    assert client.post(f"/org/members/{member.id}/retire", data={"reason": "x"}).status_code == 403
    assert client.get("/org/members/import").status_code == 403
    db.session.refresh(member)
    assert member.is_active and member.name == "王秀英" and _count_members() == 1


# --- detail and phone masking ------------------------------------------------------------


def test_detail_page_and_phone_masking(client, auth, org, make_member, make_user):
    member = make_member(name="王秀英", phone="13812345678", party_group=org.group_a)
    own_user = make_user("member", member=member)
    peer_user = make_user("member")  # another member of the same branch
    expectations = [
        (make_user("admin"), 200, "13812345678"),
        (make_user("secretary", branch=org.a), 200, "13812345678"),
        (own_user, 200, "13812345678"),
        (make_user("reviewer"), 200, "138****5678"),
        (peer_user, 404, None),
        (make_user("secretary", branch=org.b), 404, None),
    ]
    for user, status, phone in expectations:
        auth.login(user)
        resp = client.get(f"/org/members/{member.id}")
        assert resp.status_code == status, user.role
        body = text(resp)
        if phone:
            assert f'data-testid="phone">{phone}<' in body, user.role
            assert "第一党小组" in body and "党龄" in body
        else:
            assert "13812345678" not in body and "王秀英" not in body
        auth.logout()
    assert client.get("/org/members/999999").status_code in (302, 404)


def test_reviewer_sees_masked_phones_in_list(client, auth, make_member):
    make_member(name="王秀英", phone="13812345678")
    make_member(name="李桂兰", phone="0931-8123456")
    auth.login("reviewer")
    body = text(client.get("/org/members"))
    assert "13812345678" not in body and "138****5678" in body
    assert "0931-8123456" not in body and "3456" in body
    auth.login("admin")
    assert "13812345678" in text(client.get("/org/members"))


def test_mask_phone_shapes():
    from partybuild.org.models import mask_phone

    assert mask_phone("") == ""
    assert mask_phone("123") == "***"
    assert mask_phone("13812345678") == "138****5678"
    assert "8123456" not in mask_phone("0931-8123456")
    assert mask_phone("0931-8123456").endswith("3456")


def test_history_on_detail_page_is_readable(client, auth, org, make_member):
    member = make_member(name="王秀英", party_group=org.group_a)
    second = PartyGroup(branch=org.a, name="第二党小组")
    db.session.add(second)
    db.session.commit()
    auth.login("secretary")
    data = member_form(org, name="王秀英", party_group_id=second.id, version_id=1)
    data.update(birth_on="1980-01-01", joined_on="2005-07-01", full_member_on="2006-07-01")
    client.post(f"/org/members/{member.id}/edit", data=data)
    client.post(f"/org/members/{member.id}/retire", data={"reason": "组织关系转出"})
    body = text(client.get(f"/org/members/{member.id}"))
    assert "修改 · " in body and "党小组：第一党小组 → 第二党小组" in body
    assert "退出名册 · 在册：是 → 否 · 原因：— → 组织关系转出" in body
    assert "party_group_id" not in body and "update" not in body
    # Members see their own record but not who changed what.
    auth.logout()
    auth.login("member", member=member)
    assert "变更记录" not in text(client.get(f"/org/members/{member.id}"))


@pytest.mark.parametrize(
    ("role", "sees"), [("secretary", True), ("admin", True), ("reviewer", False)]
)
def test_write_buttons_follow_route_rules(client, auth, role, sees):
    auth.login(role)
    body = text(client.get("/org/members"))
    assert ("添加党员" in body) is sees and ("导入名册" in body) is sees
