"""The risk ledger as .xlsx: import (upload → preview → confirm, all or nothing, errors
by row number) and export, in the common column layout:

    序号 | 科室 | 风险类别 | 风险点 | 表现形式 | 风险等级 | 防控措施 | 责任人 | 责任领导

An optional 岗位 column names the post; without it the post is the 责任人's post in that
office, or the office's only post. Blank 科室/岗位 cells repeat the row above (ledgers
merge those cells). 防控措施 holds one measure per line.
"""

import io
import logging
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from partybuild.core import audit, imports
from partybuild.core.imports import ImportPreview, RowError, blank_row
from partybuild.core.service import ServiceError, ValidationFailed
from partybuild.core.settings import setting
from partybuild.core.text import clean_text
from partybuild.core.xlsx import Sheet
from partybuild.extensions import db
from partybuild.integrity import service
from partybuild.integrity.models import (
    ControlMeasure,
    RiskLevel,
    RiskPoint,
    category_labels,
    level_label,
)
from partybuild.org.models import Branch, Department, Member, Post

logger = logging.getLogger(__name__)

HEADERS = {
    "序号": "seq", "科室": "department", "部门": "department", "岗位": "post",
    "风险类别": "category", "类别": "category", "风险点": "title", "风险点名称": "title",
    "表现形式": "manifestation", "风险表现形式": "manifestation", "风险等级": "level",
    "等级": "level", "防控措施": "controls", "责任人": "owner", "责任领导": "leader",
    "制度依据": "basis",
}  # fmt: skip
REQUIRED = {"department": "科室", "category": "风险类别", "title": "风险点", "level": "风险等级"}
EXPORT_COLUMNS = [
    ("序号", 6), ("科室", 12), ("风险类别", 10), ("风险点", 30), ("表现形式", 36),
    ("风险等级", 8), ("防控措施", 44), ("责任人", 10), ("责任领导", 10), ("岗位", 14),
    ("制度依据", 24), ("采取措施后等级", 10), ("下次排查", 12),
]  # fmt: skip
_NUMBERING = re.compile(r"^\s*(?:\d+[.、．)）]|[（(]\d+[)）]|[①-⑳])\s*")


class LedgerFileError(ServiceError):
    code = "risk_file_invalid"


def level_words() -> dict[str, RiskLevel]:
    """Texts accepted for a level: 高/中/低 (with or without 风险) and the 一级… labels
    of the display setting in force."""
    words: dict[str, RiskLevel] = {}
    for level in RiskLevel:
        words[level.label] = words[f"{level.label}风险"] = level
        words[level_label(level)] = level
    return words


def _read_rows(filename: str, content: bytes, max_rows: int) -> list[list[Any]]:
    if Path(filename or "").suffix.lower() != ".xlsx":
        raise LedgerFileError("只支持 .xlsx 格式的风险点台账")
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        raise LedgerFileError("无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏") from exc
    try:
        rows: list[list[Any]] = []
        filled = 0
        for raw in wb.worksheets[0].iter_rows(values_only=True):
            row = list(raw)
            rows.append(row)
            if not blank_row(row):
                filled += 1
                if filled > max_rows + 1:
                    raise LedgerFileError(f"一次最多导入 {max_rows} 行，请拆分文件")
        return rows
    except LedgerFileError:
        raise
    except Exception as exc:
        raise LedgerFileError("无法读取该 Excel 文件的第一个工作表") from exc
    finally:
        wb.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value), multiline=True).strip()


def _controls(text: str) -> list[str]:
    return [c for line in text.splitlines() if (c := _NUMBERING.sub("", line).strip())]


def _header_row(rows: list[list[Any]]) -> int:
    """Ledgers often carry a title row above the header: the first row naming 风险点."""
    for i, row in enumerate(rows[:5]):
        if any(_cell_text(c) in ("风险点", "风险点名称") for c in row):
            return i
    raise LedgerFileError("找不到表头：前 5 行中应有一行列名，如 序号、科室、风险类别、风险点 …")


def preview_import(filename: str, content: bytes, branch: Branch, actor: Any) -> ImportPreview:
    """Parse and check every row; nothing is written."""
    if not branch.can_manage(actor):
        raise ServiceError("只有本支部书记可以导入本支部的风险点台账", "forbidden")
    rows = _read_rows(filename, content, setting("RISK_IMPORT_MAX_ROWS"))
    while rows and blank_row(rows[-1]):
        rows.pop()
    if not rows:
        raise LedgerFileError("文件是空的")
    head = _header_row(rows)
    header = [_cell_text(c) for c in rows[head]]
    columns = {i: HEADERS[h] for i, h in enumerate(header) if h in HEADERS}
    missing = [label for key, label in REQUIRED.items() if key not in columns.values()]
    if missing:
        raise LedgerFileError(f"表头缺少必需的列：{'、'.join(missing)}")

    departments = {
        d.name: d
        for d in db.session.scalars(
            sa.select(Department).where(Department.organization_id == branch.organization_id)
        )
    }
    posts: dict[int, list[Post]] = {}
    for post in db.session.scalars(
        sa.select(Post).where(Post.department_id.in_([d.id for d in departments.values()]))
    ):
        posts.setdefault(post.department_id, []).append(post)
    members: dict[str, list[Member]] = {}
    for m in db.session.scalars(
        sa.select(Member).where(Member.branch_id == branch.id, Member.is_active.is_(True))
    ):
        members.setdefault(m.name, []).append(m)
    categories = category_labels()
    by_label = {label: code for code, label in categories.items()} | {c: c for c in categories}
    levels = level_words()
    existing = {
        (p, t)
        for p, t in db.session.execute(
            sa.select(RiskPoint.post_id, RiskPoint.title).where(
                RiskPoint.branch_id == branch.id, RiskPoint.is_active.is_(True)
            )
        )
    }

    preview = ImportPreview()
    seen: dict[tuple[int, str], int] = {}
    carried = {"department": "", "post": ""}
    for offset, raw in enumerate(rows[head + 1 :]):
        rownum = head + offset + 2
        if blank_row(raw):
            continue
        values = {f: _cell_text(raw[i] if i < len(raw) else None) for i, f in columns.items()}
        for key in ("department", "post"):
            if values.get(key):
                carried[key] = values[key]
            elif key in columns.values():
                values[key] = carried[key]
        preview.total += 1
        problems: list[str] = []
        dept = departments.get(values.get("department", ""))
        if not values.get("department"):
            problems.append("请填写科室")
        elif dept is None:
            problems.append(f"科室“{values['department']}”不存在")
        owner_name = values.get("owner", "")
        owners = members.get(owner_name, [])
        owner = owners[0] if len(owners) == 1 else None
        post = None
        if dept is not None:
            candidates = posts.get(dept.id, [])
            if values.get("post"):
                post = next((p for p in candidates if p.name == values["post"]), None)
                if post is None:
                    problems.append(f"岗位“{values['post']}”不属于{dept.name}")
            elif owner is not None and owner.post_id in {p.id for p in candidates}:
                post = next(p for p in candidates if p.id == owner.post_id)
            elif len(candidates) == 1:
                post = candidates[0]
            else:
                problems.append(
                    f"无法确定岗位：{dept.name}有多个岗位，请增加“岗位”列，"
                    "或填写在该科室岗位上的本支部党员为责任人"
                )
        category = by_label.get(values.get("category", ""))
        if category is None:
            problems.append(
                f"风险类别“{values.get('category', '')}”不在设置的类别中"
                f"（{'、'.join(categories.values())}）"
            )
        level = levels.get(values.get("level", "").replace(" ", ""))
        if level is None:
            problems.append(f"风险等级“{values.get('level', '')}”应为高、中、低之一")
        if len(owners) > 1:
            problems.append(f"本支部有{len(owners)}名党员叫“{owner_name}”，无法确定责任人")
        data = {
            "post_id": post.id if post else None,
            "category": category,
            "title": values.get("title", ""),
            "manifestation": values.get("manifestation", ""),
            "basis": values.get("basis", ""),
            "level": level.value if level else None,
            "owner_id": owner.id if owner else None,
            "owner_name": owner_name,
            "leader_name": values.get("leader", ""),
        }
        controls = _controls(values.get("controls", ""))
        if not problems:
            try:
                service.point_fields(branch, data, actor)
            except ValidationFailed as exc:
                problems.extend(exc.errors.values())
        too_long = [c for c in controls if len(c) > service.TEXT_MAX]
        if too_long:
            problems.append(f"防控措施不能超过{service.TEXT_MAX}个字")
        if post is not None and data["title"]:
            key = (post.id, data["title"])
            if key in seen:
                problems.append(f"与第{seen[key]}行重复（同一岗位、同一风险点）")
            elif key in existing:
                problems.append("本支部该岗位已登记同名风险点")
            seen.setdefault(key, rownum)
        if problems:
            preview.errors.append(RowError(rownum, "；".join(dict.fromkeys(problems))))
        else:
            preview.rows.append(
                {
                    "row": rownum,
                    **data,
                    "controls": controls,
                    "department_name": dept.name if dept else "",
                    "post_name": post.name if post else "",
                    "category_label": categories.get(category, ""),
                    "level_label": level_label(level),
                }
            )
    if preview.total == 0:
        raise LedgerFileError("文件中没有数据行")
    return preview


KIND = "risk_points"


def save_pending(preview: ImportPreview, branch: Branch, actor: Any, filename: str) -> str:
    """Keep the checked rows until the user confirms them; returns the confirm token."""
    return imports.save_pending(KIND, preview.rows, actor, filename, branch.id)


def confirm_import(token: str, actor: Any) -> list[RiskPoint]:
    """Create every previewed point in the caller's transaction: all or none (the
    boundary rolls back on the first refused row). The import is claimed first, so a
    confirm sent twice imports once. One audit entry for the file."""
    pending = imports.load_pending(KIND, token, actor)
    branch = db.session.get(Branch, pending.branch_id) if pending.branch_id else None
    if branch is None or not branch.can_manage(actor):
        raise LedgerFileError("导入批次无效，请重新上传文件")
    filename = pending.filename
    points = []
    for row in imports.claim(pending):
        data = {k: v for k, v in row.items() if k != "controls"}
        try:
            fields = service.point_fields(branch, data, actor)
        except ValidationFailed as exc:
            raise LedgerFileError(
                f"第{row['row']}行：{exc.message}（数据已变化，请重新上传）"
            ) from exc
        point = service.new_point(branch, fields)
        for text in row["controls"]:
            db.session.add(ControlMeasure(risk_point=point, text=text, owner_name=point.owner_name))
        points.append(point)
    db.session.flush()
    audit.record(
        "import",
        "risk_point",
        None,
        actor=actor,
        branch_id=branch.id,
        after={"ids": [p.id for p in points]},
        summary=f"导入风险点台账 {filename}：{len(points)} 个风险点",
    )
    return points


def export_xlsx(points: Any) -> bytes:
    """The ledger in the import's own layout (the extra columns after it), through the
    shared safe writer. ``points`` is an iterable of loaded RiskPoints with controls."""
    sheet = Sheet("廉政风险防控点台账", widths=[w for _, w in EXPORT_COLUMNS], freeze="A2")
    sheet.append([sheet.cell(title, bold=True) for title, _ in EXPORT_COLUMNS])
    for n, p in enumerate(points, start=1):
        controls = [c for c in p.controls if c.is_active]
        measures = "\n".join(f"{i}. {c.text}" for i, c in enumerate(controls, start=1))
        sheet.append(
            [
                n,
                p.post.department.name,
                p.category_label,
                p.title,
                p.manifestation,
                level_label(p.level),
                sheet.cell(measures, wrap=True),
                p.owner_name,
                p.leader_name,
                p.post.name,
                p.basis,
                level_label(p.residual_level),
                p.next_review_on,
            ]
        )
    return sheet.to_bytes()
