"""Roster import (.xlsx / .csv: upload → preview → confirm) and export (.xlsx).

The import is all or nothing: every bad row is listed with its row number and
reason, and nothing is written unless the whole file is valid. Files are read as
streams within a size cap (``ROSTER_IMPORT_MAX_BYTES``) and a row cap
(``ROSTER_IMPORT_MAX_ROWS``); blank rows are skipped without being kept. Rows are checked
by the same ``member_problems`` as the member form.
"""

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from partybuild.core import audit, imports
from partybuild.core.imports import ImportPreview, RowError, blank_row
from partybuild.core.service import ServiceError
from partybuild.core.settings import setting
from partybuild.core.text import clean_text
from partybuild.core.xlsx import Sheet
from partybuild.extensions import db
from partybuild.org.models import (
    Branch,
    Department,
    Gender,
    Member,
    MemberStatus,
    PartyGroup,
    Post,
)
from partybuild.org.service import create_member, member_problems

logger = logging.getLogger(__name__)

# Column header -> field. Several spellings secretaries use are accepted.
HEADERS: dict[str, str] = {
    "姓名": "name", "性别": "gender", "出生日期": "birth_on", "出生年月": "birth_on",
    "入党日期": "joined_on", "入党时间": "joined_on", "转正日期": "full_member_on",
    "转正时间": "full_member_on", "党员状态": "status", "人员类别": "status", "党员类别": "status",
    "党支部": "branch", "所在支部": "branch", "党小组": "group", "科室": "department",
    "部门": "department", "岗位": "post", "职务": "title", "联系电话": "phone", "手机号码": "phone",
    "手机": "phone",
}  # fmt: skip
EXPORT_COLUMNS = [
    ("姓名", 10), ("性别", 6), ("出生日期", 12), ("入党日期", 12), ("转正日期", 12),
    ("党员状态", 10), ("党支部", 18), ("党小组", 12), ("科室", 12), ("岗位", 16),
    ("职务", 14), ("联系电话", 14),
]  # fmt: skip
REQUIRED = ("name", "gender", "birth_on", "joined_on", "status")
FIELD_LABELS = {
    "name": "姓名", "gender": "性别", "birth_on": "出生日期", "joined_on": "入党日期",
    "full_member_on": "转正日期", "status": "党员状态", "branch_id": "党支部",
    "party_group_id": "党小组", "department_id": "科室", "post_id": "岗位", "title": "职务",
    "phone": "联系电话",
}  # fmt: skip
GENDERS = {"男": Gender.male, "女": Gender.female}
STATUSES = {
    "正式党员": MemberStatus.full,
    "正式": MemberStatus.full,
    "预备党员": MemberStatus.probationary,
    "预备": MemberStatus.probationary,
}
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


class RosterFileError(ServiceError):
    code = "roster_file_invalid"


def parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = re.sub(r"\s+0?0:00(:00)?$", "", str(value).strip())
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    m = DATE_RE.match(text)
    if not m:
        raise ValueError(text)
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


@dataclass
class SheetRows:
    """The header and the non-blank rows below it, each with its row number."""

    header: list[Any] | None = None
    body: list[tuple[int, list[Any]]] = field(default_factory=list)


_MB = 1024 * 1024
# An .xlsx is a zip: refuse one that would inflate to more than this many times the cap.
_XLSX_INFLATION = 20


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _read_rows(filename: str, stream: IO[bytes], max_rows: int, max_bytes: int) -> SheetRows:
    """The first sheet's (or the CSV's) rows, read as a stream: blank rows are skipped
    without being kept, and reading stops past ``max_rows`` data rows."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise RosterFileError("只支持 .xlsx 或 .csv 格式的名册文件")
    size = _size(stream)
    if size > max_bytes:
        raise RosterFileError(
            f"文件过大（{size / _MB:.1f} MB），一次最多导入 {max_bytes / _MB:g} MB 的文件，"
            "请删除多余的空行或拆分后分批导入"
        )
    if suffix == ".xlsx":
        return _read_xlsx(stream, max_rows, max_bytes)
    return _read_csv(stream, max_rows)


def _read_xlsx(stream: IO[bytes], max_rows: int, max_bytes: int) -> SheetRows:
    try:
        with zipfile.ZipFile(stream) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise RosterFileError("无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏") from exc
    if inflated > max_bytes * _XLSX_INFLATION:
        raise RosterFileError("该 Excel 文件解压后过大，请删除多余的空行或拆分后分批导入")
    stream.seek(0)
    try:
        from openpyxl import load_workbook  # heavy: imported where used

        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        raise RosterFileError("无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏") from exc
    try:
        return _take_rows(wb.worksheets[0].iter_rows(values_only=True), max_rows)
    except RosterFileError:
        raise
    except Exception as exc:  # a chart sheet first, broken cell data...
        raise RosterFileError("无法读取该 Excel 文件的第一个工作表") from exc
    finally:
        wb.close()


def _csv_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) or else GB18030 (a superset of GBK), checked by
    decoding the whole stream in chunks without keeping it."""
    for encoding in ("utf-8-sig", "gb18030"):
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in iter(lambda: stream.read(64 * 1024), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    raise RosterFileError("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码")


_BLANK_LINE = " \t\r\n,"


def _read_csv(stream: IO[bytes], max_rows: int) -> SheetRows:
    encoding = _csv_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    skipped = 0  # blank lines dropped before the csv module sees them

    def lines() -> Iterator[str]:
        # Blank lines outside a quoted field are blank rows: dropping them here is
        # much cheaper than parsing them. A line with an odd number of quotes opens
        # or closes a multi-line field ("" inside a field counts twice).
        nonlocal skipped
        quoted = False
        for line in text:
            if not quoted and not line.strip(_BLANK_LINE):
                skipped += 1
                continue
            if line.count('"') % 2:
                quoted = not quoted
            yield line

    def records() -> Iterator[tuple[int, list[str]]]:
        # csv.reader reads no further than the record it returns, so ``skipped`` then
        # counts the blank rows before it: together they give the row number.
        for index, record in enumerate(csv.reader(lines())):
            yield index + skipped + 1, record

    try:
        return _take_rows(records(), max_rows, numbered=True)
    except csv.Error as exc:
        raise RosterFileError(f"CSV 文件格式有误：{exc}") from exc
    finally:
        text.detach()  # the upload's stream belongs to the request


def _take_rows(source: Iterable[Any], max_rows: int, *, numbered: bool = False) -> SheetRows:
    """The header (row 1) and the non-blank rows after it; ``source`` yields rows, or
    (row number, row) pairs when ``numbered``."""
    found = SheetRows()
    pairs = source if numbered else ((i + 1, row) for i, row in enumerate(source))
    for rownum, raw in pairs:
        if rownum == 1:
            found.header = list(raw)
            continue
        if blank_row(raw):
            continue
        if len(found.body) >= max_rows:
            raise RosterFileError(f"一次最多导入 {max_rows} 行，请拆分文件")
        found.body.append((rownum, list(raw)))
    return found


def _lookups() -> dict[str, Any]:
    branches = db.session.scalars(sa.select(Branch)).all()
    groups = db.session.scalars(sa.select(PartyGroup)).all()
    departments = db.session.scalars(sa.select(Department)).all()
    posts = db.session.scalars(sa.select(Post)).all()
    return {
        "branch": {b.name: b for b in branches} | {b.code: b for b in branches},
        "group": {(g.branch_id, g.name): g for g in groups},
        "department": {d.name: d for d in departments},
        "post": {(p.department_id, p.name): p for p in posts},
    }


def _existing_keys(branch_ids: set[int]) -> set[tuple[int, str, date]]:
    rows = db.session.execute(
        sa.select(Member.branch_id, Member.name, Member.birth_on).where(
            Member.branch_id.in_(branch_ids), Member.is_active.is_(True)
        )
    )
    return {(b, n, d) for b, n, d in rows}


def preview_import(
    filename: str, content: bytes | IO[bytes], actor: Any, default_branch: Branch | None
) -> ImportPreview:
    """Parse and check every row of an upload (bytes or a seekable binary stream,
    such as the request's spooled file); nothing is written."""
    stream = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    sheet = _read_rows(
        filename, stream, setting("ROSTER_IMPORT_MAX_ROWS"), setting("ROSTER_IMPORT_MAX_BYTES")
    )
    if not sheet.body and (sheet.header is None or blank_row(sheet.header)):
        raise RosterFileError("文件是空的")
    header = [str(c).strip() if c is not None else "" for c in sheet.header or []]
    columns = {i: HEADERS[h] for i, h in enumerate(header) if h in HEADERS}
    missing = [FIELD_LABELS[f] for f in REQUIRED if f not in columns.values()]
    if missing:
        raise RosterFileError(f"表头缺少必需的列：{'、'.join(missing)}（第1行应为表头）")
    look = _lookups()
    preview = ImportPreview()
    seen: dict[tuple[int, str, date], int] = {}
    parsed_rows: list[tuple[int, dict[str, Any]]] = []
    for rownum, raw in sheet.body:
        preview.total += 1
        values = {f: raw[i] if i < len(raw) else None for i, f in columns.items()}
        # The same normalisation as typed input: no control or invisible-only text.
        values = {
            k: (clean_text(v).strip() if isinstance(v, str) else v) for k, v in values.items()
        }
        problems: list[str] = []
        bad_fields: set[str] = set()  # already explained; member_problems would repeat it
        data: dict[str, Any] = {
            "name": str(values.get("name") or ""),
            "title": str(values.get("title") or ""),
            "phone": str(values.get("phone") or "").replace(" ", ""),
            "is_leader": False,
        }
        if isinstance(values.get("phone"), float | int):
            data["phone"] = str(int(values["phone"]))
        gender = GENDERS.get(str(values.get("gender") or ""))
        data["gender"] = gender.value if gender else values.get("gender")
        status = STATUSES.get(str(values.get("status") or ""))
        data["status"] = status.value if status else values.get("status")
        for key in ("birth_on", "joined_on", "full_member_on"):
            try:
                data[key] = parse_date(values.get(key))
            except ValueError:
                data[key] = None
                problems.append(
                    f"{FIELD_LABELS[key]}“{values.get(key)}”不是有效日期（应如 2020-07-01）"
                )
        branch = default_branch
        if values.get("branch"):
            branch = look["branch"].get(str(values["branch"]))
            if branch is None:
                problems.append(f"党支部“{values['branch']}”不存在")
                bad_fields.add("branch_id")
        data["branch_id"] = branch.id if branch else None
        data["party_group_id"] = data["department_id"] = data["post_id"] = None
        if values.get("group") and branch:
            group = look["group"].get((branch.id, str(values["group"])))
            if group is None:
                problems.append(f"党小组“{values['group']}”不在{branch.name}")
            else:
                data["party_group_id"] = group.id
        dept = None
        if values.get("department"):
            dept = look["department"].get(str(values["department"]))
            if dept is None:
                problems.append(f"科室“{values['department']}”不存在")
            else:
                data["department_id"] = dept.id
        if values.get("post"):
            post = look["post"].get((dept.id, str(values["post"]))) if dept else None
            if post is None:
                problems.append(f"岗位“{values['post']}”不存在或不属于所填科室")
            else:
                data["post_id"] = post.id
        bad_fields |= {
            k
            for k in ("birth_on", "joined_on", "full_member_on")
            if data[k] is None and values.get(k)
        }
        for key, message in member_problems(data, actor).items():
            if key in bad_fields or (key in ("party_group_id", "post_id") and problems):
                continue
            problems.append(message)
        if data["branch_id"] and data["name"] and data["birth_on"]:
            key = (data["branch_id"], data["name"], data["birth_on"])
            if key in seen:
                problems.append(f"与第{seen[key]}行重复（同一支部、同名、同出生日期）")
            seen.setdefault(key, rownum)
        if problems:
            preview.errors.append(RowError(rownum, "；".join(dict.fromkeys(problems))))
        else:
            parsed_rows.append((rownum, data))
    existing = _existing_keys({d["branch_id"] for _, d in parsed_rows})
    for rownum, data in parsed_rows:
        if (data["branch_id"], data["name"], data["birth_on"]) in existing:
            preview.errors.append(RowError(rownum, f"{data['name']}已在名册中（同名、同出生日期）"))
        else:
            preview.rows.append({"row": rownum, **data})
    preview.errors.sort(key=lambda e: e.row)
    if preview.total == 0:
        raise RosterFileError("文件中没有数据行")
    return preview


KIND = "roster"


def save_pending(preview: ImportPreview, actor: Any, filename: str) -> str:
    """Keep the checked rows until the user confirms them; returns the confirm token."""
    return imports.save_pending(KIND, preview.rows, actor, filename)


def confirm_import(token: str, actor: Any) -> list[Member]:
    """Create every previewed member in one transaction (the view commits). The import
    is claimed first (core.imports.claim): a confirm sent twice imports once, and a
    failure rolls the claim back with everything else, so the import stays pending."""
    pending = imports.load_pending(KIND, token, actor)
    filename = pending.filename
    rows = imports.claim(pending)
    members = []
    for row in rows:
        data = dict(row)
        for key in ("birth_on", "joined_on", "full_member_on"):
            data[key] = date.fromisoformat(data[key]) if data[key] else None
        try:
            members.append(create_member(data, actor))
        except ServiceError as exc:
            raise RosterFileError(
                f"第{row['row']}行：{exc.message}（数据已变化，请重新上传）"
            ) from exc
    audit.record(
        "import",
        "member",
        None,
        actor=actor,
        branch_id=actor.branch_id,
        summary=f"导入党员名册 {filename}：{len(members)} 人",
    )
    return members


def export_xlsx(members: list[Member], viewer: Any) -> bytes:
    """The roster in the import's own column layout; phones masked per viewer."""
    sheet = Sheet("党员名册", [width for _, width in EXPORT_COLUMNS], freeze="A2")
    sheet.append([sheet.cell(title, bold=True) for title, _ in EXPORT_COLUMNS])
    for m in members:
        sheet.append(
            [
                m.name,
                m.gender.label,
                m.birth_on,
                m.joined_on,
                m.full_member_on,
                m.status.label,
                m.branch.name,
                m.party_group.name if m.party_group else "",
                m.department.name if m.department else "",
                m.post.name if m.post else "",
                m.title,
                m.phone_for(viewer),
            ]
        )
    return sheet.to_bytes()
