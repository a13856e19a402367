"""GB/T 9704 document engine: layout, styles, footers, tables, and a LibreOffice render."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt

from partybuild.reports.document import OfficialDocument, cn_date

MM_TOLERANCE = 0.1
PORTRAIT = {"w": 210, "h": 297, "top": 37, "bottom": 35, "left": 28, "right": 26}
LANDSCAPE = {"w": 297, "h": 210, "top": 28, "bottom": 26, "left": 37, "right": 35}
ISSUER = "中共某某局机关委员会"


def reopen(doc: OfficialDocument) -> docx.document.Document:
    return docx.Document(io.BytesIO(doc.to_bytes()))


def assert_layout(section, expected: dict[str, float]) -> None:
    got = {
        "w": section.page_width.mm,
        "h": section.page_height.mm,
        "top": section.top_margin.mm,
        "bottom": section.bottom_margin.mm,
        "left": section.left_margin.mm,
        "right": section.right_margin.mm,
    }
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=MM_TOLERANCE), (key, got)


def style_fonts(document, name: str) -> dict[str, str]:
    rfonts = document.styles[name].element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    assert rfonts is not None, name
    return {slot: rfonts.get(qn(f"w:{slot}")) for slot in ("eastAsia", "ascii", "hAnsi", "cs")}


def sample_document() -> OfficialDocument:
    doc = OfficialDocument("关于开展主题党日活动的通知", issuer=ISSUER)
    doc.heading("一、总体要求")
    doc.paragraph("为深入学习贯彻党的精神，现将有关事项通知如下。")
    doc.heading("（一）活动安排", 2)
    doc.heading("1.时间地点", 3)
    doc.heading("（1）时间", 4)
    doc.summary("本期共登记活动三次。")
    doc.key_value("支部名称", "第一党支部")
    doc.table(
        [("序号", 12), ("姓名", 30), ("说明", 80)],
        [(1, "张三", "第一行\n第二行"), (2, None, "")],
        landscape_section=True,
    )
    doc.paragraph("表后正文。")
    doc.attachments(["活动安排表", "参会人员名单。"])
    doc.signature(None, date(2026, 11, 26))
    doc.signature_line("党员签名")
    return doc


# ------------------------------------------------------------------ helpers and layout


def test_cn_date_has_no_leading_zeros() -> None:
    assert cn_date(date(2026, 1, 5)) == "2026年1月5日"
    assert cn_date(date(2026, 11, 26)) == "2026年11月26日"


def test_documents_and_screens_write_dates_alike() -> None:
    from partybuild.core import timeutil

    for day in (date(2026, 1, 5), date(2026, 11, 26), date(2024, 2, 29), date(1921, 7, 1)):
        assert cn_date(day) == timeutil.cn_date(day)


def test_engine_loads_without_the_app() -> None:
    """The engine is the bottom layer: loaded by path (as ``bench_ledger_rows`` does) it
    imports neither Flask nor any part of the app."""
    engine = Path(__file__).resolve().parents[2] / "partybuild" / "reports" / "document.py"
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('engine', {str(engine)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['engine'] = module\n"
        "spec.loader.exec_module(module)\n"
        "module.OfficialDocument('测试').to_bytes()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'partybuild')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


def test_portrait_landscape_portrait_sections_keep_margins_and_footers() -> None:
    document = reopen(sample_document())
    sections = document.sections
    assert len(sections) == 3
    assert_layout(sections[0], PORTRAIT)
    assert_layout(sections[1], LANDSCAPE)
    assert_layout(sections[2], PORTRAIT)
    assert sections[1].orientation == docx.enum.section.WD_ORIENT.LANDSCAPE
    # Later sections inherit the odd/even footers of the first one.
    for section in sections[1:]:
        assert section.footer.is_linked_to_previous
        assert section.even_page_footer.is_linked_to_previous
    # The landscape table sits in the landscape section.
    body = document.element.body
    breaks = body.findall(f".//{qn('w:pPr')}/{qn('w:sectPr')}")
    assert len(breaks) == 2
    children = list(body)
    table_at = children.index(body.find(qn("w:tbl")))
    first_break_at = next(
        i for i, el in enumerate(children) if el.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None
    )
    assert first_break_at < table_at


def test_landscape_document() -> None:
    document = reopen(OfficialDocument("台账", landscape=True))
    assert len(document.sections) == 1
    assert_layout(document.sections[0], LANDSCAPE)


def test_styles_set_east_asian_fonts_and_sizes() -> None:
    document = reopen(sample_document())
    expected = {
        "公文标题": ("方正小标宋简体", 22),
        "公文正文": ("仿宋_GB2312", 16),
        "一级标题": ("黑体", 16),
        "二级标题": ("楷体_GB2312", 16),
        "三级标题": ("仿宋_GB2312", 16),
        "四级标题": ("仿宋_GB2312", 16),
        "表格文字": ("仿宋_GB2312", 12),
        "表格表头": ("黑体", 12),
        "页码": ("宋体", 14),
    }
    for name, (font, size) in expected.items():
        fonts = style_fonts(document, name)
        assert set(fonts.values()) == {font}, (name, fonts)
        assert document.styles[name].font.size == Pt(size), name
    # Normal and the document defaults carry the body font too (no theme fonts).
    assert style_fonts(document, "Normal")["eastAsia"] == "仿宋_GB2312"
    defaults = document.styles.element.find(
        f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}"
    )
    assert defaults.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert defaults.get(qn("w:eastAsiaTheme")) is None


def test_paragraphs_use_styles_not_run_formatting() -> None:
    document = reopen(sample_document())
    styles = [p.style.name for p in document.paragraphs if p.text]
    assert styles[:6] == ["公文标题", "一级标题", "公文正文", "二级标题", "三级标题", "四级标题"]
    assert not document.element.body.findall(f".//{qn('w:r')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    assert not document.element.body.findall(f".//{qn('w:r')}/{qn('w:rPr')}/{qn('w:sz')}")


def test_exact_line_spacing_and_character_grid() -> None:
    document = reopen(sample_document())
    for name in ("Normal", "公文正文", "一级标题", "二级标题", "三级标题", "四级标题"):
        fmt = document.styles[name].paragraph_format
        assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY, name
        assert fmt.line_spacing.pt == pytest.approx(28.95), name
    assert document.styles["表格文字"].paragraph_format.line_spacing_rule == WD_LINE_SPACING.SINGLE
    # 22 lines of 28.95 pt fit in the 225 mm text height, 23 do not.
    text_height_pt = 225 / 25.4 * 72
    assert 22 * 28.95 <= text_height_pt < 23 * 28.95
    for grid in document.element.body.iter(qn("w:docGrid")):
        assert grid.get(qn("w:linePitch")) == "579"
    # 28 characters of 16 pt condensed by 0.25 pt fill 156 mm, 29 do not.
    rpr = document.styles["公文正文"].element.find(qn("w:rPr"))
    tracking_pt = int(rpr.find(qn("w:spacing")).get(qn("w:val"))) / 20
    assert tracking_pt == -0.25
    pitch = 16 + tracking_pt
    text_width_pt = 156 / 25.4 * 72
    assert 28 * pitch <= text_width_pt < 29 * pitch
    # First-line indent of two characters.
    indent = document.styles["公文正文"].paragraph_format.first_line_indent.pt
    assert indent == pytest.approx(2 * pitch, abs=0.1)


def test_odd_and_even_footers_hold_page_fields() -> None:
    document = reopen(sample_document())
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, jc in ((section.footer, "right"), (section.even_page_footer, "left")):
        assert not footer.is_linked_to_previous
        element = footer._element
        types = [f.get(qn("w:fldCharType")) for f in element.iter(qn("w:fldChar"))]
        assert types == ["begin", "separate", "end"]
        assert [i.text.strip() for i in element.iter(qn("w:instrText"))] == ["PAGE"]
        text = "".join(t.text or "" for t in element.iter(qn("w:t")))
        assert text.startswith("— ") and text.endswith(" —")
        paragraph = footer.paragraphs[0]
        assert paragraph.style.name == "页码"
        assert paragraph._p.pPr.find(qn("w:jc")).get(qn("w:val")) == jc


def test_table_2500_rows_from_generator() -> None:
    doc = OfficialDocument("党员台账", issuer=ISSUER)
    columns = [("序号", 15), ("姓名", 25), ("日期", 30), ("备注", 86)]

    def rows():
        for i in range(2500):
            yield (i + 1, f"党员{i}", date(2026, 1, 5), None if i % 2 else "甲\n乙")

    assert doc.table(columns, rows()) == 2500
    document = reopen(doc)
    (table,) = document.tables
    assert len(table.rows) == 2501
    header = table.rows[0]._tr
    assert header.trPr.find(qn("w:tblHeader")) is not None
    assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in table.rows[1:4])
    assert [c.text for c in table.rows[0].cells] == ["序号", "姓名", "日期", "备注"]
    assert [c.text for c in table.rows[1].cells] == ["1", "党员0", "2026-01-05", "甲\n乙"]
    assert [c.text for c in table.rows[2].cells] == ["2", "党员1", "2026-01-05", ""]
    assert table.rows[2500].cells[1].text == "党员2499"
    widths = [int(g.get(qn("w:w"))) / 1440 * 25.4 for g in table._tbl.tblGrid]
    assert widths == pytest.approx([15, 25, 30, 86], abs=MM_TOLERANCE)
    assert table.rows[1].cells[0].paragraphs[0].style.name == "表格文字"
    assert table.rows[0].cells[0].paragraphs[0].style.name == "表格表头"


def test_table_font_size_override_uses_a_derived_style() -> None:
    doc = OfficialDocument("台账")
    doc.table([("项目", 50)], [("甲",)], font_size_pt=10.5)
    document = reopen(doc)
    cell_paragraph = document.tables[0].rows[1].cells[0].paragraphs[0]
    assert cell_paragraph.style.font.size == Pt(10.5)
    assert style_fonts(document, cell_paragraph.style.name)["eastAsia"] == "仿宋_GB2312"


def test_row_with_wrong_width_is_rejected() -> None:
    doc = OfficialDocument("台账")
    with pytest.raises(ValueError, match="row 2"):
        doc.table([("a", 20), ("b", 20)], [("1", "2"), ("3",)])


def test_adjacent_landscape_tables_share_a_section_and_stay_apart() -> None:
    doc = OfficialDocument("台账")
    doc.table([("a", 20)], [("1",)], landscape_section=True)
    doc.table([("b", 20)], [("2",)], landscape_section=True)
    doc.paragraph("后记")
    document = reopen(doc)
    assert len(document.sections) == 3
    assert len(document.tables) == 2
    body = list(document.element.body)
    first = body.index(document.tables[0]._tbl)
    assert body[first + 1].tag == qn("w:p")


def test_signature_attachments_and_lines() -> None:
    document = reopen(sample_document())
    texts = [p.text for p in document.paragraphs]
    assert "附件：1. 活动安排表" in texts
    assert "2. 参会人员名单" in texts  # trailing punctuation dropped
    assert texts.index(ISSUER) + 1 == texts.index("2026年11月26日")
    date_paragraph = document.paragraphs[texts.index("2026年11月26日")]
    issuer_paragraph = document.paragraphs[texts.index(ISSUER)]
    assert date_paragraph.style.name == "公文落款"
    pitch_pt = 15.75
    assert date_paragraph.paragraph_format.right_indent.pt == pytest.approx(4 * pitch_pt, abs=0.1)
    # The 10-character issuer is centred over the 7-character date.
    assert issuer_paragraph.paragraph_format.right_indent.pt == pytest.approx(
        (4 - 1.5) * pitch_pt, abs=0.1
    )
    assert texts[texts.index(ISSUER) - 1] == ""
    assert any(t.startswith("党员签名：＿") for t in texts)
    assert "支部名称：第一党支部" in texts


def test_signature_keeps_with_the_end_of_the_body() -> None:
    """No page holding only the signature. After a table, the sign-off and the last two
    data rows share one unsplittable last row (LibreOffice ignores keep-with-next on
    rows); after paragraphs, keep-with-next chains the block to the text before it."""
    doc = OfficialDocument("党员名册", issuer=ISSUER, landscape=True)
    rows = [(i, f"党员{i}") for i in range(1, 6)]
    doc.table([("序号", 20), ("姓名", 40)], rows, landscape_section=True)
    doc.sign_off(date(2026, 11, 26), signers=("填报人", "审核人"), seal=True, notes=["说明：无。"])
    document = reopen(doc)
    table = document.tables[0]
    # Header, rows 1-3, then the sign-off row holding rows 4-5.
    assert [r.cells[0].text for r in table.rows[:4]] == ["序号", "1", "2", "3"]
    last = table.rows[-1]._tr
    assert last.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None
    cell = last.find(qn("w:tc"))
    assert cell.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}").get(qn("w:val")) == "2"
    nested = docx.table.Table(cell.find(qn("w:tbl")), table._parent)
    assert [[c.text for c in r.cells] for r in nested.rows] == [["4", "党员4"], ["5", "党员5"]]
    texts = [p.text for p in docx.table._Cell(cell, table).paragraphs]
    assert texts[0] == "说明：无。"
    assert "填报人：＿＿＿＿＿　　审核人：＿＿＿＿＿" in texts
    assert texts[-2:] == [f"{ISSUER}（盖章）", "2026年11月26日"]
    assert not any(p.text for p in document.paragraphs[1:])  # nothing left after the table

    # After a paragraph, that paragraph and the block keep with the date.
    doc = OfficialDocument("通知", issuer=ISSUER)
    doc.paragraph("正文。")
    doc.signature(None, date(2026, 11, 26))
    paragraphs = reopen(doc).paragraphs
    assert [p.text for p in paragraphs[-5:]] == ["正文。", "", "", ISSUER, "2026年11月26日"]
    assert [bool(p.paragraph_format.keep_with_next) for p in paragraphs[-5:]] == [
        True, True, True, True, False,
    ]  # fmt: skip


def test_table_cells_keep_text_off_the_bottom_border() -> None:
    """Issue 14: the last text line in a cell touched the row's bottom border."""
    doc = OfficialDocument("台账", issuer=ISSUER)
    doc.table([("序号", 20)], [(1,)], font_size_pt=9)
    document = reopen(doc)
    for name in ("表格文字", "表格表头", "表格文字 9pt", "表格表头 9pt"):
        fmt = document.styles[name].paragraph_format
        assert fmt.space_after.pt >= 2, name  # about 0.9 mm under the last line
        assert fmt.space_before.pt >= 1, name


def test_page_break_sets_page_break_before() -> None:
    doc = OfficialDocument("通知")
    doc.paragraph("第一页")
    doc.page_break()
    doc.paragraph("第二页")
    document = reopen(doc)
    assert document.paragraphs[-1].paragraph_format.page_break_before
    assert not document.paragraphs[-2].paragraph_format.page_break_before


def test_no_placeholder_text_and_metadata() -> None:
    doc = sample_document()
    document = reopen(doc)
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    texts += [p.text for s in document.sections for p in s.footer.paragraphs]
    assert all("{" not in t and "}" not in t for t in texts)
    assert document.core_properties.title == "关于开展主题党日活动的通知"
    assert document.core_properties.author == ISSUER


def test_save_to_path_and_stream_returns_sha256(tmp_path: Path) -> None:
    doc = OfficialDocument("通知")
    path = tmp_path / "out.docx"
    digest = doc.save(path)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    stream = io.BytesIO()
    assert len(doc.save(stream)) == 64
    assert stream.getvalue()[:2] == b"PK"
    assert not list(tmp_path.glob("*.part"))


def test_cell_values_are_formatted_and_sanitised() -> None:
    doc = OfficialDocument("通知")
    values = [
        "x\x00y\x0bz\ud800",
        True,
        Decimal("12.50"),
        0.1 + 0.2,
        datetime(2026, 1, 5, 9, 30),
        " 前后空格 ",
        "a\tb",
    ]
    doc.table([(str(i), 20) for i in range(len(values))], [values])
    cells = [c.text for c in reopen(doc).tables[0].rows[1].cells]
    assert cells == ["xyz", "是", "12.50", "0.3", "2026-01-05 09:30", " 前后空格 ", "a b"]


def test_streamed_rows_escape_markup_and_keep_text() -> None:
    """Rows written as XML text (all but the last two) read back exactly like rows kept
    in the tree: markup escaped, lines kept, control characters dropped."""
    hostile = [
        "<w:p>&amp; ]]> \"引号\" 'x' </w:t>",
        " 前导空格",
        "末尾空格 ",
        "一行\n二行\r\n三行\r四行",
        "\u3000全角空格开头",
        "x\x00y\x0bz\ud800\ufffe",
        "a\tb & c",
        "{0} {} %s 😀",
        "\n",
    ]
    expected = [
        "<w:p>&amp; ]]> \"引号\" 'x' </w:t>",
        " 前导空格",
        "末尾空格 ",
        "一行\n二行\n三行\n四行",
        "\u3000全角空格开头",
        "xyz",
        "a b & c",
        "{0} {} %s 😀",
        "\n",
    ]
    doc = OfficialDocument("通知")
    rows = [(i, text) for i, text in enumerate(hostile * 3)]
    assert doc.table([("序号", 20), ("内容", 120)], rows) == len(rows)
    table = reopen(doc).tables[0]
    assert [r.cells[1].text for r in table.rows[1:]] == expected * 3
    assert [r.cells[0].text for r in table.rows[1:]] == [str(i) for i in range(len(rows))]


# ------------------------------------------------------------------ LibreOffice render

FOOTER_LINE = re.compile(r"^\s*—\s*\d+\s*—\s*$")


def render_text(doc: OfficialDocument, tmp_path: Path) -> list[str]:
    """Convert with LibreOffice, return pdftotext -layout pages."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftotext = shutil.which("pdftotext")
    if soffice is None:
        pytest.skip("LibreOffice not installed")
    if pdftotext is None:
        pytest.skip("pdftotext not installed")
    source = tmp_path / "render.docx"
    doc.save(source)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    result = subprocess.run(
        [pdftotext, "-layout", str(tmp_path / "render.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.split("\f")


def test_libreoffice_page_has_22_lines_of_28_characters(tmp_path: Path) -> None:
    doc = OfficialDocument("关于开展主题党日活动的通知", issuer=ISSUER)
    for _ in range(14):
        doc.paragraph("党" * 200 + "。")
    pages = render_text(doc, tmp_path)

    first = "".join(pages[0].split())
    assert first.startswith("关于开展主题党日活动的通知")

    # Page 2 holds body paragraphs only: 22 text lines plus the page number.
    lines = [line for line in pages[1].splitlines() if line.strip()]
    footer = [line for line in lines if FOOTER_LINE.match(line)]
    body = [line for line in lines if not FOOTER_LINE.match(line)]
    assert len(footer) == 1
    assert len(body) == 22

    # Full lines hold 28 characters; paragraph first lines 26 (two-character indent).
    widths = [len("".join(line.split())) for line in body]
    assert max(widths) == 28
    assert widths.count(28) >= 15
    assert all(
        w in (26, 28) or line.rstrip().endswith("。") for w, line in zip(widths, body, strict=True)
    )
