"""``flask reports``: the export centre's documents from the command line.

    flask --app wsgi reports export commitments --branch B01 --period 2026Q3 --output 台账.docx
    flask --app wsgi reports export commitments --branch all --period 2026 --output 全局台账.docx
    flask --app wsgi reports export letter --member 12 --output 承诺书.docx
    flask --app wsgi reports export pack --branch B01 --period 2026Q3 --output 迎检材料.zip
    flask --app wsgi reports verify-pack 迎检材料.zip
    flask --app wsgi reports kinds

The export goes through the same service as the web (Export record, stored copy under
EXPORTS_DIR, audit entry by "cli"), then is copied to --output.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from partybuild.core.service import ServiceError, ValidationFailed

logger = logging.getLogger(__name__)

reports_cli = AppGroup("reports", help="报告导出 / export official documents (.docx)")


@reports_cli.command("kinds")
def kinds_command() -> None:
    """List the document kinds and the parameters each takes."""
    from partybuild.reports import registry

    for kind in registry.kinds():
        if kind.meeting_branch is not None:
            params = "--meeting ID"
        elif kind.member:
            params = "--member ID" + (" [--batch ID]" if kind.batch else "")
        else:
            branch = "--branch CODE|all" if kind.all_branches else "--branch CODE"
            period = {"required": " --period P", "optional": " [--period P]", "none": ""}
            params = branch + period[kind.period]
        click.echo(f"{kind.key:<12}{kind.label}  {params}")


def check_output(output: Path) -> None:
    """Refuse an --output that cannot be written, before anything is recorded: a
    directory, a missing or unwritable directory, an unwritable file. The directory is
    probed by creating a scratch file (permission bits alone do not say, e.g. for root
    on a read-only file system)."""
    if output.is_dir():
        raise click.BadParameter(f"{output} 是一个目录，请给出文件名", param_hint="--output")
    parent = output.parent
    if not parent.is_dir():
        raise click.BadParameter(f"目录不存在：{parent}", param_hint="--output")
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".partybuild-", suffix=".probe")
    except OSError:
        raise click.BadParameter(f"目录不可写入：{parent}", param_hint="--output") from None
    os.close(fd)
    os.unlink(probe)
    if output.exists() and not os.access(output, os.W_OK):
        raise click.BadParameter(f"文件不可写入：{output}", param_hint="--output")


@reports_cli.command("export")
@click.argument("kind")
@click.option("--branch", default=None, help="党支部编号；台账可用 all 表示全部党支部")
@click.option("--period", default=None, help="期间：2026、2026Q3 或 2026-07")
@click.option("--member", default=None, help="党员编号（仅 letter 承诺书）")
@click.option("--batch", default=None, help="承诺批次编号（letter 可选，默认最近一批）")
@click.option("--meeting", default=None, help="会议编号（仅 minutes 会议记录）")
@click.option(
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="输出的文件（.docx，或 .pdf 由 LibreOffice 转换；迎检材料包 pack 为 .zip）",
)
def export_command(
    kind: str,
    branch: str | None,
    period: str | None,
    member: str | None,
    batch: str | None,
    meeting: str | None,
    output: Path,
) -> None:
    """Generate a document (KIND: see `flask reports kinds`) and write it to --output."""
    from partybuild.extensions import db
    from partybuild.reports import service
    from partybuild.reports.models import ExportStatus

    check_output(output)
    suffix = _suffix_of(kind)
    # A Word document may be written as PDF too (LibreOffice, in this process).
    as_pdf = suffix == ".docx" and output.suffix.lower() == ".pdf"
    if output.suffix.lower() != suffix and not as_pdf:
        hint = f"{suffix} 或 .pdf" if suffix == ".docx" else suffix
        raise click.BadParameter(f"输出文件应以 {hint} 结尾", param_hint="--output")
    if as_pdf:
        from partybuild.reports import pdf

        if not pdf.available():
            raise click.UsageError(pdf.NOT_INSTALLED)

    data = {"branch": branch, "period": period, "member": member, "batch": batch}
    if meeting is not None:
        data["meeting"] = meeting
    try:
        export = service.request_export(kind, data, None)
    except ValidationFailed as exc:
        db.session.rollback()
        hints = {
            "branch": "--branch",
            "period": "--period",
            "member": "--member",
            "batch": "--batch",
            "meeting": "--meeting",
        }
        lines = [f"{hints.get(name, name)}：{message}" for name, message in exc.errors.items()]
        raise click.UsageError("参数有误：\n  " + "\n  ".join(lines)) from None
    except ServiceError as exc:
        db.session.rollback()
        raise click.UsageError(exc.message) from None
    db.session.commit()

    started = time.perf_counter()
    export = service.generate_export(export)
    db.session.commit()
    if export.status != ExportStatus.done:
        raise click.ClickException(f"生成失败：{export.error}")
    try:
        if as_pdf:
            from partybuild.reports import pdf
            from partybuild.reports.models import PdfStatus

            pdf.generate_pdf(export)
            db.session.commit()
            if export.pdf_status != PdfStatus.done:
                raise click.ClickException(f"转换为 PDF 失败：{export.pdf_error}")
            with pdf.open_pdf(export) as source, open(output, "wb") as target:
                shutil.copyfileobj(source, target)
        else:
            with service.open_verified(export) as source, open(output, "wb") as target:
                shutil.copyfileobj(source, target)
    except OSError as exc:
        raise click.ClickException(
            f"文档已生成并保存（导出记录 #{export.id}），但无法写入 {output}："
            f"{exc.strerror or exc}；可在导出中心下载"
        ) from None
    click.echo(
        f"已导出 {export.title}：{export.row_count} 行，{export.size_bytes} 字节，"
        f"用时 {time.perf_counter() - started:.1f} 秒 → {output}"
    )
    click.echo(f"SHA-256 {export.sha256}（导出记录 #{export.id}）")


def _suffix_of(kind: str) -> str:
    """The file type a kind writes (.docx, or .zip for the pack); unknown kinds are
    refused later with the list of kinds."""
    from partybuild.reports import registry

    try:
        return registry.get(kind).suffix
    except ServiceError:
        return ".docx"


@reports_cli.command("verify-pack")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_pack_command(file: Path) -> None:
    """Check an inspection pack (.zip): every file against the manifest's SHA-256, and
    the manifest's signature against the audit key. Exits 1 when anything is off."""
    from partybuild.reports import pack

    check = pack.verify_pack(file)
    if check.ok:
        for line in pack.iter_summary(check):
            click.echo(line)
        click.echo("核验通过。")
        return
    for line in check.lines():
        click.echo(line, err=True)
    raise click.ClickException("核验未通过。")


def register(app: Flask) -> None:
    app.cli.add_command(reports_cli)
