"""Checks every generated document must pass (GB/T 9704 layout, no placeholders)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn

MM = 0.1  # tolerance
PORTRAIT = {"w": 210, "h": 297, "top": 37, "bottom": 35, "left": 28, "right": 26}
LANDSCAPE = {"w": 297, "h": 210, "top": 28, "bottom": 26, "left": 37, "right": 35}
EAST_ASIAN = {
    "Normal": "仿宋_GB2312",
    "公文正文": "仿宋_GB2312",
    "公文标题": "方正小标宋简体",
    "一级标题": "黑体",
    "二级标题": "楷体_GB2312",
    "三级标题": "仿宋_GB2312",
    "四级标题": "仿宋_GB2312",
    "表格文字": "仿宋_GB2312",
    "表格表头": "黑体",
    "页码": "宋体",
}
BODY_STYLES = ("Normal", "公文正文", "一级标题", "二级标题", "三级标题", "四级标题", "公文摘要")
PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\{%|%\}|(?<![A-Za-z])(None|nan|TODO|XXX)(?![A-Za-z])|待填写|占位"
)


def open_docx(source: bytes | Path | str) -> Any:
    if isinstance(source, bytes):
        return docx.Document(io.BytesIO(source))
    return docx.Document(str(source))


def all_text(document: Any) -> list[str]:
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    texts += [
        c.text
        for t in document.tables
        if (cell := sign_off_cell(t)) is not None
        for n in cell.tables
        for r in n.rows
        for c in r.cells
    ]
    for section in document.sections:
        for part in (section.footer, section.even_page_footer, section.header):
            texts += [p.text for p in part.paragraphs]
    return texts


def assert_official_layout(document: Any) -> None:
    """Page, margins, fonts, line spacing, footers, table headers, placeholders."""
    for section in document.sections:
        expected = LANDSCAPE if section.orientation == WD_ORIENT.LANDSCAPE else PORTRAIT
        got = {
            "w": section.page_width.mm,
            "h": section.page_height.mm,
            "top": section.top_margin.mm,
            "bottom": section.bottom_margin.mm,
            "left": section.left_margin.mm,
            "right": section.right_margin.mm,
        }
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, abs=MM), (key, got)

    for name, font in EAST_ASIAN.items():
        rfonts = document.styles[name].element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        assert rfonts is not None, name
        assert rfonts.get(qn("w:eastAsia")) == font, name
        assert rfonts.get(qn("w:ascii")) == font, name

    for name in BODY_STYLES:
        fmt = document.styles[name].paragraph_format
        assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY, name
        assert fmt.line_spacing.pt == pytest.approx(28.95), name
    # Every paragraph in the body flows on a styled grid: no run-level font overrides.
    assert not document.element.body.findall(f".//{qn('w:r')}/{qn('w:rPr')}/{qn('w:rFonts')}")

    assert document.settings.odd_and_even_pages_header_footer
    first = document.sections[0]
    for footer in (first.footer, first.even_page_footer):
        assert not footer.is_linked_to_previous
        instructions = [i.text.strip() for i in footer._element.iter(qn("w:instrText"))]
        assert instructions == ["PAGE"]
        text = "".join(t.text or "" for t in footer._element.iter(qn("w:t")))
        assert text.startswith("— ") and text.endswith(" —")
    for section in document.sections[1:]:
        assert section.footer.is_linked_to_previous
        assert section.even_page_footer.is_linked_to_previous

    for table in document.tables:
        header = table.rows[0]._tr
        assert header.trPr is not None and header.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in table.rows[1:])

    for text in all_text(document):
        assert not PLACEHOLDER.search(text), text


def sign_off_cell(table: Any) -> Any | None:
    """The sign-off row's single spanning cell (``OfficialDocument.sign_off`` after a
    table), or None when the table does not end with one."""
    last = table.rows[-1]._tr
    cells = last.findall(qn("w:tc"))
    if len(cells) != 1 or cells[0].find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}") is None:
        return None
    return docx.table._Cell(cells[0], table)


def table_data(table: Any) -> list[list[str]]:
    """Cell texts of the data rows (header skipped), including the last rows that the
    sign-off row holds in its nested table."""
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    cell = sign_off_cell(table)
    if cell is None:
        return rows
    return rows[:-1] + [[c.text for c in r.cells] for t in cell.tables for r in t.rows]


def sign_off_texts(document: Any) -> list[str]:
    """The paragraphs of the document's sign-off block, wherever it sits (in the last
    table's last row, or after the body)."""
    if document.tables:
        cell = sign_off_cell(document.tables[-1])
        if cell is not None:
            return [p.text for p in cell.paragraphs]
    return [p.text for p in document.paragraphs]


def sign_off_paragraphs(document: Any) -> list[Any]:
    if document.tables:
        cell = sign_off_cell(document.tables[-1])
        if cell is not None:
            return list(cell.paragraphs)
    return list(document.paragraphs)


def header(table: Any) -> list[str]:
    return [c.text for c in table.rows[0].cells]
