"""Issue 10, point 11: rosters as offices keep them — a title above the header, other
header spellings, group numerals, and 科室/岗位/党小组 created by the import itself."""

import csv
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from partybuild.core.audit import AuditEntry
from partybuild.core.imports import ImportState, PendingImport
from partybuild.extensions import db
from partybuild.org.models import Department, Member, PartyGroup, Post
from tests.org.helpers import hidden_value, text

TITLE = "测试局机关第一党支部党员花名册（2026年）"
OFFICE_HEADER = ["序号", "党员姓名", "性别", "出生年月", "入党时间", "转正时间", "党员类别",
                 "所在党小组", "所在科室", "职务岗位", "职务", "手机"]  # fmt: skip


def _row(n, name, group="", dept="", post=""):
    return [n, name, "女", "1985-03-01", "2008-07-01", "2009-07-01", "正式党员", group, dept, post,
            "科员", "13912345678"]  # fmt: skip


def _csv(rows):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def _xlsx(rows):
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


FILES = {"xlsx": _xlsx, "csv": _csv}


def _upload(client, content, filename, branch):
    data = {"file": (io.BytesIO(content), filename), "branch_id": str(branch.id)}
    return client.post("/org/members/import", data=data, content_type="multipart/form-data")


def _offered(body):
    return re.findall(r'name="create" value="([^"]*)"', body)


def _confirm(client, body, create=None):
    data = {"token": hidden_value(body, "token")}
    if 'name="units_offered"' in body:
        data["units_offered"] = "1"
        data["create"] = _offered(body) if create is None else create
    return client.post("/org/members/import/confirm", data=data)


def _member(name):
    return db.session.scalar(sa.select(Member).where(Member.name == name))


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_title_rows_above_the_header_are_skipped_and_said(client, auth, org, kind):
    auth.login("secretary", branch=org.a)
    rows = [[TITLE], [], OFFICE_HEADER, _row(1, "王秀英", "第1党小组", " 接访科 ", "信访接待岗"),
            [], _row(2, "李红", "第 1 党小组", "接访科")]  # fmt: skip
    resp = _upload(client, FILES[kind](rows), f"花名册.{kind}", org.a)
    body = text(resp)
    assert resp.status_code == 200, body
    assert "表头在第 3 行，已跳过其上方的 2 行（标题或空行）" in body
    assert "识别的列：党员姓名、性别、出生年月、入党时间、转正时间、党员类别、所在党小组" in body
    assert "未导入的列：序号" in body
    assert "检查全部通过" in body and _offered(body) == []
    assert "导入完成：新增 2 名党员" in text(client.get(_confirm(client, body).location))
    db.session.expire_all()
    wang, li = _member("王秀英"), _member("李红")
    # 第1党小组 and 第 1 党小组 are 第一党小组; " 接访科 " is 接访科: the columns are kept.
    assert wang.party_group_id == li.party_group_id == org.group_a.id
    assert wang.department_id == li.department_id == org.department.id
    assert wang.post_id == org.post.id and wang.title == "科员" and wang.phone == "13912345678"
    assert wang.joined_on.isoformat() == "2008-07-01" and wang.status.value == "full"


@pytest.mark.parametrize(
    "header",
    [
        ["姓名", "性别", "出生日期", "入党日期", "转正日期", "党员状态", "党小组", "科室", "岗位"],
        ["党员姓名", "性别", "出生年月", "入党时间", "转正时间", "党员类别", "所在党小组",
         "部门", "岗位"],
        ["*姓名", "性 别", "出生日期（年-月-日）", "入党日期", "转正日期", "党员状态",
         "所在党小组", "所在部门", "工作岗位"],
    ],
)  # fmt: skip
def test_header_spellings(client, auth, org, header):
    auth.login("secretary", branch=org.a)
    row = ["周敏", "女", "1985-03-01", "2008-07-01", "2009-07-01", "正式党员", "第一党小组",
           "接访科", "信访接待岗"]  # fmt: skip
    body = text(_upload(client, _csv([header, row]), "r.csv", org.a))
    assert "检查全部通过" in body, body
    _confirm(client, body)
    db.session.expire_all()
    m = _member("周敏")
    assert (m.party_group_id, m.department_id, m.post_id) == (
        org.group_a.id,
        org.department.id,
        org.post.id,
    )


def test_no_header_in_the_first_rows_is_refused(client, auth, org):
    auth.login("secretary", branch=org.a)
    rows = [[TITLE]] + [[f"说明{i}"] for i in range(12)] + [OFFICE_HEADER, _row(1, "王秀英")]
    body = text(_upload(client, _csv(rows), "r.csv", org.a))
    assert "前10行中找不到表头" in body
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 0


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_missing_units_are_offered_and_created_with_the_import(client, auth, org, kind):
    user = auth.login("secretary", branch=org.a)
    rows = [
        [TITLE],
        OFFICE_HEADER,
        _row(1, "王秀英", "第2党小组", "综合科", "文秘岗"),
        _row(2, "李红", "第二党小组", "综合 科", "文秘岗"),
        _row(3, "张强", "第一党小组", "接访科", "复查岗"),
    ]
    body = text(_upload(client, FILES[kind](rows), f"r.{kind}", org.a))
    assert "名册中有 4 个科室、岗位或党小组尚未建立" in body
    assert sorted(_offered(body)) == sorted(
        ["department:综合科", "post:综合科/文秘岗", "post:接访科/复查岗",
         f"group:{org.a.id}:第二党小组"]
    )  # fmt: skip
    assert body.count(" checked>") == 4  # every offer is ticked by default
    assert "新建党小组：<strong>第2党小组</strong>" in body
    resp = _confirm(client, body)
    assert "导入完成：新增 3 名党员" in text(client.get(resp.location))
    db.session.expire_all()
    dept = db.session.scalar(sa.select(Department).where(Department.name == "综合科"))
    group = db.session.scalar(
        sa.select(PartyGroup).where(
            PartyGroup.branch_id == org.a.id, PartyGroup.name != "第一党小组"
        )
    )
    wang, li, zhang = _member("王秀英"), _member("李红"), _member("张强")
    assert group.name == "第2党小组" and wang.party_group_id == li.party_group_id == group.id
    assert wang.department_id == li.department_id == dept.id
    assert (
        wang.post_id == li.post_id and db.session.get(Post, wang.post_id).department_id == dept.id
    )
    assert db.session.get(Post, zhang.post_id).department_id == org.department.id
    created = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "create", AuditEntry.actor_id == user.id)
    ).all()
    units = [e for e in created if e.object_type != "member"]
    assert len(units) == 4 and all(e.after["source"] == "roster_import" for e in units)
    assert {e.branch_id for e in units} == {org.a.id}
    (imported,) = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "import"))
    assert len(imported.after["units"]) == 4


def test_an_unticked_unit_refuses_the_whole_import(client, auth, org):
    auth.login("secretary", branch=org.a)
    rows = [OFFICE_HEADER, _row(1, "王秀英", "", "综合科", "文秘岗"), _row(2, "李红", "第二党小组")]
    body = text(_upload(client, _csv(rows), "r.csv", org.a))
    offered = _offered(body)
    resp = _confirm(client, body, create=[k for k in offered if not k.startswith("group:")])
    page = text(client.get(resp.location))
    assert "第3行：党小组“第二党小组”不存在，且未选择新建" in page
    db.session.expire_all()
    # All or nothing: no member, and not the 科室 and 岗位 that were ticked either.
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 0
    assert db.session.scalar(sa.select(Department.id).where(Department.name == "综合科")) is None
    assert db.session.scalar(sa.select(PendingImport.state)) == ImportState.pending
    # The same preview can still be confirmed with every unit.
    resp = _confirm(client, body)
    assert "导入完成：新增 2 名党员" in text(client.get(resp.location))


def test_units_are_not_offered_for_another_branch(client, auth, org):
    auth.login("secretary", branch=org.a)
    header = OFFICE_HEADER + ["所在党支部"]
    rows = [header, _row(1, "王秀英", "第三党小组", "综合科") + [org.b.name]]
    body = text(_upload(client, _csv(rows), "r.csv", org.a))
    assert "您只能管理本支部的党员" in body and _offered(body) == []
    assert db.session.scalar(sa.select(sa.func.count(PartyGroup.id))) == 2
