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
import unicodedata
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
from partybuild.org.service import create_import_unit, create_member, member_problems

logger = logging.getLogger(__name__)

# Column header -> field. The spellings offices' rosters use are accepted; headers are
# compared without spaces, "*" marks and bracketed hints (出生日期（年-月-日）).
HEADERS: dict[str, str] = {
    "姓名": "name", "党员姓名": "name", "性别": "gender",
    "出生日期": "birth_on", "出生年月": "birth_on", "出生时间": "birth_on",
    "入党日期": "joined_on", "入党时间": "joined_on", "入党年月": "joined_on",
    "转正日期": "full_member_on", "转正时间": "full_member_on", "转正年月": "full_member_on",
    "党员状态": "status", "人员类别": "status", "党员类别": "status", "党员身份": "status",
    "党支部": "branch", "所在支部": "branch", "所在党支部": "branch",
    "党小组": "group", "所在党小组": "group", "所在小组": "group",
    "科室": "department", "所在科室": "department", "部门": "department",
    "所在部门": "department", "工作部门": "department",
    "岗位": "post", "职务岗位": "post", "工作岗位": "post", "职务": "title",
    "联系电话": "phone", "手机号码": "phone", "手机": "phone", "手机号": "phone",
    "联系方式": "phone",
}  # fmt: skip
HEADER_SCAN = 10  # the header is looked for in this many first rows (titles above it)
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
    header_row: int = 0  # its row number; the rows above it (title, blanks) are skipped
    any_text: bool = False  # some cell was filled (else the file is empty)
    body: list[tuple[int, list[Any]]] = field(default_factory=list)


@dataclass
class NewUnit:
    """A 科室, 岗位 or 党小组 the file names that does not exist yet."""

    key: str  # "department:…", "post:…/…", "group:<branch id>:…" (the checkbox value)
    kind: str  # department / post / group
    name: str
    parent: str = ""  # the post's 科室 or the group's 党支部, for the page
    rows: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        return {"department": "科室", "post": "岗位", "group": "党小组"}[self.kind]


@dataclass
class RosterPreview(ImportPreview):
    header_row: int = 1
    columns: list[str] = field(default_factory=list)  # recognised headers, in file order
    ignored: list[str] = field(default_factory=list)  # headers not imported
    new_units: list[NewUnit] = field(default_factory=list)


_SPACES = re.compile(r"\s+")
_HINT = re.compile(r"[（(][^）)]*[）)]")
_CN_DIGITS = "零一二三四五六七八九"


def _squeeze(value: Any) -> str:
    """Text compared as names are: NFKC (full-width digits and spaces), no whitespace."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", clean_text(str(value or ""))))


def header_key(value: Any) -> str:
    return _HINT.sub("", _squeeze(value)).strip("*＊:：")


def _chinese_number(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return (_CN_DIGITS[tens] if tens > 1 else "") + "十" + (_CN_DIGITS[ones] if ones else "")
    return str(n)


def group_key(name: Any) -> str:
    """第1党小组, 第一党小组 and 第 1 党小组 are the same group."""
    return re.sub(r"\d+", lambda m: _chinese_number(int(m.group())), _squeeze(name))


def _header_columns(row: list[Any]) -> dict[int, str]:
    found: dict[int, str] = {}
    for i, cell in enumerate(row):
        f = HEADERS.get(header_key(cell))
        if f is not None and f not in found.values():
            found[i] = f
    return found


def _is_header(row: list[Any]) -> bool:
    fields = set(_header_columns(row).values())
    return "name" in fields and len(fields) >= 2


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
    """The header (the first of the first ``HEADER_SCAN`` rows that names 姓名 and another
    known column: a title or blank rows may stand above it) and the non-blank rows after
    it; ``source`` yields rows, or (row number, row) pairs when ``numbered``."""
    found = SheetRows()
    pairs = source if numbered else ((i + 1, row) for i, row in enumerate(source))
    for rownum, raw in pairs:
        if blank_row(raw):
            continue
        found.any_text = True
        if found.header is None:
            if rownum > HEADER_SCAN:
                break  # no header where one is looked for: refused by the caller
            if _is_header(list(raw)):
                found.header, found.header_row = list(raw), rownum
            continue
        if len(found.body) >= max_rows:
            raise RosterFileError(f"一次最多导入 {max_rows} 行，请拆分文件")
        found.body.append((rownum, list(raw)))
    return found


def _lookups() -> dict[str, Any]:
    """Units by the keys the file's names are compared with (spaces ignored; group
    numerals normalised)."""
    branches = db.session.scalars(sa.select(Branch)).all()
    groups = db.session.scalars(sa.select(PartyGroup)).all()
    departments = db.session.scalars(sa.select(Department)).all()
    posts = db.session.scalars(sa.select(Post)).all()
    return {
        "branch": {_squeeze(b.name): b for b in branches} | {b.code: b for b in branches},
        "group": {(g.branch_id, group_key(g.name)): g for g in groups},
        "department": {_squeeze(d.name): d for d in departments},
        "post": {(p.department_id, _squeeze(p.name)): p for p in posts},
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
) -> RosterPreview:
    """Parse and check every row of an upload (bytes or a seekable binary stream,
    such as the request's spooled file); nothing is written. 科室, 岗位 and 党小组 the
    file names that do not exist yet are listed in ``new_units`` (created on confirm,
    if chosen) rather than refusing the rows."""
    stream = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    sheet = _read_rows(
        filename, stream, setting("ROSTER_IMPORT_MAX_ROWS"), setting("ROSTER_IMPORT_MAX_BYTES")
    )
    if not sheet.any_text:
        raise RosterFileError("文件是空的")
    required = "、".join(FIELD_LABELS[f] for f in REQUIRED)
    if sheet.header is None:
        raise RosterFileError(
            f"表头缺少必需的列：前{HEADER_SCAN}行中找不到表头（应有一行列名，含{required}）"
        )
    columns = _header_columns(sheet.header)
    missing = [FIELD_LABELS[f] for f in REQUIRED if f not in columns.values()]
    if missing:
        raise RosterFileError(
            f"表头缺少必需的列：{'、'.join(missing)}（表头在第{sheet.header_row}行）"
        )
    look = _lookups()
    preview = RosterPreview(header_row=sheet.header_row)
    for i, cell in enumerate(sheet.header):
        text = clean_text(str(cell)).strip() if cell is not None else ""
        if text:
            (preview.columns if i in columns else preview.ignored).append(text)
    new_units: dict[str, NewUnit] = {}

    def plan(key: str, kind: str, name: str, parent: str, rownum: int) -> list[str]:
        unit = new_units.setdefault(key, NewUnit(key, kind, name, parent))
        unit.rows.append(rownum)
        return [key, name]

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
            branch = look["branch"].get(_squeeze(values["branch"]))
            if branch is None:
                problems.append(f"党支部“{values['branch']}”不存在")
                bad_fields.add("branch_id")
        data["branch_id"] = branch.id if branch else None
        data["party_group_id"] = data["department_id"] = data["post_id"] = None
        new: dict[str, list[str]] = {}  # kind -> [unit key, name] of units to create
        shown = {"group": "", "department": "", "post": ""}  # names for the preview table
        may_create = branch is not None and branch.can_manage(actor)
        group_name = _squeeze(values.get("group"))[:120]
        if group_name and branch:
            group = look["group"].get((branch.id, group_key(group_name)))
            shown["group"] = group.name if group else group_name
            if group is not None:
                data["party_group_id"] = group.id
            elif may_create:
                key = f"group:{branch.id}:{group_key(group_name)}"
                new["group"] = plan(key, "group", group_name, branch.name, rownum)
            else:
                problems.append(f"党小组“{group_name}”不在{branch.name}")
        dept = None
        dept_name = _squeeze(values.get("department"))[:120]
        if dept_name:
            dept = look["department"].get(dept_name)
            shown["department"] = dept_name
            if dept is not None:
                data["department_id"] = dept.id
            elif may_create:
                key = f"department:{dept_name}"
                new["department"] = plan(key, "department", dept_name, "", rownum)
            else:
                problems.append(f"科室“{dept_name}”不存在")
        post_name = _squeeze(values.get("post"))[:120]
        if post_name:
            shown["post"] = post_name
            post = look["post"].get((dept.id, post_name)) if dept else None
            if post is not None:
                data["post_id"] = post.id
            elif not dept_name:
                problems.append(f"岗位“{post_name}”须同时填写所属科室")
            elif may_create and (dept is not None or "department" in new):
                key = f"post:{dept_name}/{post_name}"
                new["post"] = plan(key, "post", post_name, dept_name, rownum)
            else:
                problems.append(f"岗位“{post_name}”不存在或不属于所填科室")
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
            parsed_rows.append((rownum, data | {"new": new, "shown": shown}))
    existing = _existing_keys({d["branch_id"] for _, d in parsed_rows})
    for rownum, data in parsed_rows:
        if (data["branch_id"], data["name"], data["birth_on"]) in existing:
            preview.errors.append(RowError(rownum, f"{data['name']}已在名册中（同名、同出生日期）"))
        else:
            preview.rows.append({"row": rownum, **data})
    preview.errors.sort(key=lambda e: e.row)
    if preview.total == 0:
        raise RosterFileError("文件中没有数据行")
    kinds = ("department", "post", "group")
    # Offered only for rows that are otherwise valid (an invalid file imports nothing).
    valid = {r["row"] for r in preview.rows}
    preview.new_units = sorted(
        (u for u in new_units.values() if set(u.rows) & valid),
        key=lambda u: (kinds.index(u.kind), u.key),
    )
    return preview


KIND = "roster"
# Created in this order: a new post may belong to a new 科室.
UNIT_FIELDS = (("department", "department_id"), ("post", "post_id"), ("group", "party_group_id"))


def save_pending(preview: ImportPreview, actor: Any, filename: str) -> str:
    """Keep the checked rows until the user confirms them; returns the confirm token."""
    return imports.save_pending(KIND, preview.rows, actor, filename)


def confirm_import(token: str, actor: Any, create: Iterable[str] | None = None) -> list[Member]:
    """Create every previewed member in one transaction (the view commits). The import
    is claimed first (core.imports.claim): a confirm sent twice imports once, and a
    failure rolls the claim back with everything else, so the import stays pending.

    ``create``: the keys of the new 科室/岗位/党小组 the user chose to create (None: all
    the preview offered); they are created first, in the same transaction, audited. A
    row naming a unit not chosen fails the whole import."""
    pending = imports.load_pending(KIND, token, actor)
    filename = pending.filename
    rows = imports.claim(pending)
    chosen = None if create is None else set(create)
    made: dict[str, int] = {}  # unit key -> id
    members = []
    for row in rows:
        data = dict(row)
        new = data.pop("new", None) or {}
        data.pop("shown", None)
        for kind, field_name in UNIT_FIELDS:
            if kind not in new:
                continue
            key, name = new[kind]
            if chosen is not None and key not in chosen:
                label = NewUnit(key, kind, name).label
                raise RosterFileError(
                    f"第{row['row']}行：{label}“{name}”不存在，且未选择新建。未导入任何数据"
                )
            if key not in made:
                parent = data["branch_id"] if kind == "group" else data.get("department_id")
                made[key] = create_import_unit(kind, name, parent, data["branch_id"], actor).id
            data[field_name] = made[key]
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
        after={"units": sorted(made)} if made else None,
        summary=f"导入党员名册 {filename}：{len(members)} 人"
        + (f"，新建{len(made)}个单位" if made else ""),
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
