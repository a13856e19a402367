"""GB/T 9704-2012 (《党政机关公文格式》) Word document engine on python-docx + lxml.

Pure python-docx/lxml: no Flask, no database, no import from the rest of ``partybuild``,
so the module can be loaded (and benchmarked) on its own.

Usage::

    doc = OfficialDocument("关于开展主题党日活动的通知", issuer="中共某某局机关委员会")
    doc.heading("一、活动安排")              # caller writes the numbering
    doc.paragraph("正文……")
    doc.table([("序号", 12), ("姓名", 25)], rows, landscape_section=True)
    doc.attachments(["活动安排表"])
    doc.signature(None, date(2026, 11, 26))  # None: the issuer given above
    digest = doc.save("out.docx")            # or doc.to_bytes()

Public API
----------
``OfficialDocument(title, *, issuer=None, landscape=False, layout=PAGE, grid=GRID,
styles=None)``
    ``heading(text, level=1)``               一级 "一、" 黑体 … 四级 "（1）" 仿宋
    ``paragraph(text, *, indent=True, align=None, style="公文正文")``
    ``summary(text)``                        楷体 lead paragraph (e.g. "本期共……")
    ``key_value(label, value)``              "label：value", label in 黑体
    ``blank_line(count=1)``, ``page_break()``
    ``table(columns, rows, *, landscape_section=False, font_size_pt=None) -> int``
        ``columns`` = [(header, width_mm)], ``rows`` any iterable (generator welcome) of
        sequences; returns the number of data rows written.
    ``attachments(names)``                   附件说明 "附件：1. xxx"
    ``signature(issuer, on, *, blank_lines=2)``  署名 + 成文日期
    ``sign_off(on, *, signers=(), issuer=None, seal=False, notes=(), blank_lines=2)``
        说明, "填报人：＿＿" lines, seal space, 署名 + 日期, never alone on a page
    ``signature_line(label, *, blanks=8)``   "党员签名：＿＿＿＿" on the right
    ``save(target) -> str`` (sha256 hex of the bytes written), ``to_bytes() -> bytes``
    ``mark() -> element``, ``writing_at(mark)``  write paragraphs at an earlier position
    ``docx`` — the underlying ``docx.document.Document`` for anything not covered here.
``cn_date(d) -> str``                         2026年1月5日 (no leading zeros; as core.timeutil's)

Format decisions (defaults; all in ``PAGE``, ``GRID`` and ``STYLES``):

* A4, margins top 37 / bottom 35 / left 28 / right 26 mm: text area 156 × 225 mm.
  Landscape pages are the portrait page turned a quarter, binding edge up:
  top 28 / bottom 26 / left 37 / right 35 mm, text area 225 × 156 mm.
* Every size and font lives in a paragraph/character style (``STYLES``), with
  w:ascii/w:hAnsi/w:eastAsia/w:cs all set (python-docx only sets the Latin slot, #154).
  Runs carry no formatting.
* 22 lines: exact line spacing of 28.95 pt (579 twips) in every body style, and a line
  grid ``w:docGrid type="lines" linePitch="579"`` in every section (22 x 28.95 pt fits
  the 225 mm text height, 23 do not).
* 28 characters: the body styles condense characters by 0.25 pt (``w:spacing -5``,
  computed from ``GRID.chars_per_line``): 28 x 15.75 pt = 441 pt fits the 156 mm
  (442.2 pt) line, 29 do not. A character grid (``linesAndChars``, ``charSpace=-849``)
  was tried first: LibreOffice 7.4 then gives each 16 pt character two 15.8 pt grid
  cells, i.e. 14 characters per line. Checked in LibreOffice (22 lines of 28); Word
  follows the same arithmetic but was not available to check.
* Title, tables and page numbers are off the grid (normal spacing, ``snapToGrid=0``).
* Indents are twips, whole multiples of the 15.75 pt character pitch (not the ``*Chars``
  attributes), so Word and LibreOffice agree.
* Page numbers "— N —" in 宋体 14 pt, odd pages right with one character to spare, even
  pages left with one character (odd/even footers, ``w:evenAndOddHeaders``). The footer
  distance puts the number about 7 mm under the text area.
* Tables: fixed layout, widths in mm, 0.5 pt borders, header row (黑体, centred
  vertically) repeated on every page (``w:tblHeader``), rows never split over pages,
  data cells top-aligned. Data rows never become python-docx or lxml objects
  (``table.cell()``/``add_row()`` are quadratic, python-docx #174/#1209): each is one
  pre-serialised template row with the cells' escaped text put in, written as UTF-8 into
  a scratch file and streamed into ``word/document.xml`` when saving, so a 10,000-row
  table never sits in memory as a tree (the last ``KEEP_ROWS`` rows are parsed into the
  tree: ``sign_off()`` moves them into its unsplittable last row). Cells have a
  little paragraph spacing above and below, so text never touches a border. ``mark()``/``writing_at(mark)`` write paragraphs
  above a table afterwards (a summary added up while its rows stream).

``save`` returns the sha256 of the bytes it wrote; the zip members carry the save time,
so two saves of the same content differ.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import re
import shutil
import tempfile
import unicodedata
import weakref
import zipfile
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree

logger = logging.getLogger(__name__)

__all__ = [
    "GRID",
    "PAGE",
    "STYLES",
    "OfficialDocument",
    "PageLayout",
    "StyleSpec",
    "TextGrid",
    "cn_date",
]

TWIPS_PER_PT = 20
TWIPS_PER_MM = 1440 / 25.4
PT_PER_MM = 72 / 25.4

W_T = qn("w:t")
W_BR = qn("w:br")
W_P = qn("w:p")
W_TBL = qn("w:tbl")
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

# A table's last rows stay in the tree (not spooled): sign_off() moves them into the
# row that holds the sign-off, so they and the signature never part (see sign_off).
KEEP_ROWS = 2
# Table cell texts up to this long have their XML remembered for the table (at most
# _KNOWN_TEXTS of them): see ``table``.
_KNOWN_CHARS = 24
_KNOWN_TEXTS = 20_000
# Space above the first and under the last text line of a cell, so text never touches
# the row's borders: paragraph spacing of the table styles. (Top/bottom cell margins
# (w:tblCellMar) would do the same, but make LibreOffice 7.4 stop laying out a table of
# unsplittable rows at the first page break: a one-page PDF.)
CELL_SPACE_BEFORE_PT = 1.5
CELL_SPACE_AFTER_PT = 2.5

# Characters XML 1.0 cannot carry; they would make lxml raise mid-export.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def mm_to_twips(mm: float) -> int:
    return round(mm * TWIPS_PER_MM)


def pt_to_twips(pt: float) -> int:
    return round(pt * TWIPS_PER_PT)


def half_points(pt: float) -> int:
    """w:sz unit."""
    return round(pt * 2)


def cn_date(d: date) -> str:
    """2026年1月5日, as GB/T 9704 writes 成文日期: the same rule as ``core.timeutil``'s
    (a test holds them equal), defined here so the engine imports nothing of the app."""
    return f"{d.year}年{d.month}月{d.day}日"


def text_width_chars(text: str) -> float:
    """Width in body characters: CJK/full-width counts 1, anything else half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class PageLayout:
    """Page size and margins in mm."""

    width_mm: float = 210.0
    height_mm: float = 297.0
    top_mm: float = 37.0
    bottom_mm: float = 35.0
    left_mm: float = 28.0
    right_mm: float = 26.0
    header_mm: float = 15.0
    # GB/T 9704 §7.5: the dash line of the page number sits 7 mm under the text area.
    page_number_gap_mm: float = 7.0

    @property
    def text_width_mm(self) -> float:
        return self.width_mm - self.left_mm - self.right_mm

    @property
    def text_height_mm(self) -> float:
        return self.height_mm - self.top_mm - self.bottom_mm

    @property
    def is_landscape(self) -> bool:
        return self.width_mm > self.height_mm

    def rotated(self) -> PageLayout:
        """The page turned a quarter with its binding edge (left) on top."""
        return replace(
            self,
            width_mm=self.height_mm,
            height_mm=self.width_mm,
            top_mm=self.left_mm,
            bottom_mm=self.right_mm,
            left_mm=self.top_mm,
            right_mm=self.bottom_mm,
        )

    def footer_mm(self, number_size_pt: float) -> float:
        """Footer distance (page bottom edge to the footer line's bottom) that puts the
        top of the page number ``page_number_gap_mm`` under the text area."""
        return max(self.bottom_mm - self.page_number_gap_mm - number_size_pt / PT_PER_MM, 5.0)


@dataclass(frozen=True)
class TextGrid:
    """Line and character grid of the body text."""

    line_pitch_pt: float = 28.95  # 579 twips: 22 lines in 225 mm
    chars_per_line: int = 28


PAGE = PageLayout()
GRID = TextGrid()


# --------------------------------------------------------------------------- styles


@dataclass(frozen=True)
class StyleSpec:
    """One paragraph (or character) style. Sizes in pt, indents in body characters."""

    style_id: str
    font: str
    size_pt: float
    bold: bool = False
    align: str = "both"  # w:jc value: both, left, center, right
    first_line_chars: float = 0.0
    # None: the grid line pitch, exact; 0: single spacing (auto); >0: exact pt.
    line_pt: float | None = None
    space_before_lines: float = 0.0
    space_after_lines: float = 0.0
    space_before_pt: float = 0.0  # added to the lines above
    space_after_pt: float = 0.0
    # On the body grid: 28.95 pt lines and the condensed character pitch. Off-grid
    # styles (title, tables, footer) keep normal spacing and w:snapToGrid=0.
    on_grid: bool = True
    keep_next: bool = False
    outline_level: int | None = None
    character: bool = False  # a character style (w:type="character")


TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEI_FONT = "黑体"
KAI_FONT = "楷体_GB2312"
SONG_FONT = "宋体"

# Names are what Word shows in its style gallery; ids stay ASCII.
STYLES: dict[str, StyleSpec] = {
    "公文标题": StyleSpec(
        "GwTitle", TITLE_FONT, 22, align="center", space_after_lines=1, on_grid=False
    ),
    "公文正文": StyleSpec("GwBody", BODY_FONT, 16, first_line_chars=2),
    "一级标题": StyleSpec(
        "GwHeading1", HEI_FONT, 16, first_line_chars=2, keep_next=True, outline_level=0
    ),
    "二级标题": StyleSpec(
        "GwHeading2", KAI_FONT, 16, first_line_chars=2, keep_next=True, outline_level=1
    ),
    "三级标题": StyleSpec(
        "GwHeading3", BODY_FONT, 16, first_line_chars=2, keep_next=True, outline_level=2
    ),
    "四级标题": StyleSpec(
        "GwHeading4", BODY_FONT, 16, first_line_chars=2, keep_next=True, outline_level=3
    ),
    "公文摘要": StyleSpec("GwSummary", KAI_FONT, 16, first_line_chars=2),
    "附件说明": StyleSpec("GwAttachment", BODY_FONT, 16),
    "公文落款": StyleSpec("GwSignature", BODY_FONT, 16, align="right"),
    "签名行": StyleSpec("GwSignLine", BODY_FONT, 16, align="right"),
    "表格文字": StyleSpec(
        "GwTableText",
        BODY_FONT,
        12,
        align="center",
        line_pt=0,
        on_grid=False,
        space_before_pt=CELL_SPACE_BEFORE_PT,
        space_after_pt=CELL_SPACE_AFTER_PT,
    ),
    "表格表头": StyleSpec(
        "GwTableHeader",
        HEI_FONT,
        12,
        align="center",
        line_pt=0,
        on_grid=False,
        space_before_pt=CELL_SPACE_BEFORE_PT,
        space_after_pt=CELL_SPACE_AFTER_PT,
    ),
    "页码": StyleSpec("GwPageNumber", SONG_FONT, 14, line_pt=0, on_grid=False),
    # 说明 under a table (五号): small, so the sign-off row it shares stays short.
    "表注": StyleSpec("GwTableNote", BODY_FONT, 10.5, line_pt=0, on_grid=False, space_before_pt=3),
    # Holds a section break after a table: as thin as Word allows.
    "分节符": StyleSpec("GwSectionBreak", BODY_FONT, 1, line_pt=1, on_grid=False),
    "字段名": StyleSpec("GwFieldLabel", HEI_FONT, 16, character=True),
}

# Word substitutes w:altName when a font is missing: stock Windows has 仿宋/楷体 but not
# the *_GB2312 variants, and rarely 方正小标宋.
FONT_ALIASES: dict[str, str] = {
    "仿宋_GB2312": "仿宋",
    "楷体_GB2312": "楷体",
    "方正小标宋简体": "宋体",
}

_ALIGN = {
    "justify": "both",
    "both": "both",
    "left": "left",
    "center": "center",
    "centre": "center",
    "right": "right",
}


def _rfonts(font: str) -> str:
    return (
        f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}" '
        'w:hint="eastAsia"/>'
    )


def _rpr_xml(spec: StyleSpec, tracking_twips: int) -> str:
    size = half_points(spec.size_pt)
    bold = "<w:b/><w:bCs/>" if spec.bold else ""
    snap = "" if spec.on_grid else '<w:snapToGrid w:val="0"/>'
    spacing = tracking_twips if spec.on_grid else 0
    return (
        f'<w:rPr>{_rfonts(spec.font)}{bold}{snap}<w:spacing w:val="{spacing}"/>'
        f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
    )


# --------------------------------------------------------------------------- values


def cell_text(value: object) -> str:
    """Table cell text: None -> "", dates ISO, bool 是/否, the rest ``str()``.

    Control characters are removed later, when the text is put into the XML."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, float):
        text = f"{value:.15g}"  # 0.1 + 0.2 -> 0.3, 12345.67 stays
    else:
        text = str(value)
    return text


def _fill_text(t: etree._Element, text: str) -> None:
    """Put ``text`` into an empty w:t (the last child of its run): "\\n" becomes w:br,
    tabs a space, XML-illegal characters are dropped, edge spaces preserved."""
    if text.isprintable() and text[0] != " " and text[-1] != " ":
        t.text = text  # the common case: one line, nothing to escape or keep
        return
    text = _XML_ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\t", " ")
    first, *more = text.split("\n")
    t.text = first
    if first != first.strip():
        t.set(XML_SPACE, "preserve")
    run = t.getparent()
    for line in more:
        etree.SubElement(run, W_BR)
        t = etree.SubElement(run, W_T)
        t.set(XML_SPACE, "preserve")
        t.text = line


_EMPTY_T = "<w:t/>"
_XML_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _run_xml(text: str) -> str:
    """The contents of a run holding ``text``, as ``_fill_text`` would leave them,
    serialised: "\\n" becomes w:br, tabs a space, XML-illegal characters are dropped,
    edge spaces preserved, &, < and > escaped."""
    if not text:
        return _EMPTY_T
    if text.isprintable() and text[0] != " " and text[-1] != " ":
        # The common case: one line, nothing to drop or keep.
        if "&" in text or "<" in text or ">" in text:
            text = text.translate(_XML_TEXT_ESCAPES)
        return f"<w:t>{text}</w:t>"
    text = _XML_ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\t", " ").translate(_XML_TEXT_ESCAPES)
    first, *more = text.split("\n")
    space = ' xml:space="preserve"' if first != first.strip() else ""
    parts = [f"<w:t{space}>{first}</w:t>"]
    parts.extend(f'<w:br/><w:t xml:space="preserve">{line}</w:t>' for line in more)
    return "".join(parts)


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TR_DECL = f'<w:tr xmlns:w="{_W_NS}">'


# --------------------------------------------------------------------------- streaming

_PLACEHOLDER_TARGET = "partybuild-table-rows"
_PLACEHOLDER_RE = re.compile(rb"<\?" + _PLACEHOLDER_TARGET.encode() + rb" (rows-\d+)\?>")


class _HashingWriter(io.RawIOBase):
    """A write-only stream that hashes what passes through (zipfile needs tell())."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out, self._hash, self._pos = out, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._out.write(data)
        self._hash.update(data)
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        self._out.flush()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class _WritingAt:
    def __init__(self, doc: OfficialDocument, mark: etree._Element) -> None:
        self.doc, self.mark = doc, mark

    def __enter__(self) -> OfficialDocument:
        self.doc._insert_before = self.mark
        return self.doc

    def __exit__(self, *exc: object) -> None:
        self.doc._insert_before = None
        self.mark.getparent().remove(self.mark)


# --------------------------------------------------------------------------- document


class OfficialDocument:
    """A GB/T 9704 document being written top to bottom (see the module docstring)."""

    def __init__(
        self,
        title: str,
        *,
        issuer: str | None = None,
        landscape: bool = False,
        layout: PageLayout = PAGE,
        grid: TextGrid = GRID,
        styles: Mapping[str, StyleSpec] | None = None,
    ) -> None:
        self.title = title
        self.issuer = issuer
        # ``layout`` is the portrait page; landscape sections use ``layout.rotated()``.
        self.layout = layout.rotated() if layout.is_landscape else layout
        self.grid = grid
        self.styles: dict[str, StyleSpec] = {**STYLES, **(styles or {})}
        self._doc: DocxDocument = Document()
        self._body = self._doc.element.body
        self._pending_page_break = False
        # Table rows already serialised to scratch files, keyed by the placeholder
        # (a processing instruction) that stands for them in the tree until save().
        self._spools: dict[str, IO[bytes]] = {}
        self._insert_before: etree._Element | None = None  # see writing_at()
        self._base_landscape = landscape  # orientation of the flowing text
        self._landscape = landscape  # orientation of the section being written

        body = self.styles["公文正文"]
        # Character spacing (twips, negative = condensed) so that ``chars_per_line`` body
        # characters fill the text width: -5 (-0.25 pt) for 28 x 16 pt in 156 mm.
        width_pt = self.layout.text_width_mm * PT_PER_MM
        self._tracking_twips = math.floor(
            (width_pt / grid.chars_per_line - body.size_pt) * TWIPS_PER_PT
        )
        self._char_pitch_pt = body.size_pt + self._tracking_twips / TWIPS_PER_PT

        self._setup_package()
        self._setup_styles()
        self._apply_layout(self._body.get_or_add_sectPr(), landscape)
        self._setup_footers()
        self._write_title(title)

    # ---------------------------------------------------------------- public API

    @property
    def docx(self) -> DocxDocument:
        return self._doc

    def heading(self, text: str, level: int = 1) -> None:
        """A heading; ``text`` includes its number ("一、", "（一）", "1.", "（1）")."""
        names = {1: "一级标题", 2: "二级标题", 3: "三级标题", 4: "四级标题"}
        if level not in names:
            raise ValueError(f"heading level must be 1-4, got {level}")
        self._add_paragraph(text, names[level])

    def paragraph(
        self,
        text: str,
        *,
        indent: bool = True,
        align: str | None = None,
        style: str = "公文正文",
    ) -> None:
        """A body paragraph; ``align`` one of left/center/right/justify."""
        p = self._add_paragraph(text, style)
        if not indent:
            self._ind(p, first_line=0)
        if align is not None:
            self._jc(p, align)

    def summary(self, text: str) -> None:
        """A lead/summary paragraph in 楷体, e.g. "本期共登记……"."""
        self._add_paragraph(text, "公文摘要")

    def key_value(self, label: str, value: object) -> None:
        """Write "label：value", the label in the 黑体 character style (字段名)."""
        label = label if label.endswith(("：", ":")) else f"{label}："
        p = self._add_paragraph(label, "公文正文", char_style="字段名")
        text = cn_date(value) if type(value) is date else cell_text(value)
        self._append_run(p, text)

    def blank_line(self, count: int = 1) -> None:
        for _ in range(count):
            self._add_paragraph("", "公文正文")

    def page_break(self) -> None:
        """Start the next paragraph or table on a new page (w:pageBreakBefore, so no
        stray empty line lands on top of the next page)."""
        self._pending_page_break = True

    def table(
        self,
        columns: Sequence[tuple[str, float]],
        rows: Iterable[Sequence[object]],
        *,
        landscape_section: bool = False,
        font_size_pt: float | None = None,
    ) -> int:
        """Write a table; ``columns`` = [(header, width_mm)]. Returns the data row count.

        ``landscape_section`` puts the table in a landscape section; the next paragraph
        goes back to the document's orientation (consecutive landscape tables share one
        section). ``font_size_pt`` overrides the 表格文字 size via a derived style.
        """
        if not columns:
            raise ValueError("a table needs at least one column")
        self._ensure_orientation(landscape_section or self._base_landscape)
        last = self._body.get_or_add_sectPr().getprevious()
        if last is not None and last.tag == W_TBL:
            # Word merges adjacent tables: keep them apart with a thin paragraph.
            self._add_paragraph("", "分节符", flow=False)
        text_style, header_style = self._table_styles(font_size_pt)
        tbl = self._table_skeleton(columns, header_style)
        self._body.get_or_add_sectPr().addprevious(tbl)
        if self._pending_page_break:
            tbl.find(".//" + qn("w:pPr")).insert(
                1, parse_xml(f"<w:pageBreakBefore {nsdecls('w')}/>")
            )
            self._pending_page_break = False

        # Hot loop: no lxml. Each row is the prototype row's pre-serialised XML with the
        # cells' escaped text put in (``_run_xml``), written as UTF-8 into a scratch file
        # 512 rows at a time; save() streams the file into document.xml where the
        # placeholder stands, so a 10,000-row table never sits in memory as a tree. The
        # last KEEP_ROWS rows are parsed into the tree instead: sign_off() may still move
        # them into its row.
        # The row is the template's pieces with the cells' XML in the odd slots: one
        # join per row (str.format re-parsed its 3 KB template every row).
        row = [""] * (2 * len(columns) + 1)
        row[0::2] = self._row_template(columns, text_style)
        join = "".join
        ncols = len(columns)
        marker = f"rows-{len(self._spools)}"
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the document
        self._spools[marker] = spool
        weakref.finalize(self, spool.close)
        tbl.append(etree.ProcessingInstruction(_PLACEHOLDER_TARGET, marker))
        # Short texts repeat down a column (支部, 类别, 状态, 进度, dates, counts): their
        # XML is made once per table. Keyed by the text, not the value (True and 1 are
        # equal keys but different cells); long texts (contents, records) are not kept.
        known: dict[str, str] = {"": _EMPTY_T}
        known_xml = known.get

        def cell_xml(value: object) -> str:
            if value is None:
                return _EMPTY_T
            text = value if type(value) is str else cell_text(value)
            xml = known_xml(text)
            if xml is None:
                xml = _run_xml(text)
                if len(text) <= _KNOWN_CHARS and len(known) < _KNOWN_TEXTS:
                    known[text] = xml
            return xml

        pending: list[str] = []
        tail: deque[str] = deque()
        count = 0
        for count, values in enumerate(rows, start=1):  # noqa: B007 - count used after
            if len(values) != ncols:
                raise ValueError(f"row {count} has {len(values)} cells, expected {ncols}")
            try:
                # A known text's XML straight from the dict (no call); keys are texts,
                # so a value that is not one (None, a number, a date) misses and goes
                # through cell_xml, and False, 0 or 1 never hit a text's entry.
                row[1::2] = [known_xml(value) or cell_xml(value) for value in values]
            except TypeError:  # an unhashable value: the plain way
                row[1::2] = [cell_xml(value) for value in values]
            tail.append(join(row))
            if len(tail) > KEEP_ROWS:
                pending.append(tail.popleft())
                if len(pending) >= 512:
                    spool.write("".join(pending).encode())
                    pending.clear()
        spool.write("".join(pending).encode())
        for xml in tail:
            tbl.append(etree.fromstring(xml.replace("<w:tr>", _TR_DECL, 1)))
        logger.debug("table written: %d rows x %d columns", count, ncols)
        return count

    def attachments(self, names: Sequence[str]) -> None:
        """附件说明 after the body: one blank line, then "附件：1. xxx", later names
        aligned under the first (GB/T 9704 §7.3.3)."""
        if not names:
            return
        self.blank_line()
        pitch = self._char_pitch_twips()
        lead = text_width_chars("附件：")
        clean = [n.strip().rstrip("。；;，,.") for n in names]
        for i, name in enumerate(clean, start=1):
            number = f"{i}. " if len(clean) > 1 else ""
            num_w = text_width_chars(number)
            left = (2 + lead + num_w) * pitch
            if i == 1:
                p = self._add_paragraph(f"附件：{number}{name}", "附件说明")
                self._ind(p, left=left, hanging=(lead + num_w) * pitch)
            else:
                p = self._add_paragraph(f"{number}{name}", "附件说明")
                self._ind(p, left=left, hanging=num_w * pitch)

    def signature(self, issuer: str | None, on: date, *, blank_lines: int = 2) -> None:
        """署名 and 成文日期 only (no signature lines): see ``sign_off``."""
        self.sign_off(on, issuer=issuer, seal=False, blank_lines=blank_lines)

    def sign_off(
        self,
        on: date | None,
        *,
        signers: Sequence[str] = (),
        issuer: str | None = None,
        seal: bool = False,
        notes: Sequence[str] = (),
        blank_lines: int = 2,
    ) -> None:
        """The end of a document, kept together with what comes before it.

        ``notes`` (说明 paragraphs; in the small 表注 style after a table), then lines to sign on ("填报人：＿＿＿＿", packed
        several to a line where they fit), ``blank_lines`` empty lines (the space for
        the seal), the issuer (None: the document's; "": none) centred over the date,
        right-indented 4 characters (GB/T 9704 §7.3.5.1); ``seal`` adds "（盖章）".

        Never a page holding nothing but the signature: after a table, the whole
        block goes into one unsplittable last row of that table together with the
        last ``KEEP_ROWS`` data rows (in a nested table drawn exactly like the rows
        above), so LibreOffice, which ignores keep-with-next on table rows, moves
        them as one piece too; after paragraphs, keep-with-next chains the block to
        the paragraph before it (honoured by Word, WPS and LibreOffice).
        """
        issuer = self.issuer if issuer is None else issuer
        last = self._body.get_or_add_sectPr().getprevious()
        after_table = last is not None and last.tag == W_TBL and self._insert_before is None
        flow = not after_table
        if not after_table:
            self._keep_end_with_next()
        written: list[Any] = []

        def add(text: str, style: str) -> Any:
            p = self._add_paragraph(text, style, flow=flow)
            written.append(p)
            return p

        for note in notes:
            add(note, "表注" if after_table else "公文正文")
        pitch = self._char_pitch_twips()
        if signers:
            add("", "公文正文")
            for line in self._signer_lines(signers):
                p = add(line, "签名行")
                self._ind(p, right=2 * pitch)
        if issuer or on is not None:
            for _ in range(blank_lines):
                add("", "公文正文")
        date_text = cn_date(on) if on is not None else ""
        if issuer:
            name = f"{issuer}（盖章）" if seal else issuer
            p = add(name, "公文落款")
            date_w, name_w = text_width_chars(date_text), text_width_chars(name)
            self._ind(p, right=max(4 + (date_w - name_w) / 2, 0) * pitch)
        if date_text:
            p = add(date_text, "公文落款")
            self._ind(p, right=4 * pitch)
        if after_table:
            self._into_last_row(last, written)
        else:
            for p in written[:-1]:
                self._keep_next(p)

    def _signer_lines(self, signers: Sequence[str], blanks: int = 5) -> list[str]:
        """ "填报人：＿＿＿＿＿＿" items, as many to a line as fit (two spaces between)."""
        layout = self.layout.rotated() if self._landscape else self.layout
        room = layout.text_width_mm * PT_PER_MM / self._char_pitch_pt - 2
        lines: list[str] = []
        for signer in signers:
            label = signer if signer.endswith(("：", ":")) else f"{signer}："
            item = f"{label}{'＿' * blanks}"
            if lines and text_width_chars(lines[-1] + "　　" + item) <= room:
                lines[-1] += "　　" + item
            else:
                lines.append(item)
        return lines

    def _into_last_row(self, tbl: etree._Element, paragraphs: list[Any]) -> None:
        """Move ``paragraphs`` and the table's last data rows into one last row that
        spans every column and cannot split over pages."""
        if not paragraphs:
            return
        children = list(tbl)
        marks = [i for i, el in enumerate(children) if el.tag is etree.ProcessingInstruction]
        held = [el for el in children[marks[-1] + 1 :] if el.tag == qn("w:tr")] if marks else []
        grid = tbl.find(qn("w:tblGrid"))
        total = sum(int(col.get(qn("w:w"))) for col in grid)
        ncols = len(grid)
        nil = "".join(f'<w:{side} w:val="nil"/>' for side in ("left", "bottom", "right"))
        zero = "".join(
            f'<w:{side} w:w="0" w:type="dxa"/>' for side in ("top", "left", "bottom", "right")
        )
        row = parse_xml(
            f"<w:tr {nsdecls('w')}><w:trPr><w:cantSplit/></w:trPr><w:tc><w:tcPr>"
            f'<w:tcW w:w="{total}" w:type="dxa"/><w:gridSpan w:val="{ncols}"/>'
            f"<w:tcBorders>{nil}</w:tcBorders><w:tcMar>{zero}</w:tcMar></w:tcPr></w:tc></w:tr>"
        )
        cell = row.find(qn("w:tc"))
        if held:
            nested = parse_xml(f"<w:tbl {nsdecls('w')}/>")
            props = deepcopy(tbl.find(qn("w:tblPr")))
            borders = props.find(qn("w:tblBorders"))
            borders.find(qn("w:top")).set(qn("w:val"), "nil")
            nested.append(props)
            nested.append(deepcopy(grid))
            for tr in held:
                nested.append(tr)  # moves the row
            cell.append(nested)
        for p in paragraphs:
            cell.append(p)  # moves the paragraph out of the body
        tbl.append(row)

    def signature_line(self, label: str, *, blanks: int = 8) -> None:
        """A line to sign on, on the right: "党员签名：＿＿＿＿＿＿＿＿"."""
        label = label if label.endswith(("：", ":")) else f"{label}："
        p = self._add_paragraph(f"{label}{'＿' * blanks}", "签名行")
        self._ind(p, right=2 * self._char_pitch_twips())

    def save(self, target: str | os.PathLike[str] | IO[bytes]) -> str:
        """Write the .docx to a path (atomically) or a binary stream; return its sha256.

        Table rows are streamed into document.xml from the scratch files they were
        written to (closed when the document is garbage-collected)."""
        if isinstance(target, str | os.PathLike):
            path = os.fspath(target)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", suffix=".docx.part")
            try:
                os.fchmod(fd, 0o644)  # mkstemp creates 0600
                with os.fdopen(fd, "wb") as fh:
                    digest = self._write_package(fh)
                os.replace(tmp, path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
            return digest
        return self._write_package(target)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self._write_package(buf)
        return buf.getvalue()

    def writing_at(self, mark: etree._Element) -> _WritingAt:
        """Write paragraphs at an earlier ``mark()`` instead of at the end, e.g. a summary
        computed while the table after it was written. The mark is removed on exit."""
        return _WritingAt(self, mark)

    def mark(self) -> etree._Element:
        """A position in the body to come back to with ``writing_at``."""
        p = parse_xml(f"<w:p {nsdecls('w')}/>")
        self._cursor().addprevious(p)
        return p

    def _cursor(self) -> etree._Element:
        """New body content goes before this element."""
        if self._insert_before is not None:
            return self._insert_before
        return self._body.get_or_add_sectPr()

    def _write_package(self, out: IO[bytes]) -> str:
        """python-docx writes the package (its tree holds only placeholders for the
        rows); document.xml is then re-zipped with each table's rows streamed from its
        scratch file. Returns the sha256 of the bytes written."""
        if self._pending_page_break:
            logger.debug("page_break() at the end of the document ignored")
        shell = io.BytesIO()
        self._doc.save(shell)
        hashed = _HashingWriter(out)
        with (
            zipfile.ZipFile(shell) as source,
            zipfile.ZipFile(hashed, "w", zipfile.ZIP_DEFLATED) as package,
        ):
            for info in source.infolist():
                entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                if info.filename != "word/document.xml" or not self._spools:
                    package.writestr(entry, source.read(info.filename))
                    continue
                with package.open(entry, "w") as part:
                    self._stream_document(source.read(info.filename), part)
        return hashed.hexdigest()

    def _stream_document(self, xml: bytes, part: IO[bytes]) -> None:
        pieces = _PLACEHOLDER_RE.split(xml)
        # split() with one group: text, marker, text, marker, ..., text
        part.write(pieces[0])
        for marker, after in zip(pieces[1::2], pieces[2::2], strict=True):
            spool = self._spools[marker.decode()]
            spool.seek(0)
            shutil.copyfileobj(spool, part, 1 << 20)
            part.write(after)

    # ---------------------------------------------------------------- paragraphs

    def _write_title(self, title: str) -> None:
        self._add_paragraph(title, "公文标题")

    def _add_paragraph(
        self, text: str, style: str, *, char_style: str | None = None, flow: bool = True
    ) -> Any:
        """Append a paragraph (a python-docx ``CT_P``); ``flow`` paragraphs return to the
        document's orientation first."""
        if flow and self._insert_before is None:
            self._ensure_orientation(self._base_landscape)
        style_id = self.styles[style].style_id
        rstyle = ""
        if char_style is not None:
            rstyle = f'<w:rPr><w:rStyle w:val="{self.styles[char_style].style_id}"/></w:rPr>'
        pbb = ""
        if self._pending_page_break:
            pbb = "<w:pageBreakBefore/>"
            self._pending_page_break = False
        p = parse_xml(
            f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{style_id}"/>{pbb}</w:pPr>'
            f"<w:r>{rstyle}<w:t/></w:r></w:p>"
        )
        run = p[-1]
        if text:
            _fill_text(run[-1], text)
        else:
            p.remove(run)
        self._cursor().addprevious(p)
        return p

    @staticmethod
    def _append_run(p: etree._Element, text: str) -> None:
        run = parse_xml(f"<w:r {nsdecls('w')}><w:t/></w:r>")
        if text:
            _fill_text(run[-1], text)
        p.append(run)

    @staticmethod
    def _ind(
        p: Any,
        *,
        first_line: float | None = None,
        left: float | None = None,
        right: float | None = None,
        hanging: float | None = None,
    ) -> None:
        """Set w:ind (twips) on a paragraph, keeping the schema order of w:pPr."""
        ind = p.get_or_add_pPr().get_or_add_ind()
        for attr, value in (
            ("w:firstLine", first_line),
            ("w:left", left),
            ("w:right", right),
            ("w:hanging", hanging),
        ):
            if value is not None:
                ind.set(qn(attr), str(round(value)))

    def _jc(self, p: Any, align: str) -> None:
        if align not in _ALIGN:
            raise ValueError(f"unknown alignment {align!r}")
        jc = p.get_or_add_pPr().get_or_add_jc()
        jc.set(qn("w:val"), _ALIGN[align])

    @staticmethod
    def _keep_next(p: Any) -> None:
        p.get_or_add_pPr().keepNext_val = True

    def _keep_end_with_next(self) -> None:
        """Keep what the body ends with (a paragraph, or a table's last row) with the
        next paragraph, unless that paragraph starts a new section anyway."""
        if self._landscape != self._base_landscape:
            return
        last = self._body.get_or_add_sectPr().getprevious()
        if last is None:
            return
        if last.tag == W_TBL:
            # Every paragraph of the last row, after its w:pStyle (schema order).
            for p in last.findall(qn("w:tr"))[-1].iter(W_P):
                p.find(qn("w:pPr")).insert(1, etree.Element(qn("w:keepNext")))
        elif last.tag == W_P and last.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is None:
            self._keep_next(last)

    def _char_pitch_twips(self) -> float:
        """One body character (16 pt condensed by 0.25 pt = 315 twips): the indent unit."""
        return self._char_pitch_pt * TWIPS_PER_PT

    # ---------------------------------------------------------------- tables

    def _table_styles(self, font_size_pt: float | None) -> tuple[str, str]:
        text, header = self.styles["表格文字"], self.styles["表格表头"]
        if font_size_pt is None or font_size_pt == text.size_pt:
            return text.style_id, header.style_id
        suffix = f"{font_size_pt:g}".replace(".", "_")
        for name, spec in (("表格文字", text), ("表格表头", header)):
            derived = f"{name} {font_size_pt:g}pt"
            if derived not in self.styles:
                self.styles[derived] = replace(
                    spec, style_id=f"{spec.style_id}{suffix}", size_pt=font_size_pt
                )
                self._add_style(derived, self.styles[derived])
        return (
            self.styles[f"表格文字 {font_size_pt:g}pt"].style_id,
            self.styles[f"表格表头 {font_size_pt:g}pt"].style_id,
        )

    def _table_skeleton(
        self, columns: Sequence[tuple[str, float]], header_style: str
    ) -> etree._Element:
        widths = [mm_to_twips(w) for _, w in columns]
        total_mm = sum(w for _, w in columns)
        layout = self.layout.rotated() if self._landscape else self.layout
        if total_mm > layout.text_width_mm + 0.5:
            logger.warning(
                "table is %.1f mm wide, text area %.1f mm", total_mm, layout.text_width_mm
            )
        border = "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        margin = mm_to_twips(1.0)
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        cells = "".join(
            f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
            f'<w:p><w:pPr><w:pStyle w:val="{header_style}"/></w:pPr>'
            "<w:r><w:t/></w:r></w:p></w:tc>"
            for w in widths
        )
        tbl = parse_xml(
            f"<w:tbl {nsdecls('w')}><w:tblPr>"
            f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
            f"<w:tblBorders>{border}</w:tblBorders>"
            '<w:tblLayout w:type="fixed"/>'
            f'<w:tblCellMar><w:left w:w="{margin}" w:type="dxa"/>'
            f'<w:right w:w="{margin}" w:type="dxa"/></w:tblCellMar>'
            '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
            'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>'
            f"</w:tblPr><w:tblGrid>{grid}</w:tblGrid>"
            f"<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>{cells}</w:tr></w:tbl>"
        )
        for t, (header, _) in zip(list(tbl.iter(W_T)), columns, strict=True):
            text = cell_text(header)
            if text:
                _fill_text(t, text)
        return tbl

    @staticmethod
    def _row_template(columns: Sequence[tuple[str, float]], text_style: str) -> list[str]:
        """A data row's XML as its literal pieces, one more than there are cells: the
        contents of cell i's run (``_run_xml``) go between pieces i and i + 1. Kept
        minimal (no per-cell w:vAlign: data cells sit at the top) because every element
        here is paid 10,000 times in writing and in the file. The w: prefix is declared
        once, on document.xml's root."""
        pieces = ["<w:tr><w:trPr><w:cantSplit/></w:trPr>"]
        for _, width in columns:
            pieces[-1] += (
                f'<w:tc><w:tcPr><w:tcW w:w="{mm_to_twips(width)}" w:type="dxa"/></w:tcPr>'
                f'<w:p><w:pPr><w:pStyle w:val="{text_style}"/></w:pPr><w:r>'
            )
            pieces.append("</w:r></w:p></w:tc>")
        pieces[-1] += "</w:tr>"
        return pieces

    # ---------------------------------------------------------------- sections

    def _ensure_orientation(self, landscape: bool) -> None:
        if landscape != self._landscape:
            self._section_break(landscape=landscape)

    def _section_break(self, *, landscape: bool) -> None:
        """Close the current section at the last paragraph and start a new one.

        The new section inherits the footers (no references = linked to previous).
        """
        sentinel = self._body.get_or_add_sectPr()
        last = sentinel.getprevious()
        if (
            last is None
            or last.tag != W_P
            or last.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None
        ):
            # After a table: a thin paragraph carries the break.
            last = self._add_paragraph("", "分节符", flow=False)
        closing = deepcopy(sentinel)
        last.set_sectPr(closing)
        for ref in sentinel.xpath("w:headerReference|w:footerReference"):
            sentinel.remove(ref)
        self._apply_layout(sentinel, landscape)
        self._landscape = landscape

    def _apply_layout(self, sect_pr: Any, landscape: bool) -> None:
        layout = self.layout.rotated() if landscape else self.layout
        number_size = self.styles["页码"].size_pt
        for tag in ("w:pgSz", "w:pgMar", "w:docGrid", "w:type"):
            for old in sect_pr.findall(qn(tag)):
                sect_pr.remove(old)
        orient = ' w:orient="landscape"' if landscape else ""
        pgsz = parse_xml(
            f'<w:pgSz {nsdecls("w")} w:w="{mm_to_twips(layout.width_mm)}" '
            f'w:h="{mm_to_twips(layout.height_mm)}"{orient}/>'
        )
        pgmar = parse_xml(
            f'<w:pgMar {nsdecls("w")} w:top="{mm_to_twips(layout.top_mm)}" '
            f'w:right="{mm_to_twips(layout.right_mm)}" '
            f'w:bottom="{mm_to_twips(layout.bottom_mm)}" w:left="{mm_to_twips(layout.left_mm)}" '
            f'w:header="{mm_to_twips(layout.header_mm)}" '
            f'w:footer="{mm_to_twips(layout.footer_mm(number_size))}" w:gutter="0"/>'
        )
        grid = parse_xml(
            f'<w:docGrid {nsdecls("w")} w:type="lines" '
            f'w:linePitch="{pt_to_twips(self.grid.line_pitch_pt)}"/>'
        )
        # Schema order: references, footnotePr, endnotePr, type, pgSz, pgMar, ... docGrid.
        refs = sect_pr.xpath("w:headerReference|w:footerReference")
        anchor = refs[-1] if refs else None
        section_type = parse_xml(f'<w:type {nsdecls("w")} w:val="nextPage"/>')
        for el in (section_type, pgsz, pgmar):
            if anchor is None:
                sect_pr.insert(0, el)
            else:
                anchor.addnext(el)
            anchor = el
        tail = sect_pr.xpath("w:printerSettings|w:sectPrChange")
        if tail:
            tail[0].addprevious(grid)
        else:
            sect_pr.append(grid)

    def _setup_footers(self) -> None:
        self._doc.settings.odd_and_even_pages_header_footer = True
        section = self._doc.sections[0]
        indent = round(self.styles["页码"].size_pt * TWIPS_PER_PT)  # one character
        for footer, jc, side in (
            (section.footer, "right", "right"),
            (section.even_page_footer, "left", "left"),
        ):
            footer.is_linked_to_previous = False
            hdr = footer._element
            for child in list(hdr):
                hdr.remove(child)
            hdr.append(self._page_number_paragraph(jc, side, indent))

    def _page_number_paragraph(self, jc: str, side: str, indent: int) -> etree._Element:
        style_id = self.styles["页码"].style_id
        return parse_xml(
            f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{style_id}"/>'
            f'<w:ind w:{side}="{indent}"/><w:jc w:val="{jc}"/></w:pPr>'
            '<w:r><w:t xml:space="preserve">— </w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            "<w:r><w:t>1</w:t></w:r>"
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
            '<w:r><w:t xml:space="preserve"> —</w:t></w:r></w:p>'
        )

    # ---------------------------------------------------------------- styles and package

    def _setup_styles(self) -> None:
        styles_el = self._doc.styles.element
        body = self.styles["公文正文"]
        pitch = pt_to_twips(self.grid.line_pitch_pt)

        # docDefaults: drop the theme font attributes (they win over explicit names).
        rpr_default = styles_el.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}")
        ppr_default = styles_el.find(f"{qn('w:docDefaults')}/{qn('w:pPrDefault')}")
        rpr_default.remove(rpr_default[0])
        rpr_default.append(
            parse_xml(
                f"<w:rPr {nsdecls('w')}>{_rfonts(body.font)}"
                f'<w:sz w:val="{half_points(body.size_pt)}"/>'
                f'<w:szCs w:val="{half_points(body.size_pt)}"/>'
                '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr>'
            )
        )
        ppr_default.remove(ppr_default[0])
        ppr_default.append(
            parse_xml(
                f'<w:pPr {nsdecls("w")}><w:spacing w:before="0" w:after="0" '
                f'w:line="{pitch}" w:lineRule="exact"/></w:pPr>'
            )
        )

        # Normal is the body text too, so unstyled paragraphs also keep the 22 x 28 grid.
        normal = styles_el.xpath('w:style[@w:styleId="Normal"]')[0]
        for child in normal.xpath("w:pPr|w:rPr"):
            normal.remove(child)
        normal.append(
            parse_xml(
                f'<w:pPr {nsdecls("w")}><w:widowControl/><w:spacing w:before="0" w:after="0" '
                f'w:line="{pitch}" w:lineRule="exact"/><w:jc w:val="both"/></w:pPr>'
            )
        )
        normal.append(
            parse_xml(
                _rpr_xml(body, self._tracking_twips).replace(
                    "<w:rPr>", f"<w:rPr {nsdecls('w')}>", 1
                )
            )
        )

        for name, spec in self.styles.items():
            self._add_style(name, spec)

    def _add_style(self, name: str, spec: StyleSpec) -> None:
        styles_el = self._doc.styles.element
        for old in styles_el.xpath(f'w:style[@w:styleId="{spec.style_id}"]'):
            styles_el.remove(old)
        rpr = _rpr_xml(spec, self._tracking_twips)
        if spec.character:
            xml = (
                f'<w:style {nsdecls("w")} w:type="character" w:customStyle="1" '
                f'w:styleId="{spec.style_id}"><w:name w:val="{name}"/>'
                f'<w:basedOn w:val="DefaultParagraphFont"/><w:qFormat/>{rpr}</w:style>'
            )
        else:
            xml = (
                f'<w:style {nsdecls("w")} w:type="paragraph" w:customStyle="1" '
                f'w:styleId="{spec.style_id}"><w:name w:val="{name}"/>'
                f'<w:basedOn w:val="Normal"/><w:next w:val="{self._next_style(spec)}"/>'
                f"<w:qFormat/>{self._ppr_xml(spec)}{rpr}</w:style>"
            )
        styles_el.append(parse_xml(xml))

    def _next_style(self, spec: StyleSpec) -> str:
        if spec.style_id.startswith(("GwTitle", "GwHeading", "GwSummary")):
            return self.styles["公文正文"].style_id
        return spec.style_id

    def _ppr_xml(self, spec: StyleSpec) -> str:
        pitch_tw = pt_to_twips(self.grid.line_pitch_pt)
        if spec.line_pt is None:
            line = f'w:line="{pitch_tw}" w:lineRule="exact"'
        elif spec.line_pt == 0:
            line = 'w:line="240" w:lineRule="auto"'
        else:
            line = f'w:line="{pt_to_twips(spec.line_pt)}" w:lineRule="exact"'
        before = round(spec.space_before_lines * pitch_tw + spec.space_before_pt * TWIPS_PER_PT)
        after = round(spec.space_after_lines * pitch_tw + spec.space_after_pt * TWIPS_PER_PT)
        first = round(spec.first_line_chars * self._char_pitch_twips())
        return (
            "<w:pPr>"
            + ("<w:keepNext/>" if spec.keep_next else "")
            + ("" if spec.on_grid else '<w:snapToGrid w:val="0"/>')
            + f'<w:spacing w:before="{before}" w:after="{after}" {line}/>'
            + f'<w:ind w:left="0" w:right="0" w:firstLine="{first}"/>'
            + f'<w:jc w:val="{spec.align}"/>'
            + (
                ""
                if spec.outline_level is None
                else f'<w:outlineLvl w:val="{spec.outline_level}"/>'
            )
            + "</w:pPr>"
        )

    def _setup_package(self) -> None:
        props = self._doc.core_properties
        props.title = self.title
        props.author = self.issuer or ""
        props.last_modified_by = self.issuer or ""
        props.comments = ""
        props.language = "zh-CN"
        now = datetime.now(UTC).replace(microsecond=0)
        props.created = now
        props.modified = now
        props.revision = 1
        settings = self._doc.settings.element
        lang = settings.find(qn("w:themeFontLang"))
        if lang is not None:
            lang.set(qn("w:eastAsia"), "zh-CN")
        self._drop_thumbnail()
        self._add_font_aliases()

    def _drop_thumbnail(self) -> None:
        # The python-docx template ships a thumbnail of an unrelated page.
        rels = self._doc.part.package.rels
        for r_id, rel in list(rels.items()):
            if rel.reltype == RT.THUMBNAIL:
                rels.pop(r_id)

    def _add_font_aliases(self) -> None:
        for rel in self._doc.part.rels.values():
            if rel.reltype != RT.FONT_TABLE or rel.is_external:
                continue
            part = rel.target_part
            fonts = etree.fromstring(part.blob)
            for name, alt in FONT_ALIASES.items():
                fonts.append(
                    parse_xml(
                        f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/>'
                        '<w:charset w:val="86"/><w:family w:val="modern"/>'
                        '<w:pitch w:val="fixed"/></w:font>'
                    )
                )
            if hasattr(part, "_blob"):
                part._blob = etree.tostring(
                    fonts, xml_declaration=True, encoding="UTF-8", standalone=True
                )
