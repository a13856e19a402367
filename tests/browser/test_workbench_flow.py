"""Issue 10 (a): a member submits, the secretary sees the count on her workbench,
follows it, approves, and the member is notified."""

from tests.browser.test_commitment_flow import _seed, _write


def test_submission_reaches_the_secretary_through_her_workbench(browser, live_server, page, login):
    deadline = _seed(live_server.app)
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, "mem")
    page.get_by_role("link", name="我的承诺").first.click()
    _write(page, "每月参加群众来访接待不少于20批次", deadline)
    _write(page, "学习《信访工作条例》并撰写心得", deadline)
    page.get_by_role("button", name="全部提交审核").click()
    assert page.get_by_text("已提交 2 项承诺").is_visible()

    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    sec = context.new_page()
    sec.on("dialog", lambda dialog: dialog.accept())
    login(sec, "sec")
    sec.goto(live_server("/"))
    todo = sec.get_by_test_id("panel-commitments.todo")
    row = todo.locator("li").filter(has_text="待审核的承诺")
    assert row.get_by_test_id("count").inner_text() == "2"
    row.get_by_role("link", name="待审核的承诺").click()
    sec.wait_for_url("**/commitments/review")
    assert sec.get_by_test_id("review-item").count() == 2
    item = sec.get_by_test_id("review-item").filter(has_text="每月参加群众来访接待")
    item.get_by_role("button", name="审核通过并亮诺").click()
    assert sec.get_by_text("已在公示栏亮诺").is_visible()
    context.close()

    page.goto(live_server("/"))
    notes = page.get_by_test_id("panel-core.notifications")
    assert notes.get_by_text("您的承诺已审核通过并公开亮诺").is_visible()
    notes.get_by_text("您的承诺已审核通过并公开亮诺").click()
    assert page.get_by_text("每月参加群众来访接待不少于20批次").first.is_visible()
