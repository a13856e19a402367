"""Export records: one row per generated (or failed) document in the export centre."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partybuild.core.db import LabelledEnum, str_enum, utcnow
from partybuild.core.permissions import Role
from partybuild.extensions import db
from partybuild.org.models import Branch, Member

if TYPE_CHECKING:
    from partybuild.auth.models import User

# A running export whose heartbeat is older than this was cut off (worker restarted).
STALE_AFTER = timedelta(minutes=10)


class ExportStatus(LabelledEnum):
    pending = "pending", "排队中"
    running = "running", "生成中"
    done = "done", "已完成"
    failed = "failed", "失败"


class PdfStatus(LabelledEnum):
    """The PDF copy of a finished Word export, converted by LibreOffice in the
    scheduler process on request."""

    none = "none", "未转换"
    pending = "pending", "排队转换中"
    running = "running", "转换中"
    done = "done", "已转换"
    failed = "failed", "转换失败"


class Export(db.Model):
    """A document export: who asked for what, and the stored file (never deleted)."""

    __tablename__ = "exports"
    __table_args__ = (
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        sa.CheckConstraint(
            "status != 'done' OR (sha256 IS NOT NULL AND size_bytes IS NOT NULL "
            "AND storage_path IS NOT NULL AND row_count IS NOT NULL "
            "AND finished_at IS NOT NULL)",
            name="done_has_file",
        ),
        sa.CheckConstraint("status != 'failed' OR finished_at IS NOT NULL", name="failed_has_time"),
        sa.CheckConstraint(
            "pdf_status != 'done' OR (pdf_sha256 IS NOT NULL AND pdf_size_bytes IS NOT NULL "
            "AND pdf_storage_path IS NOT NULL)",
            name="pdf_done_has_file",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(200))  # download name, Chinese
    # Plain request parameters as given (branch code or "all", period code, member id).
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Scope of the data inside: one branch, or None for all branches.
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    requested_by_name: Mapped[str] = mapped_column(sa.String(80), default="")
    status: Mapped[ExportStatus] = mapped_column(
        str_enum(ExportStatus, 16), default=ExportStatus.pending, index=True
    )
    progress: Mapped[int] = mapped_column(default=0)
    row_count: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    size_bytes: Mapped[int | None]
    storage_path: Mapped[str | None] = mapped_column(sa.String(255))  # under EXPORTS_DIR
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The PDF beside the Word file (see PdfStatus).
    pdf_status: Mapped[PdfStatus] = mapped_column(
        str_enum(PdfStatus, 16), default=PdfStatus.none, server_default="none"
    )
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    pdf_size_bytes: Mapped[int | None]
    pdf_storage_path: Mapped[str | None] = mapped_column(sa.String(255))
    pdf_error: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    branch: Mapped[Branch | None] = relationship()
    member: Mapped[Member | None] = relationship()
    requested_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Export {self.id} {self.kind} {self.status}>"

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.done, ExportStatus.failed)

    def is_stale(self, now: datetime | None = None) -> bool:
        """Still marked pending/running but nobody has touched it for STALE_AFTER."""
        if self.is_finished:
            return False
        last = self.heartbeat_at or self.started_at or self.created_at
        return last is not None and (now or utcnow()) - last > STALE_AFTER

    @property
    def requested_by_label(self) -> str:
        """Who exported, as people call them (the account name stays under 详情)."""
        if self.requested_by is not None:
            return self.requested_by.label
        return "命令行" if self.requested_by_name == "cli" else self.requested_by_name

    @property
    def scope_label(self) -> str:
        if self.member is not None:
            return f"{self.member.branch.name} · {self.member.name}"
        return self.branch.name if self.branch is not None else "全部党支部"

    def can_view(self, user: User) -> bool:
        """Follows the data: reviewers/admins everything, a secretary their own branch's
        exports only (never all-branch ones), a member only their own letters."""
        if not user.is_authenticated:
            return False
        if user.reads_all_branches or user.manages_branch(self.branch_id):
            return True
        if user.role == Role.member:
            return self.member_id is not None and self.member_id == user.member_id
        return False
