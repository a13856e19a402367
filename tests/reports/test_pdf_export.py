"""PDF beside Word: the export centre queues a LibreOffice conversion for the scheduler
process, offers the .pdf when done, and says plainly when LibreOffice is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from partybuild.core import background
from partybuild.core.audit import AuditEntry
from partybuild.extensions import db
from partybuild.reports import pdf
from partybuild.reports.models import Export, PdfStatus


def require_soffice() -> None:
    if shutil.which("soffice") or shutil.which("libreoffice"):
        return
    if os.environ.get("PARTYBUILD_REQUIRE_BROWSER"):
        pytest.fail("LibreOffice is required (PARTYBUILD_REQUIRE_BROWSER is set)")
    pytest.skip("LibreOffice not installed")


def export_ledger(client, auth, ledger: SimpleNamespace) -> Export:  # noqa: ANN001
    auth.login(ledger.users.secretary)
    resp = client.post(
        "/reports/",
        data={"kind": "commitments", "branch": "A", "period": "2026Q3", "member": "", "batch": ""},
    )
    assert resp.status_code == 302
    return db.session.scalars(sa.select(Export)).one()


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    return subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout


def test_pdf_is_converted_in_the_background_and_downloaded(
    client, auth, ledger: SimpleNamespace, tmp_path: Path
) -> None:  # noqa: ANN001
    require_soffice()
    export = export_ledger(client, auth, ledger)
    page = client.get(f"/reports/exports/{export.id}").get_data(as_text=True)
    assert 'data-testid="request-pdf"' in page
    resp = client.post(f"/reports/exports/{export.id}/pdf", follow_redirects=True)
    assert "已开始转换为 PDF" in resp.get_data(as_text=True)
    db.session.expire_all()
    export = db.session.get(Export, export.id)
    # Not converted in the request: queued for the scheduler process.
    assert export.pdf_status == PdfStatus.pending
    assert background.latest_for(f"export-pdf:{export.id}") is not None
    assert client.get(f"/reports/exports/{export.id}/download.pdf").status_code == 302
    # A second click while it is queued does not queue it twice.
    client.post(f"/reports/exports/{export.id}/pdf")
    assert len(background.unfinished(pdf.PDF_TASK)) == 1

    assert background.work_once() == 1
    db.session.expire_all()
    export = db.session.get(Export, export.id)
    assert export.pdf_status == PdfStatus.done, export.pdf_error
    page = client.get(f"/reports/exports/{export.id}").get_data(as_text=True)
    assert 'data-testid="download-pdf"' in page
    download = client.get(f"/reports/exports/{export.id}/download.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    data = download.get_data()
    assert data.startswith(b"%PDF")
    assert ".pdf" in download.headers["Content-Disposition"]
    text = "".join(pdf_text(data, tmp_path).split())
    assert "第一党支部党员承诺践诺台账" in text
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "export")
    ).all()
    assert {"export_pdf", "export_pdf_finished"} <= set(actions)


def test_cli_writes_a_pdf(ledger: SimpleNamespace, runner, tmp_path: Path) -> None:  # noqa: ANN001
    require_soffice()
    out = tmp_path / "台账.pdf"
    result = runner.invoke(
        args=["reports", "export", "commitments", "--branch", "A", "--period", "2026Q3",
              "--output", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    export = db.session.scalars(sa.select(Export)).one()
    assert export.pdf_status == PdfStatus.done
    with pdf.open_pdf(export) as stored:
        assert out.read_bytes() == stored.read()


def test_without_libreoffice_the_page_says_so(
    app, client, auth, ledger: SimpleNamespace, runner, tmp_path: Path
) -> None:  # noqa: ANN001
    app.config["REPORTS_SOFFICE_PATH"] = str(tmp_path / "no-such-soffice")
    export = export_ledger(client, auth, ledger)
    page = client.get(f"/reports/exports/{export.id}").get_data(as_text=True)
    assert "服务器未安装 LibreOffice" in page and 'data-testid="request-pdf"' not in page
    resp = client.post(f"/reports/exports/{export.id}/pdf", follow_redirects=True)
    assert "没有找到 LibreOffice" in resp.get_data(as_text=True)
    assert background.unfinished(pdf.PDF_TASK) == []
    db.session.expire_all()
    assert db.session.get(Export, export.id).pdf_status == PdfStatus.none
    result = runner.invoke(
        args=["reports", "export", "commitments", "--branch", "A", "--period", "2026Q3",
              "--output", str(tmp_path / "x.pdf")]
    )  # fmt: skip
    assert result.exit_code != 0 and "没有找到 LibreOffice" in result.output


def test_a_conversion_that_fails_is_recorded(
    app, client, auth, ledger: SimpleNamespace, tmp_path: Path
) -> None:  # noqa: ANN001
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    app.config["REPORTS_SOFFICE_PATH"] = str(fake)
    export = export_ledger(client, auth, ledger)
    client.post(f"/reports/exports/{export.id}/pdf")
    assert background.work_once() == 1
    db.session.expire_all()
    export = db.session.get(Export, export.id)
    assert export.pdf_status == PdfStatus.failed
    assert "未能把文档转换为 PDF" in export.pdf_error
    page = client.get(f"/reports/exports/{export.id}").get_data(as_text=True)
    assert "上次转换失败" in page and 'data-testid="request-pdf"' in page


def test_a_pack_is_not_offered_as_pdf(ledger: SimpleNamespace) -> None:
    export = Export(kind="pack", title="t", filename="t.zip", status="done")
    assert not pdf.can_convert(export)


def test_a_conversion_that_hangs_is_cut_off(
    app, client, auth, ledger: SimpleNamespace, tmp_path: Path
) -> None:  # noqa: ANN001
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 60 &\nwait\n")  # a child, as soffice.bin is
    fake.chmod(0o755)
    app.config["REPORTS_SOFFICE_PATH"] = str(fake)
    app.config["REPORTS_PDF_TIMEOUT"] = 10
    export = export_ledger(client, auth, ledger)
    client.post(f"/reports/exports/{export.id}/pdf")
    assert background.work_once() == 1
    db.session.expire_all()
    export = db.session.get(Export, export.id)
    assert export.pdf_status == PdfStatus.failed and "超过 10 秒" in export.pdf_error
