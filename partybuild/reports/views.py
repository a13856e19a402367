"""Export centre: choose a document, scope and period; follow progress; download."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload

from partybuild.commitments.models import CommitmentBatch
from partybuild.core import audit, navigation, storage
from partybuild.core.boundary import boundary, form_status
from partybuild.core.downloads import content_disposition
from partybuild.core.forms import parse_id
from partybuild.core.permissions import Role, access
from partybuild.extensions import db
from partybuild.org import lists as org_lists
from partybuild.org.models import Branch, Member
from partybuild.reports import pdf, registry, service
from partybuild.reports.forms import ExportForm, PdfForm
from partybuild.reports.models import Export, ExportStatus
from partybuild.reports.periods import InvalidPeriod, parse_period

logger = logging.getLogger(__name__)

bp = Blueprint("reports", __name__, url_prefix="/reports")

navigation.register(
    navigation.Entry("reports.index", "报告导出", "按公文格式导出台账与报告", order=80)
)


@bp.app_template_filter("period_label")
def period_label(code: str | None) -> str:
    """2026Q3 → 2026年第三季度; anything unparsable is shown as stored."""
    if not code:
        return "—"
    try:
        return parse_period(code).label
    except InvalidPeriod:
        return code


def _kind_label(key: str) -> str:
    return next((k.label for k in registry.kinds() if k.key == key), key)


def _branch_names(codes: list[str]) -> dict[str, str]:
    rows = db.session.execute(sa.select(Branch.code, Branch.name).where(Branch.code.in_(codes)))
    return {registry.ALL_BRANCHES: "全部党支部", **{code: name for code, name in rows}}


# Export parameters name a branch by its code: names for them, not a filter choice.
audit.register_object_type("branch_code", "党支部", names=_branch_names, listed=False)
audit.register_object_type(
    "export",
    "导出文档",
    fields={
        "kind": "文档", "params": "导出范围", "branch": "党支部", "period": "期间",
        "member": "党员", "batch": "承诺批次", "meeting": "会议", "sha256": "文件指纹（SHA-256）",
        "size_bytes": "文件大小（字节）", "row_count": "行数",
    },
    values={"kind": _kind_label, "period": period_label},
    refs={"branch": "branch_code", "member": "member", "batch": "commitment_batch", "meeting": "meeting"},
    names=audit.names_from(Export.id, Export.title),
    link=("reports.export_detail", "export_id"),
    order=80,
)  # fmt: skip

ALL_ROLES = (Role.admin, Role.secretary, Role.reviewer, Role.member)
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MIMETYPES = {".docx": DOCX_MIMETYPE, ".zip": "application/zip", ".pdf": "application/pdf"}


def _suffix(filename: str) -> str:
    return next((s for s in MIMETYPES if filename.lower().endswith(s)), ".docx")


def _fill_choices(form: ExportForm) -> list[registry.ReportKind]:
    kinds = [k for k in registry.kinds() if k.available_to(current_user)]
    form.kind.choices = [(k.key, k.label) for k in kinds]
    # Plain values from the cached structure (org.lists.tree), not ORM rows.
    tree = org_lists.tree()
    names = tree.branch_names
    branches = [
        b
        for b in tree.branches
        if b.is_active and (current_user.reads_all_branches or b.id == current_user.branch_id)
    ]
    form.branch.choices = [(b.code, b.name) for b in branches]
    if current_user.reads_all_branches and any(k.all_branches for k in kinds):
        form.branch.choices.insert(0, (registry.ALL_BRANCHES, "全部党支部（仅台账）"))

    # The member is found by typing a name (member-search.js and /reports/members.json);
    # the drop-down holds only the chosen member or, without script, the searched names.
    chosen = form.member.data or (
        str(current_user.member_id) if current_user.role == Role.member else ""
    )
    query = request.args.get("member_q", "").strip()[:40]
    if query:
        stmt = org_lists.member_choices(current_user, query)
    elif parse_id(chosen) is not None:
        stmt = org_lists.member_choices(current_user, ids=[parse_id(chosen)])
    else:
        stmt = None
    found = db.session.scalars(stmt).all() if stmt is not None else []
    form.member.choices = [("", "（选择党员）")] + [
        (str(m.id), _member_label(m, len(branches) > 1)) for m in found
    ]
    # Three plain columns per batch (the branch named from the tree), not ORM rows.
    batches = sa.select(CommitmentBatch.id, CommitmentBatch.branch_id, CommitmentBatch.title)
    if not current_user.reads_all_branches:
        batches = batches.where(CommitmentBatch.branch_id == current_user.branch_id)
    batches = batches.order_by(CommitmentBatch.commit_start.desc(), CommitmentBatch.id.desc())
    many = len(branches) > 1
    form.batch.choices = [("", "（该党员最近的承诺批次）")] + [
        (str(bid), f"{names.get(branch_id, '')} · {title}" if many else title)
        for bid, branch_id, title in db.session.execute(batches)
    ]
    return kinds


def _member_label(m: Member, with_branch: bool) -> str:
    return f"{m.branch.name} · {m.name}" if with_branch else m.name


@bp.get("/members.json")
@access(*ALL_ROLES)
def member_search():
    """Type-ahead for the member field: up to 20 active members in the user's scope."""
    query = request.args.get("q", "").strip()[:40]
    if not query:
        return jsonify({"members": []})
    with_branch = current_user.reads_all_branches
    found = db.session.scalars(org_lists.member_choices(current_user, query))
    return jsonify(
        {"members": [{"id": m.id, "label": _member_label(m, with_branch)} for m in found]}
    )


def _relevant(data: dict) -> dict:
    """The form shows every field; keep only those the chosen kind takes (the fields it
    hides still post their defaults)."""
    kind = next((k for k in registry.kinds() if k.key == data.get("kind")), None)
    if kind is None:
        return data
    relevant = {
        "branch": "" if kind.member else data.get("branch"),
        "member": data.get("member") if kind.member else "",
        "batch": data.get("batch") if kind.batch else "",
        "period": "" if kind.period == "none" else data.get("period"),
    }
    if kind.meeting_branch is not None:
        relevant["meeting"] = data.get("meeting")
    return relevant


def _history(page_size: int = 15):
    stmt = service.visible_exports(current_user).options(
        selectinload(Export.branch),
        selectinload(Export.member).selectinload(Member.branch),
        selectinload(Export.requested_by),
    )
    return db.paginate(stmt, per_page=page_size, max_per_page=100)


@bp.route("/", methods=["GET", "POST"])
@access(*ALL_ROLES)
def index():
    form = ExportForm()
    kinds = _fill_choices(form)
    if request.method == "GET":
        if current_user.role == Role.member:
            form.member.data = str(current_user.member_id)
        if request.args.get("kind"):
            form.kind.data = request.args["kind"]
        # 全部党支部 is a choice to make, never the default (few documents allow it).
        real = [code for code, _ in form.branch.choices if code != registry.ALL_BRANCHES]
        if real and not form.branch.data:
            form.branch.data = real[0]
    if form.validate_on_submit():
        with boundary(form) as done:
            export = service.request_export(form.kind.data, _relevant(form.data), current_user)
            inline = service.runs_inline(export)
            if not inline:
                service.queue_export(export)
        if done:
            if inline:
                # The pending record is committed first, so a crash leaves a trace.
                with boundary():
                    export = service.generate_export(export)
                if export.status == ExportStatus.done:
                    # Back to the centre, whose banner starts the download (the record
                    # stays in the history below the form).
                    return redirect(url_for("reports.index", ready=export.id, kind=export.kind))
                flash(f"生成失败：{export.error}", "error")
            else:
                flash("文档较大，正在后台生成；生成完毕后自动下载。", "info")
            return redirect(url_for("reports.export_detail", export_id=export.id))
    return render_template(
        "reports/index.html",
        form=form,
        kinds=kinds,
        page=_history(),
        service=service,
        ready=_ready_export(),
        all_branches=registry.ALL_BRANCHES,
    ), form_status(form)


def _ready_export() -> Export | None:
    """The export just generated (``?ready=id``), if the user may download it."""
    export_id = parse_id(request.args.get("ready"))
    if export_id is None:
        return None
    export = db.session.get(Export, export_id)
    if export is None or not export.can_view(current_user) or export.status != ExportStatus.done:
        return None
    return export


def _load_export(export_id: int) -> Export:
    export = db.get_or_404(Export, export_id)
    if not export.can_view(current_user):
        abort(404)  # do not reveal another branch's exports
    return export


def _status_payload(export: Export) -> dict:
    return {
        "id": export.id,
        "status": export.status.value,
        "status_label": export.status.label,
        "progress": export.progress,
        "row_count": export.row_count,
        "error": export.error or None,
        "download_url": (
            url_for("reports.download", export_id=export.id)
            if export.status == ExportStatus.done
            else None
        ),
    }


@bp.get("/exports/<int:export_id>")
@access(*ALL_ROLES)
def export_detail(export_id: int):
    export = _load_export(export_id)
    with boundary():
        service.check_stale(export)
    # ?download=1: the progress script reloads with it when a queued export is done.
    auto = request.args.get("download") == "1" and export.status == ExportStatus.done
    return render_template(
        "reports/export_detail.html",
        export=export,
        service=service,
        auto_download=auto,
        pdf=pdf,
        pdf_form=PdfForm(),
    )


@bp.get("/exports/<int:export_id>/status")
@access(*ALL_ROLES)
def export_status(export_id: int):
    export = _load_export(export_id)
    with boundary():
        service.check_stale(export)
    return jsonify(_status_payload(export))


@bp.get("/exports/<int:export_id>/download")
@access(*ALL_ROLES)
def download(export_id: int):
    export = _load_export(export_id)
    with boundary() as done:
        stream = service.open_verified(export)
        service.record_download(export, current_user)
    if not done:
        return redirect(url_for("reports.export_detail", export_id=export.id))
    suffix = _suffix(export.filename)
    return Response(
        storage.iter_stream(stream),
        mimetype=MIMETYPES[suffix],
        direct_passthrough=True,
        headers={
            "Content-Disposition": content_disposition(
                export.filename, f"export-{export.id}{suffix}"
            ),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Length": str(export.size_bytes),
        },
    )


@bp.post("/exports/<int:export_id>/pdf")
@access(*ALL_ROLES)
def request_pdf(export_id: int):
    """Queue the PDF of a finished Word export for the scheduler process."""
    export = _load_export(export_id)
    form = PdfForm()
    if form.validate_on_submit():
        with boundary(form) as done:
            queued = pdf.request_pdf(export, current_user)
        if done:
            flash(
                "已开始转换为 PDF，完成后可在本页下载。" if queued else "PDF 已生成或正在转换。",
                "info",
            )
    else:
        flash("页面已过期，请刷新后重试。", "error")
    return redirect(url_for("reports.export_detail", export_id=export.id))


@bp.get("/exports/<int:export_id>/download.pdf")
@access(*ALL_ROLES)
def download_pdf(export_id: int):
    export = _load_export(export_id)
    with boundary() as done:
        stream = pdf.open_pdf(export)
        service.record_download(export, current_user)
    if not done:
        return redirect(url_for("reports.export_detail", export_id=export.id))
    return Response(
        storage.iter_stream(stream),
        mimetype=MIMETYPES[".pdf"],
        direct_passthrough=True,
        headers={
            "Content-Disposition": content_disposition(
                pdf.pdf_filename(export), f"export-{export.id}.pdf"
            ),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Length": str(export.pdf_size_bytes),
        },
    )
