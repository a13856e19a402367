"""Export centre services: request an export, generate and store it, find stored files.

``request_export`` and ``generate_export`` follow the service rules (check, change,
audit, flush; never commit). Large exports are queued (``queue_export``) and generated
by the scheduler process (``run_queued_export``, registered in ``reports/tasks.py``),
which like a scheduled job runs outside any request and commits its own work.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import tempfile
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from partybuild.core import audit, background, storage
from partybuild.core.db import utcnow
from partybuild.core.service import ServiceError
from partybuild.core.settings import setting
from partybuild.extensions import db
from partybuild.reports import registry
from partybuild.reports.models import Export, ExportStatus

if TYPE_CHECKING:
    from partybuild.auth.models import User

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds) from a running export.
PROGRESS_INTERVAL = 0.5
EXPORT_TASK = "report-export"


def exports_dir() -> Path:
    """The local exports directory (the ``local`` storage back end's)."""
    return storage.exports_root()


def export_store() -> storage.FileStore:
    """Where export documents are kept: EXPORTS_DIR, or the shared object store."""
    return storage.file_store("exports")


def actor_name(actor: User | None) -> str:
    return actor.username if actor is not None else "cli"


# --------------------------------------------------------------------------- request


def request_export(kind_key: str, data: Mapping[str, Any], actor: User | None) -> Export:
    """Validate and authorise an export request and record it (status pending).

    ``actor`` None is the command line. Raises ServiceError (unknown kind),
    ValidationFailed (bad parameters) or PermissionDenied (outside the actor's scope).
    """
    kind = registry.get(kind_key)
    params = registry.resolve(kind, data)
    kind.authorise(actor, params)
    registry.validate(kind, params)
    title = kind.title(params)
    export = Export(
        kind=kind.key,
        title=title[:200],
        filename=registry.safe_filename(title, params.today, kind.suffix),
        params=params.as_json(),
        branch_id=(
            params.member.branch_id
            if params.member is not None
            else (params.branch.id if params.branch is not None else None)
        ),
        member_id=params.member.id if params.member is not None else None,
        requested_by_id=actor.id if actor is not None else None,
        requested_by_name=actor_name(actor),
        status=ExportStatus.pending,
        progress=0,
        created_at=utcnow(),
    )
    db.session.add(export)
    db.session.flush()
    audit.record(
        "export",
        "export",
        export.id,
        actor=actor if actor is not None else "cli",
        branch_id=export.branch_id,
        after={"kind": kind.key, "params": export.params},
        summary=f"导出{kind.label}：{title}",
    )
    logger.info("export %s requested: %s %s by %s", export.id, kind.key, export.params, actor)
    return export


def expected_rows(export: Export) -> int:
    kind = registry.get(export.kind)
    return kind.count_rows(registry.resolve(kind, export.params))


def runs_inline(export: Export) -> bool:
    """Small exports are generated during the request; big ones in the background."""
    limit = setting("REPORTS_INLINE_MAX_ROWS")
    return expected_rows(export) <= limit


# --------------------------------------------------------------------------- generate


def _storage_path(export: Export, suffix: str = ".docx") -> str:
    now = utcnow()
    return f"{now:%Y}/{now:%m}/{export.id}-{export.kind}-{secrets.token_hex(4)}{suffix}"


def mark_running(export: Export) -> None:
    if export.is_finished:
        raise ServiceError("该导出已处理完毕，不能重复生成")
    export.status = ExportStatus.running
    export.started_at = export.started_at or utcnow()
    export.heartbeat_at = utcnow()
    db.session.flush()


def generate_export(export: Export, progress: registry.Progress = registry.no_progress) -> Export:
    """Build the document, store it under EXPORTS_DIR and complete the record.

    The pending record must already be committed. Builders only read, so on failure the
    session is rolled back (losing nothing) and the record is marked failed with a
    Chinese message instead of raising; the caller commits either way.
    """
    export_id = export.id
    if export.status != ExportStatus.running:
        mark_running(export)
    kind = registry.get(export.kind)
    started = time.perf_counter()
    store = export_store()
    relative: str | None = None
    try:
        params = registry.resolve(kind, export.params)
        registry.validate(kind, params)
        built = kind.build(params, progress)
        relative = _storage_path(export, kind.suffix)
        # Written to a local scratch file first (the document engine streams into it),
        # then handed to the store in one piece: a local rename or an object upload.
        with tempfile.TemporaryFile() as scratch:
            digest = built.document.save(scratch)
            size = scratch.tell()
            scratch.seek(0)
            store.put_file(relative, scratch)
    except Exception as exc:
        logger.exception("export %s (%s) failed", export_id, export.kind)
        if relative is not None:
            try:
                store.delete(relative)
            except Exception:
                logger.warning("export %s: partial file not removed", export_id, exc_info=True)
        db.session.rollback()
        export = db.session.get(Export, export_id)
        message = exc.message if isinstance(exc, ServiceError) else "生成文档时出错，请稍后重试"
        mark_failed(export, message)
        return export
    export.storage_path = relative
    export.sha256 = digest
    export.size_bytes = size
    export.row_count = built.row_count
    export.progress = 100
    export.status = ExportStatus.done
    export.finished_at = export.heartbeat_at = utcnow()
    db.session.flush()
    audit.record(
        "export_finished",
        "export",
        export.id,
        actor=export.requested_by if export.requested_by is not None else "cli",
        branch_id=export.branch_id,
        after={"sha256": digest, "size_bytes": size, "row_count": built.row_count},
        summary=f"{export.title}：{built.row_count} 行，{size} 字节",
    )
    logger.info(
        "export %s done: %d rows, %d bytes in %.2f s",
        export.id,
        built.row_count,
        size,
        time.perf_counter() - started,
    )
    return export


def mark_failed(export: Export, message: str) -> None:
    """Record a failure (a build error, a lost worker thread)."""
    if export.is_finished:
        return
    export.status = ExportStatus.failed
    export.error = message[:500]
    export.finished_at = utcnow()
    db.session.flush()


# --------------------------------------------------------------------------- background


class _ProgressWriter:
    """Writes progress through its own short session, so the builder's open read
    (a streaming cursor on PostgreSQL) is never committed under it."""

    def __init__(self, export_id: int) -> None:
        self.export_id = export_id
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL:
            return
        self._last = now
        # 99 at most: 100 means stored.
        percent = min(99, int(done * 100 / total)) if total else 0
        try:
            with Session(db.engine) as session:
                session.execute(
                    sa.update(Export)
                    .where(Export.id == self.export_id, Export.status == ExportStatus.running)
                    .values(progress=percent, heartbeat_at=utcnow())
                )
                session.commit()
        except sa.exc.SQLAlchemyError:
            # Progress is a courtesy: never fail the export over it.
            logger.warning("export %s: progress not saved", self.export_id, exc_info=True)


def task_ref(export_id: int) -> str:
    return f"export:{export_id}"


def queue_export(export: Export) -> background.BackgroundTask:
    """Queue a pending export for the scheduler process (the caller commits)."""
    return background.enqueue(EXPORT_TASK, {"export_id": export.id}, ref=task_ref(export.id))


def run_queued_export(task: background.BackgroundTask) -> None:
    """The queue's handler: generate the export in the scheduler process."""
    export_id = int(task.payload["export_id"])
    try:
        export = db.session.get(Export, export_id)
        if export is None or export.is_finished:
            return
        # Commit "running" first: the progress writer updates the same row from
        # another connection and must not wait on this transaction.
        mark_running(export)
        db.session.commit()
        generate_export(export, _ProgressWriter(export_id))
        db.session.commit()
    except Exception:
        logger.exception("background export %s crashed", export_id)
        db.session.rollback()
        export = db.session.get(Export, export_id)
        if export is not None:
            mark_failed(export, "生成文档时出错，请稍后重试")
            db.session.commit()


def export_task_failed(task: background.BackgroundTask, message: str) -> None:
    """The queue gave up on the export's task (its process died): say so on the export."""
    export = db.session.get(Export, int(task.payload["export_id"]))
    if export is not None:
        mark_failed(export, message)


def waiting_for_scheduler(export: Export) -> bool:
    """A queued export that no scheduler process is there to pick up."""
    return export.status == ExportStatus.pending and not background.scheduler_running()


def check_stale(export: Export, now: datetime | None = None) -> bool:
    """Mark an unfinished export failed when the process generating it has gone.

    A queued export is followed through its task's heartbeat (failed within a
    minute of its worker dying); one generated in a request that died (no task)
    falls back to the export's own STALE_AFTER. Returns True when it changed
    the export (the caller commits).
    """
    if export.is_finished:
        return False
    ref = task_ref(export.id)
    if background.latest_for(ref) is not None:
        background.fail_abandoned(now, ref=ref)
        return export.status == ExportStatus.failed
    if export.is_stale(now):
        mark_failed(export, "生成过程被中断（服务重启或超时），请重新导出")
        return True
    return False


# --------------------------------------------------------------------------- files


def _check_ready(export: Export) -> str:
    if export.status != ExportStatus.done or not export.storage_path:
        raise ServiceError("该导出尚未完成，暂不能下载", "not_ready")
    return export.storage_path


def stored_file(export: Export) -> Path:
    """Path of the stored document of a finished export, on the local back end only
    (the command line's copy and tests; downloads use ``open_verified``)."""
    key = _check_ready(export)
    path = export_store().local_path(key)
    if path is None or not path.is_file():
        raise ServiceError("导出文件已不在服务器上，请重新导出", "file_missing")
    return path


def open_verified(export: Export) -> IO[bytes]:
    """The stored document as a rewound file, checked against the recorded SHA-256:
    the bytes checked are the bytes sent. Streamed from the store into a spooled
    temporary file (memory up to 8 MiB, then disk), so a large export never sits in
    memory whole; the caller closes it."""
    key = _check_ready(export)
    try:
        source = export_store().open(key)
    except storage.FileMissing:
        raise ServiceError("导出文件已不在服务器上，请重新导出", "file_missing") from None
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    digest = hashlib.sha256()
    try:
        with source:
            while chunk := source.read(storage.CHUNK):
                digest.update(chunk)
                spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    if digest.hexdigest() != export.sha256:
        spool.close()
        logger.error("export %s: stored file %s does not match its sha256", export.id, key)
        raise ServiceError("导出文件校验失败（文件可能被改动），请重新导出", "file_changed")
    spool.seek(0)
    return spool


def read_verified(export: Export) -> bytes:
    """The stored document's bytes, checked against the recorded SHA-256."""
    with open_verified(export) as fh:
        return fh.read()


def record_download(export: Export, actor: User) -> None:
    audit.record(
        "download",
        "export",
        export.id,
        actor=actor,
        branch_id=export.branch_id,
        summary=f"下载{export.filename}",
    )


def visible_exports(user: User) -> sa.Select:
    """The export history a user may see, newest first (same rule as Export.can_view)."""
    from partybuild.core.permissions import Role

    stmt = sa.select(Export).order_by(Export.id.desc())
    if user.reads_all_branches:
        return stmt
    if user.role == Role.secretary:
        return stmt.where(Export.branch_id == user.branch_id)
    return stmt.where(Export.member_id == user.member_id, Export.member_id.is_not(None))


def file_size_label(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
