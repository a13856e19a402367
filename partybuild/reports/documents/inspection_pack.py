"""迎检材料包 as an export kind: the .zip of ``reports/pack.py`` through the export centre,
the command line and the background queue (recorded and audited like any export)."""

from __future__ import annotations

import logging

from partybuild.core.permissions import Role
from partybuild.reports import pack
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "迎检材料包"


def title(params: ReportParams) -> str:
    period = params.period.label if params.period is not None else ""
    return f"{params.scope_name}{period}{LABEL}"


def validate(params: ReportParams) -> dict[str, str]:
    if params.period is not None and params.period.start > params.today:
        return {"period": f"期间“{params.period.label}”尚未开始，没有可收入材料包的数据"}
    if pack.count_rows(params, activity_only=True) == 0:
        return {
            "period": f"本期无数据：{params.scope_name}{params.period.label}没有可收入材料包的材料"
        }
    return {}


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    archive = pack.PackArchive(params, title(params), progress)
    built = BuiltReport(archive, 0)  # type: ignore[arg-type] - saves like a document
    archive.report = built
    return built


KIND = register(
    ReportKind(
        key="pack",
        label=LABEL,
        description="一次导出工作报告、承诺台账、会议记录、重点任务、风险台账、测评结果和名册，附目录和签名清单（.zip）",
        build=build,
        count_rows=pack.count_rows,
        title=title,
        period="required",
        all_branches=True,
        roles=frozenset({Role.admin, Role.reviewer, Role.secretary}),
        validate=validate,
        order=90,
        suffix=".zip",
    )
)
