"""Meetings' settings: cadence per meeting type, the quorum rule, task reasons, reminders."""

from typing import Any

from partybuild.core.settings import Int, Lines, Parts, Setting, declare

# Times per year; the year divides into equal periods (12: monthly, 4: quarterly, 1: yearly).
CADENCE_DEFAULTS = {
    "general_assembly": 4,
    "committee_meeting": 12,
    "group_meeting": 12,
    "party_lecture": 4,
    "topic_meeting": 4,
    "theme_day": 12,
    "org_life_meeting": 1,
}
CADENCE_PARTS = (
    ("general_assembly", "支部党员大会"),
    ("committee_meeting", "支部委员会"),
    ("group_meeting", "党小组会"),
    ("party_lecture", "党课"),
    ("topic_meeting", "党建工作专题会议"),
    ("theme_day", "主题党日"),
    ("org_life_meeting", "组织生活会"),
)
ALLOWED_PER_YEAR = (0, 1, 2, 3, 4, 6, 12)


def _whole_periods(value: dict[str, Any]) -> str | None:
    labels = dict(CADENCE_PARTS)
    for key, n in value.items():
        if n not in ALLOWED_PER_YEAR:
            return f"{labels[key]}：每年次数须为 0、1、2、3、4、6 或 12（把一年等分为若干期）"
    return None


declare(
    "meetings",
    "组织生活",
    [
        Setting(
            "MEETING_CADENCE",
            CADENCE_DEFAULTS,
            Parts(CADENCE_PARTS, minimum=0, maximum=12, unit="次/年"),
            "会议最低召开频次",
            "各类会议每年至少召开的次数：12 为每月一次，4 为每季度一次，1 为每年一次，"
            "0 为不作要求。合规日历和未召开提醒据此计算。",
            editable=True,
            validator=_whole_periods,
        ),
        Setting(
            "MEETING_QUORUM_PERCENT",
            50,
            Int(1, 99, "%"),
            "法定出席比例",
            "支部党员大会和支部委员会的实到人数须超过应到（有表决权）人数的这一比例，"
            "否则会议标记为不足法定人数，表决无效。默认“超过半数”。",
            editable=True,
        ),
        Setting(
            "MEETING_CARRY_DAYS",
            30,
            Int(0, 365, "天"),
            "督办议题提前天数",
            "安排支部党员大会、支委会或党建工作专题会议时，已逾期和在会后这些天内到期的"
            "未完成重点任务自动列入议题。",
            editable=True,
        ),
        Setting(
            "MEETING_GAP_REMIND_DAYS",
            10,
            Int(1, 90, "天"),
            "未召开会议提醒天数",
            "某类会议在本期最后这些天内仍未召开也未安排时，提醒支部书记。",
            editable=True,
        ),
        Setting(
            "KEY_TASK_REMIND_DAYS",
            7,
            Int(1, 60, "天"),
            "重点任务到期提醒提前天数",
            "重点任务截止前这些天提醒责任领导和支部书记；逾期时再提醒一次。",
            editable=True,
        ),
        Setting(
            "KEY_TASK_POSTPONE_REASONS",
            ["上级部署调整", "客观条件变化", "需与其他任务统筹推进"],
            Lines(min_items=1, max_items=12, max_length=30),
            "重点任务延期常用原因",
            "延期时可选的常用原因，每行一个；也可填写其他原因。",
            editable=True,
        ),
        Setting(
            "KEY_TASK_CANCEL_REASONS",
            ["任务已被其他任务覆盖", "上级决定不再实施", "重复录入"],
            Lines(min_items=1, max_items=12, max_length=30),
            "重点任务取消常用原因",
            "取消时可选的常用原因，每行一个；也可填写其他原因。",
            editable=True,
        ),
        Setting(
            "KEY_TASK_IMPORT_MAX_ROWS",
            500,
            Int(1, 5000, "行"),
            "重点任务导入行数上限",
            editable=True,
        ),
    ],
    order=20,
)
