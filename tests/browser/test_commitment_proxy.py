"""End to end (issue 10, points 5 and 6): the secretary enters (代填) and submits the
commitments of a member without an account; they appear marked on the review queue, the
overview and the ledger. Ending a batch goes through a page that says what it changes.

Set PARTYBUILD_SCREENSHOT_DIR to keep screenshots of each page at 1280 and 390 px."""

import io
import os
from datetime import timedelta
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from partybuild.commitments.models import CommitmentBatch
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Gender, Member, MemberStatus, Organization
from tests.browser_fixtures import make_account

WAIT = 20_000  # the machine is shared: wait generously, never sleep


def _seed(app) -> str:
    today = local_today()
    with app.app_context():
        org = Organization(name="测试局机关党委")
        branch = Branch(organization=org, code="A", name="第一党支部")
        people = [
            Member(
                branch=branch,
                name=name,
                gender=Gender.female,
                birth_on=today.replace(year=1970),
                joined_on=today.replace(year=1995),
                full_member_on=today.replace(year=1996),
                status=MemberStatus.full,
            )  # fmt: skip
            for name in ("王无号", "赵有号")
        ]
        batch = CommitmentBatch(
            branch=branch, title="2026年度党员承诺",
            commit_start=today - timedelta(days=120), commit_end=today + timedelta(days=120),
            evaluation_start=today + timedelta(days=121), evaluation_end=today + timedelta(days=200),
        )  # fmt: skip
        db.session.add_all([org, branch, *people, batch])
        db.session.commit()
        make_account(app, "sec", "secretary", branch=branch)
        make_account(app, "zhao", "member", branch=branch, member=people[1])
        return (today + timedelta(days=90)).isoformat()


def _shoot(page, name: str) -> None:
    folder = os.environ.get("PARTYBUILD_SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)


def _enter(page, content: str, deadline: str) -> None:
    row = page.get_by_test_id("proxy-member").filter(has_text="王无号")
    row.get_by_role("link", name="代填").click()
    expect(page.get_by_test_id("proxy-for")).to_contain_text("王无号", timeout=WAIT)
    page.get_by_label("承诺类别").select_option("服务群众")
    page.get_by_label("承诺内容").fill(content)
    page.get_by_label("可衡量的目标").fill("全年12次")
    page.get_by_label("完成时限").fill(deadline)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已为王无号代填一项承诺")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("proxy-mark")).to_be_visible()


def test_secretary_enters_and_submits_for_a_member_without_an_account(
    browser, live_server, page, phone_page, login
):
    deadline = _seed(live_server.app)
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, "sec")
    page.goto(live_server("/commitments/batches"))
    _shoot(page, "batches")
    page.get_by_role("link", name="代填").first.click()
    rows = page.get_by_test_id("proxy-members")
    expect(rows.get_by_test_id("proxy-member").filter(has_text="王无号")).to_contain_text("无账号")
    proxy_url = page.url

    _enter(page, "每月走访困难群众一次", deadline)
    _shoot(page, "proxy-detail")
    expect(page.get_by_test_id("by-proxy").first).to_contain_text("代填（为 王无号）")
    page.goto(proxy_url)
    _enter(page, "每季度讲一次微党课", deadline)
    page.goto(proxy_url)
    _shoot(page, "proxy-members")
    row = page.get_by_test_id("proxy-member").filter(has_text="王无号")
    row.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已为王无号提交 2 项代填的承诺")).to_be_visible(timeout=WAIT)

    # Marked in the review queue; approved, it shows marked on the overview and the ledger.
    page.goto(live_server("/commitments/review"))
    item = page.get_by_test_id("review-item").filter(has_text="每月走访困难群众一次")
    expect(item.get_by_test_id("proxy-mark")).to_be_visible(timeout=WAIT)
    item.get_by_role("button", name="审核通过并亮诺").click()
    expect(page.get_by_text("已在公示栏亮诺")).to_be_visible(timeout=WAIT)
    page.goto(live_server("/commitments/overview"))
    board_row = page.locator("tr").filter(has_text="王无号").first
    expect(board_row.get_by_test_id("proxy-mark")).to_be_visible(timeout=WAIT)
    _shoot(page, "overview")
    ledger = page.request.get(live_server("/commitments/export.xlsx"))
    assert ledger.ok
    sheet = openpyxl.load_workbook(io.BytesIO(ledger.body())).active
    header = [c.value for c in sheet[2]]
    rows_ = [[c.value for c in r] for r in sheet.iter_rows(min_row=3)]
    marked = [r for r in rows_ if r[header.index("姓名")] == "王无号"]
    assert marked and marked[0][header.index("代填")].endswith("代填")

    # Ending the batch asks first and says what it changes.
    page.goto(live_server("/commitments/batches"))
    page.get_by_role("link", name="结束…").click()
    expect(page.get_by_test_id("end-rules")).to_contain_text("不能再添加践诺记录", timeout=WAIT)
    _shoot(page, "close")

    # The same pages on a phone: nothing scrolls sideways.
    login(phone_page, "sec")
    for path, name in (
        (proxy_url.removeprefix(live_server("")), "proxy-members"),
        ("/commitments/batches", "batches"),
        (page.url.removeprefix(live_server("")), "close"),
    ):
        phone_page.goto(live_server(path))
        expect(phone_page.locator("h1")).to_be_visible(timeout=WAIT)
        _shoot(phone_page, name)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px)"
    page.get_by_role("button", name="确认结束").click()
    expect(page.get_by_text("已结束。")).to_be_visible(timeout=WAIT)

    # Once ended, the batches page and 我的承诺 agree: the batch is over for a member
    # who had not joined it.
    expect(page.get_by_test_id("batch-table")).to_contain_text("已结束")
    phone_page.context.clear_cookies()
    login(phone_page, "zhao")
    phone_page.goto(live_server("/commitments/mine"))
    expect(phone_page.get_by_text("本支部暂无进行中的承诺批次")).to_be_visible(timeout=WAIT)
    _shoot(phone_page, "mine")
