"""Member roster pages and organisation structure."""

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload

from partybuild.core import audit, navigation
from partybuild.core.boundary import boundary, form_status
from partybuild.core.downloads import XLSX, send_bytes
from partybuild.core.forms import parse_id, submitted_version
from partybuild.core.permissions import Role, access, authenticated, can_open
from partybuild.core.service import ServiceError, ValidationFailed
from partybuild.core.settings import setting
from partybuild.core.text import clean_text
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org import lists, roster, service
from partybuild.org.forms import MemberForm, RetireForm, RosterUploadForm, UnitForm
from partybuild.org.models import (
    Branch,
    Department,
    Gender,
    Member,
    MemberStatus,
    PartyGroup,
    Post,
    by_name,
)

bp = Blueprint("org", __name__, url_prefix="/org")

navigation.register(
    navigation.Entry("org.members", "党员名册", "查询、维护党员信息，导入导出名册", order=20),
    navigation.Entry("org.structure", "组织架构", "党支部、党小组、科室与岗位", order=85),
)

ROSTER_ROLES = (Role.admin, Role.secretary, Role.reviewer)
WRITE_ROLES = (Role.admin, Role.secretary)


def visible_branches() -> list[Branch]:
    return list(db.session.scalars(lists.branches(current_user)))


def manageable_branches() -> list[Branch]:
    return [b for b in visible_branches() if b.can_manage(current_user) and b.is_active]


def _member_list() -> sa.Select:
    return lists.members(lists.MemberFilters.from_args(request.args), current_user)


def _filter_options() -> dict:
    """Branches, groups and departments for the filter row: plain values from the cached
    structure, scoped to the branches the user reads."""
    tree = lists.tree()
    scope = current_user.branch_scope
    branches = [b for b in tree.branches if scope is None or b.id in scope]
    ids = {b.id for b in branches}
    return {
        "branches": branches,
        "groups": tree.groups(ids),
        "departments": list(tree.departments),
        "names": tree.names,
    }


@bp.get("/members")
@access(*ROSTER_ROLES)
def members():
    filters = lists.MemberFilters.from_args(request.args)
    page = db.paginate(
        lists.members(filters, current_user, units=False),
        per_page=setting("MEMBERS_PER_PAGE"),
        max_per_page=100,
        count=False,
    )
    page.total = lists.member_count(filters, current_user)  # cached per roster version
    return render_template(
        "org/members.html",
        page=page,
        MemberStatus=MemberStatus,
        args=request.args,
        filters=filters,
        **_filter_options(),
    )


def _load_member(member_id: int) -> Member:
    member = db.get_or_404(Member, member_id)
    if not member.can_view(current_user):
        abort(404)  # do not reveal that another branch's member exists
    return member


@bp.get("/members/<int:member_id>")
@authenticated
def member_detail(member_id: int):
    member = _load_member(member_id)
    history = (
        db.session.scalars(
            sa.select(audit.AuditEntry)
            .where(
                audit.AuditEntry.object_type == "member",
                audit.AuditEntry.object_id == str(member.id),
            )
            .order_by(audit.AuditEntry.id.desc())
            .limit(20)
        ).all()
        if member.can_edit(current_user) or current_user.reads_all_branches
        else []
    )
    return render_template(
        "org/member_detail.html",
        member=member,
        history=_readable_history(history),
        retire_form=RetireForm(),
        account=_account_of(member),
    )


def _account_of(member: Member) -> object | None:
    """The member's login account, for those who manage the member's branch (admins get
    a link to it, the secretary sees whether it is open); None for anyone else."""
    if not member.can_edit(current_user):
        return None
    from partybuild.auth.models import User  # auth sits above org

    return db.session.scalar(sa.select(User).where(User.member_id == member.id))


HISTORY_FIELDS = roster.FIELD_LABELS | {
    "is_leader": "班子成员",
    "is_active": "在册",
    "reason": "原因",
}
_ID_FIELDS = {
    "branch_id": Branch,
    "party_group_id": PartyGroup,
    "department_id": Department,
    "post_id": Post,
}


def _readable_history(entries: list[audit.AuditEntry]) -> list[dict]:
    """Audit entries in words: Chinese action and field names, names instead of ids."""
    wanted: dict[str, set[int]] = {f: set() for f in _ID_FIELDS}
    for entry in entries:
        for field, old, new in entry.changes:
            if field in wanted:
                wanted[field] |= {v for v in (old, new) if isinstance(v, int)}
    names = {
        field: dict(
            db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids))).all()
        )
        for field, model in _ID_FIELDS.items()
        if (ids := wanted[field])
    }

    def show(field: str, value: object) -> str:
        if value is None or value == "":
            return "—"
        if field in names:
            return names[field].get(value, f"#{value}")
        if isinstance(value, bool):
            return "是" if value else "否"
        if field == "gender" and value in Gender.__members__:
            return Gender(value).label
        if field == "status" and value in MemberStatus.__members__:
            return MemberStatus(value).label
        return str(value)

    return [
        {
            "at": e.created_at,
            "actor": e.actor_name,
            "action": e.action_label,
            "changes": [
                (HISTORY_FIELDS.get(f, f), show(f, old), show(f, new)) for f, old, new in e.changes
            ],
        }
        for e in entries
    ]


def _fill_member_choices(form: MemberForm) -> None:
    branches = manageable_branches()
    form.branch_id.choices = [(b.id, b.name) for b in branches]
    ids = [b.id for b in branches]
    groups = db.session.scalars(
        sa.select(PartyGroup)
        .options(selectinload(PartyGroup.branch))
        .where(PartyGroup.branch_id.in_(ids))
        .order_by(PartyGroup.branch_id, PartyGroup.name)
    )
    form.party_group_id.choices = [("", "（无）")] + [
        (g.id, g.name if len(ids) == 1 else f"{g.branch.name} · {g.name}") for g in groups
    ]
    departments = db.session.scalars(
        sa.select(Department).options(selectinload(Department.posts)).order_by(Department.name)
    ).all()
    form.department_id.choices = [("", "（无）")] + [(d.id, d.name) for d in departments]
    form.post_id.choices = [("", "（无）")] + [
        (p.id, f"{d.name} · {p.name}") for d in departments for p in d.posts
    ]


@bp.route("/members/new", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def create_member():
    form = MemberForm()
    _fill_member_choices(form)
    if request.method == "GET" and current_user.branch_id:
        form.branch_id.data = current_user.branch_id
    if form.validate_on_submit():
        with boundary(form) as done:
            member = service.create_member(form.data, current_user)
            done.success = f"已添加党员 {member.name}。"
        if done:
            return redirect(url_for("org.member_detail", member_id=member.id))
    return render_template("org/member_form.html", form=form, member=None), form_status(form)


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def edit_member(member_id: int):
    member = _load_member(member_id)
    if not member.can_edit(current_user):
        abort(403)
    if not member.is_active:
        flash("该党员已退出名册，不能修改；如需修改请先恢复到名册。", "warning")
        return redirect(url_for("org.member_detail", member_id=member.id))
    form = MemberForm(obj=member)
    _fill_member_choices(form)
    if request.method == "GET":
        form.gender.data = member.gender.value
        form.status.data = member.status.value
    if form.validate_on_submit():
        with boundary(form, success="党员信息已保存。") as done:
            service.update_member(member, form.data, current_user, submitted_version(form))
        if done:
            return redirect(url_for("org.member_detail", member_id=member.id))
    return render_template("org/member_form.html", form=form, member=member), form_status(form)


@bp.post("/members/<int:member_id>/retire")
@access(*WRITE_ROLES)
def retire_member(member_id: int):
    member = _load_member(member_id)
    form = RetireForm()
    with boundary(success=f"{member.name} 已退出名册，历史记录保留。"):
        if not form.validate_on_submit():
            raise ValidationFailed({"reason": "请填写退出原因（如组织关系转出、去世等）"})
        service.retire_member(member, form.reason.data, current_user)
    return redirect(url_for("org.member_detail", member_id=member.id))


@bp.post("/members/<int:member_id>/reinstate")
@access(*WRITE_ROLES)
def reinstate_member(member_id: int):
    member = _load_member(member_id)
    with boundary(success=f"{member.name} 已恢复到名册。"):
        service.reinstate_member(member, current_user)
    return redirect(url_for("org.member_detail", member_id=member.id))


@bp.route("/members/import", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def import_members():
    form = RosterUploadForm()
    branches = manageable_branches()
    form.branch_id.choices = [(b.id, b.name) for b in branches]
    preview = token = None
    if form.validate_on_submit():
        branch = next((b for b in branches if b.id == form.branch_id.data), None)
        upload = form.file.data
        try:
            preview = roster.preview_import(upload.filename, upload.stream, current_user, branch)
        except ServiceError as exc:
            form.file.errors.append(exc.message)
        else:
            if preview.ok:
                with boundary(form) as done:
                    token = roster.save_pending(preview, current_user, upload.filename)
                if not done:
                    token = None
    return render_template("org/import.html", form=form, preview=preview, token=token)


@bp.post("/members/import/confirm")
@access(*WRITE_ROLES)
def confirm_import():
    token = request.form.get("token", "")
    # The new 科室/岗位/党小组 ticked on the preview (all are ticked by default).
    create = request.form.getlist("create") if request.form.get("units_offered") else None
    with boundary() as done:
        created = roster.confirm_import(token, current_user, create)
        done.success = f"导入完成：新增 {len(created)} 名党员。"
    if not done:
        return redirect(url_for("org.import_members"))
    return redirect(url_for("org.members"))


@bp.get("/members/template.xlsx")
@access(*WRITE_ROLES)
def import_template():
    return _xlsx_response(roster.export_xlsx([], current_user), "党员名册导入模板.xlsx")


@bp.get("/members/export.xlsx")
@access(*ROSTER_ROLES)
def export_members():
    members = db.session.scalars(_member_list()).all()
    data = roster.export_xlsx(members, current_user)
    with boundary():
        audit.record(
            "export",
            "member",
            None,
            actor=current_user,
            branch_id=current_user.branch_id,
            summary=f"导出党员名册（Excel），{len(members)} 人",
        )
    return _xlsx_response(data, f"党员名册_{local_today():%Y%m%d}.xlsx")


def _xlsx_response(data: bytes, filename: str) -> Response:
    return send_bytes(data, filename, XLSX, fallback="roster.xlsx")


# --- organisation structure -------------------------------------------------


@bp.get("/structure")
@access(Role.admin, Role.reviewer)
def structure():
    # Plain values cached under the structure's and the roster's data versions.
    return render_template(
        "org/structure.html",
        org=lists.tree(),
        counts=lists.active_counts(),
        form=UnitForm(),
        can_rename=can_open("org.rename_unit"),
        can_create=can_open("org.create_unit"),
        can_committee=can_open("org.branch_committee"),
        can_deputy=can_open("org.branch_deputy"),
        can_set_active=can_open("org.set_branch_active"),
    )


STRUCTURE_MODELS = {"branch": Branch, "group": PartyGroup, "department": Department, "post": Post}


@bp.post("/structure/<kind>")
@access(Role.admin)
def create_unit(kind: str):
    if kind not in STRUCTURE_MODELS:
        abort(404)
    form = UnitForm()
    if not form.validate_on_submit():
        flash("请填写名称。", "error")
        return redirect(url_for("org.structure"))
    with boundary() as done:
        unit = service.create_unit(kind, form.data, current_user)
        done.success = f"已添加：{unit.name}"
    return redirect(url_for("org.structure"))


@bp.post("/structure/<kind>/<int:unit_id>/rename")
@access(Role.admin)
def rename_unit(kind: str, unit_id: int):
    if kind not in STRUCTURE_MODELS:
        abort(404)
    unit = db.get_or_404(STRUCTURE_MODELS[kind], unit_id)
    with boundary(success="名称已修改。"):
        name = clean_text(request.form.get("name", ""))
        service.rename_unit(kind, unit, name, current_user)
    return redirect(url_for("org.structure"))


@bp.post("/structure/branch/<int:unit_id>/active")
@access(Role.admin)
def set_branch_active(unit_id: int):
    branch = db.get_or_404(Branch, unit_id)
    with boundary(success="党支部状态已更新。"):
        service.set_branch_active(branch, request.form.get("active") == "1", current_user)
    return redirect(url_for("org.structure"))


# --- 回避: the branch's deputy for the secretary's own commitments ----------------------


@bp.route("/branches/<int:branch_id>/deputy", methods=["GET", "POST"])
@access(Role.admin, Role.secretary)
def branch_deputy(branch_id: int):
    from partybuild.org.models import DEPUTY_TITLES, BranchDeputy

    branch = db.get_or_404(Branch, branch_id)
    if not branch.can_manage(current_user):
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        member_id = parse_id(request.form.get("member_id"))
        with boundary(errors, success="已保存代行审核的支委。") as done:
            service.set_branch_deputy(
                branch, member_id, request.form.get("title", ""), current_user
            )
        if done:
            return redirect(url_for("org.branch_deputy", branch_id=branch.id))
    from partybuild.org.models import CommitteeMember

    # Once the branch has a committee, the deputy is chosen among its members.
    seats = db.session.scalars(
        CommitteeMember.sitting(branch.id).options(selectinload(CommitteeMember.member))
    ).all()
    members = [s.member for s in seats] or db.session.scalars(
        sa.select(Member)
        .where(Member.branch_id == branch.id, Member.is_active.is_(True))
        .order_by(*by_name())
    ).all()
    return render_template(
        "org/branch_deputy.html",
        branch=branch,
        deputy=db.session.get(BranchDeputy, branch.id),
        members=members,
        titles=DEPUTY_TITLES,
        errors=errors,
    ), (400 if errors else 200)


# --- 支部委员会: the committee whose members a 支委会 expects ------------------------------


def _managed_branch(branch_id: int) -> Branch:
    branch = db.get_or_404(Branch, branch_id)
    if not branch.can_manage(current_user):
        abort(404)
    return branch


@bp.route("/branches/<int:branch_id>/committee", methods=["GET", "POST"])
@access(Role.admin, Role.secretary)
def branch_committee(branch_id: int):
    from partybuild.org.models import BranchDeputy, CommitteeMember, CommitteePost

    branch = _managed_branch(branch_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        member_id = parse_id(request.form.get("member_id"))
        with boundary(errors, success="支部委员会已更新。") as done:
            service.set_committee_member(
                branch, member_id, request.form.get("post", ""), current_user
            )
        if done:
            return redirect(url_for("org.branch_committee", branch_id=branch.id))
    seats = db.session.scalars(
        CommitteeMember.sitting(branch.id).options(selectinload(CommitteeMember.member))
    ).all()
    members = db.session.scalars(
        sa.select(Member)
        .where(Member.branch_id == branch.id, Member.is_active.is_(True))
        .order_by(Member.name)
    ).all()
    return render_template(
        "org/branch_committee.html",
        branch=branch,
        seats=seats,
        members=members,
        posts=list(CommitteePost),
        deputy=db.session.get(BranchDeputy, branch.id),
        errors=errors,
        chosen=request.form if request.method == "POST" else {},
    ), (400 if errors else 200)


@bp.post("/branches/<int:branch_id>/committee/remove")
@access(Role.admin, Role.secretary)
def remove_committee_member(branch_id: int):
    branch = _managed_branch(branch_id)
    with boundary(success="已免去该党员的支部委员职务。"):
        service.remove_committee_member(
            branch, parse_id(request.form.get("member_id")), current_user
        )
    return redirect(url_for("org.branch_committee", branch_id=branch.id))
