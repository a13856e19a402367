"""Render .docx files with LibreOffice (one soffice run for many files) and read each
page back with pdftotext: the sign-off must never sit alone on the last page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from partybuild.reports import registry

SIGN_OFF_WORDS = ("填报人", "审核人", "签字", "签名", "盖章", "说明", "—")


def tools() -> tuple[str, str]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftotext = shutil.which("pdftotext")
    if soffice is None or pdftotext is None:
        pytest.skip("LibreOffice or pdftotext not installed")
    return soffice, pdftotext


def render_pages(files: list[Path], workdir: Path) -> dict[Path, list[str]]:
    """{docx: [page text, ...]} (empty trailing pages dropped), one soffice call."""
    soffice, pdftotext = tools()
    out = workdir / "pdf"
    out.mkdir(exist_ok=True)
    subprocess.run(
        [soffice, f"-env:UserInstallation={(workdir / 'lo-profile').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, files)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    pages = {}
    for f in files:
        text = subprocess.run(
            [pdftotext, "-layout", str(out / f"{f.stem}.pdf"), "-"],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip
        pages[f] = [p for p in text.split("\f") if p.strip()]
    return pages


def flat(text: str) -> str:
    return "".join(text.split())


def build_docx(kind: str, data: dict[str, Any], target: Path) -> Path:
    """Build a document straight from its builder (no export record) and save it."""
    k = registry.get(kind)
    params = registry.resolve(k, data)
    registry.validate(k, params)
    k.build(params, registry.no_progress).document.save(target)
    return target


def assert_last_page_holds_body(pages: list[str], last_row_text: str, date_text: str) -> None:
    """The last page carries the date of the sign-off and the last row of the body."""
    assert pages, "nothing rendered"
    last = flat(pages[-1])
    assert flat(date_text) in last, pages[-1]
    assert flat(last_row_text) in last, f"last page without body content:\n{pages[-1]}"
    assert sum(flat(last_row_text) in flat(p) for p in pages) == 1  # not lost or repeated
