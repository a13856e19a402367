"""党建工作情况报告: figures as of the period's end, on both sides of a quarter's edge,
equal to the ledger's, and a document with no placeholder text."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from partybuild.commitments.models import CommitmentState
from partybuild.extensions import db
from partybuild.integrity.models import RiskLevel
from partybuild.meetings.models import MeetingType, TaskState
from partybuild.reports import registry, service
from partybuild.reports import summary_figures as sf
from partybuild.reports.models import ExportStatus
from partybuild.reports.periods import parse_period
from tests.reports import summary_data
from tests.reports.docx_checks import all_text, assert_official_layout, open_docx

TODAY = date(2026, 11, 27)  # Q4 still running: "截至" that day
Q3, Q4, Y = parse_period("2026Q3"), parse_period("2026Q4"), parse_period("2026")
S = CommitmentState


@pytest.fixture
def world(ledger: SimpleNamespace, make_member: Callable) -> SimpleNamespace:
    return summary_data.build(ledger, make_member)


def test_meetings_count_the_local_day_and_the_cadence(world: SimpleNamespace) -> None:
    a = [world.ledger.org.a.id]
    q3 = sf.meeting_figures(a, Q3, TODAY)
    # The assembly at 23:30 on 30 September is Q3's; the one at 00:30 on 1 October is not.
    assert q3.held == 4
    lines = {line.type: line for line in q3.lines}
    assert lines[MeetingType.general_assembly].held == 1
    assert (lines[MeetingType.committee_meeting].due, lines[MeetingType.committee_meeting].met) == (
        3,
        2,
    )
    assert (lines[MeetingType.general_assembly].due, lines[MeetingType.general_assembly].met) == (
        1,
        1,
    )
    missed = {(g.type, g.label) for g in q3.gaps}
    assert (MeetingType.committee_meeting, "2026年9月") in missed
    assert (MeetingType.committee_meeting, "2026年8月") not in missed
    assert (q3.entitled, q3.present) == (30, 26)
    q4 = sf.meeting_figures(a, Q4, TODAY)
    assert q4.held == 1 and (q4.entitled, q4.present) == (10, 4)
    # Q4 is not over: its quarter is not due yet, its months up to November are.
    q4_lines = {line.type: line for line in q4.lines}
    assert q4_lines[MeetingType.general_assembly].due == 0
    assert q4_lines[MeetingType.committee_meeting].due == 1  # October (November ends 30th)
    assert q4.quorum_failed == 1  # 4 of 10


def test_tasks_take_their_state_at_the_end(world: SimpleNamespace) -> None:
    a = [world.ledger.org.a.id]
    q3 = sf.task_figures(a, Q3, TODAY)
    states = {t.title: t.state for t in q3.tasks}
    # Done on 5 October: still open (and 15 days overdue) at the end of September.
    assert states["完成信访积案化解专项行动"] == TaskState.not_started
    assert [(t.title, t.days_overdue) for t in q3.overdue] == [("完成信访积案化解专项行动", 15)]
    assert states["组织党员开展主题教育"] == TaskState.done
    q4 = sf.task_figures(a, Q4, TODAY)
    assert q4.count(TaskState.done) == 2 and not q4.overdue


def test_commitments_as_of_the_end(world: SimpleNamespace) -> None:
    a = [world.ledger.org.a.id]
    q3 = sf.commitment_period_figures(a, Q3, TODAY)
    # The ledger's rule: c2, evaluated before Q3 began, is not active in it; the
    # commitment withdrawn on 1 July is counted apart.
    assert (q3.made, q3.published, q3.withdrawn, q3.members) == (5, 5, 1, 2)
    # g1 was evaluated on 3 October: at the end of September it awaited evaluation.
    assert q3.by_state == {
        S.in_progress: 2, S.evaluated: 1, S.published: 1, S.awaiting_evaluation: 1,
    }  # fmt: skip
    assert (q3.fulfilled, q3.evaluated, q3.overdue) == (2, 1, 3)
    assert q3.grades == {"中": 1} and q3.avg_score == pytest.approx(85.0)
    # The rating given on 2 October is not counted in Q3.
    assert q3.rates.ratings == 5 and q3.rates.rated == 1
    assert q3.rates.satisfaction_rate == pytest.approx(4 / 5)
    year = sf.commitment_period_figures(a, Y, TODAY)
    assert year.by_state[S.evaluated] == 3 and year.grades == {"好": 2, "中": 1}
    assert year.rates.ratings == 8
    assert year.made == 8  # c2, c4 (submitted 10 October) and f1 (Q4 batch) added


def test_integrity_as_of_the_end(world: SimpleNamespace) -> None:
    a = [world.ledger.org.a.id]
    q3 = sf.integrity_figures(a, Q3, TODAY)
    assert q3.points == 1 and q3.by_level == {RiskLevel.high: 1}
    assert q3.by_category == {"权力行使": 1}
    assert (q3.reviews, q3.rect_opened, q3.rect_closed) == (1, 1, 0)
    assert (q3.rect_open_at_end, q3.rect_overdue_at_end, q3.reminders) == (1, 1, 1)
    q4 = sf.integrity_figures(a, Q4, TODAY)
    assert q4.by_level == {RiskLevel.low: 1}
    assert (q4.reviews, q4.rect_opened, q4.rect_closed, q4.rect_open_at_end) == (1, 0, 1, 0)
    assert q4.reminders == 1


def test_greetings_and_model_posts_at_the_edge(world: SimpleNamespace) -> None:
    a = [world.ledger.org.a.id]
    q3 = sf.greeting_figures(a, Q3, TODAY)
    assert (q3.due, q3.greeted, q3.gifts) == (3, 1, 1)  # 1 July x2, 30 September
    q4 = sf.greeting_figures(a, Q4, TODAY)
    assert (q4.due, q4.greeted, q4.gifts) == (1, 1, 0)
    posts = sf.model_post_figures(a, Q3, TODAY)
    assert posts.designated == 1
    assert [(r.title, r.closed, r.top) for r in posts.rounds] == [
        ("三季度测评", True, [(1, "信访接待党员示范岗", 92.5)])
    ]
    assert [r.title for r in sf.model_post_figures(a, Q4, TODAY).rounds] == ["国庆测评"]


@pytest.mark.parametrize(("branch", "period"), [("A", "2026Q3"), ("all", "2026Q3"), ("A", "2026")])
def test_commitment_figures_equal_the_ledgers(
    ledger: SimpleNamespace, branch: str, period: str
) -> None:
    """Where the ledger shows a figure, the work report shows the same one: both documents
    built for the same scope and period, their figures read back from the Word files."""

    def text_of(key: str) -> str:
        kind = registry.get(key)
        params = registry.resolve(kind, {"branch": branch, "period": period})
        built = kind.build(params, registry.no_progress)
        return "".join("".join(all_text(open_docx(built.document.to_bytes()))).split())

    ledger_text, report_text = text_of("commitments"), text_of("summary")

    def one(pattern: str, text: str) -> str:
        found = re.findall(pattern, text)
        assert len(set(found)) == 1, (pattern, found)
        return found[0]

    assert one(r"已评诺(\d+)项", report_text) == one(r"已评诺(\d+)项", ledger_text)
    assert one(r"逾期未完成(\d+)项", report_text) == one(r"（逾期）(\d+)项", ledger_text)
    for rate in ("群众参评率", "群众满意率"):
        # (followed by punctuation: commitment targets such as “群众满意率95%以上” are not figures)
        pattern = rate + r"([\d.]+%)[。，]"
        assert one(pattern, report_text) == one(pattern, ledger_text)
    mine = sf.commitment_period_figures(
        registry.resolve(
            registry.get("commitments"), {"branch": branch, "period": period}
        ).branch_ids,
        parse_period(period),
    )
    assert mine.evaluated == int(one(r"已评诺(\d+)项", ledger_text))


PLACEHOLDERS = re.compile(r"XX|××|某某|待填|TODO|None|nan|\{|\}|□|＿＿")


def export_text(user, **data) -> tuple[object, list[str]]:  # noqa: ANN001
    record = service.request_export("summary", data, user)
    db.session.commit()
    record = service.generate_export(record)
    db.session.commit()
    assert record.status == ExportStatus.done, record.error
    document = open_docx(service.read_verified(record))
    assert_official_layout(document)
    return record, all_text(document)


def test_report_says_what_the_figures_say(world: SimpleNamespace) -> None:
    record, text = export_text(world.ledger.users.secretary, branch="A", period="2026Q3")
    assert record.title == "第一党支部2026年第三季度党建工作情况报告"
    body = "\n".join(text)
    assert not PLACEHOLDERS.search(body), PLACEHOLDERS.search(body)
    for heading in (
        "一、组织生活开展情况",
        "二、重点任务推进情况",
        "三、党员承诺践诺评诺情况",
        "四、廉政风险防控情况",
        "五、政治生日关怀情况",
        "六、党员示范岗创建情况",
        "七、存在的问题和下一步工作",
    ):
        assert heading in text, heading
    for sentence in (
        "各项数字均截至2026年9月30日",
        "本期共召开组织生活会议4次",
        "支部委员会（每月）应召开3次，按期召开2次，缺1次",
        "应到会30人次，实到26人次，出席率86.7%",
        "本期共有重点任务2项",
        "逾期未完成1项",
        "本期共有2名党员公开亮诺5项",
        "已评诺1项，评定等次“中”1项，平均得分85.0分",
        "群众参评率20.0%，低于90%的目标",
        "群众满意率80.0%，低于90%的目标",
        "在册廉政风险防控点1个，按类别为权力行使1个，按风险等级为高1个",
        "期末尚未销号1项，其中逾期1项",
        "开展提醒谈话1次",
        "本期有3名党员过政治生日，已发送电子贺卡1张",
        "“三季度测评”测评（2026年9月28日结束）参评示范岗1个",
        "第1名信访接待党员示范岗（92.5分）",
        "缺8次：2026年9月支部委员会；2026年7月党小组会",
        "2026年第三季度党建工作专题会议",
        "完成信访积案化解专项行动（逾期15天）",
        "党员承诺逾期未完成3项",
        "群众参评率为20.0%、群众满意率为80.0%，低于90%的目标。",
        "提高群众参评率和群众满意率。",
        "2名党员的政治生日未发送贺卡",
    ):
        assert sentence in body, sentence


def test_unfinished_period_is_labelled_as_of_today(world: SimpleNamespace) -> None:
    data = {"branch": "A", "period": "2026Q4"}
    record = service.request_export("summary", data, world.ledger.users.secretary)
    db.session.commit()
    # The export's own "today" is the real one; check the wording through the figures.
    from partybuild.reports.documents import work_report

    params = registry.resolve(registry.get("summary"), data)
    params.today = TODAY
    f = work_report.figures(params)
    assert f.when.label == "截至2026年11月27日"
    assert "本期尚未结束，各项数字均截至2026年11月27日" in work_report.lead_text(params, f)
    assert record.kind == "summary"


def test_a_branch_with_nothing_says_so(ledger: SimpleNamespace) -> None:
    _, text = export_text(ledger.users.reviewer, branch="B", period="2026Q3")
    body = "\n".join(text)
    assert not PLACEHOLDERS.search(body)
    for sentence in (
        "本期没有登记已召开的组织生活会议。",
        "本期没有登记重点任务。",
        "没有在册的廉政风险防控点。",
        "本期没有开展定期排查。",
        "本期没有整改事项。",
        "本期没有开展提醒谈话。",
        "本期没有结束的示范岗测评。",
    ):
        assert sentence in body, sentence


def test_all_branches_for_reviewers_only(ledger: SimpleNamespace) -> None:
    record, text = export_text(ledger.users.reviewer, branch="all", period="2026")
    assert record.title == "测试局机关党委2026年党建工作情况报告"
    assert any("所属各党支部" in line for line in text)
    from partybuild.core.service import PermissionDenied

    with pytest.raises(PermissionDenied):
        service.request_export(
            "summary", {"branch": "all", "period": "2026"}, ledger.users.secretary
        )


def test_cli_summary_and_refusals(ledger: SimpleNamespace, runner, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "报告.docx"
    args = ["reports", "export", "summary", "--branch", "a", "--period", "2026Q3"]
    result = runner.invoke(args=[*args, "--output", str(out)])
    if result.exit_code != 0 and "找不到编号为“a”" in result.output:
        args[4] = "A"  # case-insensitive codes are the other branch's fix
        result = runner.invoke(args=[*args, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert open_docx(out).paragraphs[0].text == "第一党支部党建工作情况报告"
    month = runner.invoke(
        args=[
            "reports",
            "export",
            "summary",
            "--branch",
            "A",
            "--period",
            "2026-07",
            "--output",
            str(out),
        ]
    )
    assert month.exit_code != 0 and "按季度或年度" in month.output
    future = runner.invoke(
        args=[
            "reports",
            "export",
            "summary",
            "--branch",
            "A",
            "--period",
            "2031",
            "--output",
            str(out),
        ]
    )
    assert future.exit_code != 0 and "尚未开始" in future.output


def test_risk_points_entered_after_their_review_count_as_the_ledger_does(
    world: SimpleNamespace,
) -> None:
    """A point registered in November for a check made in Q3 is in force in Q3, in the
    report as in the risk ledger (the demo enters its points that way)."""
    from datetime import UTC, datetime

    from partybuild.integrity.models import RiskPoint

    for point in db.session.scalars(sa.select(RiskPoint)):
        point.created_at = datetime(2026, 11, 20, tzinfo=UTC)
    db.session.commit()
    a = [world.ledger.org.a.id]
    assert sf.integrity_figures(a, Q3, TODAY).points == 1
    kind = registry.get("risks")
    params = registry.resolve(kind, {"branch": "A", "period": "2026Q3"})
    assert kind.count_rows(params) == 1


def test_published_states_exclude_those_awaiting_approval(world: SimpleNamespace) -> None:
    """“亮诺的承诺中…” lists the states of published commitments only."""
    from partybuild.reports.documents.work_report import ReportFigures, commitments_text

    f = ReportFigures.__new__(ReportFigures)
    fig = sf.CommitmentFigures(
        made=3, published=2, members=2,
        by_state={S.submitted: 1, S.published: 1, S.in_progress: 1},
    )  # fmt: skip
    object.__setattr__(f, "commitments", fig)
    object.__setattr__(f, "when", sf._as_of(Q3, TODAY))
    text = "".join(commitments_text(f))
    assert "另有1项已提交尚未亮诺" in text
    assert "亮诺的承诺中已亮诺1项、践诺中1项；" in text and "待审核" not in text
