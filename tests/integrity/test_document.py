"""廉政风险防控点台账 (Word): the common columns, GB/T 9704 layout, overdue marked, the
branch scope, and the CLI ``reports export risks``."""

from datetime import timedelta

import pytest

from partybuild.core.service import PermissionDenied
from partybuild.extensions import db
from partybuild.reports import service
from partybuild.reports.models import ExportStatus
from tests.reports.docx_checks import (
    all_text,
    assert_official_layout,
    header,
    open_docx,
    table_data,
)

COMMON = [
    "序号",
    "科室",
    "风险类别",
    "风险点",
    "表现形式",
    "风险等级",
    "防控措施",
    "责任人",
    "责任领导",
]


def export(user, **data):
    record = service.request_export("risks", data, user)
    db.session.commit()
    record = service.generate_export(record)
    db.session.commit()
    assert record.status == ExportStatus.done, record.error
    return open_docx(service.stored_file(record))


def test_branch_ledger_columns_rows_and_overdue(world):
    p = world.point()
    world.point(title="第二个")
    world.point(branch=world.org.b, title="二支部的")
    p.next_review_on = world.today - timedelta(days=1)
    db.session.commit()
    doc = export(world.users["secretary"], branch="A")
    assert_official_layout(doc)
    table = doc.tables[-1]
    assert header(table)[:9] == COMMON
    rows = table_data(table)
    assert len(rows) == 2 and not any("二支部的" in c for r in rows for c in r)
    assert rows[0][3] == p.title and rows[0][5] == "高"
    assert rows[0][-1] == f"逾期\n应于{p.next_review_on:%Y-%m-%d}"
    assert "1. 受理登记全程留痕" in rows[0][6]
    text = "\n".join(all_text(doc))
    assert "廉政风险防控点2个" in text and "排查逾期的风险点1个" in text


def test_all_branches_for_reviewer_only(world):
    world.point()
    world.point(branch=world.org.b, title="二支部的")
    doc = export(world.users["reviewer"], branch="all")
    assert "党支部" in header(doc.tables[-1])
    assert len(table_data(doc.tables[-1])) == 2
    with pytest.raises(PermissionDenied):
        service.request_export("risks", {"branch": "B"}, world.users["secretary"])


def test_cli_export(world, runner, tmp_path):
    world.point()
    out = tmp_path / "risks.docx"
    result = runner.invoke(
        args=[
            "reports",
            "export",
            "risks",
            "--branch",
            "A",
            "--period",
            "2026",
            "--output",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "廉政风险防控点台账" in result.output
    assert_official_layout(open_docx(out))


def test_libreoffice_keeps_the_last_points_with_the_sign_off(world, tmp_path):
    """Issue 14: rendered by LibreOffice, the last page holds the last risk point as
    well as the sign-off, at every size around a page break."""
    from partybuild.core.timeutil import cn_date, local_today
    from tests.reports.lo_render import assert_last_page_holds_body, build_docx, render_pages

    files, last = [], {}
    for n in range(1, 13):
        world.point(title=f"防控点第{n:02d}号")
        db.session.commit()
        if n >= 4:
            f = build_docx("risks", {"branch": "A"}, tmp_path / f"risks{n}.docx")
            files.append(f)
            last[f] = f"防控点第{n:02d}号"
    pages = render_pages(files, tmp_path)
    for f in files:
        assert_last_page_holds_body(pages[f], last[f], cn_date(local_today()))
        assert "支部书记（签字）" in "".join(pages[f][-1].split())


def test_risk_ledger_is_as_of_the_period_end(world, tmp_path):
    """Issue 14: for Q3, a review made on 1 October does not count (the point's due
    date of 20 September had passed: 逾期), and a rectification verified in October
    is still open and late at the end of September."""
    from datetime import UTC, date, datetime

    from partybuild.integrity.models import (
        Rectification,
        RectificationState,
        RiskLevel,
        RiskReview,
    )
    from tests.reports.lo_render import build_docx

    p = world.point(title="跨季度排查的风险点")
    p.created_at = datetime(2026, 6, 1, tzinfo=UTC)
    p.next_review_on = date(2026, 12, 31)  # after the October review
    for on, due in (
        (date(2026, 6, 30), date(2026, 9, 20)),
        (date(2026, 10, 1), date(2026, 12, 31)),
    ):
        db.session.add(RiskReview(
            risk_point_id=p.id, branch_id=p.branch_id, reviewed_on=on, level=RiskLevel.high,
            next_review_on=due,
        ))  # fmt: skip
    db.session.add(Rectification(
        risk_point_id=p.id, branch_id=p.branch_id, problem="登记不全", measure="补录",
        responsible_id=world.owner_member.id, opened_on=date(2026, 7, 1),
        deadline=date(2026, 9, 1), state=RectificationState.verified,
        done_at=datetime(2026, 10, 5, tzinfo=UTC), verified_at=datetime(2026, 10, 6, tzinfo=UTC),
        verified_by_id=world.users["secretary"].id,
    ))  # fmt: skip
    db.session.commit()
    data = {"branch": "A", "period": "2026Q3"}
    q3 = open_docx(build_docx("risks", data, tmp_path / "q3.docx"))
    (row,) = table_data(q3.tables[-1])
    assert row[-1] == "逾期\n应于2026-09-20\n整改逾期1项"
    text = "\n".join(all_text(q3))
    assert "本期开展排查0次；排查逾期的风险点1个；未销号的整改1项，其中逾期1项" in text
    data["period"] = "2026-10"
    october = open_docx(build_docx("risks", data, tmp_path / "oct.docx"))
    (row,) = table_data(october.tables[-1])
    assert row[-1] == "2026-12-31"
    assert "本期开展排查1次；排查逾期的风险点0个；未销号的整改0项" in "\n".join(all_text(october))
