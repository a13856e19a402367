"""Each document rendered by LibreOffice (headless) and read back with pdftotext."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.reports import service
from partybuild.reports.document import cn_date
from partybuild.reports.models import ExportStatus
from tests.reports.test_document_engine import FOOTER_LINE, render_text


class StoredDocument:
    """What render_text needs from a document (``save``), backed by a stored export."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def save(self, target: Path) -> None:
        Path(target).write_bytes(self.data)


def render(kind: str, user: Any, tmp_path: Path, **data: Any) -> tuple[Any, list[str]]:
    record = service.request_export(kind, data, user)
    db.session.commit()
    record = service.generate_export(record)
    db.session.commit()
    assert record.status == ExportStatus.done, record.error
    return record, render_text(StoredDocument(service.read_verified(record)), tmp_path)


def flat(page: str) -> str:
    return "".join(page.split())


def assert_page_numbers(pages: list[str]) -> None:
    printed = [p for p in pages if p.strip()]
    for number, page in enumerate(printed, start=1):
        footers = [line for line in page.splitlines() if FOOTER_LINE.match(line)]
        assert len(footers) == 1, page
        assert f"—{number}—" == flat(footers[0])


def test_ledger_pdf_shows_title_figures_and_rows(ledger: SimpleNamespace, tmp_path: Path) -> None:
    _, pages = render("commitments", ledger.users.secretary, tmp_path, branch="A", period="2026Q3")
    first = flat(pages[0])
    assert first.startswith("第一党支部党员承诺践诺台账（2026年第三季度）")
    assert "共有2名党员作出承诺4项" in first
    assert "群众参评率25.0%，群众满意率80.0%" in first
    assert "张承诺" in first  # the table starts on the first page
    everything = flat("".join(pages))
    # Cells wrap, so look for short pieces of them.
    for content in ("李践诺", "接访记录", "2026-09-30", "3/1/0", "85", "逾期30天"):
        assert content in everything, content
    # The branch signs its ledger, with the date written the Chinese way.
    assert f"第一党支部（盖章）{cn_date(local_today())}" in flat(
        [p for p in pages if p.strip()][-1]
    )
    assert_page_numbers(pages)


def lines_of(pages: list[str]) -> list[str]:
    return [line for page in pages for line in page.splitlines()]


def test_all_branch_ledger_pdf_keeps_dates_and_scores_on_one_line(
    ledger: SimpleNamespace, tmp_path: Path
) -> None:
    """The narrowest ledger (with its 党支部 column): no date or score broken in two."""
    _, pages = render("commitments", ledger.users.reviewer, tmp_path, branch="all", period="2026Q3")
    lines = lines_of(pages)
    for content in ("2026-09-30", "2026-09-01", "100%", "85"):
        assert any(content in line for line in lines), content
    assert any("序号" in line and "党支部" in line for line in lines)  # header on one line
    assert_page_numbers(pages)


def test_letter_pdf_shows_commitments_and_signature_place(
    ledger: SimpleNamespace, tmp_path: Path
) -> None:
    _, pages = render("letter", ledger.users.member, tmp_path, member=ledger.a1.id)
    text = flat("".join(pages))
    assert text.startswith("党员承诺书")
    for content in (
        "承诺人：张承诺",
        "作出以下2项承诺",
        "学习党章党规",
        "承诺人（签名）：",
        "第一党支部",
    ):
        assert content in text, content
    # The narrow columns hold a whole date and their whole header.
    lines = lines_of(pages)
    assert any("2026-09-30" in line for line in lines)
    assert any("序号" in line and "完成时限" in line for line in lines)
    assert_page_numbers(pages)


def test_roster_pdf_shows_members_with_masked_phones(
    ledger: SimpleNamespace, tmp_path: Path
) -> None:
    record, pages = render("roster", ledger.users.secretary, tmp_path, branch="A")
    text = flat("".join(pages))
    assert text.startswith(flat(record.title))
    assert "共有党员2名，其中正式党员1名、预备党员1名" in text
    assert "张承诺" in text and "139****1111" in text
    assert "13900001111" not in text
    assert_page_numbers(pages)
