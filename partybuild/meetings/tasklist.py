"""The responsibility list (责任清单) as .xlsx: export through core.xlsx.Sheet, and import
(upload → preview → confirm, all or nothing, row-numbered Chinese errors)."""

import io
import logging
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from partybuild.core import audit, imports
from partybuild.core.imports import ImportPreview, RowError, blank_row
from partybuild.core.service import ServiceError
from partybuild.core.settings import setting
from partybuild.core.text import clean_text
from partybuild.core.xlsx import Sheet
from partybuild.extensions import db
from partybuild.meetings.models import KeyTask
from partybuild.meetings.service import create_task, task_problems
from partybuild.org.models import Branch, Department, Member

logger = logging.getLogger(__name__)

COLUMNS = [
    ("序号", 6), ("任务名称", 30), ("任务内容", 40), ("责任领导", 10), ("责任科室", 14),
    ("配合科室", 18), ("完成时限", 12), ("状态", 8), ("党建专项", 8), ("最新进展", 36),
    ("年度", 8),
]  # fmt: skip
HEADERS = {
    "任务名称": "title", "重点任务": "title", "任务内容": "description", "具体内容": "description",
    "责任领导": "lead", "责任科室": "department", "牵头科室": "department",
    "配合科室": "supporters", "完成时限": "deadline", "完成时间": "deadline",
    "党建专项": "party", "年度": "year",
}  # fmt: skip
REQUIRED = {
    "title": "任务名称",
    "lead": "责任领导",
    "department": "责任科室",
    "deadline": "完成时限",
}
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
YES = {"是", "√", "Y", "y", "1", "yes", "党建专项"}


class TaskFileError(ServiceError):
    code = "task_file_invalid"


def export_xlsx(tasks: list[KeyTask], today: date) -> bytes:
    sheet = Sheet("重点任务责任清单", widths=[w for _, w in COLUMNS], freeze="A2")
    sheet.append([sheet.cell(title, bold=True) for title, _ in COLUMNS])
    for n, t in enumerate(tasks, start=1):
        state = t.state.label + ("（逾期）" if t.is_overdue(today) else "")
        sheet.append(
            [
                n,
                t.title,
                t.description,
                t.lead_member.name,
                t.department.name,
                "、".join(d.name for d in t.supporters),
                t.deadline,
                state,
                "是" if t.is_party_building else "",
                t.last_progress,
                t.year,
            ]
        )
    return sheet.to_bytes()


def template_xlsx() -> bytes:
    """An empty list with the import's headers."""
    return export_xlsx([], date.today())


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    m = DATE_RE.match(text)
    if not m:
        raise ValueError(text)
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _read(content: bytes, filename: str, max_rows: int) -> list[list[Any]]:
    if Path(filename or "").suffix.lower() != ".xlsx":
        raise TaskFileError("只支持 .xlsx 格式的重点任务清单")
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        raise TaskFileError("无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏") from exc
    try:
        rows: list[list[Any]] = []
        for raw in wb.worksheets[0].iter_rows(values_only=True):
            rows.append(list(raw))
            if len(rows) > max_rows + 50:
                break
        return rows
    except Exception as exc:
        raise TaskFileError("无法读取该 Excel 文件的第一个工作表") from exc
    finally:
        wb.close()


def preview_import(branch: Branch, filename: str, content: bytes, actor: Any) -> ImportPreview:
    """Check every row; nothing is written."""
    if not branch.can_manage(actor):
        raise ServiceError("只有本支部书记可以导入重点任务", code="forbidden")
    limit = setting("KEY_TASK_IMPORT_MAX_ROWS")
    rows = _read(content, filename, limit)
    while rows and blank_row(rows[-1]):
        rows.pop()
    if not rows:
        raise TaskFileError("文件是空的")
    header = [str(c).strip() if c is not None else "" for c in rows[0]]
    columns = {i: HEADERS[h] for i, h in enumerate(header) if h in HEADERS}
    missing = [label for key, label in REQUIRED.items() if key not in columns.values()]
    if missing:
        raise TaskFileError(f"表头缺少必需的列：{'、'.join(missing)}（第1行应为表头）")
    body = [r for r in rows[1:] if not blank_row(r)]
    if len(body) > limit:
        raise TaskFileError(f"一次最多导入 {limit} 行，请拆分文件")

    members: dict[str, list[Member]] = {}
    for m in db.session.scalars(
        sa.select(Member)
        .join(Branch, Branch.id == Member.branch_id)
        .where(Branch.organization_id == branch.organization_id, Member.is_active.is_(True))
    ):
        members.setdefault(m.name, []).append(m)
    departments = {
        d.name: d
        for d in db.session.scalars(
            sa.select(Department).where(Department.organization_id == branch.organization_id)
        )
    }
    existing = set(
        db.session.execute(
            sa.select(KeyTask.year, KeyTask.title).where(KeyTask.branch_id == branch.id)
        ).all()
    )
    preview = ImportPreview()
    seen: dict[tuple[int, str], int] = {}
    for offset, raw in enumerate(rows[1:]):
        rownum = offset + 2
        if blank_row(raw):
            continue
        preview.total += 1
        values = {f: raw[i] if i < len(raw) else None for i, f in columns.items()}
        values = {
            k: (clean_text(v, multiline=k == "description").strip() if isinstance(v, str) else v)
            for k, v in values.items()
        }
        problems: list[str] = []
        data: dict[str, Any] = {
            "title": str(values.get("title") or ""),
            "description": str(values.get("description") or ""),
            "is_party_building": str(values.get("party") or "").strip() in YES,
        }
        try:
            data["deadline"] = _parse_date(values.get("deadline"))
        except ValueError:
            data["deadline"] = None
            problems.append(
                f"完成时限“{values.get('deadline') or ''}”不是有效日期（应如 2026-06-30）"
            )
        lead_name = str(values.get("lead") or "")
        found = members.get(lead_name, [])
        if len(found) == 1:
            data["lead_member_id"] = found[0].id
        else:
            data["lead_member_id"] = None
            problems.append(
                f"责任领导“{lead_name}”有重名，请在系统中逐条录入"
                if found
                else f"责任领导“{lead_name}”不是本单位在册党员"
            )
        dept = departments.get(str(values.get("department") or ""))
        data["department_id"] = dept.id if dept else None
        if dept is None:
            problems.append(f"责任科室“{values.get('department') or ''}”不存在")
        supporter_ids = []
        for name in re.split(r"[、,，;；/\s]+", str(values.get("supporters") or "")):
            if not name:
                continue
            if name not in departments:
                problems.append(f"配合科室“{name}”不存在")
            else:
                supporter_ids.append(departments[name].id)
        data["supporter_ids"] = supporter_ids
        year = values.get("year")
        if year not in (None, ""):
            try:
                data["year"] = int(str(year).strip().removesuffix("年"))
                if not 2000 <= data["year"] <= 2100:
                    raise ValueError
            except ValueError:
                problems.append(f"年度“{year}”应为四位年份")
        for key, message in task_problems(data, branch).items():
            if key in ("deadline", "lead_member_id", "department_id", "supporter_ids"):
                continue  # explained above with the typed value
            problems.append(message)
        if not problems:
            key = (data.get("year") or data["deadline"].year, data["title"])
            if key in seen:
                problems.append(f"与第{seen[key]}行重复（同一年度、同一任务名称）")
            elif key in existing:
                problems.append(f"{key[0]}年度已有重点任务“{data['title']}”")
            seen.setdefault(key, rownum)
        if problems:
            preview.errors.append(RowError(rownum, "；".join(dict.fromkeys(problems))))
        else:
            preview.rows.append({"row": rownum, **data, "lead_name": lead_name})
    if preview.total == 0:
        raise TaskFileError("文件中没有数据行")
    return preview


KIND = "key_tasks"


def save_pending(preview: ImportPreview, branch: Branch, actor: Any, filename: str) -> str:
    """Keep the checked rows until the user confirms them; returns the confirm token."""
    return imports.save_pending(KIND, preview.rows, actor, filename, branch.id)


def confirm_import(token: str, actor: Any) -> list[KeyTask]:
    """Create every previewed task in the caller's transaction; any failure fails all.
    The import is claimed first, so a confirm sent twice imports once."""
    pending = imports.load_pending(KIND, token, actor)
    branch = db.session.get(Branch, pending.branch_id) if pending.branch_id else None
    if branch is None or not branch.can_manage(actor):
        raise TaskFileError("导入批次无效，请重新上传文件")
    filename = pending.filename
    created = []
    for row in imports.claim(pending):
        data = dict(row)
        data["deadline"] = date.fromisoformat(data["deadline"])
        try:
            created.append(create_task(branch, data, actor, audit_entry=False))
        except ServiceError as exc:
            raise TaskFileError(
                f"第{row['row']}行：{exc.message}（数据已变化，请重新上传）"
            ) from exc
    audit.record(
        "task_import",
        "key_task",
        None,
        actor=actor,
        branch_id=branch.id,
        after={"ids": [t.id for t in created], "filename": filename},
        summary=f"导入重点任务 {len(created)} 项：{filename}"[:120],
    )
    return created
