"""Report exports."""

from partybuild.core.settings import Int, Setting, Text, declare

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
        Setting(
            "REPORTS_SOFFICE_PATH",
            "",
            Text(max_length=255),
            "LibreOffice 程序位置",
            "把 Word 文档转换为 PDF 所用的 soffice 程序的完整路径；留空则在 PATH 中查找"
            " soffice 或 libreoffice。找不到时导出中心不提供 PDF。由环境变量设置。",
        ),
        Setting(
            "REPORTS_PDF_TIMEOUT",
            180,
            Int(10, 3600, "秒"),
            "PDF 转换时限",
            "一份文档转换为 PDF 的最长时间，超时即记为转换失败。",
        ),
    ],
    order=60,
)
