"""End to end on a phone: a reviewer exports the all-branch ledger, watches the
progress page finish, and downloads the document under its Chinese name."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from partybuild.commitments.models import CommitmentBatch, CommitmentState
from partybuild.core import jobs
from partybuild.extensions import db
from partybuild.org.models import Branch, Gender, Member, MemberStatus, Organization
from tests.browser_fixtures import make_account
from tests.reports.conftest import add_commitment
from tests.reports.docx_checks import open_docx, table_data

pytestmark = pytest.mark.browser


def _seed(app: Any) -> None:
    with app.app_context():
        org = Organization(name="测试局机关党委")
        branches = [
            Branch(organization=org, code="A", name="第一党支部"),
            Branch(organization=org, code="B", name="第二党支部"),
        ]
        db.session.add_all([org, *branches])
        db.session.flush()
        for n, branch in enumerate(branches):
            member = Member(
                branch_id=branch.id, name=f"党员{n}", gender=Gender.female,
                birth_on=date(1985, 1, 1), joined_on=date(2010, 7, 1),
                full_member_on=date(2011, 7, 1), status=MemberStatus.full,
            )  # fmt: skip
            batch = CommitmentBatch(
                branch_id=branch.id, title="2026年度党员承诺", commit_start=date(2026, 1, 1),
                commit_end=date(2026, 3, 31), evaluation_start=date(2026, 11, 1),
                evaluation_end=date(2026, 12, 31),
            )  # fmt: skip
            db.session.add_all([member, batch])
            db.session.flush()
            for k in range(3):
                add_commitment(
                    batch, member, CommitmentState.in_progress, submitted=date(2026, 2, 1),
                    deadline=date(2026, 9, 30), content=f"{branch.name}承诺{k}",
                )  # fmt: skip
        db.session.commit()
        make_account(app, "reviewer", "reviewer")
    app.config["REPORTS_INLINE_MAX_ROWS"] = 0  # take the background path


@pytest.fixture
def scheduler(live_server: Any) -> Iterator[None]:
    """The scheduler process's queue poll, in a thread of the test process."""
    stop = threading.Event()
    state: dict = {"id": None}

    def loop() -> None:
        while not stop.wait(0.3):
            jobs.tick(live_server.app, state)

    thread = threading.Thread(target=loop, name="test-scheduler", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def test_reviewer_exports_all_branches_on_a_phone(  # noqa: F811
    live_server, phone_page, login, scheduler
) -> None:
    _seed(live_server.app)
    page = phone_page
    login(page, "reviewer")
    page.goto(live_server("/reports/"))

    kind = page.get_by_label("文档")
    kind.select_option(label="党员承诺书")
    assert page.get_by_label("党员", exact=True).is_visible()
    assert not page.get_by_label("期间").is_visible()
    kind.select_option(label="党员承诺践诺台账")
    assert not page.get_by_label("党员", exact=True).is_visible()

    page.get_by_label("党支部").select_option(label="全部党支部（仅台账）")
    page.get_by_label("期间").fill("2026Q3")
    # The detail page polls the status JSON and, when the document is stored, reloads
    # and starts the download by itself (the link stays on the page).
    with page.expect_download(timeout=90_000) as info:
        page.get_by_role("button", name="生成并下载").click()
    download = info.value
    page.get_by_test_id("download").wait_for(timeout=60_000)
    assert "文档已生成，共 6 行" in page.content()
    assert download.suggested_filename.startswith("测试局机关党委2026年第三季度党员承诺践诺台账_")
    document = open_docx(download.path().read_bytes())
    assert len(table_data(document.tables[-1])) == 6

    page.goto(live_server("/reports/"))
    assert page.get_by_test_id("export-history").get_by_text("已完成").is_visible()
    # The time column is hidden on a phone; the time shows under the title instead.
    history = page.get_by_test_id("export-history")
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", history.locator("td").first.inner_text())
