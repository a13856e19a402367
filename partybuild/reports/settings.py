"""Report exports."""

from partybuild.core.settings import Int, Setting, declare

declare(
    "reports",
    "报告导出",
    [
        Setting(
            "REPORTS_INLINE_MAX_ROWS",
            1500,
            Int(1, 1_000_000, "行"),
            "直接生成的最大行数",
            "行数更多的导出在后台生成。属于性能配置，由环境变量设置。",
        ),
    ],
    order=60,
)
