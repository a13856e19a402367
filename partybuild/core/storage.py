"""Stored files shared by the domains: one storage interface, two back ends.

Every file the app keeps (evidence uploads, report exports, later inspection
packs) goes through ``file_store(area)``, a ``FileStore`` with ``put_file``,
``open``, ``exists`` and ``delete`` by key:

* ``local`` (default): a directory per area, ``UPLOAD_DIR`` (else
  ``<instance>/uploads``) for uploads and ``EXPORTS_DIR`` for exports;
* ``s3``: one bucket of an S3-compatible object store (MinIO and the like), keys
  ``<area>/…``, so that every app instance behind one address sees every file.
  Chosen with ``STORAGE_BACKEND=s3`` and the ``STORAGE_S3_*`` deployment settings.

Evidence files have random names; the database keeps the original name, type, size
and checksum. A file is accepted only when its extension is allowed AND its first
bytes match that type, so a renamed executable is refused. Stored files are never
hard-deleted, only retired. Domains authorise access themselves and then call
``send_stored``, which streams the file from the store.
"""

import hashlib
import io
import logging
import os
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

import sqlalchemy as sa
from flask import Response, abort, current_app
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


def exports_root() -> Path:
    return Path(setting("EXPORTS_DIR") or "exports").resolve()


# --- the storage interface --------------------------------------------------------------

CHUNK = 256 * 1024  # bytes per read when streaming a file out of a store


audit.register_object_type(
    "stored_file",
    "上传文件",
    fields={"reason": "停用原因"},
    names=audit.names_from(StoredFile.id, StoredFile.original_name),
    order=92,
)


class FileMissing(LookupError):
    """No file under that key in the store."""


class FileStore:
    """Files by key ("2026/11/17-roster-ab12.docx", "ab/abcdef…"), in one area."""

    backend = "?"

    def put_file(self, key: str, source: IO[bytes]) -> None:
        """Store the bytes of a binary file object (read from its current position)."""
        raise NotImplementedError

    def put_bytes(self, key: str, data: bytes) -> None:
        self.put_file(key, io.BytesIO(data))

    def open(self, key: str) -> IO[bytes]:
        """A binary stream of the stored bytes; raises FileMissing. The caller closes it."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove a file (only for a write that failed: stored files are kept)."""
        raise NotImplementedError

    def local_path(self, key: str) -> Path | None:
        """The file's path when the store is a local directory, else None."""
        return None

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as fh:
            return fh.read()


class LocalStore(FileStore):
    """A directory on this machine; writes are atomic (temporary file, then rename)."""

    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise FileMissing(key)  # a key never leaves its directory
        return path

    def put_file(self, key: str, source: IO[bytes]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        try:
            os.fchmod(fd, 0o644)  # mkstemp creates 0600
            with os.fdopen(fd, "wb") as fh:
                shutil.copyfileobj(source, fh, CHUNK)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def open(self, key: str) -> IO[bytes]:
        try:
            return open(self._path(key), "rb")  # noqa: SIM115 - the caller closes it
        except (FileNotFoundError, IsADirectoryError):
            raise FileMissing(key) from None

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except FileMissing:
            return False

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path | None:
        return self._path(key)


class S3Store(FileStore):
    """One bucket of an S3-compatible object store; this area's keys under ``prefix/``."""

    backend = "s3"

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_file(self, key: str, source: IO[bytes]) -> None:
        self.client.upload_fileobj(source, self.bucket, self._key(key))

    def open(self, key: str) -> IO[bytes]:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise FileMissing(key) from None
            raise

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


AREAS = ("uploads", "exports")
_S3_CLIENTS: dict[tuple, Any] = {}


def storage_backend() -> str:
    backend = (setting("STORAGE_BACKEND") or "local").strip().lower()
    if backend not in ("local", "s3"):
        raise RuntimeError(f"STORAGE_BACKEND={backend!r}: use local or s3")
    return backend


def _s3_client() -> Any:
    """One boto3 client per configuration (clients are thread-safe)."""
    config = (
        setting("STORAGE_S3_ENDPOINT_URL") or None,
        setting("STORAGE_S3_REGION") or None,
        setting("STORAGE_S3_ACCESS_KEY") or None,
        setting("STORAGE_S3_SECRET_KEY") or None,
    )
    client = _S3_CLIENTS.get(config)
    if client is None:
        import boto3  # heavy: only deployments that use an object store load it
        from botocore.config import Config

        endpoint, region, access_key, secret_key = config
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            # MinIO and most S3-compatible servers want path-style addressing.
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )
        _S3_CLIENTS[config] = client
    return client


def file_store(area: str) -> FileStore:
    """The store of an area ("uploads" or "exports"), as configured."""
    if area not in AREAS:
        raise ValueError(f"unknown storage area {area!r}")
    if storage_backend() == "s3":
        bucket = setting("STORAGE_S3_BUCKET")
        if not bucket:
            raise RuntimeError("STORAGE_BACKEND=s3 needs STORAGE_S3_BUCKET")
        return S3Store(_s3_client(), bucket, area)
    return LocalStore(upload_root() if area == "uploads" else exports_root())


def iter_stream(stream: IO[bytes], chunk: int = CHUNK) -> Iterator[bytes]:
    """A response body read from a store in chunks; closes the stream at the end."""
    try:
        while data := stream.read(chunk):
            yield data
    finally:
        stream.close()


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
    file_store("uploads").put_bytes(_key_for(token), data)
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


def _key_for(token: str) -> str:
    return f"{token[:2]}/{token}"


def read_stored(stored: StoredFile) -> bytes:
    return file_store("uploads").read_bytes(_key_for(stored.token))


def send_stored(stored: StoredFile, *, inline: bool | None = None) -> Response:
    """Stream a file the caller has already authorised from the store. Images may
    show inline."""
    try:
        stream = file_store("uploads").open(_key_for(stored.token))
    except FileMissing:
        logger.error("stored file %s missing from the %s store", stored.id, storage_backend())
        abort(404)
    show_inline = stored.is_image if inline is None else inline
    ascii_name = f"file-{stored.id}.{stored.extension}"
    resp = Response(iter_stream(stream), mimetype=stored.content_type, direct_passthrough=True)
    resp.content_length = stored.size
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
