"""`flask reports export`: the same exports from the command line, and clear refusals."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from partybuild.core.audit import AuditEntry
from partybuild.extensions import db
from partybuild.reports import service
from partybuild.reports.models import Export, ExportStatus
from tests.reports.docx_checks import assert_official_layout, open_docx, table_data


def run(runner, *args: str):  # noqa: ANN001, ANN201
    return runner.invoke(args=["reports", "export", *args])


@pytest.mark.parametrize(
    ("args", "rows", "title"),
    [
        (["commitments", "--branch", "A", "--period", "2026Q3"], 5, "第一党支部2026年第三季度党员承诺践诺台账"),
        (["commitments", "--branch", "all", "--period", "2026Q3"], 6, "测试局机关党委2026年第三季度党员承诺践诺台账"),
        (["roster", "--branch", "B"], 1, "第二党支部党员名册"),
        (["roster", "--branch", "A", "--period", "2026"], 2, "第一党支部党员名册"),
    ],
)  # fmt: skip
def test_export_writes_the_document_and_records_it(
    ledger: SimpleNamespace, runner, tmp_path: Path, args: list[str], rows: int, title: str
) -> None:
    output = tmp_path / "out.docx"
    result = run(runner, *args, "--output", str(output))
    assert result.exit_code == 0, result.output
    assert f"已导出 {title}：{rows} 行" in result.output
    document = open_docx(output)
    assert_official_layout(document)
    # The ledger's period goes on its own line under the title.
    assert document.paragraphs[0].text == title.replace("2026年第三季度", "")
    assert len(table_data(document.tables[-1])) == rows
    export = db.session.scalars(sa.select(Export)).one()
    assert export.status == ExportStatus.done and export.requested_by_name == "cli"
    assert export.sha256 in result.output
    assert output.read_bytes() == service.stored_file(export).read_bytes()
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "export")
    ).all()
    assert actions == ["export", "export_finished"]


def test_letter_takes_a_member(ledger: SimpleNamespace, runner, tmp_path: Path) -> None:
    output = tmp_path / "承诺书.docx"
    result = run(runner, "letter", "--member", str(ledger.a2.id), "--output", str(output))
    assert result.exit_code == 0, result.output
    # Without --batch: the member's latest batch (the Q4 one, holding f1 only).
    document = open_docx(output)
    assert document.paragraphs[0].text == "党员承诺书"
    assert "承诺批次：2026年第四季度专项承诺" in [p.text for p in document.paragraphs]
    assert len(table_data(document.tables[0])) == 1
    assert "党员承诺书（李践诺）：1 行" in result.output

    # With --batch: the 2026 batch: c3, c5, c8 published; c4, only submitted, is not
    # in the letter (it says the commitments were made public).
    result = run(
        runner, "letter", "--member", str(ledger.a2.id), "--batch", str(ledger.batch_a.id),
        "--output", str(output),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(table_data(open_docx(output).tables[0])) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nonsense", "--branch", "A", "--period", "2026"], "没有“nonsense”这种文档"),
        (["commitments", "--branch", "A", "--period", "2026Q5"], "--period：期间“2026Q5”的季度应为 Q1–Q4"),
        (["commitments", "--branch", "A", "--period", "July"], "--period：期间“July”格式不正确"),
        (["commitments", "--branch", "A"], "--period：请填写期间"),
        (["commitments", "--branch", "ZZ", "--period", "2026"], "--branch：找不到编号为“ZZ”的党支部"),
        (["commitments", "--period", "2026"], "--branch：请选择党支部"),
        (["roster", "--branch", "all"], "--branch：“党员名册”只能按单个党支部导出"),
        (["letter", "--period", "2026"], "--member：“党员承诺书”需要指定党员"),
        (["letter", "--member", "999", "--period", "2026"], "--period：“党员承诺书”不按期间导出"),
        (["letter", "--member", "999"], "--member：找不到编号为“999”的党员"),
        (["roster", "--branch", "A", "--member", "1"], "--member：“党员名册”不按党员导出"),
    ],
)  # fmt: skip
def test_bad_arguments_exit_non_zero_with_a_chinese_message(
    ledger: SimpleNamespace, runner, tmp_path: Path, args: list[str], message: str
) -> None:
    output = tmp_path / "out.docx"
    result = run(runner, *args, "--output", str(output))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not output.exists()
    assert db.session.scalar(sa.select(sa.func.count(Export.id))) == 0


def test_output_must_be_a_docx_in_an_existing_directory(
    ledger: SimpleNamespace, runner, tmp_path: Path
) -> None:
    # .pdf is accepted too since the PDF option (converted by LibreOffice).
    result = run(runner, "roster", "--branch", "A", "--output", str(tmp_path / "x.txt"))
    assert result.exit_code != 0 and "输出文件应以 .docx 或 .pdf 结尾" in result.output
    missing = tmp_path / "nope" / "x.docx"
    result = run(runner, "roster", "--branch", "A", "--output", str(missing))
    assert result.exit_code != 0 and "目录不存在" in result.output
    result = run(runner, "roster", "--branch", "A")
    assert result.exit_code != 0 and "--output" in result.output


def test_kinds_lists_every_registered_document(app, runner) -> None:
    result = runner.invoke(args=["reports", "kinds"])
    assert result.exit_code == 0
    for key, label in (
        ("commitments", "党员承诺践诺台账"),
        ("letter", "党员承诺书"),
        ("roster", "党员名册"),
        ("ratings", "党员示范岗测评结果"),
    ):
        assert key in result.output and label in result.output


# ------------------------------------------------------------------ issue 14


def no_exports() -> bool:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Export.id))) == 0


def test_branch_codes_are_case_insensitive(ledger: SimpleNamespace, runner, tmp_path: Path) -> None:
    output = tmp_path / "台账.docx"
    result = run(
        runner, "commitments", "--branch", "a", "--period", "2026Q3", "--output", str(output)
    )
    assert result.exit_code == 0, result.output
    assert "已导出 第一党支部2026年第三季度党员承诺践诺台账：5 行" in result.output


def test_an_empty_period_exits_non_zero_before_anything_is_recorded(
    ledger: SimpleNamespace, runner, tmp_path: Path
) -> None:
    output = tmp_path / "空.docx"
    result = run(
        runner, "commitments", "--branch", "A", "--period", "2030", "--output", str(output)
    )
    assert result.exit_code != 0
    assert "本期无数据" in result.output and "Traceback" not in result.output
    assert not output.exists() and no_exports()
    result = run(runner, "roster", "--branch", "A", "--period", "1990", "--output", str(output))
    assert result.exit_code != 0 and "本期无数据：第一党支部1990年" in result.output
    assert not output.exists() and no_exports()


def unwritable_directory(tmp_path: Path) -> Path:
    """A directory that exists but cannot be written. Root ignores permission bits, so
    for root a directory on a read-only file system (/sys)."""
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        return locked
    candidate = Path("/sys")
    try:
        fd, probe = tempfile.mkstemp(dir=candidate)
    except OSError:
        return candidate
    os.close(fd)
    os.unlink(probe)
    pytest.skip("no read-only directory to write into")


def test_unwritable_output_is_refused_before_anything_is_recorded(
    ledger: SimpleNamespace, runner, tmp_path: Path
) -> None:
    target = unwritable_directory(tmp_path) / "台账.docx"
    result = run(
        runner, "commitments", "--branch", "A", "--period", "2026Q3", "--output", str(target)
    )
    assert result.exit_code != 0, result.output
    assert "目录不可写入" in result.output and "Traceback" not in result.output
    assert no_exports()
    # A directory given as the output file.
    folder = tmp_path / "目录.docx"
    folder.mkdir()
    result = run(
        runner, "commitments", "--branch", "A", "--period", "2026Q3", "--output", str(folder)
    )
    assert result.exit_code != 0 and "是一个目录" in result.output
    assert no_exports()


# What each kind does with --branch CODE|all --period P: works where it makes sense,
# otherwise a clear Chinese refusal and a non-zero exit.
@pytest.mark.parametrize(
    ("kind", "branch", "outcome"),
    [
        ("commitments", "A", "已导出"),
        ("commitments", "all", "已导出"),
        ("risks", "A", "本期无数据"),  # the ledger fixture holds no risk points
        ("risks", "all", "本期无数据"),
        ("roster", "A", "已导出"),
        ("roster", "all", "“党员名册”只能按单个党支部导出"),
        ("tasks", "A", "本期无数据"),  # nor key tasks
        ("tasks", "all", "“重点任务责任清单”只能按单个党支部导出"),
        ("ratings", "A", "本期无数据"),  # nor rating rounds
        ("ratings", "all", "“党员示范岗测评结果”只能按单个党支部导出"),
        ("minutes", "A", "“会议记录”需要指定会议"),
        ("minutes", "all", "“会议记录”需要指定会议"),
        ("letter", "A", "“党员承诺书”需要指定党员"),
        ("letter", "all", "“党员承诺书”需要指定党员"),
    ],
)
def test_every_kind_with_branch_and_period(
    ledger: SimpleNamespace, runner, tmp_path: Path, kind: str, branch: str, outcome: str
) -> None:
    output = tmp_path / "out.docx"
    result = run(runner, kind, "--branch", branch, "--period", "2026Q3", "--output", str(output))
    assert outcome in result.output, result.output
    assert "Traceback" not in result.output
    if outcome == "已导出":
        assert result.exit_code == 0 and output.exists()
    else:
        assert result.exit_code != 0 and not output.exists() and no_exports()
