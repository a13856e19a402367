"""In the browser: the export centre's 迎检材料包 button gives a .zip that verifies, and a
Word export gets its PDF from the scheduler process."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from partybuild.reports import pack
from tests.reports.test_browser_export import _seed, scheduler  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


def _shot(page: Any, name: str) -> None:
    """Screenshots for looking at the pages, when PARTYBUILD_SCREENSHOTS names a folder."""
    folder = os.environ.get("PARTYBUILD_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_pack_button_and_pdf(
    live_server,
    browser,
    login,
    scheduler,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    width: int,
) -> None:
    from playwright.sync_api import expect

    _seed(live_server.app)
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        login(page, "reviewer")
        page.goto(live_server("/reports/"))
        form = page.get_by_test_id("pack-form")
        expect(form).to_be_visible()
        form.get_by_label("材料范围").select_option(label="第一党支部")
        form.get_by_label("统计时段").fill("2026")
        _shot(page, f"export-centre-{width}")
        form.get_by_role("button", name="一键生成迎检材料包").click()
        link = page.get_by_test_id("download")
        expect(link).to_be_visible(timeout=90_000)
        assert page.get_by_test_id("request-pdf").count() == 0  # a .zip has no PDF
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename.startswith("第一党支部2026年迎检材料包_")
        assert download.suggested_filename.endswith(".zip")
        saved = tmp_path / "pack.zip"
        shutil.copy(download.path(), saved)
        with live_server.app.app_context():
            assert pack.verify_pack(saved).ok

        if not (shutil.which("soffice") or shutil.which("libreoffice")):
            return
        page.goto(live_server("/reports/"))
        page.get_by_label("文档", exact=True).select_option(label="党员承诺践诺台账")
        page.get_by_label("党支部").select_option(label="第一党支部")
        page.get_by_label("期间").fill("2026")
        page.get_by_role("button", name="生成并下载").click()
        expect(page.get_by_test_id("download")).to_be_visible(timeout=90_000)
        _shot(page, f"export-detail-{width}")
        page.get_by_test_id("request-pdf").click()
        expect(page.get_by_text("已开始转换为 PDF")).to_be_visible()
        # The scheduler thread converts it; the page shows the link after a reload.
        for _ in range(60):
            if page.get_by_test_id("download-pdf").count():
                break
            page.wait_for_timeout(2000)
            page.reload()
        expect(page.get_by_test_id("download-pdf")).to_be_visible()
        _shot(page, f"export-pdf-{width}")
        with page.expect_download() as info:
            page.get_by_test_id("download-pdf").click()
        assert info.value.suggested_filename.endswith(".pdf")
        assert info.value.path().read_bytes().startswith(b"%PDF")
    finally:
        context.close()
