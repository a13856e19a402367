"""党员承诺践诺台账: the commitments of a branch (or every branch) for a period.

The rows are the commitments domain's own ``ledger_rows`` (the .xlsx ledger uses the
same query): batches whose span overlaps the period, published commitments only,
withdrawn ones kept and labelled. One streamed SELECT, so 10,000 rows cost the same
few queries as ten. The summary is added up over exactly those rows as they stream
(``LedgerFigures``), and written above the table afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import sqlalchemy as sa

from partybuild.commitments.export import LedgerRow, ledger_query, ledger_rows
from partybuild.commitments.models import (
    PUBLIC_STATES,
    STATE_LABELS,
    Commitment,
    CommitmentState,
    RatingLevel,
)
from partybuild.commitments.rates import RateSummary
from partybuild.core.permissions import Role
from partybuild.core.settings import setting
from partybuild.extensions import db
from partybuild.reports.document import OfficialDocument
from partybuild.reports.documents import percent, rate_text, tracked
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "党员承诺践诺台账"
TABLE_FONT_PT = 9
# Latest-record text is cut here: the ledger points at the record, the timeline has it all.
RECORD_CHARS = 60

# Landscape, 225 mm. The header wording follows the column list. Widths were
# checked in LibreOffice with fallback fonts (wider Latin digits than 仿宋): a date
# (2026-12-28) fits 完成时限 and 最新践诺记录, 100% fits 进度 and 94.2 fits 得分.
COLUMNS = [
    ("序号", 10),
    ("党员", 13),
    ("岗位", 18),
    ("类别", 10),
    ("承诺内容", 31),
    ("目标", 23),
    ("完成时限", 21),
    ("状态", 13),
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


def _query(params: ReportParams) -> sa.Select:
    period = params.period
    return ledger_query(
        params.branch_ids,
        period.start if period else None,
        period.end if period else None,
    )


def count_rows(params: ReportParams) -> int:
    stmt = _query(params).with_only_columns(sa.func.count(Commitment.id)).order_by(None)
    return db.session.scalar(stmt) or 0


def title(params: ReportParams) -> str:
    period = params.period.label if params.period is not None else ""
    return f"{params.scope_name}{period}{LABEL}"


def _short(text: str | None, limit: int = RECORD_CHARS) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cells(n: int, r: LedgerRow, with_branch: bool) -> tuple[object, ...]:
    record = ""
    if r.latest_record_on is not None:
        # The date on a line of its own: a narrow column must not break it.
        record = f"{r.latest_record_on:%Y-%m-%d}\n{_short(r.latest_record)}"
    votes = ""
    if r.ratings:
        votes = f"{r.satisfied}/{r.basic}/{r.unsatisfied}"
        if r.satisfaction is not None:
            votes += f"\n满意率{r.satisfaction:.1%}"
    cells = (
        n,
        # 代填 (entered by the secretary) on a line of its own: the column is narrow.
        f"{r.member}\n代填" if r.entered_by else r.member,
        r.post,
        r.category,
        r.content,
        r.target,
        r.deadline,
        r.state_label,
        f"{r.progress}%",
        record,
        r.evidence_count,
        votes,
        f"{r.score:g}" if r.score is not None else "",
        r.grade or "",
    )
    return (n, r.branch, *cells[1:]) if with_branch else cells


def table_rows(
    params: ReportParams, figures: LedgerFigures | None = None
) -> Iterator[tuple[object, ...]]:
    """Ledger rows as table cells, streamed; each row is also counted in ``figures``."""
    period = params.period
    rows = ledger_rows(
        params.branch_ids,
        period.start if period else None,
        period.end if period else None,
    )
    with_branch = params.branch is None
    for n, row in enumerate(rows, start=1):
        if figures is not None:
            figures.add(row)
        yield _cells(n, row, with_branch)


# --------------------------------------------------------------------------- summary


class LedgerFigures:
    """Counts by state and grade, members, average score and the public rates, added
    up over the very rows written to the ledger (no second query).

    The public rates follow ``commitments.rates``: only commitments on the public board
    count (published, not withdrawn, in a public state); 参评率 counts those with at
    least PARTICIPATION_MIN_RATINGS ratings."""

    def __init__(self) -> None:
        self.by_state: dict[CommitmentState, int] = {}
        self.withdrawn = 0
        self.grades: dict[str, int] = {}
        self._members: set[int] = set()
        self._scores: list[float] = []
        self.rates = RateSummary(
            min_count=setting("PUBLIC_RATING_MIN_COUNT"),
            participation_min=setting("PARTICIPATION_MIN_RATINGS"),
        )

    def add(self, row: LedgerRow) -> None:
        state = CommitmentState(row.state)
        if row.is_withdrawn:
            self.withdrawn += 1
        else:
            self.by_state[state] = self.by_state.get(state, 0) + 1
            self._members.add(row.member_id)
            if row.score is not None:
                self._scores.append(float(row.score))
            if row.grade is not None:
                self.grades[row.grade] = self.grades.get(row.grade, 0) + 1
        if row.published_at is not None and not row.is_withdrawn and state in PUBLIC_STATES:
            self.rates.published += 1
            if row.ratings >= self.rates.participation_min:
                self.rates.rated += 1
            for level in RatingLevel:
                self.rates.counts[level.value] += getattr(row, level.value)

    def as_dict(self) -> dict[str, object]:
        return {
            "by_state": self.by_state,
            "withdrawn": self.withdrawn,
            "members": len(self._members),
            "avg_score": sum(self._scores) / len(self._scores) if self._scores else None,
            "grades": self.grades,
            "rates": self.rates,
        }


# Every ledger commitment has been published (亮诺), so "其中已亮诺N项" would read as a
# contradiction: in the summary the published state is named for what it waits for.
SUMMARY_STATE_LABELS = {CommitmentState.published: "待践诺"}


def summary_text(params: ReportParams, f: dict) -> list[str]:
    by_state: dict[CommitmentState, int] = f["by_state"]
    total = sum(by_state.values())
    scope = f"{params.scope_name}{params.period.label if params.period else ''}"
    withdrawn = f["withdrawn"]
    extra = f"；另有已撤回的承诺{withdrawn}项，列入台账备查" if withdrawn else ""
    if not total:
        return [f"{scope}没有已亮诺的党员承诺{extra}。"]
    parts = "、".join(
        f"{SUMMARY_STATE_LABELS.get(s, STATE_LABELS[s])}{by_state[s]}项"
        for s in CommitmentState
        if by_state.get(s)
    )
    lines = [f"{scope}共有{f['members']}名党员亮诺{total}项，其中{parts}{extra}。"]
    evaluated = by_state.get(CommitmentState.evaluated, 0)
    if evaluated:
        grades = "、".join(f"“{g}”{n}项" for g, n in sorted(f["grades"].items(), key=_grade_key))
        lines.append(
            f"已评诺{evaluated}项，评定等次{grades}，平均得分{f['avg_score']:.1f}分；"
            f"评诺完成率{percent(evaluated, total)}。"
        )
    public: RateSummary = f["rates"]
    if public.visible:
        spread = "、".join(f"{label}{n}人次" for label, n, _share in public.spread())
        lines.append(
            f"群众评价共{public.ratings}人次（{spread}）；在{public.published}项亮诺承诺中，"
            f"有{public.rated}项获得{public.participation_min}人次以上评价，群众参评率"
            f"{rate_text(public.participation_rate)}，"
            f"群众满意率{rate_text(public.satisfaction_rate)}。"
        )
    else:
        lines.append(
            f"群众评价{public.ratings}人次，不足{public.min_count}人次，暂不计算参评率和满意率。"
        )
    return lines


def _grade_key(item: tuple[str, int]) -> int:
    order = [g for _, g in setting("COMMITMENT_GRADES")]
    return order.index(item[0]) if item[0] in order else len(order)


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    total = count_rows(params)
    # Wholly landscape: the summary and the first rows share the first page.
    doc = OfficialDocument(f"{params.scope_name}{LABEL}", issuer=params.issuer, landscape=True)
    if params.period is not None:
        doc.paragraph(f"（{params.period.label}）", indent=False, align="center")
    # The summary comes first on the page but is added up while the rows stream into
    # the table; it is then written at the mark left for it.
    summary_at = doc.mark()
    figures = LedgerFigures()
    rows = doc.table(
        columns(params),
        tracked(table_rows(params, figures), total, progress),
        landscape_section=True,
        font_size_pt=TABLE_FONT_PT,
    )
    with doc.writing_at(summary_at):
        for line in summary_text(params, figures.as_dict()):
            doc.summary(line)
    doc.paragraph(
        "说明：群众满意度为满意、基本满意、不满意的人次；得分为党员述、支部讲、"
        "领导点、群众评的百分制综合得分。"
    )
    doc.signature(None, params.today)
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
