"""Evidence file storage shared by the domains.

Files live under ``<instance>/uploads`` with random names; the database keeps
the original name, type, size and checksum. A file is accepted only when its
extension is allowed AND its first bytes match that type, so a renamed
executable is refused. Stored files are never hard-deleted, only retired.
Domains authorise access themselves and then call ``send_stored``.
"""

import hashlib
import io
import logging
import os
import secrets
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask import Response, current_app
from sqlalchemy.orm import Mapped, mapped_column

from partybuild.core import audit
from partybuild.core.db import utcnow
from partybuild.core.downloads import content_disposition
from partybuild.core.service import ServiceError
from partybuild.core.settings import setting
from partybuild.extensions import db

logger = logging.getLogger(__name__)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _starts(prefix: bytes) -> Callable[[bytes], bool]:
    return lambda data: data.startswith(prefix)


def _ooxml(part: str) -> Callable[[bytes], bool]:
    """A real OOXML package: a zip with [Content_Types].xml and the main part folder."""

    def check(data: bytes) -> bool:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, ValueError):
            return False
        return "[Content_Types].xml" in names and any(n.startswith(part) for n in names)

    return check


# extension -> (MIME type, content check, label)
FILE_TYPES: dict[str, tuple[str, Callable[[bytes], bool], str]] = {
    "jpg": ("image/jpeg", _starts(b"\xff\xd8\xff"), "JPG 图片"),
    "jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff"), "JPG 图片"),
    "png": ("image/png", _starts(b"\x89PNG\r\n\x1a\n"), "PNG 图片"),
    "pdf": ("application/pdf", _starts(b"%PDF-"), "PDF"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ooxml("word/"),
        "Word",
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ooxml("xl/"),
        "Excel",
    ),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ooxml("ppt/"),
        "PowerPoint",
    ),
    "doc": ("application/msword", _starts(OLE_MAGIC), "Word 97-2003"),
    "xls": ("application/vnd.ms-excel", _starts(OLE_MAGIC), "Excel 97-2003"),
}
IMAGE_EXTENSIONS = {"jpg", "jpeg", "png"}
ALLOWED_LABEL = "JPG、PNG 图片，PDF，Word（doc/docx）、Excel（xls/xlsx）、PowerPoint（pptx）"


class StoredFile(db.Model):
    __tablename__ = "stored_files"
    __table_args__ = (
        sa.CheckConstraint("size >= 0", name="size_not_negative"),
        sa.CheckConstraint(
            "(is_retired AND retired_at IS NOT NULL) OR (NOT is_retired AND retired_at IS NULL)",
            name="retired_has_time",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    domain: Mapped[str] = mapped_column(sa.String(32), index=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    extension: Mapped[str] = mapped_column(sa.String(10))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_retired: Mapped[bool] = mapped_column(default=False)
    retired_at: Mapped[datetime | None]
    retired_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    retired_reason: Mapped[str] = mapped_column(sa.String(255), default="")

    @property
    def is_image(self) -> bool:
        return self.extension in IMAGE_EXTENSIONS

    @property
    def size_label(self) -> str:
        if self.size >= 1024 * 1024:
            return f"{self.size / 1024 / 1024:.1f} MB"
        return f"{max(1, round(self.size / 1024))} KB"


def max_bytes() -> int:
    return int(setting("UPLOAD_MAX_BYTES"))


def upload_root() -> Path:
    return Path(setting("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _clean_name(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')
    return name[-200:] or "file"


def check_file(filename: str, data: bytes) -> str:
    """Return the normalised extension, or raise ServiceError with a Chinese message."""
    name = _clean_name(filename)
    ext = _extension(name)
    if ext not in FILE_TYPES:
        raise ServiceError(f"文件“{name}”的类型不允许上传。允许的类型：{ALLOWED_LABEL}。")
    limit = max_bytes()
    if len(data) > limit:
        raise ServiceError(
            f"文件“{name}”超过大小限制（最大 {limit // 1024 // 1024 or 1} MB）。", code="too_large"
        )
    if not data:
        raise ServiceError(f"文件“{name}”是空文件。")
    _mime, matches, label = FILE_TYPES[ext]
    if not matches(data):
        raise ServiceError(f"文件“{name}”的内容与扩展名不符（不是有效的{label}文件）。")
    return ext


def read_upload(upload: Any) -> tuple[str, bytes]:
    """(filename, bytes) from a werkzeug FileStorage or a (name, stream|bytes) pair.

    Reads at most one byte past the limit, so an oversized stream is not slurped.
    """
    if isinstance(upload, tuple):
        filename, body = upload
    else:
        filename, body = upload.filename, upload.stream
    if isinstance(body, bytes | bytearray):
        return filename or "", bytes(body)
    stream: BinaryIO = body
    return filename or "", stream.read(max_bytes() + 1)


def save_upload(upload: Any, *, domain: str, actor: Any) -> StoredFile:
    """Validate and store one file; returns the (flushed) StoredFile row."""
    filename, data = read_upload(upload)
    ext = check_file(filename, data)
    token = secrets.token_urlsafe(24)
    path = _path_for(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    stored = StoredFile(
        token=token,
        domain=domain,
        original_name=_clean_name(filename),
        extension=ext,
        content_type=FILE_TYPES[ext][0],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def _path_for(token: str) -> Path:
    return upload_root() / token[:2] / token


def read_stored(stored: StoredFile) -> bytes:
    return _path_for(stored.token).read_bytes()


def send_stored(stored: StoredFile, *, inline: bool | None = None) -> Response:
    """Serve a file the caller has already authorised. Images may show inline."""
    path = _path_for(stored.token)
    if not path.exists():
        from flask import abort

        logger.error("stored file %s missing on disk", stored.id)
        abort(404)
    show_inline = stored.is_image if inline is None else inline
    ascii_name = f"file-{stored.id}.{stored.extension}"
    resp = Response(path.read_bytes(), mimetype=stored.content_type)
    resp.headers["Content-Disposition"] = content_disposition(
        stored.original_name, ascii_name, inline=show_inline
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, max-age=0"
    return resp


def retire_file(stored: StoredFile, reason: str, actor: Any) -> None:
    """Hide a file from use; the row and the bytes stay for the record."""
    if stored.is_retired:
        raise ServiceError("该文件已停用")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写停用原因")
    stored.is_retired = True
    stored.retired_at = utcnow()
    stored.retired_by_id = getattr(actor, "id", None)
    stored.retired_reason = reason[:255]
    db.session.flush()
    audit.record(
        "retire",
        "stored_file",
        stored.id,
        actor=actor,
        after={"reason": stored.retired_reason},
        summary=stored.original_name,
    )
