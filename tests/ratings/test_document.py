"""党员示范岗测评结果 (Word) through the reports registry and the CLI: the round's
figures, GB/T 9704 layout, and no rater names."""

from pathlib import Path

from partybuild.extensions import db
from partybuild.ratings import service
from tests.reports.docx_checks import (
    all_text,
    assert_official_layout,
    header,
    open_docx,
    table_data,
)


def test_cli_exports_the_round_results(rw, runner, tmp_path: Path):
    rnd = rw.round()
    post = rw.posts[0]
    for u in rw.peer_users[:3]:
        rw.rate(rnd, post, u, 10)
    for u in rw.leader_users:
        rw.rate(rnd, post, u, 8)
    rw.public(rnd, post, 9, 2)  # too few: left out
    service.close_round(rnd, rw.secretary)
    db.session.commit()
    output = tmp_path / "ratings.docx"
    period = str(rnd.closes_on.year)
    result = runner.invoke(
        args=["reports", "export", "ratings", "--branch", "A", "--period", period,
              "--output", str(output)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "党员示范岗测评结果" in result.output
    document = open_docx(output)
    assert_official_layout(document)
    assert header(document.tables[0])[:3] == ["名次", "示范岗", "党员"]
    first = table_data(document.tables[0])[0]
    assert first[0] == "1" and first[1] == "信访接待示范岗0" and first[-1] == "合格"
    text = "\n".join(all_text(document))
    assert "群众测评（2人，不足3人）未计入" in text
    for m in rw.peers + rw.leaders:
        assert m.name not in text


def test_empty_period_is_refused(rw, runner, tmp_path: Path):
    """Issue 14: a period without rounds is refused (non-zero exit), not a header-only
    document with a signature."""
    output = tmp_path / "empty.docx"
    result = runner.invoke(
        args=["reports", "export", "ratings", "--branch", "A", "--period", "2001",
              "--output", str(output)]
    )  # fmt: skip
    assert result.exit_code != 0
    assert "本期无数据" in result.output and "Traceback" not in result.output
    assert not output.exists()


def test_libreoffice_keeps_the_last_posts_with_the_sign_off(rw, tmp_path: Path):
    """Issue 14: rendered by LibreOffice, the results end with the last rows of the
    table (or the notes under it) on the page of the sign-off."""
    from partybuild.core.timeutil import cn_date, local_today
    from tests.reports.lo_render import assert_last_page_holds_body, build_docx, render_pages

    rnd = rw.round()
    service.close_round(rnd, rw.secretary)
    db.session.commit()
    f = build_docx(
        "ratings", {"branch": "A", "period": str(rnd.closes_on.year)}, tmp_path / "r.docx"
    )
    pages = render_pages([f], tmp_path)
    assert_last_page_holds_body(pages[f], "说明", cn_date(local_today()))
    assert "支部书记（签字）" in "".join(pages[f][-1].split())
