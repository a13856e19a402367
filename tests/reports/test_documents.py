"""Each document, generated through the export service and reopened with python-docx."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Member
from partybuild.reports import service
from partybuild.reports.document import cn_date
from partybuild.reports.models import Export, ExportStatus
from partybuild.reports.periods import PERIOD_RULE
from tests.reports.docx_checks import (
    assert_official_layout,
    header,
    open_docx,
    sign_off_cell,
    sign_off_paragraphs,
    sign_off_texts,
    table_data,
)


def export(kind: str, user: Any, **data: Any) -> tuple[Export, Any]:
    record = service.request_export(kind, data, user)
    db.session.commit()
    record = service.generate_export(record)
    db.session.commit()
    assert record.status == ExportStatus.done, record.error
    return record, open_docx(service.stored_file(record))


def paragraphs(document: Any) -> str:
    """Body paragraphs, and the sign-off block where it sits in the last table."""
    texts = [p.text for p in document.paragraphs]
    if document.tables and sign_off_cell(document.tables[-1]) is not None:
        texts += sign_off_texts(document)
    return "\n".join(texts)


def signature_block(document: Any) -> list[str]:
    return [p.text for p in sign_off_paragraphs(document) if p.style.name == "公文落款"]


# ------------------------------------------------------------------ ledger


# The period rule: a commitment belongs to a period when it was published by the period's
# end and not evaluated, closed or withdrawn before it began. c2 (evaluated 15 June) is
# not in Q3; c7 (withdrawn 1 July) and c8 (evaluated 2 July) are not in August; f1
# (published 5 October) only from Q4; c4 is only submitted, c6 a draft: never.
@pytest.mark.parametrize(
    ("branch", "period", "expected"),
    [
        ("A", "2026Q3", {"c1", "c3", "c5", "c7", "c8"}),
        ("A", "2026-08", {"c1", "c3", "c5"}),
        ("A", "2026Q4", {"c1", "c3", "c5", "f1"}),
        ("A", "2026", {"c1", "c2", "c3", "c5", "c7", "c8", "f1"}),
        ("A", "2025", {"e1"}),
        ("B", "2026Q3", {"d1"}),
        ("all", "2026Q3", {"c1", "c3", "c5", "c7", "c8", "d1"}),
    ],
)
def test_ledger_rows_match_the_database_for_scope_and_period(
    ledger: SimpleNamespace, branch: str, period: str, expected: set[str]
) -> None:
    record, document = export("commitments", ledger.users.admin, branch=branch, period=period)
    assert_official_layout(document)
    table = document.tables[-1]
    rows = table_data(table)
    assert len(rows) == len(expected) == record.row_count
    content_at = 5 if branch == "all" else 4
    contents = sorted(row[content_at] for row in rows)
    assert contents == sorted(ledger.c[k].content for k in expected)
    assert [row[0] for row in rows] == [str(i) for i in range(1, len(rows) + 1)]


def test_ledger_columns_summary_and_signature(ledger: SimpleNamespace) -> None:
    record, document = export("commitments", ledger.users.secretary, branch="A", period="2026Q3")
    assert record.title == "第一党支部2026年第三季度党员承诺践诺台账"
    assert document.paragraphs[0].text == "第一党支部党员承诺践诺台账"
    assert document.paragraphs[0].style.name == "公文标题"
    assert document.paragraphs[1].text == "（2026年第三季度）"
    table = document.tables[-1]
    assert header(table) == [
        "序号", "党员", "岗位", "类别", "承诺内容", "目标", "完成时限", "状态", "进度",
        "最新践诺记录", "佐证", "群众满意度\n满意/基本/不满意", "得分", "等次",
    ]  # fmt: skip
    # A wholly landscape document: the summary shares the first page with the table.
    assert [s.orientation for s in document.sections] == [1]
    by_content = {row[4]: row for row in table_data(table)}
    c1 = by_content[ledger.c["c1"].content]
    assert c1[1:4] == ["张承诺", "接访科·信访接待岗", "工作"]
    # 4 ratings reach the one minimum (PARTICIPATION_MIN_RATINGS = 3): its own 满意率.
    assert c1[6:12] == ["2026-09-30", "践诺中", "60%", "2026-09-01\n第二次接访记录：化解积案3件", "2", "3/1/0\n满意率100.0%"]  # fmt: skip
    c8 = by_content[ledger.c["c8"].content]
    assert c8[7] == "已评诺" and c8[12:] == ["85", "中"]
    # Past the deadline at the period's end and not finished: 逾期 with the days.
    assert by_content[ledger.c["c3"].content][7] == "已亮诺\n逾期30天"
    assert by_content[ledger.c["c5"].content][7] == "践诺中\n逾期92天"
    # Withdrawn commitments stay in the ledger, labelled; drafts never appear.
    assert by_content[ledger.c["c7"].content][7] == "已亮诺（已撤回）"
    assert ledger.c["c6"].content not in by_content
    assert ledger.c["c4"].content not in by_content  # submitted, not yet published
    text = paragraphs(document)
    # Written from commitment_period_figures: c1, c3, c5, c8 by 2 members; the state
    # words are the table's; ratings 3/1/1 of c1 and c3.
    assert (
        "第一党支部2026年第三季度共有2名党员作出承诺4项，其中公开亮诺4项；按期末状态，"
        "已亮诺1项、践诺中2项、已评诺1项；已过完成时限仍未完成（逾期）2项；"
        "另有已撤回的承诺1项，列入台账备查。"
    ) in text
    assert "待践诺" not in text
    assert "已评诺1项，评定等次“中”1项，平均得分85.0分；评诺完成率25.0%" in text
    assert "群众评价共5人次（满意3人次、基本满意1人次、不满意1人次）" in text
    assert "在4项亮诺承诺中，有1项获得3人次以上评价，群众参评率25.0%，群众满意率80.0%" in text
    assert PERIOD_RULE in text
    # The branch signs its own ledger (the higher-level organisation only signs the
    # all-branch one), with sign-off lines and room for the seal, dated the Chinese way.
    assert "填报人：＿＿＿＿＿　　审核人：＿＿＿＿＿　　支部书记（签字）：＿＿＿＿＿" in text
    assert signature_block(document) == ["第一党支部（盖章）", cn_date(local_today())]


def test_all_branch_ledger_is_signed_by_the_higher_level_organisation(
    ledger: SimpleNamespace,
) -> None:
    _, document = export("commitments", ledger.users.reviewer, branch="all", period="2026Q3")
    assert signature_block(document) == ["测试局机关党委（盖章）", cn_date(local_today())]


def test_ledger_rates_are_withheld_below_the_minimum(ledger: SimpleNamespace) -> None:
    _, document = export("commitments", ledger.users.admin, branch="B", period="2026Q3")
    assert "群众评价0人次，不足5人次，暂不计算参评率和满意率" in paragraphs(document)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("commitments", {"branch": "A", "period": "2030"}),
        ("commitments", {"branch": "A", "period": "2024"}),
        ("tasks", {"branch": "A", "period": "2030"}),
        ("ratings", {"branch": "A", "period": "2030"}),
        ("risks", {"branch": "A", "period": "2026"}),
        ("roster", {"branch": "A", "period": "1990"}),
    ],
)
def test_an_empty_scope_or_period_is_refused_before_anything_is_recorded(
    ledger: SimpleNamespace, kind: str, data: dict
) -> None:
    from partybuild.reports.registry import NoData

    with pytest.raises(NoData) as info:
        service.request_export(kind, data, ledger.users.admin)
    assert info.value.message.startswith("本期无数据：")
    assert info.value.code == "no_data"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Export.id))) == 0


# ------------------------------------------------------------------ letter


def test_letter_lists_the_members_commitments(ledger: SimpleNamespace) -> None:
    record, document = export("letter", ledger.users.member, member=ledger.a1.id)
    assert_official_layout(document)
    assert record.title == "党员承诺书（张承诺）"
    assert record.branch_id == ledger.org.a.id and record.member_id == ledger.a1.id
    assert document.paragraphs[0].text == "党员承诺书"
    table = document.tables[0]
    assert header(table) == ["序号", "类别", "承诺内容", "目标", "践诺措施", "完成时限"]
    rows = table_data(table)
    # c1 and c2; the draft (c6) and the withdrawn one (c7) are not in the letter.
    assert len(rows) == record.row_count == 2
    assert [r[2] for r in rows] == [ledger.c["c1"].content, ledger.c["c2"].content]
    assert rows[0][4] == "按时到岗，首问负责，件件有回音" and rows[0][5] == "2026-09-30"
    text = paragraphs(document)
    assert "承诺人：张承诺" in text and "承诺批次：2026年度党员承诺" in text
    assert "作出以下2项承诺" in text
    # The member signs, on the batch's date (its 承诺开始, not the export day); the
    # branch is not placed as 落款 under the member's signature line.
    assert document.paragraphs[-2].text.startswith("承诺人（签名）：＿")
    assert document.paragraphs[-1].text == "2026年1月1日" != cn_date(local_today())
    assert "第一党支部" not in [p.text for p in document.paragraphs[-4:]]
    # Portrait only.
    assert all(s.orientation == 0 for s in document.sections)


def test_letter_for_a_member_without_commitments_is_refused(
    ledger: SimpleNamespace, make_member: Any
) -> None:
    from partybuild.core.service import ValidationFailed

    nobody = make_member(branch=ledger.org.a, name="赵无诺")
    with pytest.raises(ValidationFailed) as info:
        service.request_export("letter", {"member": nobody.id}, ledger.users.secretary)
    assert info.value.errors == {"member": "赵无诺还没有审核通过并公开亮诺的承诺，暂不能生成承诺书"}


def test_letter_batch_must_be_the_members_branch(ledger: SimpleNamespace) -> None:
    from partybuild.core.service import ValidationFailed

    with pytest.raises(ValidationFailed) as info:
        service.request_export(
            "letter", {"member": ledger.a1.id, "batch": ledger.batch_b.id}, ledger.users.admin
        )
    assert "承诺批次" in info.value.errors["batch"]


# ------------------------------------------------------------------ roster


def test_roster_rows_masked_phones_and_summary(ledger: SimpleNamespace) -> None:
    record, document = export("roster", ledger.users.secretary, branch="A")
    assert_official_layout(document)
    expected = db.session.scalar(
        sa.select(sa.func.count(Member.id)).where(
            Member.branch_id == ledger.org.a.id, Member.is_active.is_(True)
        )
    )
    table = document.tables[-1]
    rows = table_data(table)
    assert len(rows) == record.row_count == expected
    assert header(table) == [
        "序号", "姓名", "性别", "入党日期", "转正日期", "党员状态", "科室", "岗位", "联系电话",
    ]  # fmt: skip
    by_name = {r[1]: r for r in rows}
    assert by_name["张承诺"][2:] == [
        "男", "2005-07-01", "2006-07-01", "正式党员", "接访科", "信访接待岗",
        "138" + "****" + ledger.a1.phone[-4:],
    ]  # fmt: skip
    assert by_name["李践诺"][4:6] == ["", "预备党员"]
    assert by_name["李践诺"][8] == "139****1111"
    assert "王外支" not in by_name  # branch B
    texts = [c for row in rows for c in row]
    assert ledger.a1.phone not in texts and "13900001111" not in texts
    summary = paragraphs(document)
    assert f"第一党支部共有党员{expected}名" in summary
    assert "预备党员1名" in summary
    assert signature_block(document) == ["第一党支部（盖章）", cn_date(local_today())]


def test_roster_as_of_period_end_excludes_later_joiners_and_keeps_later_leavers(
    ledger: SimpleNamespace, make_member: Any
) -> None:
    from datetime import UTC, date, datetime

    make_member(branch=ledger.org.a, name="新入党", joined_on=date(2026, 10, 1), full=False)
    make_member(
        branch=ledger.org.a,
        name="已转出",
        is_active=False,
        retired_at=datetime(2026, 10, 15, tzinfo=UTC),
        retired_reason="组织关系转出",
    )
    make_member(
        branch=ledger.org.a,
        name="早转出",
        is_active=False,
        retired_at=datetime(2026, 3, 1, tzinfo=UTC),
        retired_reason="组织关系转出",
    )
    _, document = export("roster", ledger.users.secretary, branch="A", period="2026Q3")
    names = {row[1] for row in table_data(document.tables[-1])}
    assert "已转出" in names
    assert "新入党" not in names and "早转出" not in names
    assert "截至2026年9月30日" in paragraphs(document)
