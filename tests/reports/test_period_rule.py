"""Issue 14, point 1: one period rule. A row belongs to a period if the item was active
during it; every figure is taken as of the period's end (records, ratings, evaluations
and state changes after it are not counted; the state is the timeline's at the end);
a period that has not ended is labelled 截至 <date>.

The commitment ``x`` has records, evidence and ratings on both sides of the Q3/Q4 edge
(30 September / 1 October) and is evaluated on 20 October: its Q3 row and its October
row differ, and so do the summaries, which are written from
``commitment_period_figures``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from types import SimpleNamespace
from typing import Any

import pytest

from partybuild.commitments.models import (
    Commitment,
    CommitmentBatch,
    CommitmentEvent,
    CommitmentState,
    PublicRating,
    RatingLevel,
)
from partybuild.core.timeutil import LOCAL_TZ, cn_date, local_today
from partybuild.extensions import db
from partybuild.reports import registry
from partybuild.reports.commitment_figures import commitment_period_figures, period_rows
from partybuild.reports.documents.commitment_ledger import summary_text
from partybuild.reports.periods import as_of, parse_period, period_heading
from tests.reports.conftest import _hashes, add_commitment, add_record
from tests.reports.docx_checks import table_data
from tests.reports.test_documents import export, paragraphs

S = CommitmentState
L = RatingLevel


def local(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL_TZ)


def rate(c: Commitment, on: date, *levels: RatingLevel) -> None:
    for level in levels:
        n = next(_hashes)
        db.session.add(
            PublicRating(
                commitment_id=c.id, level=level, browser_hash=f"e{n:063d}",
                ip_hash=f"f{n:063d}", rated_on=on, created_at=local(on),
            )
        )  # fmt: skip


def event(c: Commitment, action: str, before: S | None, after: S, at: datetime) -> None:
    db.session.add(
        CommitmentEvent(
            commitment_id=c.id, action=action, from_state=before, to_state=after, created_at=at
        )
    )


@pytest.fixture
def edge(org: Any, make_member: Callable, make_user: Callable) -> SimpleNamespace:
    m1 = make_member(branch=org.a, name="边界甲", post=org.post, department=org.department)
    m2 = make_member(branch=org.a, name="边界乙")
    batch = CommitmentBatch(
        branch_id=org.a.id,
        title="2026年度党员承诺",
        commit_start=date(2026, 1, 1),
        commit_end=date(2026, 12, 31),
        evaluation_start=date(2026, 10, 1),
        evaluation_end=date(2027, 1, 31),
    )
    db.session.add(batch)
    db.session.flush()
    # x: published in June, records and ratings either side of the edge, evaluated 20 Oct.
    x = add_commitment(
        batch, m1, S.evaluated, submitted=date(2026, 6, 5), deadline=date(2026, 12, 31),
        score=93.0, grade="好", progress=80, content="边界承诺：化解信访积案",
    )  # fmt: skip
    x.published_at = local(date(2026, 6, 10))
    x.evaluation_requested_at = local(date(2026, 10, 15))
    x.evaluated_at = local(date(2026, 10, 20))
    event(x, "submit", S.draft, S.submitted, local(date(2026, 6, 5)))
    event(x, "publish", S.submitted, S.published, local(date(2026, 6, 10)))
    event(x, "add_record", S.published, S.in_progress, local(date(2026, 9, 20)))
    # The last minute of Q3 and the first of Q4: only the first counts for Q3.
    event(x, "supervise", S.in_progress, S.in_progress, local(date(2026, 9, 30), 23, 59))
    event(x, "request_evaluation", S.in_progress, S.awaiting_evaluation, local(date(2026, 10, 1), 0, 0))  # fmt: skip
    event(x, "finalise", S.awaiting_evaluation, S.evaluated, local(date(2026, 10, 20)))
    add_record(x, date(2026, 9, 20), "九月二十日记录", 30)
    add_record(x, date(2026, 9, 30), "九月三十日记录", 50, evidence=1)
    add_record(x, date(2026, 10, 1), "十月一日记录", 60)
    add_record(x, date(2026, 10, 5), "十月五日记录", 80, evidence=1)
    rate(x, date(2026, 9, 30), L.satisfied, L.satisfied, L.satisfied)
    rate(x, date(2026, 10, 1), L.satisfied, L.unsatisfied)
    # y: published in July, deadline 15 September, nothing done: 逾期 at both ends.
    y = add_commitment(
        batch, m2, S.published, submitted=date(2026, 7, 1), deadline=date(2026, 9, 15),
        content="边界承诺：走访重点信访人",
    )  # fmt: skip
    # z: published in October: not in Q3.
    z = add_commitment(
        batch, m2, S.published, submitted=date(2026, 10, 10), deadline=date(2026, 12, 20),
        content="边界承诺：四季度专项",
    )  # fmt: skip
    # w: evaluated in June: finished before Q3 began, so in neither ledger.
    w = add_commitment(
        batch, m1, S.evaluated, submitted=date(2026, 6, 1), deadline=date(2026, 6, 30),
        score=80.0, grade="中", content="边界承诺：上半年已评诺",
    )  # fmt: skip
    db.session.commit()
    return SimpleNamespace(org=org, x=x, y=y, z=z, w=w, admin=make_user("admin"))


def rows_by_content(document: Any) -> dict[str, list[str]]:
    return {row[4]: row for row in table_data(document.tables[-1])}


def test_q3_ledger_is_as_of_30_september(edge: SimpleNamespace) -> None:
    _, document = export("commitments", edge.admin, branch="a", period="2026Q3")
    rows = rows_by_content(document)
    assert set(rows) == {edge.x.content, edge.y.content}
    x = rows[edge.x.content]
    # State from the timeline at the end (践诺中, not today's 已评诺); the record of
    # 30 September counts, that of 1 October does not; so for evidence and ratings.
    assert x[7:12] == ["践诺中", "50%", "2026-09-30\n九月三十日记录", "1", "3/0/0\n满意率100.0%"]
    assert x[12:] == ["", ""]  # evaluated only on 20 October
    assert rows[edge.y.content][7] == "已亮诺\n逾期15天"
    text = paragraphs(document)
    assert document.paragraphs[1].text == "（2026年第三季度）"
    assert "按期末状态，已亮诺1项、践诺中1项；已过完成时限仍未完成（逾期）1项。" in text
    assert "已评诺" not in text.split("说明：")[0]
    assert "群众评价3人次，不足5人次，暂不计算参评率和满意率。" in text


def test_october_ledger_counts_what_happened_by_31_october(edge: SimpleNamespace) -> None:
    _, document = export("commitments", edge.admin, branch="A", period="2026-10")
    rows = rows_by_content(document)
    assert set(rows) == {edge.x.content, edge.y.content, edge.z.content}
    x = rows[edge.x.content]
    assert x[7:] == [
        "已评诺", "80%", "2026-10-05\n十月五日记录", "2", "4/0/1\n满意率80.0%", "93", "好",
    ]  # fmt: skip
    assert rows[edge.y.content][7] == "已亮诺\n逾期46天"
    text = paragraphs(document)
    assert "已评诺1项，评定等次“好”1项，平均得分93.0分；评诺完成率33.3%。" in text
    assert "有1项获得3人次以上评价，群众参评率33.3%，群众满意率80.0%。" in text


def test_the_summary_is_written_from_commitment_period_figures(edge: SimpleNamespace) -> None:
    for code in ("2026Q3", "2026-10", "2026"):
        period = parse_period(code)
        figures = commitment_period_figures([edge.org.a.id], period)
        _, document = export("commitments", edge.admin, branch="A", period=code)
        params = registry.resolve(registry.get("commitments"), {"branch": "A", "period": code})
        for line in summary_text(params, figures):
            assert line in paragraphs(document), (code, line)
        ledger_rows = table_data(document.tables[-1])
        assert figures.published == len(ledger_rows)  # none withdrawn here
        overdue = sum(1 for r in ledger_rows if "逾期" in r[7])
        assert figures.overdue == overdue
    q3 = commitment_period_figures([edge.org.a.id], parse_period("2026Q3"))
    assert (q3.made, q3.published, q3.fulfilled, q3.evaluated, q3.overdue) == (2, 2, 0, 0, 1)
    assert q3.rating_count == 3 and q3.satisfaction_rate is None and q3.is_final
    october = commitment_period_figures([edge.org.a.id], parse_period("2026-10"))
    assert (october.made, october.published, october.fulfilled, october.evaluated) == (3, 3, 1, 1)
    assert october.grades == {"好": 1} and october.average_score == 93.0
    assert october.participation_rate == pytest.approx(1 / 3)
    assert october.satisfaction_rate == pytest.approx(0.8)
    year = commitment_period_figures([edge.org.a.id], parse_period("2026"))
    assert year.evaluated == 2 and year.grades == {"好": 1, "中": 1}  # w counts in 2026


def test_a_period_not_yet_over_is_labelled_as_of_today(edge: SimpleNamespace) -> None:
    today = local_today()
    current = parse_period(f"{today.year}-{today.month:02d}")
    assert as_of(current, today) == today
    assert period_heading(current, today) == f"（{current.label}，截至{cn_date(today)}）"
    assert period_heading(parse_period("2026Q3"), date(2026, 11, 27)) == "（2026年第三季度）"
    assert period_heading(parse_period("2026Q4"), date(2026, 11, 27)) == (
        "（2026年第四季度，截至2026年11月27日）"
    )
    _, document = export("commitments", edge.admin, branch="A", period=str(today.year))
    if today < date(today.year, 12, 31):
        assert document.paragraphs[1].text == f"（{today.year}年，截至{cn_date(today)}）"


def test_one_branch_reads_its_own_rows_of_the_all_branch_query(
    edge: SimpleNamespace, make_member: Callable
) -> None:
    """The ledger query computes the timeline, records, evidence and ratings once per
    table, kept to the branches asked for: a branch's rows are exactly its rows of the
    all-branch query, whatever another branch's commitments hold."""
    org = edge.org
    other = CommitmentBatch(
        branch_id=org.b.id,
        title="2026年度党员承诺",
        commit_start=date(2026, 1, 1),
        commit_end=date(2026, 12, 31),
        evaluation_start=date(2026, 10, 1),
        evaluation_end=date(2027, 1, 31),
    )
    db.session.add(other)
    db.session.flush()
    b = add_commitment(
        other, make_member(branch=org.b, name="边界丙"), S.in_progress,
        submitted=date(2026, 6, 5), deadline=date(2026, 12, 31), content="乙支部承诺",
    )  # fmt: skip
    b.published_at = local(date(2026, 6, 10))
    event(b, "publish", S.submitted, S.published, local(date(2026, 6, 10)))
    event(b, "add_record", S.published, S.in_progress, local(date(2026, 9, 1)))
    add_record(b, date(2026, 9, 1), "乙支部记录", 40, evidence=2)
    rate(b, date(2026, 9, 2), L.basic, L.unsatisfied, L.satisfied)
    db.session.commit()
    today = date(2026, 11, 27)
    for code in ("2026Q3", "2026-10", "2026"):
        period = parse_period(code)
        for published_only in (True, False):
            every = list(period_rows(None, period, today, published_only=published_only))
            for branch in (org.a, org.b):
                own = list(period_rows([branch.id], period, today, published_only=published_only))
                assert own == [r for r in every if r.branch == branch.name]
                assert own  # each branch has rows in each of these periods
    [row_b] = period_rows([org.b.id], parse_period("2026Q3"), today)
    assert (row_b.state, row_b.record_count, row_b.evidence_count, row_b.ratings) == (
        S.in_progress, 1, 2, 3,
    )  # fmt: skip
