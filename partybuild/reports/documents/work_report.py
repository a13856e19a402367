"""党建工作情况报告: a branch's (or every branch's) quarterly or annual report.

Every section comes from one domain's figures (``reports/summary_figures.py``), all
taken as of the period's end, and every sentence is written from those figures: a
section with nothing to report says so, and the last section lists the gaps the
figures show (missed meetings, overdue tasks and commitments, open rectifications,
rates below 90%) with the next step for each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from partybuild.commitments.models import STATE_LABELS, CommitmentState
from partybuild.core.permissions import Role
from partybuild.core.settings import setting
from partybuild.integrity.models import RiskLevel
from partybuild.meetings import cadence
from partybuild.meetings.models import TaskState
from partybuild.reports import summary_figures as sf
from partybuild.reports.commitment_figures import count_period_rows
from partybuild.reports.document import OfficialDocument, cn_date
from partybuild.reports.documents import rate_text
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "党建工作情况报告"
KEY = "summary"
# Lists in the problems section name at most this many items, then "等N项".
LIST_MAX = 8
CN_NUMBERS = "一二三四五六七八九十"


@dataclass
class ReportFigures:
    """Everything the report says, for one scope and period."""

    when: sf.AsOf
    meetings: sf.MeetingFigures
    tasks: sf.TaskFigures
    commitments: sf.CommitmentFigures
    integrity: sf.IntegrityFigures
    greetings: sf.GreetingFigures
    model_posts: sf.ModelPostFigures


def figures(params: ReportParams) -> ReportFigures:
    period = params.period
    assert period is not None
    ids, today = params.branch_ids, params.today
    return ReportFigures(
        when=sf.AsOf(period, today),
        meetings=sf.meeting_figures(ids, period, today),
        tasks=sf.task_figures(ids, period, today),
        commitments=sf.commitment_period_figures(ids, period, today),
        integrity=sf.integrity_figures(ids, period, today),
        greetings=sf.greeting_figures(ids, period, today),
        model_posts=sf.model_post_figures(ids, period, today),
    )


def _d(day: date) -> str:
    return cn_date(day)


def _listed(items: list[str]) -> str:
    shown = "；".join(items[:LIST_MAX])
    return shown + (f"等{len(items)}项" if len(items) > LIST_MAX else "")


def _rate_vs_target(name: str, rate: float | None) -> str:
    if rate is None:
        return f"{name}无法计算"
    verdict = "达到" if rate >= sf.TARGET_RATE else "低于"
    return f"{name}{rate_text(rate)}，{verdict}90%的目标"


# --------------------------------------------------------------------------- sections


def meetings_text(f: ReportFigures) -> list[str]:
    m = f.meetings
    lines: list[str] = []
    if m.held:
        parts = "、".join(f"{line.type.label}{line.held}次" for line in m.lines if line.held)
        lines.append(f"本期共召开组织生活会议{m.held}次，其中{parts}。")
    else:
        lines.append("本期没有登记已召开的组织生活会议。")
    due = [line for line in m.lines if line.due]
    if due:
        parts = "；".join(
            f"{line.type.label}（{cadence.cadence_label(line.per_year)}）应召开{line.due}次，"
            f"按期召开{line.met}次"
            + (f"，缺{line.due - line.met}次" if line.due > line.met else "")
            for line in due
        )
        lines.append(f"对照规定频次，截至{_d(f.when.day)}：{parts}。")
    else:
        lines.append(f"截至{_d(f.when.day)}，本期没有到期需考核频次的会议周期。")
    if m.entitled:
        lines.append(
            f"已召开会议应到会{m.entitled}人次，实到{m.present}人次，"
            f"出席率{rate_text(m.attendance_rate)}。"
        )
    if m.quorum_failed:
        lines.append(f"有{m.quorum_failed}次会议出席人数未达到规定人数，表决事项无效。")
    return lines


def tasks_text(f: ReportFigures) -> list[str]:
    t = f.tasks
    if not t.total:
        return ["本期没有登记重点任务。"]
    parts = "、".join(f"{s.label}{t.count(s)}项" for s in TaskState if t.count(s))
    overdue = len(t.overdue)
    line = f"本期共有重点任务{t.total}项，截至{_d(f.when.day)}，{parts}"
    line += f"；逾期未完成{overdue}项。" if overdue else "；没有逾期未完成的任务。"
    return [line]


def commitments_text(f: ReportFigures) -> list[str]:
    c = f.commitments
    if not c.made:
        return ["本期没有党员作出承诺。"]
    pending = c.made - c.published - c.withdrawn
    first = f"本期共有{c.members}名党员公开亮诺{c.published}项"
    if pending:
        first += f"，另有{pending}项已提交尚未亮诺"
    if c.withdrawn:
        first += f"，撤回{c.withdrawn}项"
    lines = [first + "。"]
    if c.published:
        # Only published ones: those still awaiting approval were counted above.
        parts = "、".join(
            f"{STATE_LABELS[s]}{c.by_state[s]}项"
            for s in CommitmentState
            if c.by_state.get(s) and s not in (CommitmentState.draft, CommitmentState.submitted)
        )
        lines.append(
            f"截至{_d(f.when.day)}，亮诺的承诺中{parts}；践诺完成（已申请评诺或已评诺）"
            f"{c.fulfilled}项，逾期未完成{c.overdue}项。"
        )
    if c.evaluated:
        order = [g for _, g in setting("COMMITMENT_GRADES")]
        grades = "、".join(
            f"“{g}”{n}项"
            for g, n in sorted(
                c.grades.items(), key=lambda i: order.index(i[0]) if i[0] in order else 99
            )
        )
        avg = f"，平均得分{c.avg_score:.1f}分" if c.avg_score is not None else ""
        lines.append(f"已评诺{c.evaluated}项，评定等次{grades}{avg}。")
    elif c.published:
        lines.append("本期尚无评诺结果。")
    r = c.rates
    if r.visible:
        lines.append(
            f"群众评价{r.ratings}人次，{r.published}项公示承诺中有{r.rated}项获得"
            f"{r.participation_min}人次以上评价；"
            + _rate_vs_target("群众参评率", r.participation_rate)
            + "，"
            + _rate_vs_target("群众满意率", r.satisfaction_rate)
            + "。"
        )
    elif c.published:
        lines.append(f"群众评价{r.ratings}人次，不足{r.min_count}人次，未计算参评率和满意率。")
    return lines


def integrity_text(f: ReportFigures) -> list[str]:
    i = f.integrity
    lines: list[str] = []
    if i.points:
        cats = "、".join(f"{k}{n}个" for k, n in i.by_category.items())
        levels = "、".join(
            f"{lv.label}{i.by_level[lv]}个" for lv in RiskLevel if i.by_level.get(lv)
        )
        lines.append(
            f"截至{_d(f.when.day)}，在册廉政风险防控点{i.points}个，"
            f"按类别为{cats}，按风险等级为{levels}。"
        )
    else:
        lines.append(f"截至{_d(f.when.day)}，没有在册的廉政风险防控点。")
    if i.reviews:
        lines.append(f"本期开展定期排查{i.reviews}次，涉及防控点{i.reviewed_points}个。")
    else:
        lines.append("本期没有开展定期排查。")
    if i.rect_opened or i.rect_closed or i.rect_open_at_end:
        line = f"本期新建整改事项{i.rect_opened}项，验收销号{i.rect_closed}项；期末尚未销号{i.rect_open_at_end}项"
        line += f"，其中逾期{i.rect_overdue_at_end}项。" if i.rect_overdue_at_end else "。"
        lines.append(line)
    else:
        lines.append("本期没有整改事项。")
    if i.reminders:
        lines.append(f"开展提醒谈话{i.reminders}次，涉及党员{i.reminded_members}名。")
    else:
        lines.append("本期没有开展提醒谈话。")
    return lines


def greetings_text(f: ReportFigures) -> list[str]:
    g = f.greetings
    if not g.due:
        return ["本期没有党员过政治生日。"]
    return [
        f"本期有{g.due}名党员过政治生日，已发送电子贺卡{g.greeted}张（党员已查看{g.opened}张），"
        f"送上政治生日蛋糕或纪念品{g.gifts}份。"
    ]


def model_posts_text(f: ReportFigures) -> list[str]:
    p = f.model_posts
    line = f"截至{_d(f.when.day)}，挂牌的党员示范岗{p.designated}个"
    line += f"；本期收回牌子{p.revoked}个。" if p.revoked else "。"
    lines = [line]
    if not p.rounds:
        lines.append("本期没有结束的示范岗测评。")
    for r in p.rounds:
        name = (
            f"“{r.title}”" if len({x.branch for x in p.rounds}) <= 1 else f"{r.branch}“{r.title}”"
        )
        if not r.closed:
            lines.append(f"{name}测评截至{_d(f.when.day)}尚未结束，不列结果。")
            continue
        text = f"{name}测评（{_d(r.closes_on)}结束）参评示范岗{r.posts}个"
        if r.avg_score is not None:
            text += f"，平均得分{r.avg_score:.1f}分"
        if r.grades:
            text += "，评定等次" + "、".join(f"“{g}”{n}个" for g, n in r.grades.items())
        if r.top:
            text += "；名列前茅的是" + "、".join(
                f"第{rank}名{title}（{score:.1f}分）" for rank, title, score in r.top
            )
        if r.flagged:
            text += f"；{r.flagged}个示范岗得分低于收回牌子的分数线"
        lines.append(text + "。")
    return lines


def problems(f: ReportFigures) -> list[tuple[str, str]]:
    """(problem, next step) pairs for each gap the figures show."""
    found: list[tuple[str, str]] = []
    gaps = f.meetings.gaps
    if gaps:
        several = len({g.branch for g in gaps}) > 1 or f.meetings.branches > 1
        named = [f"{g.branch if several else ''}{g.label}{g.type.label}" for g in gaps]
        found.append(
            (
                f"组织生活未按规定频次开展，缺{len(gaps)}次：{_listed(named)}。",
                "对照规定频次补齐缺开的会议，按月制定组织生活计划并在系统中提前安排。",
            )
        )
    if f.meetings.quorum_failed:
        found.append(
            (
                f"{f.meetings.quorum_failed}次会议出席人数未达到规定人数。",
                "会前逐一确认参会人员，出席人数不足时改期召开，表决事项重新表决。",
            )
        )
    overdue_tasks = f.tasks.overdue
    if overdue_tasks:
        named = [f"{t.title}（逾期{t.days_overdue}天）" for t in overdue_tasks]
        found.append(
            (
                f"重点任务逾期未完成{len(overdue_tasks)}项：{_listed(named)}。",
                "逐项督办逾期重点任务，由责任领导说明原因、明确新的完成时限。",
            )
        )
    c = f.commitments
    if c.overdue:
        found.append(
            (
                f"党员承诺逾期未完成{c.overdue}项。",
                "督促逾期承诺的党员补充践诺记录，确实无法完成的按程序关闭并说明理由。",
            )
        )
    low = [
        (name, rate)
        for name, rate in (
            ("群众参评率", c.rates.participation_rate),
            ("群众满意率", c.rates.satisfaction_rate),
        )
        if rate is not None and rate < sf.TARGET_RATE
    ]
    if low:
        names = "和".join(name for name, _ in low)
        found.append(
            (
                "、".join(f"{name}为{rate_text(rate)}" for name, rate in low) + "，低于90%的目标。",
                f"扩大承诺公示范围，引导服务对象扫码评价，针对不满意意见逐条回应，提高{names}。",
            )
        )
    i = f.integrity
    if i.rect_open_at_end:
        overdue = f"，其中逾期{i.rect_overdue_at_end}项" if i.rect_overdue_at_end else ""
        found.append(
            (
                f"廉政风险整改事项期末尚未销号{i.rect_open_at_end}项{overdue}。",
                "按整改时限推进未销号事项，完成一项、验收一项、销号一项。",
            )
        )
    g = f.greetings
    if g.due > g.greeted:
        found.append(
            (
                f"{g.due - g.greeted}名党员的政治生日未发送贺卡。",
                "补发政治生日贺卡，并在每月初核对当月过政治生日的党员名单。",
            )
        )
    flagged = f.model_posts.flagged
    if flagged:
        found.append(
            (
                f"{flagged}个党员示范岗测评得分低于收回牌子的分数线。",
                "对得分低的示范岗进行约谈，限期整改，整改不到位的按规定收回牌子。",
            )
        )
    return found


SECTIONS = (
    ("组织生活开展情况", meetings_text),
    ("重点任务推进情况", tasks_text),
    ("党员承诺践诺评诺情况", commitments_text),
    ("廉政风险防控情况", integrity_text),
    ("政治生日关怀情况", greetings_text),
    ("党员示范岗创建情况", model_posts_text),
)


def lead_text(params: ReportParams, f: ReportFigures) -> str:
    period = f.when.period
    span = f"{_d(period.start)}至{_d(period.end)}"
    scope = params.scope_name if params.branch is not None else f"{params.scope_name}所属各党支部"
    if f.when.is_over:
        return f"现将{scope}{period.label}（{span}）党建工作情况报告如下。各项数字均截至{_d(period.end)}。"
    return (
        f"现将{scope}{period.label}（{span}）党建工作情况报告如下。本期尚未结束，"
        f"各项数字均截至{_d(f.when.day)}。"
    )


def count_rows(params: ReportParams) -> int:
    """The ledger's commitments (the heaviest part: decides inline or background) plus
    the meetings held, so a period with meetings but no commitments is not "no data"."""
    import sqlalchemy as sa

    from partybuild.extensions import db
    from partybuild.meetings.models import Meeting
    from partybuild.reports.pack import held_meetings

    assert params.period is not None
    meetings = held_meetings(params).with_only_columns(sa.func.count(Meeting.id))
    commitments = count_period_rows(params.branch_ids, params.period, params.today)
    return commitments + (db.session.scalar(meetings) or 0)


def title(params: ReportParams) -> str:
    period = params.period.label if params.period is not None else ""
    return f"{params.scope_name}{period}{LABEL}"


def validate(params: ReportParams) -> dict[str, str]:
    if params.period is not None and "-" in params.period.code:
        return {"period": f"{LABEL}按季度或年度编写，请填写如 2026Q3 或 2026 的期间"}
    if params.period is not None and params.period.start > params.today:
        return {"period": f"期间“{params.period.label}”尚未开始，没有可报告的数据"}
    return {}


def write(doc: OfficialDocument, params: ReportParams, f: ReportFigures) -> None:
    label = f.when.period.label if f.when.is_over else f"{f.when.period.label}，{f.when.label}"
    doc.paragraph(f"（{label}）", indent=False, align="center")
    doc.paragraph(lead_text(params, f))
    n = 0
    for n, (heading, text) in enumerate(SECTIONS):
        doc.heading(f"{CN_NUMBERS[n]}、{heading}")
        for line in text(f):
            doc.paragraph(line)
    doc.heading(f"{CN_NUMBERS[n + 1]}、存在的问题和下一步工作")
    found = problems(f)
    if not found:
        doc.paragraph(
            "本期统计数字未显示组织生活缺开、重点任务或承诺逾期、整改未销号、"
            "群众评价低于90%等问题。下一步继续按规定频次开展组织生活，按期推进各项工作。"
        )
        return
    doc.heading("（一）存在的问题", level=2)
    for k, (problem, _) in enumerate(found, start=1):
        doc.paragraph(f"{k}. {problem}")
    doc.heading("（二）下一步工作", level=2)
    for k, (_, step) in enumerate(found, start=1):
        doc.paragraph(f"{k}. {step}")


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    f = figures(params)
    progress(1, 1)
    doc = OfficialDocument(f"{params.scope_name}{LABEL}", issuer=params.issuer)
    write(doc, params, f)
    doc.signature(None, params.today)
    rows = f.commitments.made + f.tasks.total + f.meetings.held
    return BuiltReport(doc, rows)


KIND = register(
    ReportKind(
        key=KEY,
        label=LABEL,
        description="按季度或年度汇总组织生活、重点任务、承诺践诺评诺、廉政风险防控、政治生日和示范岗，列出存在的问题和下一步工作",
        build=build,
        count_rows=count_rows,
        title=title,
        period="required",
        all_branches=True,
        roles=frozenset({Role.admin, Role.reviewer, Role.secretary}),
        validate=validate,
        order=15,
    )
)
