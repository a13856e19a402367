"""Integrity pages: the ledger with its flags, one risk point with controls, reviews and
rectifications, the member's own post, reminders, the heat map, import and export."""

import json
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from partybuild.core import navigation, workbench
from partybuild.core.boundary import boundary, form_status
from partybuild.core.downloads import XLSX, send_bytes
from partybuild.core.forms import parse_id, submitted_version
from partybuild.core.permissions import Role, access
from partybuild.core.service import ValidationFailed
from partybuild.core.settings import setting
from partybuild.core.timeutil import local_today
from partybuild.core.workbench import Item, Panel, PanelData, Ref
from partybuild.extensions import db
from partybuild.integrity import lists, service, spreadsheet
from partybuild.integrity.forms import (
    ControlForm,
    ImportForm,
    PointForm,
    RectificationForm,
    ReminderForm,
    ReviewForm,
    TextForm,
)
from partybuild.integrity.models import (
    Acknowledgement,
    ControlMeasure,
    ControlResult,
    Rectification,
    RectificationAction,
    RectificationState,
    Reminder,
    RiskLevel,
    RiskPoint,
    RiskReview,
    category_labels,
    level_label,
)
from partybuild.org import lists as org_lists
from partybuild.org.models import Branch, Post

logger = logging.getLogger(__name__)

bp = Blueprint("integrity", __name__, url_prefix="/integrity")

navigation.register(
    navigation.Entry("integrity.index", "廉政风险", "岗位廉政风险防控点与排查整改", order=50),
)

ALL_ROLES = (Role.admin, Role.secretary, Role.reviewer, Role.member)
READ_ROLES = (Role.admin, Role.secretary, Role.reviewer)
WRITE_ROLES = (Role.admin, Role.secretary)
OWN_ROLES = (Role.member, Role.secretary)
MAX_IMPORT_BYTES = 20 * 1024 * 1024  # as the key-task import
PER_PAGE = 30


@bp.app_template_global()
def risk_level(level) -> str:  # noqa: ANN001
    return level_label(level)


def _load_point(point_id: int) -> RiskPoint:
    point = db.get_or_404(RiskPoint, point_id)
    if not point.can_view(current_user):
        abort(404)  # another branch's ledger does not exist for this user
    return point


def _manage_point(point_id: int) -> RiskPoint:
    point = _load_point(point_id)
    if not point.can_manage(current_user):
        abort(403)
    return point


def _load_rectification(rect_id: int) -> Rectification:
    r = db.get_or_404(Rectification, rect_id)
    if not r.can_view(current_user):
        abort(404)
    return r


def _manageable_branches() -> list[Branch]:
    found = db.session.scalars(lists.branches(current_user)).all()
    return [b for b in found if b.can_manage(current_user) and b.is_active]


def _target_branch() -> Branch:
    """The branch a new record goes to: the secretary's own; an admin picks one."""
    branches = _manageable_branches()
    if not branches:
        abort(403)
    wanted = request.values.get("branch_id") or request.args.get("branch")
    for b in branches:
        if str(b.id) == wanted:
            return b
    return branches[0]


def _member_choices(branch_id: int, blank: str | None = "（未指定）") -> list[tuple[str, str]]:
    rows = db.session.execute(lists.branch_members(branch_id)).all()
    head = [("", blank)] if blank is not None else []
    return head + [(str(i), name) for i, name in rows]


def _fill_point_form(form: PointForm, branch: Branch, branches: list[Branch]) -> None:
    form.branch_id.choices = [(str(b.id), b.name) for b in branches]
    posts = db.session.scalars(
        service.branch_posts(branch.id).options(selectinload(Post.department))
    ).all()
    form.post_id.choices = [("", "请选择岗位")] + [(str(p.id), p.full_name) for p in posts]
    form.category.choices = list(category_labels().items())
    form.owner_id.choices = _member_choices(branch.id)


# --- the ledger ----------------------------------------------------------------------


@bp.get("/")
@access(*ALL_ROLES)
def index():
    if current_user.role == Role.member:
        return redirect(url_for("integrity.mine"))
    today = local_today()
    filters = lists.LedgerFilters.from_args(request.args)
    counts, total = lists.ledger_figures(filters, current_user, today)
    page = db.paginate(
        lists.ledger(filters, current_user, today, options=()),
        per_page=PER_PAGE,
        max_per_page=100,
        count=False,
    )
    page.total = total  # counted with the flag chips, cached under the ledger's version
    ids = [p.id for p in page.items]
    tree = org_lists.tree()
    scope = current_user.branch_scope
    branches = [b for b in tree.branches if scope is None or b.id in scope]
    names = tree.names
    return render_template(
        "integrity/index.html",
        page=page,
        today=today,
        soon=today + timedelta(days=setting("RISK_REVIEW_REMIND_DAYS")),
        flag_counts=counts,
        FLAG_LABELS=lists.FLAG_LABELS,
        overdue_rect=lists.overdue_point_ids(ids, today),
        active_controls=lists.active_control_counts(ids),
        level_names={lv.value: level_label(lv) for lv in RiskLevel},
        # The rows' links: the URL map asked once, not once per row.
        point_base=url_for("integrity.point", point_id=0).removesuffix("0"),
        branches=branches,
        branch_names=names["branch"],
        post_names=tree.post_full_names,
        categories=category_labels(),
        levels=list(RiskLevel),
        filters=filters,
        can_write=any(current_user.manages_branch(b.id) and b.is_active for b in branches),
    )


@bp.get("/export.xlsx")
@access(*READ_ROLES)
def export_xlsx():
    filters = lists.LedgerFilters.from_args(request.args)
    points = db.session.scalars(lists.ledger(filters, current_user, local_today())).all()
    name = f"廉政风险防控点台账_{local_today():%Y%m%d}.xlsx"
    return send_bytes(
        spreadsheet.export_xlsx(points), name, XLSX, fallback=f"risks_{local_today():%Y%m%d}.xlsx"
    )


@bp.route("/points/new", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def create_point():
    branches = _manageable_branches()
    branch = _target_branch()
    form = PointForm()
    _fill_point_form(form, branch, branches)
    if request.method == "GET":
        form.branch_id.data = str(branch.id)
    if request.method == "POST" and request.form.get("change_branch"):
        return render_template("integrity/point_form.html", form=form, point=None, branch=branch)
    if form.validate_on_submit():
        with boundary(form, success="风险点已登记。请继续填写防控措施。") as done:
            point = service.create_point(branch, form.data, current_user)
        if done:
            return redirect(url_for("integrity.point", point_id=point.id))
    return render_template(
        "integrity/point_form.html", form=form, point=None, branch=branch
    ), form_status(form)


@bp.route("/points/<int:point_id>/edit", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def edit_point(point_id: int):
    point = _manage_point(point_id)
    form = PointForm(obj=point)
    _fill_point_form(form, point.branch, [point.branch])
    if request.method == "GET":
        form.version_id.data = point.version_id
        for name in ("post_id", "owner_id", "likelihood", "impact", "residual_likelihood",
                     "residual_impact"):  # fmt: skip
            value = getattr(point, name)
            getattr(form, name).data = "" if value is None else str(value)
        form.branch_id.data = str(point.branch_id)
    if form.validate_on_submit():
        with boundary(form, success="风险点已修改。") as done:
            service.update_point(point, form.data, current_user, submitted_version(form))
        if done:
            return redirect(url_for("integrity.point", point_id=point.id))
    return render_template(
        "integrity/point_form.html", form=form, point=point, branch=point.branch
    ), form_status(form)


@bp.get("/points/<int:point_id>")
@access(*ALL_ROLES)
def point(point_id: int):
    point = _load_point(point_id)
    reviews = db.session.scalars(
        sa.select(RiskReview)
        .where(RiskReview.risk_point_id == point.id)
        .options(selectinload(RiskReview.results))
        .order_by(RiskReview.reviewed_on.desc(), RiskReview.id.desc())
        .limit(40)
    ).all()
    rects = db.session.scalars(
        sa.select(Rectification)
        .where(Rectification.risk_point_id == point.id)
        .options(selectinload(Rectification.responsible))
        .order_by(Rectification.id.desc())
    ).all()
    # A member reading their post's point sees only the rectifications they carry.
    rects = [r for r in rects if r.can_view(current_user)]
    return render_template(
        "integrity/point.html",
        p=point,
        reviews=reviews,
        rects=rects,
        today=local_today(),
        can_manage=point.can_manage(current_user),
        control_form=ControlForm(),
        retire_form=TextForm(),
        ControlResult=ControlResult,
    )


@bp.post("/points/<int:point_id>/retire")
@access(*WRITE_ROLES)
def retire_point(point_id: int):
    point = _manage_point(point_id)
    form = TextForm()
    if form.validate_on_submit():
        with boundary(success="风险点已停用（记录保留）。"):
            service.retire_point(point, form.text.data, current_user)
    return redirect(url_for("integrity.point", point_id=point.id))


@bp.post("/points/<int:point_id>/controls")
@access(*WRITE_ROLES)
def add_control(point_id: int):
    point = _manage_point(point_id)
    form = ControlForm()
    if form.validate_on_submit():
        with boundary(success="防控措施已增加。"):
            service.add_control(point, form.data, current_user)
    else:
        from flask import flash

        flash("请填写防控措施。", "error")
    return redirect(url_for("integrity.point", point_id=point.id, _anchor="controls"))


@bp.post("/controls/<int:control_id>/retire")
@access(*WRITE_ROLES)
def retire_control(control_id: int):
    control = db.get_or_404(ControlMeasure, control_id)
    point = _manage_point(control.risk_point_id)
    if TextForm().validate_on_submit():
        with boundary(success="防控措施已停用。"):
            service.retire_control(control, current_user)
    return redirect(url_for("integrity.point", point_id=point.id, _anchor="controls"))


# --- reviews and rectifications ----------------------------------------------------------


@bp.route("/points/<int:point_id>/review", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def review(point_id: int):
    point = _manage_point(point_id)
    form = ReviewForm()
    form.responsible_id.choices = _member_choices(point.branch_id, "请选择")
    controls = [c for c in point.controls if c.is_active]
    chosen = {c.id: request.form.get(f"result-{c.id}", "") for c in controls}
    errors: dict[str, str] = {}
    if request.method == "GET":
        form.reviewed_on.data = local_today()
        form.residual_likelihood.data = str(point.residual_likelihood or "")
        form.residual_impact.data = str(point.residual_impact or "")
        if point.owner_id:
            form.responsible_id.data = str(point.owner_id)
    if form.validate_on_submit():
        data = form.data | {"results": chosen}
        with boundary(errors, success="排查已记录，已按周期排定下次排查日期。") as done:
            found = service.record_review(point, data, current_user)
            if form.open_rectification.data:
                service.open_rectification(
                    point,
                    {
                        "problem": form.findings.data,
                        "measure": form.measure.data,
                        "responsible_id": form.responsible_id.data,
                        "deadline": form.deadline.data,
                    },
                    current_user,
                    review=found,
                )
                done.success = "排查已记录，整改已下达。"
        if done:
            return redirect(url_for("integrity.point", point_id=point.id))
        for name, message in errors.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, message]
    return render_template(
        "integrity/review_form.html",
        form=form,
        p=point,
        controls=controls,
        chosen=chosen,
        errors=errors,
        ControlResult=ControlResult,
    ), (400 if errors else form_status(form))


@bp.route("/points/<int:point_id>/rectifications/new", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def open_rectification(point_id: int):
    point = _manage_point(point_id)
    form = RectificationForm()
    form.responsible_id.choices = _member_choices(point.branch_id, "请选择")
    if request.method == "GET" and point.owner_id:
        form.responsible_id.data = str(point.owner_id)
    if form.validate_on_submit():
        with boundary(form, success="整改已下达。") as done:
            r = service.open_rectification(point, form.data, current_user)
        if done:
            return redirect(url_for("integrity.rectification", rect_id=r.id))
    return render_template(
        "integrity/rectification_form.html", form=form, p=point, r=None
    ), form_status(form)


@bp.route("/rectifications/<int:rect_id>/edit", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def edit_rectification(rect_id: int):
    r = _load_rectification(rect_id)
    if not r.can(RectificationAction.edit, current_user):
        abort(403)
    form = RectificationForm(obj=r)
    form.responsible_id.choices = _member_choices(r.branch_id, "请选择")
    if request.method == "GET":
        form.version_id.data = r.version_id
        form.responsible_id.data = str(r.responsible_id)
    if form.validate_on_submit():
        with boundary(form, success="整改已修改。") as done:
            service.edit_rectification(r, form.data, current_user, submitted_version(form))
        if done:
            return redirect(url_for("integrity.rectification", rect_id=r.id))
    return render_template(
        "integrity/rectification_form.html", form=form, p=r.risk_point, r=r
    ), form_status(form)


@bp.get("/rectifications")
@access(*ALL_ROLES)
def rectifications():
    today = local_today()
    filters = lists.RectificationFilters.from_args(request.args)
    page = db.paginate(
        lists.rectifications(filters, current_user, today), per_page=PER_PAGE, max_per_page=100
    )
    return render_template(
        "integrity/rectifications.html",
        page=page,
        today=today,
        filters=filters,
        states=list(RectificationState),
    )


@bp.get("/rectifications/<int:rect_id>")
@access(*ALL_ROLES)
def rectification(rect_id: int):
    r = _load_rectification(rect_id)
    return render_template(
        "integrity/rectification.html",
        r=r,
        today=local_today(),
        actions=r.allowed_actions(current_user),
        form=TextForm(),
    )


@bp.post("/rectifications/<int:rect_id>/<action>")
@access(*ALL_ROLES)
def act_rectification(rect_id: int, action: str):
    r = _load_rectification(rect_id)
    if action not in RectificationAction.__members__ or action == "edit":
        abort(404)
    form = TextForm()
    if form.validate_on_submit():
        label = RectificationAction(action).label
        with boundary(success=f"已{label}。"):
            service.act_on_rectification(r, action, current_user, form.text.data or "")
    return redirect(url_for("integrity.rectification", rect_id=r.id))


# --- the member's own post -------------------------------------------------------------------


@bp.get("/mine")
@access(*OWN_ROLES)
def mine():
    member = current_user.member
    today = local_today()
    points, acked, reminders, rects, controls = [], set(), [], [], {}
    if member is not None:
        if member.post_id is not None:
            points = db.session.scalars(service.post_points(member)).all()
            # The active measures' texts only (two columns), not ORM rows per measure.
            for point_id, text in db.session.execute(
                sa.select(ControlMeasure.risk_point_id, ControlMeasure.text)
                .where(
                    ControlMeasure.risk_point_id.in_([p.id for p in points]),
                    ControlMeasure.is_active.is_(True),
                )
                .order_by(ControlMeasure.id)
            ):
                controls.setdefault(point_id, []).append(text)
            acked = set(
                db.session.scalars(
                    sa.select(Acknowledgement.risk_point_id).where(
                        Acknowledgement.member_id == member.id,
                        Acknowledgement.year == today.year,
                    )
                )
            )
        reminders = db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.member_id == member.id)
            .order_by(Reminder.talked_on.desc())
            .limit(20)
        ).all()
        rects = db.session.scalars(
            lists.rectifications(lists.RectificationFilters(mine=True), current_user, today)
        ).all()
    return render_template(
        "integrity/mine.html",
        member=member,
        post_name=org_lists.tree().post_full_names.get(member.post_id, "") if member else "",
        points=points,
        controls=controls,
        acked=acked,
        reminders=reminders,
        rects=rects,
        today=today,
        form=TextForm(),
    )


@bp.post("/mine/acknowledge")
@access(*OWN_ROLES)
def acknowledge():
    member = current_user.member
    if member is None:
        abort(403)
    if TextForm().validate_on_submit():
        with boundary() as done:
            n = service.acknowledge(member, current_user)
            done.success = f"已确认知晓本岗位 {n} 个廉政风险点。"
    return redirect(url_for("integrity.mine"))


# --- reminders (提醒谈话) ------------------------------------------------------------------


@bp.get("/reminders")
@access(*ALL_ROLES)
def reminders():
    page = db.paginate(lists.reminders(current_user), per_page=PER_PAGE, max_per_page=100)
    return render_template("integrity/reminders.html", page=page)


@bp.route("/reminders/new", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def create_reminder():
    branches = _manageable_branches()
    branch = _target_branch()
    form = ReminderForm()
    form.branch_id.choices = [(str(b.id), b.name) for b in branches]
    form.member_id.choices = _member_choices(branch.id, "请选择")
    points = db.session.execute(
        sa.select(RiskPoint.id, RiskPoint.title)
        .where(RiskPoint.branch_id == branch.id, RiskPoint.is_active.is_(True))
        .order_by(RiskPoint.id)
    ).all()
    form.risk_point_id.choices = [("", "（无）")] + [(str(i), t[:40]) for i, t in points]
    if request.method == "GET":
        form.branch_id.data = str(branch.id)
        form.talked_on.data = local_today()
        form.reminder_name.data = current_user.label
        if request.args.get("point"):
            form.risk_point_id.data = request.args["point"]
    elif request.form.get("change_branch"):
        return render_template("integrity/reminder_form.html", form=form, branch=branch)
    if form.validate_on_submit():
        with boundary(form, success="提醒谈话已记录。") as done:
            row = service.record_reminder(branch, form.data, current_user)
        if done:
            return redirect(url_for("integrity.reminder", reminder_id=row.id))
    return render_template("integrity/reminder_form.html", form=form, branch=branch), form_status(
        form
    )


@bp.get("/reminders/<int:reminder_id>")
@access(*ALL_ROLES)
def reminder(reminder_id: int):
    row = db.get_or_404(Reminder, reminder_id)
    if not row.can_view(current_user):
        abort(404)
    return render_template("integrity/reminder.html", r=row)


# --- the picture ---------------------------------------------------------------------------


@bp.get("/heatmap")
@access(*READ_ROLES)
def heatmap():
    scope = current_user.branch_scope
    branches = [b for b in org_lists.tree().branches if scope is None or b.id in scope]
    branch_id = None
    if scope is None:
        branch_id = parse_id(request.args.get("branch"))
    residual = request.args.get("basis") == "residual"
    counts, dist = lists.heat_figures(current_user, branch_id, residual)
    matrix = setting("RISK_MATRIX")
    categories = category_labels()
    extra = sorted({c for c, _ in dist} - set(categories))
    chart = {
        "cells": [
            [i - 1, lk - 1, counts.get((lk, i), 0)] for lk in range(1, 6) for i in range(1, 6)
        ],
        "categories": [categories.get(c, c) for c in [*categories, *extra]],
        "levels": [level_label(lv) for lv in RiskLevel],
        "series": [[dist.get((c, lv.value), 0) for c in [*categories, *extra]] for lv in RiskLevel],
    }
    return render_template(
        "integrity/heatmap.html",
        branches=branches,
        branch_id=branch_id,
        residual=residual,
        counts=counts,
        matrix=matrix,
        dist=dist,
        categories={**categories, **{c: c for c in extra}},
        levels=list(RiskLevel),
        chart_json=json.dumps(chart, ensure_ascii=False),
        total=sum(counts.values()),
    )


# --- import ------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def import_ledger():
    branches = _manageable_branches()
    branch = _target_branch()
    form = ImportForm()
    form.branch_id.choices = [(str(b.id), b.name) for b in branches]
    preview, token = None, None
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", ""):
            form.file.errors = ["请选择要导入的 .xlsx 文件"]
        else:
            with boundary(form) as done:
                content = upload.read(MAX_IMPORT_BYTES + 1)
                if len(content) > MAX_IMPORT_BYTES:
                    raise ValidationFailed({"file": "文件不能超过 20 MB"})
                preview = spreadsheet.preview_import(upload.filename, content, branch, current_user)
            if done and preview.ok:
                with boundary(form) as saved:
                    token = spreadsheet.save_pending(preview, branch, current_user, upload.filename)
                if not saved:
                    token = None
    return render_template(
        "integrity/import.html", form=form, preview=preview, token=token, branch=branch
    ), (400 if preview is not None and not preview.ok else form_status(form))


@bp.post("/import/confirm")
@access(*WRITE_ROLES)
def confirm_import():
    if TextForm().validate_on_submit():
        token = request.form.get("token", "")
        with boundary() as done:
            points = spreadsheet.confirm_import(token, current_user)
            done.success = f"已导入 {len(points)} 个风险点。"
        if done:
            return redirect(url_for("integrity.index"))
    return redirect(url_for("integrity.import_ledger"))


# --- workbench panels ------------------------------------------------------------------------


def _secretary_panel(user, today) -> PanelData | None:  # noqa: ANN001
    filters = lists.LedgerFilters()
    counts = lists.flag_counts(lists.ledger_base(filters, user), today)
    rect_base = lists.rectifications(lists.RectificationFilters(), user, today)
    open_n, overdue_n = db.session.execute(
        rect_base.with_only_columns(
            sa.func.coalesce(
                sa.func.sum(sa.case((Rectification.state.in_(lists.OPEN_STATES), 1), else_=0)),
                0,
            ),
            sa.func.coalesce(
                sa.func.sum(sa.case((lists.overdue_rectification(today), 1), else_=0)), 0
            ),
        ).order_by(None)
    ).one()
    items = [
        Item("排查逾期的风险点", counts["review_overdue"],
             url_for("integrity.index", flag="review_overdue"), tone="danger"),
        Item("即将到期排查", counts["review_due"],
             url_for("integrity.index", flag="review_due"), tone="warning"),
        Item("未销号的整改", int(open_n), url_for("integrity.rectifications", open="1")),
        Item("逾期的整改", int(overdue_n),
             url_for("integrity.rectifications", overdue="1"), tone="danger"),
    ]  # fmt: skip
    return PanelData(items=items)


def _member_panel(user, today) -> PanelData | None:  # noqa: ANN001
    member = user.member
    if member is None or member.post_id is None:
        return None
    total, acked = db.session.execute(
        sa.select(
            sa.func.count(RiskPoint.id),
            sa.func.count(Acknowledgement.id),
        )
        .select_from(RiskPoint)
        .outerjoin(
            Acknowledgement,
            sa.and_(
                Acknowledgement.risk_point_id == RiskPoint.id,
                Acknowledgement.member_id == member.id,
                Acknowledgement.year == today.year,
            ),
        )
        .where(RiskPoint.post_id == member.post_id, RiskPoint.is_active.is_(True))
    ).one()
    if not total:
        return None
    return PanelData(
        items=[
            Item(
                "本岗位待确认知晓的风险点",
                total - acked,
                url_for("integrity.mine"),
                tone="warning" if total - acked else "success",
                hint=f"本岗位共 {total} 个廉政风险点，每年确认一次",
            ),
        ]  # fmt: skip
    )


def _reviewer_panel(user, today) -> PanelData | None:  # noqa: ANN001
    rows = [(Ref(b.id, b.name), counts) for b, counts in lists.branch_level_counts(user)]
    if not rows:
        return None
    return PanelData(
        template="integrity/_panel_branches.html",
        context={"rows": rows, "levels": list(RiskLevel)},
    )


workbench.register(
    Panel("integrity.todo", "廉政风险防控", _secretary_panel,
          roles=frozenset({Role.secretary, Role.admin}), order=50, link="integrity.index",
          reads=("integrity", "org")),
    Panel("integrity.mine", "本岗位廉政风险", _member_panel,
          roles=frozenset({Role.member, Role.secretary}), order=51, link="integrity.mine",
          reads=("integrity", "org")),
    Panel("integrity.branches", "各支部廉政风险点", _reviewer_panel,
          roles=frozenset({Role.reviewer}), order=52, link="integrity.heatmap",
          reads=("integrity", "org")),
)  # fmt: skip
