"""党员承诺践诺台账: every commitment of a branch (or all branches) live in a period.

A commitment belongs to the period when it was submitted before the period ended and
its deadline is not before the period started; drafts and withdrawn commitments are
not in the ledger. The rows come from one streamed query (latest record and rating
counts joined as subqueries), so 10,000 rows cost the same few queries as ten.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import sqlalchemy as sa

from partybuild.commitments.models import (
    STATE_LABELS,
    Commitment,
    CommitmentState,
    FulfilmentRecord,
    PublicRating,
    RatingLevel,
    setting,
)
from partybuild.core.permissions import Role
from partybuild.extensions import db
from partybuild.org.models import Branch, Member, Post
from partybuild.reports.document import OfficialDocument
from partybuild.reports.documents import local_midnight_after, percent, tracked
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "党员承诺践诺台账"
TABLE_FONT_PT = 9
# Latest-record text is cut here: the ledger points at the record, the timeline has it all.
RECORD_CHARS = 60

# Landscape, 225 mm. The header wording follows the column list.
COLUMNS = [
    ("序号", 9),
    ("党员", 13),
    ("岗位", 17),
    ("类别", 10),
    ("承诺内容", 34),
    ("目标", 26),
    ("完成时限", 18),
    ("状态", 13),
    ("进度", 10),
    ("最新践诺记录", 30),
    ("佐证", 9),
    ("群众满意度\n满意/基本/不满意", 16),
    ("得分", 10),
    ("等次", 9),
]


def _scope(params: ReportParams) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [
        Commitment.state != CommitmentState.draft,
        Commitment.is_withdrawn.is_(False),
        Commitment.submitted_at.is_not(None),
    ]
    if params.period is not None:
        conditions += [
            Commitment.submitted_at < local_midnight_after(params.period.end),
            Commitment.deadline >= params.period.start,
        ]
    if params.branch_ids is not None:
        conditions.append(Commitment.branch_id.in_(params.branch_ids))
    return conditions


def count_rows(params: ReportParams) -> int:
    stmt = sa.select(sa.func.count(Commitment.id)).where(*_scope(params))
    return db.session.scalar(stmt) or 0


def title(params: ReportParams) -> str:
    period = params.period.label if params.period is not None else ""
    return f"{params.scope_name}{period}{LABEL}"


def _latest_records() -> sa.Subquery:
    """Each commitment's newest fulfilment record (by day, then id)."""
    ranked = sa.select(
        FulfilmentRecord.commitment_id.label("cid"),
        FulfilmentRecord.recorded_on.label("on"),
        FulfilmentRecord.text.label("text"),
        sa.func.row_number()
        .over(
            partition_by=FulfilmentRecord.commitment_id,
            order_by=(FulfilmentRecord.recorded_on.desc(), FulfilmentRecord.id.desc()),
        )
        .label("rn"),
    ).subquery("ranked_records")
    return (
        sa.select(ranked.c.cid, ranked.c.on, ranked.c.text)
        .where(ranked.c.rn == 1)
        .subquery("latest_records")
    )


def _rating_counts() -> sa.Subquery:
    def level(lv: RatingLevel) -> sa.ColumnElement[int]:
        return sa.func.count(PublicRating.id).filter(PublicRating.level == lv)

    return (
        sa.select(
            PublicRating.commitment_id.label("cid"),
            level(RatingLevel.satisfied).label("satisfied"),
            level(RatingLevel.basic).label("basic"),
            level(RatingLevel.unsatisfied).label("unsatisfied"),
        )
        .group_by(PublicRating.commitment_id)
        .subquery("rating_counts")
    )


def _short(text: str | None, limit: int = RECORD_CHARS) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ledger_rows(params: ReportParams) -> Iterator[tuple[object, ...]]:
    """Plain ledger rows in table order, streamed (one query)."""
    latest = _latest_records()
    ratings = _rating_counts()
    stmt = (
        sa.select(
            Member.name,
            Post.name,
            Commitment.category,
            Commitment.content,
            Commitment.target,
            Commitment.deadline,
            Commitment.state,
            Commitment.progress,
            latest.c.on,
            latest.c.text,
            Commitment.evidence_count,
            ratings.c.satisfied,
            ratings.c.basic,
            ratings.c.unsatisfied,
            Commitment.score,
            Commitment.grade,
        )
        .join(Member, Commitment.member_id == Member.id)
        .join(Branch, Commitment.branch_id == Branch.id)
        .outerjoin(Post, Member.post_id == Post.id)
        .outerjoin(latest, latest.c.cid == Commitment.id)
        .outerjoin(ratings, ratings.c.cid == Commitment.id)
        .where(*_scope(params))
        .order_by(
            Branch.code,
            Member.is_leader.desc(),
            Member.name,
            Member.id,
            Commitment.deadline,
            Commitment.id,
        )  # fmt: skip
        .execution_options(yield_per=1000)
    )
    labels = {state.value: label for state, label in STATE_LABELS.items()}
    for n, row in enumerate(db.session.execute(stmt), start=1):
        (name, post, category, content, target, deadline, state, progress, record_on,
         record_text, evidence, satisfied, basic, unsatisfied, score, grade) = row  # fmt: skip
        record = f"{record_on:%Y-%m-%d} {_short(record_text)}" if record_on is not None else ""
        votes = (satisfied or 0) + (basic or 0) + (unsatisfied or 0)
        yield (
            n,
            name,
            post,
            category,
            content,
            target,
            deadline,
            labels[CommitmentState(state).value],
            f"{progress}%",
            record,
            evidence,
            f"{satisfied}/{basic}/{unsatisfied}" if votes else "",
            f"{score:g}" if score is not None else "",
            grade or "",
        )


# --------------------------------------------------------------------------- summary


def _figures(params: ReportParams) -> dict[str, object]:
    """Counts by state and grade, members, score and rating totals: three queries."""
    scope = _scope(params)
    by_state = dict(
        db.session.execute(
            sa.select(Commitment.state, sa.func.count(Commitment.id))
            .where(*scope)
            .group_by(Commitment.state)
        ).all()
    )
    members, avg_score = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(Commitment.member_id)),
            sa.func.avg(Commitment.score),
        ).where(*scope)
    ).one()
    grades = dict(
        db.session.execute(
            sa.select(Commitment.grade, sa.func.count(Commitment.id))
            .where(*scope, Commitment.grade.is_not(None))
            .group_by(Commitment.grade)
        ).all()
    )
    need = setting("PARTICIPATION_MIN_RATINGS")
    per = (
        sa.select(PublicRating.commitment_id.label("cid"), sa.func.count().label("n"))
        .group_by(PublicRating.commitment_id)
        .subquery()
    )
    on_board, rated = db.session.execute(
        sa.select(
            sa.func.count(Commitment.id),
            sa.func.count(Commitment.id).filter(sa.func.coalesce(per.c.n, 0) >= need),
        )
        .select_from(Commitment)
        .outerjoin(per, per.c.cid == Commitment.id)
        .where(*scope, Commitment.on_public_board())
    ).one()
    levels = dict(
        db.session.execute(
            sa.select(PublicRating.level, sa.func.count(PublicRating.id))
            .join(Commitment, PublicRating.commitment_id == Commitment.id)
            .where(*scope)
            .group_by(PublicRating.level)
        ).all()
    )
    return {
        "by_state": {CommitmentState(k): v for k, v in by_state.items()},
        "members": members or 0,
        "avg_score": avg_score,
        "grades": grades,
        "on_board": on_board or 0,
        "rated": rated or 0,
        "levels": {RatingLevel(k): v for k, v in levels.items()},
        "need": need,
    }


def summary_text(params: ReportParams, f: dict) -> list[str]:
    by_state: dict[CommitmentState, int] = f["by_state"]
    total = sum(by_state.values())
    scope = f"{params.scope_name}{params.period.label if params.period else ''}"
    if not total:
        return [f"{scope}没有已提交的党员承诺（不含草稿和已撤回的承诺）。"]
    parts = "、".join(
        f"{STATE_LABELS[s].replace('（已关闭）', '')}{by_state[s]}项"
        for s in CommitmentState
        if by_state.get(s)
    )
    lines = [
        f"{scope}共有{f['members']}名党员作出承诺{total}项（不含草稿和已撤回的承诺），其中{parts}。"
    ]
    evaluated = by_state.get(CommitmentState.evaluated, 0)
    if evaluated:
        grades = "、".join(f"“{g}”{n}项" for g, n in sorted(f["grades"].items(), key=_grade_key))
        lines.append(
            f"已评诺{evaluated}项，评定等次{grades}，平均得分{f['avg_score']:.1f}分；"
            f"评诺完成率{percent(evaluated, total)}。"
        )
    levels: dict[RatingLevel, int] = f["levels"]
    votes = sum(levels.values())
    min_count = setting("PUBLIC_RATING_MIN_COUNT")
    if votes >= max(min_count, 1):
        good = levels.get(RatingLevel.satisfied, 0) + levels.get(RatingLevel.basic, 0)
        spread = "、".join(f"{lv.label}{levels.get(lv, 0)}人次" for lv in RatingLevel)
        lines.append(
            f"群众评价共{votes}人次（{spread}）；亮诺承诺{f['on_board']}项中，"
            f"{f['rated']}项获得{f['need']}人次以上评价，群众参评率"
            f"{percent(f['rated'], f['on_board'])}，群众满意率{percent(good, votes)}。"
        )
    else:
        lines.append(f"群众评价{votes}人次，不足{min_count}人次，暂不计算参评率和满意率。")
    return lines


def _grade_key(item: tuple[str, int]) -> int:
    order = [g for _, g in setting("COMMITMENT_GRADES")]
    return order.index(item[0]) if item[0] in order else len(order)


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    total = count_rows(params)
    doc = OfficialDocument(title(params), issuer=params.issuer)
    for line in summary_text(params, _figures(params)):
        doc.summary(line)
    rows = doc.table(
        COLUMNS,
        tracked(ledger_rows(params), total, progress),
        landscape_section=True,
        font_size_pt=TABLE_FONT_PT,
    )
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
