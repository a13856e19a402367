"""党员承诺践诺台账: the commitments of a branch (or every branch) for a period.

The period rule (``periods.PERIOD_RULE``): the rows are the commitments published by
the period's end and active during it (not evaluated, closed or withdrawn before it
began), each as it stood at the period's end (``commitment_figures.period_rows``):
its state from the timeline, records, evidence and ratings up to the end, overdue
ones marked 逾期. One streamed SELECT, so 10,000 rows cost the same few queries as
ten. The summary's figures are ``commitment_period_figures``'s (the same rows plus
those still awaiting approval, added up by its ``FigureCounter`` in the same pass),
the figures every other report quotes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from partybuild.commitments.models import STATE_LABELS, CommitmentState
from partybuild.core.permissions import Role
from partybuild.core.timeutil import cn_date
from partybuild.reports.commitment_figures import (
    OVERDUE_LABEL,
    CommitmentPeriodFigures,
    FigureCounter,
    PeriodRow,
    count_period_rows,
    participation_min,
    period_rows,
)
from partybuild.reports.document import OfficialDocument
from partybuild.reports.documents import percent, rate_text, signers, tracked
from partybuild.reports.periods import PERIOD_RULE, period_heading
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "党员承诺践诺台账"
TABLE_FONT_PT = 9
# Latest-record text is cut here: the ledger points at the record, the timeline has it all.
RECORD_CHARS = 60

# Landscape, 225 mm. The header wording follows the column list. Widths were
# checked in LibreOffice with fallback fonts (wider Latin digits than 仿宋): a date
# (2026-12-28) fits 完成时限 and 最新践诺记录, 100% fits 进度 and 94.2 fits 得分, and
# "逾期120天" fits 状态.
COLUMNS = [
    ("序号", 10),
    ("党员", 13),
    ("岗位", 18),
    ("类别", 10),
    ("承诺内容", 31),
    ("目标", 19),
    ("完成时限", 21),
    ("状态", 17),
    ("进度", 12),
    ("最新践诺记录", 28),
    ("佐证", 9),
    ("群众满意度\n满意/基本/不满意", 18),
    ("得分", 10),
    ("等次", 9),
]
# All branches: a 党支部 column, paid for by the widest text columns.
BRANCH_COLUMN = ("党支部", 18)
NARROWER_FOR_BRANCH = {"承诺内容": 7, "目标": 4, "最新践诺记录": 4, "岗位": 3}


def columns(params: ReportParams) -> list[tuple[str, float]]:
    if params.branch is not None:
        return COLUMNS
    cols = [(name, width - NARROWER_FOR_BRANCH.get(name, 0)) for name, width in COLUMNS]
    return [cols[0], BRANCH_COLUMN, *cols[1:]]


def count_rows(params: ReportParams) -> int:
    assert params.period is not None
    return count_period_rows(params.branch_ids, params.period, params.today)


def title(params: ReportParams) -> str:
    period = params.period.label if params.period is not None else ""
    return f"{params.scope_name}{period}{LABEL}"


def _short(text: str | None, limit: int = RECORD_CHARS) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def state_text(r: PeriodRow) -> str:
    """The state at the period's end, with "逾期N天" under it when overdue."""
    if r.is_overdue:
        return f"{r.state_label}\n{OVERDUE_LABEL}{r.days_overdue}天"
    return r.state_label


def _cells(n: int, r: PeriodRow, with_branch: bool) -> tuple[object, ...]:
    record = ""
    if r.latest_record_on is not None:
        # The date on a line of its own: a narrow column must not break it.
        record = f"{r.latest_record_on:%Y-%m-%d}\n{_short(r.latest_record)}"
    votes = ""
    ratings = r.satisfied + r.basic + r.unsatisfied  # r.ratings, once per row
    if ratings:
        votes = f"{r.satisfied}/{r.basic}/{r.unsatisfied}"
        if ratings >= r.min_ratings:  # r.is_rated: its r.satisfaction is shown
            votes += f"\n满意率{(r.satisfied + r.basic) / ratings:.1%}"
    # Text, not numbers and dates: what the document engine would make of them.
    cells = (
        str(n),
        # 代填 (entered by the secretary) on a line of its own: the column is narrow.
        f"{r.member}\n代填" if r.entered_by else r.member,
        r.post,
        r.category,
        r.content,
        r.target,
        r.deadline.isoformat(),
        state_text(r),
        f"{r.progress}%",
        record,
        str(r.evidence_count),
        votes,
        f"{r.score:g}" if r.score is not None else "",
        r.grade or "",
    )
    return (cells[0], r.branch, *cells[1:]) if with_branch else cells


def table_rows(
    params: ReportParams, counter: FigureCounter | None = None
) -> Iterator[tuple[object, ...]]:
    """Ledger rows as table cells, streamed: the commitments published by the period's
    end and active during it, as they stood at its end. With ``counter``, every row of
    ``commitment_period_figures`` (those awaiting approval too) is counted on the way:
    one pass over one query gives both the table and the summary's figures."""
    assert params.period is not None
    rows = period_rows(
        params.branch_ids, params.period, params.today, published_only=counter is None
    )
    with_branch = params.branch is None
    n = 0
    for row in rows:
        if counter is not None:
            counter.add(row)
            if not row.is_published:
                continue
        n += 1
        yield _cells(n, row, with_branch)


# --------------------------------------------------------------------------- summary


def summary_text(params: ReportParams, f: CommitmentPeriodFigures) -> list[str]:
    """The summary, every figure from ``commitment_period_figures`` (as of the end)."""
    assert params.period is not None
    scope = f"{params.scope_name}{params.period.label}"
    when = "期末" if f.is_final else f"截至{cn_date(f.as_of)}"
    extra = f"；另有已撤回的承诺{f.withdrawn}项，列入台账备查" if f.withdrawn else ""
    if not f.made:
        return [f"{scope}没有党员承诺{extra}。"]
    states = "、".join(
        f"{STATE_LABELS[s]}{f.by_state[s]}项" for s in CommitmentState if f.by_state.get(s)
    )
    lines = [
        f"{scope}共有{f.members}名党员作出承诺{f.made}项，其中公开亮诺{f.published}项；"
        f"按{when}状态，{states}；已过完成时限仍未完成（逾期）{f.overdue}项{extra}。"
    ]
    if f.evaluated:
        grades = "、".join(f"“{g}”{n}项" for g, n in f.graded())
        average = f"，平均得分{f.average_score:.1f}分" if f.average_score is not None else ""
        lines.append(
            f"已评诺{f.evaluated}项，评定等次{grades}{average}；"
            f"评诺完成率{percent(f.evaluated, f.published)}。"
        )
    if f.rates_visible:
        spread = "、".join(f"{label}{n}人次" for label, n in f.spread())
        lines.append(
            f"群众评价共{f.rating_count}人次（{spread}）；在{f.published}项亮诺承诺中，"
            f"有{f.rated}项获得{f.participation_min}人次以上评价，群众参评率"
            f"{rate_text(f.participation_rate)}，群众满意率{rate_text(f.satisfaction_rate)}。"
        )
    else:
        lines.append(
            f"群众评价{f.rating_count}人次，不足{f.min_count}人次，暂不计算参评率和满意率。"
        )
    return lines


def notes(params: ReportParams) -> list[str]:
    return [
        f"说明：{PERIOD_RULE}已过完成时限、期末仍未评诺或关闭的承诺标“逾期”；单项承诺获得"
        f"{participation_min()}人次以上群众评价的计入参评并列出满意率；"
        "得分为党员述、支部讲、领导点、群众评的百分制综合得分。"
    ]


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    assert params.period is not None
    total = count_rows(params)
    # Wholly landscape: the summary and the first rows share the first page.
    doc = OfficialDocument(f"{params.scope_name}{LABEL}", issuer=params.issuer, landscape=True)
    doc.paragraph(period_heading(params.period, params.today), indent=False, align="center")
    # The summary comes first on the page but is added up (FigureCounter, the code of
    # commitment_period_figures) while the rows stream into the table; it is then
    # written at the mark left for it.
    summary_at = doc.mark()
    counter = FigureCounter(params.period, params.today)
    rows = doc.table(
        columns(params),
        tracked(table_rows(params, counter), total, progress),
        landscape_section=True,
        font_size_pt=TABLE_FONT_PT,
    )
    with doc.writing_at(summary_at):
        for line in summary_text(params, counter.done()):
            doc.summary(line)
    doc.sign_off(params.today, signers=signers(params), seal=True, notes=notes(params))
    return BuiltReport(doc, rows)


KIND = register(
    ReportKind(
        key="commitments",
        label=LABEL,
        description="按党支部（审阅人员可选全部党支部）和期间导出承诺、践诺、评诺情况，横向表格",
        build=build,
        count_rows=count_rows,
        title=title,
        period="required",
        all_branches=True,
        roles=frozenset({Role.admin, Role.reviewer, Role.secretary}),
        order=10,
    )
)
