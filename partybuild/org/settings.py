"""Roster: page size and import bound."""

from partybuild.core.settings import Bytes, Int, Setting, declare

declare(
    "org",
    "党员名册",
    [
        Setting(
            "MEMBERS_PER_PAGE",
            20,
            Int(5, 200, "条"),
            "党员名册每页条数",
            editable=True,
        ),
        Setting(
            "ROSTER_IMPORT_MAX_ROWS",
            5000,
            Int(100, 20000, "行"),
            "名册导入最多行数",
            "一次导入的表格超过此行数时拒绝导入，请分批导入。",
            editable=True,
        ),
        Setting(
            "ROSTER_IMPORT_MAX_BYTES",
            5 * 1024 * 1024,
            Bytes(64 * 1024, 32 * 1024 * 1024, "字节"),
            "名册导入文件大小上限",
            "上传的名册文件超过此大小时拒绝导入（按字节数填写，页面以 MB 显示）。",
            editable=True,
        ),
    ],
    order=40,
)
