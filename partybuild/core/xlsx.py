"""The one spreadsheet writer: every .xlsx the application produces goes through it.

Whatever text is stored (a commitment typed as ``=HYPERLINK(...)``, a name pasted from
Word with ``\\x0b`` in it, rows saved before input was normalised), the file opens and
shows that text as text:

- text that a spreadsheet would run as a formula (starting with ``= + - @`` or their
  full-width forms, also after leading spaces, tabs or line breaks) is written as a
  string cell with Excel's quote prefix, so it stays text even when edited;
- characters XML cannot carry (NUL, most C0 controls, lone surrogates, U+FFFE/U+FFFF)
  are dropped instead of failing the whole export;
- text longer than a cell can hold is cut at Excel's limit.

Write-only mode keeps memory flat for long lists.
"""

import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["Sheet", "looks_like_formula", "sheet_text"]

# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_LEADING_BLANKS = " \t\r\n\u3000\u00a0"
MAX_CELL_TEXT = 32767  # Excel's limit for one cell


def sheet_text(value: str) -> str:
    """``value`` with the characters a worksheet cannot hold removed."""
    return _NOT_XML.sub("", value)[:MAX_CELL_TEXT]


def looks_like_formula(value: str) -> bool:
    return value.lstrip(_LEADING_BLANKS).startswith(_FORMULA_START)


class Sheet:
    """One worksheet in a new write-only workbook.

    ``sheet = Sheet("承诺践诺台账", widths=[6, 16, ...], freeze="A3")``, then
    ``sheet.append([...])`` row by row (plain values or ``sheet.cell(...)`` for styled
    ones), then ``sheet.to_bytes()``."""

    def __init__(self, title: str, widths: Sequence[float] = (), *, freeze: str | None = None):
        from openpyxl import Workbook  # heavy: imported where used
        from openpyxl.utils import get_column_letter

        self.workbook = Workbook(write_only=True)
        self.worksheet = self.workbook.create_sheet(title)
        for index, width in enumerate(widths, start=1):
            self.worksheet.column_dimensions[get_column_letter(index)].width = width
        if freeze:
            self.worksheet.freeze_panes = freeze

    def cell(
        self,
        value: Any,
        *,
        bold: bool = False,
        size: float | None = None,
        fill: str | None = None,
        wrap: bool = False,
    ) -> Any:
        """A cell holding ``value`` safely, with optional bold/size, fill colour and wrap."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill

        cell = WriteOnlyCell(self.worksheet)
        if isinstance(value, str):
            value = sheet_text(value)
            cell.value = value
            if looks_like_formula(value):
                cell.data_type = "s"  # openpyxl would write "=..." as a live formula
                cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        else:
            cell.value = value
        if bold or size:
            cell.font = Font(bold=bold, size=size)
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    def append(self, values: Iterable[Any]) -> None:
        """One row; plain values are made safe like :meth:`cell` does."""
        self.worksheet.append([self._safe(v) for v in values])

    def _safe(self, value: Any) -> Any:
        if isinstance(value, str):
            value = sheet_text(value)
            if looks_like_formula(value):
                return self.cell(value)
        return value

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.workbook.save(out)
        return out.getvalue()
