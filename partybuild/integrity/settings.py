"""Integrity settings: categories, the risk matrix, level labels, review cycles, reminders.

The matrix is data an admin edits on 系统设置 (five lines of five levels), not code."""

import re
from dataclasses import dataclass
from typing import Any

from partybuild.core.service import ValidationFailed
from partybuild.core.settings import Int, Lines, Parts, Setting, Text, declare

LEVEL_CHARS = "高中低"
# Row = likelihood 1..5, column = impact 1..5; by the product L×I: ≤4 低, 5–12 中, ≥15 高.
DEFAULT_MATRIX = ["低低低低中", "低低中中中", "低中中中高", "低中中高高", "中中高高高"]
DEFAULT_CATEGORIES = [["power", "权力行使"], ["institution", "制度机制"], ["ideology", "思想道德"]]
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,19}$")


@dataclass(frozen=True)
class RiskMatrix(Lines):
    """Five lines (likelihood 1–5), each five of 高/中/低 (impact 1–5): every cell a level."""

    min_items: int = 5
    max_items: int = 5
    max_length: int = 20

    def parse(self, raw: Any) -> list[str]:
        lines = raw if isinstance(raw, list) else str(raw or "").splitlines()
        rows = ["".join(str(line).split()) for line in lines if str(line).strip()]
        if len(rows) != 5:
            raise ValidationFailed(
                {"value": "须填写 5 行（可能性 1 至 5），每行 5 个等级（影响程度 1 至 5）"}
            )
        for i, row in enumerate(rows, start=1):
            if len(row) != 5 or any(c not in LEVEL_CHARS for c in row):
                raise ValidationFailed(
                    {"value": f"第 {i} 行须为 5 个“高/中/低”之一（如“低低中中高”），现在是“{row}”"}
                )
        return rows

    def from_json(self, stored: Any) -> list[str]:
        return self.parse(stored)

    def display(self, value: Any) -> str:
        return " / ".join(value)


@dataclass(frozen=True)
class CodedLines(Lines):
    """Lines "code 名称": a stable identifier (kept in the records) and its label."""

    min_items: int = 1
    max_items: int = 12
    max_length: int = 10

    def parse(self, raw: Any) -> list[list[str]]:
        if isinstance(raw, list) and raw and isinstance(raw[0], list | tuple):
            lines = [f"{code} {label}" for code, label in raw]
        else:
            lines = raw if isinstance(raw, list) else str(raw or "").splitlines()
        items: list[list[str]] = []
        for line in (str(x).strip() for x in lines):
            if not line:
                continue
            parts = line.split(None, 1)
            if len(parts) != 2 or not _CODE.match(parts[0]):
                raise ValidationFailed(
                    {
                        "value": f"每行写“代码 名称”，代码为小写英文字母开头，如“power 权力行使”：{line[:30]}"
                    }
                )
            code, label = parts[0], parts[1].strip()
            if len(label) > self.max_length:
                raise ValidationFailed(
                    {"value": f"名称不能超过 {self.max_length} 个字：{label[:30]}"}
                )
            if any(code == c or label == lb for c, lb in items):
                raise ValidationFailed({"value": f"代码或名称不能重复：{line[:30]}"})
            items.append([code, label])
        if not self.min_items <= len(items) <= self.max_items:
            raise ValidationFailed(
                {"value": f"须填写 {self.min_items} 到 {self.max_items} 个类别，每行一个"}
            )
        return items

    def from_json(self, stored: Any) -> list[list[str]]:
        return [[str(code), str(label)] for code, label in stored]

    def display(self, value: Any) -> str:
        return "、".join(label for _, label in value)

    def form_fields(self, value: Any) -> dict[str, str]:
        return {"value": "\n".join(f"{code} {label}" for code, label in value)}


declare(
    "integrity",
    "廉政风险防控",
    [
        Setting(
            "RISK_CATEGORIES",
            DEFAULT_CATEGORIES,
            CodedLines(),
            "风险类别",
            "每行一个类别：代码（英文，记录中保存）和名称。已登记的风险点保留原类别代码。",
            editable=True,
        ),
        Setting(
            "RISK_MATRIX",
            DEFAULT_MATRIX,
            RiskMatrix(),
            "风险矩阵",
            "第 1 至 5 行为发生可能性 1 至 5，每行 5 个字依次为影响程度 1 至 5 时的风险等级"
            "（高/中/低）。只影响此后评估的风险点。",
            editable=True,
        ),
        Setting(
            "RISK_LEVEL_LABELS",
            "plain",
            Text(
                choices=(
                    ("plain", "高 / 中 / 低"),
                    ("grade_high_first", "一级（高）/ 二级（中）/ 三级（低）"),
                    ("grade_low_first", "一级（低）/ 二级（中）/ 三级（高）"),
                )
            ),
            "风险等级的显示方式",
            "各地对“一级”是最高还是最低等级说法不一，按本单位的用法选择。",
            editable=True,
        ),
        Setting(
            "RISK_REVIEW_CYCLES",
            {"high": 3, "medium": 6, "low": 12},
            Parts(
                (("high", "高"), ("medium", "中"), ("low", "低")),
                minimum=1,
                maximum=36,
                unit="个月",
            ),
            "排查周期",
            "各等级风险点的定期排查周期；单个风险点可另行指定。",
            editable=True,
        ),
        Setting(
            "RISK_REVIEW_REMIND_DAYS",
            14,
            Int(1, 90, "天"),
            "排查到期提前提醒天数",
            editable=True,
        ),
        Setting(
            "RECTIFICATION_REMIND_DAYS",
            7,
            Int(1, 60, "天"),
            "整改期限提前提醒天数",
            editable=True,
        ),
        Setting(
            "RISK_IMPORT_MAX_ROWS",
            2000,
            Int(10, 20000, "行"),
            "一次导入的最多行数",
            editable=True,
        ),
    ],
    order=30,
)
