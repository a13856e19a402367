"""PDF beside Word: a finished .docx export converted by LibreOffice (headless).

LibreOffice is found through the REPORTS_SOFFICE_PATH setting, else ``soffice`` or
``libreoffice`` on PATH. A conversion takes seconds and a whole office suite, so it
never runs in a web request: the export centre queues it (``request_pdf``) and the
scheduler process converts (``run_pdf_task``, registered in ``reports/tasks.py``). The
command line converts in its own process. Each conversion gets a fresh LibreOffice
profile in a scratch directory, so two conversions never fight over one profile lock.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from partybuild.core import audit, background
from partybuild.core.db import utcnow
from partybuild.core.service import ServiceError
from partybuild.core.settings import setting
from partybuild.extensions import db
from partybuild.reports.models import Export, ExportStatus, PdfStatus

logger = logging.getLogger(__name__)

PDF_TASK = "report-pdf"
NOT_INSTALLED = (
    "服务器上没有找到 LibreOffice，暂不能转换为 PDF。请管理员安装 LibreOffice，"
    "或在 REPORTS_SOFFICE_PATH 中设置 soffice 程序的位置。"
)


class ConversionFailed(ServiceError):
    code = "pdf_failed"


def soffice_path() -> str | None:
    """The LibreOffice program to run, or None when there is none."""
    configured = str(setting("REPORTS_SOFFICE_PATH") or "").strip()
    if configured:
        path = Path(configured)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice_path() is not None


def convert(docx: bytes) -> bytes:
    """The PDF of a .docx, by LibreOffice; raises ConversionFailed with a Chinese message."""
    program = soffice_path()
    if program is None:
        raise ConversionFailed(NOT_INSTALLED, "soffice_missing")
    timeout = int(setting("REPORTS_PDF_TIMEOUT"))
    with tempfile.TemporaryDirectory(prefix="partybuild-pdf-") as scratch:
        work = Path(scratch)
        source = work / "document.docx"
        source.write_bytes(docx)
        command = [
            program,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        try:
            # Its own process group: soffice starts soffice.bin, and a timeout must end both.
            proc = subprocess.Popen(  # noqa: S603 - fixed arguments, program from settings
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "HOME": scratch},
                start_new_session=True,
            )
        except OSError as exc:
            logger.warning("soffice could not be started: %s", exc)
            raise ConversionFailed(NOT_INSTALLED, "soffice_missing") from None
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ConversionFailed(f"PDF 转换超过 {timeout} 秒未完成，请稍后重试") from None
        result = work / "out" / "document.pdf"
        if proc.returncode != 0 or not result.is_file():
            logger.warning(
                "soffice exited %s: %s", proc.returncode, stderr.decode(errors="replace")[-500:]
            )
            raise ConversionFailed("LibreOffice 未能把文档转换为 PDF，请稍后重试")
        return result.read_bytes()


# --------------------------------------------------------------------------- service


def can_convert(export: Export) -> bool:
    """Word exports only (the inspection pack is a .zip of its own)."""
    return export.status == ExportStatus.done and export.filename.lower().endswith(".docx")


def waiting_for_scheduler(export: Export) -> bool:
    return export.pdf_status == PdfStatus.pending and not background.scheduler_running()


def pdf_filename(export: Export) -> str:
    return export.filename[: -len(".docx")] + ".pdf"


def request_pdf(export: Export, actor: object) -> bool:
    """Queue the PDF of a finished Word export (the caller commits). Returns False when
    it is already converted or on its way; raises ServiceError when it cannot be."""
    if not can_convert(export):
        raise ServiceError("只有已生成的 Word 文档可以转换为 PDF", "not_convertible")
    if export.pdf_status in (PdfStatus.done, PdfStatus.pending, PdfStatus.running):
        return False
    if not available():
        raise ServiceError(NOT_INSTALLED, "soffice_missing")
    export.pdf_status = PdfStatus.pending
    export.pdf_error = ""
    db.session.flush()
    background.enqueue(PDF_TASK, {"export_id": export.id}, ref=f"export-pdf:{export.id}")
    audit.record(
        "export_pdf",
        "export",
        export.id,
        actor=actor if actor is not None else "cli",
        branch_id=export.branch_id,
        summary=f"转换为PDF：{export.filename}",
    )
    return True


def generate_pdf(export: Export) -> Export:
    """Convert now (the scheduler process, or the command line) and store the PDF beside
    the Word file; a failure is recorded on the export, not raised. The caller commits."""
    from partybuild.reports import service

    export.pdf_status = PdfStatus.running
    db.session.flush()
    store = service.export_store()
    try:
        pdf = convert(service.read_verified(export))
        key = f"{utcnow():%Y}/{utcnow():%m}/{export.id}-{export.kind}-{secrets.token_hex(4)}.pdf"
        with tempfile.TemporaryFile() as scratch:
            scratch.write(pdf)
            scratch.seek(0)
            store.put_file(key, scratch)
    except Exception as exc:
        message = exc.message if isinstance(exc, ServiceError) else "PDF 转换出错，请稍后重试"
        if not isinstance(exc, ServiceError):
            logger.exception("export %s: PDF conversion failed", export.id)
        export.pdf_status = PdfStatus.failed
        export.pdf_error = message[:500]
        db.session.flush()
        return export
    export.pdf_storage_path = key
    export.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    export.pdf_size_bytes = len(pdf)
    export.pdf_status = PdfStatus.done
    export.pdf_error = ""
    db.session.flush()
    audit.record(
        "export_pdf_finished",
        "export",
        export.id,
        actor=export.requested_by if export.requested_by is not None else "cli",
        branch_id=export.branch_id,
        after={"pdf_sha256": export.pdf_sha256, "pdf_size_bytes": len(pdf)},
        summary=f"{pdf_filename(export)}：{len(pdf)} 字节",
    )
    return export


def run_pdf_task(task: background.BackgroundTask) -> None:
    """The queue's handler, in the scheduler process: convert and commit."""
    export = db.session.get(Export, int(task.payload["export_id"]))
    if export is None or export.pdf_status == PdfStatus.done:
        return
    generate_pdf(export)
    db.session.commit()


def pdf_task_failed(task: background.BackgroundTask, message: str) -> None:
    export = db.session.get(Export, int(task.payload["export_id"]))
    if export is not None and export.pdf_status != PdfStatus.done:
        export.pdf_status = PdfStatus.failed
        export.pdf_error = message[:500]


def open_pdf(export: Export):  # noqa: ANN201 - a binary file object
    """The stored PDF, checked against its recorded SHA-256 (the caller closes it)."""
    from partybuild.core import storage
    from partybuild.reports import service

    if export.pdf_status != PdfStatus.done or not export.pdf_storage_path:
        raise ServiceError("PDF 尚未生成", "not_ready")
    try:
        source = service.export_store().open(export.pdf_storage_path)
    except storage.FileMissing:
        raise ServiceError("PDF 文件已不在服务器上，请重新转换", "file_missing") from None
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    digest = hashlib.sha256()
    with source:
        while chunk := source.read(storage.CHUNK):
            digest.update(chunk)
            spool.write(chunk)
    if digest.hexdigest() != export.pdf_sha256:
        spool.close()
        raise ServiceError("PDF 文件校验失败（文件可能被改动），请重新转换", "file_changed")
    spool.seek(0)
    return spool


audit.register_action_labels({"export_pdf": "申请转换PDF", "export_pdf_finished": "PDF转换完成"})
