"""Commitments' settings: categories, scoring, grade bands, rating thresholds, flags."""

from typing import Any

from partybuild.core.settings import Bands, Int, Lines, Parts, Setting, declare, setting


def _min_not_above_max(value: int) -> str | None:
    most = setting("COMMITMENT_MAX_ITEMS")
    return f"不能多于“每人最多承诺条数”（{most}）" if value > most else None


def _max_not_below_min(value: int) -> str | None:
    least = setting("COMMITMENT_MIN_ITEMS")
    return f"不能少于“每人最少承诺条数”（{least}）" if value < least else None


def _points_ordered(value: dict[str, Any]) -> str | None:
    if not value["satisfied"] >= value["basic"] >= value["unsatisfied"]:
        return "须满足：满意 ≥ 基本满意 ≥ 不满意"
    return None


declare(
    "commitments",
    "承诺践诺评诺",
    [
        Setting(
            "COMMITMENT_CATEGORIES",
            ["学习", "工作", "自律", "服务群众"],
            Lines(min_items=1, max_items=12, max_length=10),
            "承诺类别",
            "党员填写承诺时可选的类别，每行一个。已填写的承诺保留原类别。",
            editable=True,
        ),
        Setting(
            "COMMITMENT_MIN_ITEMS",
            2,
            Int(1, 20, "条"),
            "每人最少承诺条数",
            "提交承诺时至少填写的条数。",
            editable=True,
            validator=_min_not_above_max,
        ),
        Setting(
            "COMMITMENT_MAX_ITEMS",
            5,
            Int(1, 20, "条"),
            "每人最多承诺条数",
            editable=True,
            validator=_max_not_below_min,
        ),
        Setting(
            "COMMITMENT_WEIGHTS",
            {"self": 20, "branch": 30, "leader": 20, "public": 30},
            Parts(
                (
                    ("self", "党员述"),
                    ("branch", "支部讲"),
                    ("leader", "领导点"),
                    ("public", "群众评"),
                ),
                total=100,
                unit="%",
            ),
            "评诺权重",
            "四项评价在总分中的占比，合计须为 100。某项缺失时，其权重由其余各项按比例分担。",
            editable=True,
        ),
        Setting(
            "COMMITMENT_GRADES",
            [(95, "好"), (80, "中"), (0, "差")],
            Bands(),
            "评诺等次",
            "总分不低于某等次的最低分即评为该等次。按最低分从高到低填写，最后一个等次的最低分为 0。"
            "只影响之后确定的评诺结果。",
            editable=True,
        ),
        Setting(
            "PUBLIC_RATING_POINTS",
            {"satisfied": 100, "basic": 80, "unsatisfied": 0},
            Parts(
                (("satisfied", "满意"), ("basic", "基本满意"), ("unsatisfied", "不满意")),
                unit="分",
            ),
            "群众评价折算分",
            "每种评价计入“群众评”得分的分值。",
            editable=True,
            validator=_points_ordered,
        ),
        Setting(
            "PUBLIC_RATING_MIN_COUNT",
            5,
            Int(1, 1000, "人次"),
            "公开满意率最少评价人次",
            "评价人次少于此数时，不显示满意率和群众评得分。",
            editable=True,
        ),
        Setting(
            "PARTICIPATION_MIN_RATINGS",
            3,
            Int(1, 1000, "人次"),
            "计入参评的最少评价人次",
            "一项承诺获得不少于此数的评价，才算“已参评”（参评率）。",
            editable=True,
        ),
        Setting(
            "COMMITMENT_MAX_FILES",
            5,
            Int(1, 20, "个"),
            "每条践诺记录最多上传文件数",
            editable=True,
        ),
        Setting(
            "COMMITMENT_STALE_DAYS",
            60,
            Int(1, 365, "天"),
            "长期未践诺提醒天数",
            "超过此天数没有践诺记录的承诺，在总览中标记提醒。",
            editable=True,
        ),
        Setting(
            "COMMITMENT_HIGH_PROGRESS",
            80,
            Int(1, 100, "%"),
            "进度偏高提醒线",
            "自报进度不低于此值但践诺记录很少时，在总览中标记提醒。",
            editable=True,
        ),
        Setting(
            "COMMITMENT_RUSH_DAYS",
            7,
            Int(0, 90, "天"),
            "临期突击提醒天数",
            "申请评诺时距截止不超过此天数且践诺记录很少，标记为临期突击。",
            editable=True,
        ),
        Setting(
            "COMMITMENT_RUSH_MAX_RECORDS",
            1,
            Int(0, 50, "条"),
            "“践诺记录很少”的条数",
            "践诺记录不多于此数，视为记录很少（用于上面两项提醒）。",
            editable=True,
        ),
        Setting(
            "COMMITMENT_REMINDER_DAYS",
            7,
            Int(1, 60, "天"),
            "践诺截止提醒提前天数",
            "承诺截止前多少天通知党员。",
            editable=True,
        ),
    ],
    order=10,
)
