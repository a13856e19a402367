"""End to end: a secretary logs in, adds a member, and finds them in the list."""

from datetime import date

from partybuild.extensions import db
from partybuild.org.models import Branch, Department, Organization, PartyGroup, Post
from tests.browser_fixtures import make_account


def _seed_branch(app):
    with app.app_context():
        org = Organization(name="测试局机关党委")
        branch = Branch(organization=org, code="A", name="第一党支部")
        dept = Department(organization=org, name="接访科")
        db.session.add_all(
            [
                org,
                branch,
                PartyGroup(branch=branch, name="第一党小组"),
                dept,
                Post(department=dept, name="信访接待岗"),
            ]
        )
        db.session.commit()
        make_account(app, "sec", "secretary", branch=branch)


def test_secretary_adds_member_and_sees_it_in_list(live_server, page, login):
    _seed_branch(live_server.app)
    login(page, "sec")
    page.get_by_role("link", name="党员名册").first.click()
    page.get_by_role("link", name="添加党员").click()

    page.get_by_label("姓名").fill("林晓燕")
    page.get_by_label("性别").select_option(label="女")
    page.get_by_label("出生日期").fill("1990-03-15")
    page.get_by_label("党员状态").select_option(label="正式党员")
    page.get_by_label("入党日期").fill("2012-06-28")
    page.get_by_label("转正日期").fill("2013-06-28")
    page.get_by_label("党小组").select_option(label="第一党小组")
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_role("button", name="保存").click()

    assert page.get_by_text("已添加党员 林晓燕").is_visible()
    assert page.get_by_test_id("phone").inner_text() == "13912345678"

    page.get_by_role("link", name="党员名册").first.click()
    page.get_by_placeholder("姓名或职务").fill("林晓燕")
    page.get_by_role("button", name="查询").click()
    rows = page.get_by_test_id("member-table").locator("tbody tr")
    assert rows.count() == 1
    assert "林晓燕" in rows.first.inner_text()
    assert date(2012, 6, 28).isoformat() in page.content()


def test_bad_dates_show_chinese_message_and_keep_input(live_server, page, login):
    _seed_branch(live_server.app)
    login(page, "sec")
    page.goto(live_server("/org/members/new"))
    page.get_by_label("姓名").fill("赵明")
    page.get_by_label("出生日期").fill("1990-03-15")
    page.get_by_label("入党日期").fill("2015-06-28")
    page.get_by_label("转正日期").fill("2014-06-28")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_text("转正日期不能早于入党日期").is_visible()
    assert page.get_by_label("姓名").input_value() == "赵明"


def _office_roster(tmp_path):
    """An office's roster: a title row, then the header, a new 科室/岗位 and 党小组."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["测试局机关第一党支部党员花名册"])
    ws.append([])
    ws.append(["序号", "党员姓名", "性别", "出生年月", "入党时间", "转正时间", "党员类别",
               "所在党小组", "所在科室", "职务岗位", "手机"])  # fmt: skip
    ws.append([1, "林晓燕", "女", "1990-03-15", "2012-06-28", "2013-06-28", "正式党员",
               "第1党小组", "接访科", "信访接待岗", "13912345678"])  # fmt: skip
    ws.append([2, "陈志远", "男", "1986-11-02", "2010-07-01", "2011-07-01", "正式党员",
               "第二党小组", "综合科", "文秘岗", "13812345678"])  # fmt: skip
    path = tmp_path / "花名册.xlsx"
    wb.save(path)
    return path


def test_secretary_imports_an_office_roster_creating_units(
    live_server, page, phone_page, login, tmp_path
):
    import os

    from playwright.sync_api import expect

    _seed_branch(live_server.app)
    roster = _office_roster(tmp_path)
    shots = os.environ.get("PARTYBUILD_SCREENSHOTS")
    for p in (phone_page, page):  # the phone only looks; the desktop confirms
        login(p, "sec")
        p.goto(live_server("/org/members/import"))
        p.set_input_files("input[type=file]", str(roster))
        p.get_by_role("button", name="上传并预览").click()
        expect(p.get_by_test_id("import-header")).to_contain_text("表头在第 3 行", timeout=20_000)
        expect(p.get_by_test_id("new-units")).to_be_visible()
        for label in ("新建科室：综合科", "新建岗位：文秘岗", "新建党小组：第二党小组"):
            expect(p.get_by_label(label)).to_be_checked()
        if shots:
            name = "phone" if p is phone_page else "desktop"
            p.screenshot(path=f"{shots}/roster-preview-{name}.png", full_page=True)
    page.get_by_role("button", name="确认导入 2 名党员").click()
    expect(page.get_by_text("导入完成：新增 2 名党员")).to_be_visible(timeout=20_000)
