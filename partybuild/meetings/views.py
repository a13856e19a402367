"""组织生活 pages: meetings (plan, record, approve, correct), key tasks (责任清单),
the compliance calendar, the member's own attendance and the .ics subscription."""

import logging
from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from partybuild.core import dataversion, navigation, storage, workbench
from partybuild.core.boundary import boundary, form_status
from partybuild.core.downloads import XLSX, send_bytes
from partybuild.core.forms import parse_id, submitted_version
from partybuild.core.lists import contains, int_arg
from partybuild.core.permissions import Role, access
from partybuild.core.pinyin import sort_key
from partybuild.core.service import ValidationFailed
from partybuild.core.settings import setting
from partybuild.core.text import clean_text
from partybuild.core.timeutil import local_today, to_local
from partybuild.extensions import db
from partybuild.meetings import cadence, lists, service, tasklist
from partybuild.meetings.forms import (
    AgendaForm,
    AttachmentForm,
    AttendanceCorrectionForm,
    CancelTaskForm,
    CompleteForm,
    CorrectionForm,
    ImportForm,
    MeetingForm,
    PostponeForm,
    ProgressForm,
    ReasonForm,
    RecordForm,
    ResolutionForm,
    TaskForm,
    VoteCorrectionForm,
)
from partybuild.meetings.models import (
    Attendance,
    AttendanceStatus,
    CalendarFeed,
    KeyTask,
    Meeting,
    MeetingAction,
    MeetingAttachment,
    MeetingState,
    MeetingType,
    Resolution,
    TaskAction,
    TaskEvidence,
    TaskProgress,
    TaskState,
)
from partybuild.org import lists as org_lists
from partybuild.org.models import Branch, Department, Member, PartyGroup, by_name

logger = logging.getLogger(__name__)

bp = Blueprint("meetings", __name__, url_prefix="/meetings")

navigation.register(
    navigation.Entry("meetings.index", "组织生活", "三会一课、主题党日、会议记录", order=30),
)

ALL_ROLES = (Role.admin, Role.secretary, Role.reviewer, Role.member)
WRITE_ROLES = (Role.admin, Role.secretary)
PER_PAGE = 30


# --------------------------------------------------------------------------- loading


def _load(meeting_id: int) -> Meeting:
    meeting = db.get_or_404(Meeting, meeting_id)
    if not meeting.can_view(current_user):
        abort(404)  # another branch's meeting does not exist for this user
    return meeting


def _load_task(task_id: int) -> KeyTask:
    task = db.get_or_404(KeyTask, task_id)
    if not (task.can_view(current_user) or task.actors(current_user)):
        abort(404)
    return task


def _managed_branches() -> list[Branch]:
    stmt = sa.select(Branch).where(Branch.is_active.is_(True)).order_by(Branch.code)
    if not current_user.is_admin:
        stmt = stmt.where(Branch.id == current_user.branch_id)
    return list(db.session.scalars(stmt))


def _chosen_branch(branch_id: int | None) -> Branch:
    if not current_user.is_admin:
        branch = db.session.get(Branch, current_user.branch_id)
    else:
        branch = db.session.get(Branch, branch_id) if branch_id else None
    if branch is None:
        raise ValidationFailed({"branch_id": "请选择党支部"})
    return branch


def _member_names(branch_id: int) -> list[str]:
    """Names for the host/recorder suggestions: one branch's active members."""
    return list(
        db.session.scalars(
            sa.select(Member.name)
            .where(Member.branch_id == branch_id, Member.is_active.is_(True))
            .order_by(*by_name())
        )
    )


# --------------------------------------------------------------------------- meetings


@bp.get("/")
@access(*ALL_ROLES)
def index():
    filters = lists.MeetingFilters.from_args(request.args)
    page = db.paginate(lists.meetings(filters, current_user), per_page=PER_PAGE, max_per_page=100)
    branches = _branch_choices() if current_user.reads_all_branches else []
    return render_template(
        "meetings/index.html",
        page=page,
        filters=filters,
        branches=branches,
        types=MeetingType,
        states=MeetingState,
        can_plan=current_user.role in WRITE_ROLES,
    )


def _branch_choices() -> list:
    """The filter's branches (as ``cadence.visible_branches``) as plain units from the
    cached structure: every active branch, or the user's own."""
    scope = current_user.branch_scope
    return [
        b
        for b in org_lists.tree().branches
        if (b.id in scope if scope is not None else b.is_active)
    ]


def _meeting_form(branch: Branch | None, meeting: Meeting | None = None) -> MeetingForm:
    form = MeetingForm(obj=meeting) if meeting is not None else MeetingForm()
    branches = _managed_branches()
    form.branch_id.choices = [(b.id, b.name) for b in branches]
    branch_id = branch.id if branch else (branches[0].id if branches else 0)
    groups = db.session.scalars(
        sa.select(PartyGroup).where(PartyGroup.branch_id == branch_id).order_by(PartyGroup.name)
    )
    form.party_group_id.choices = [(0, "（不适用）")] + [(g.id, g.name) for g in groups]
    if meeting is not None and request.method == "GET":
        form.starts_at.data = to_local(meeting.starts_at).replace(tzinfo=None)
        form.ends_at.data = (
            to_local(meeting.ends_at).replace(tzinfo=None) if meeting.ends_at else None
        )
        form.version_id.data = meeting.version_id
        form.party_group_id.data = meeting.party_group_id or 0
    return form


@bp.route("/new", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def plan():
    branch = None if current_user.is_admin else db.session.get(Branch, current_user.branch_id)
    if current_user.is_admin and parse_id(request.values.get("branch_id")) is not None:
        branch = db.session.get(Branch, parse_id(request.values["branch_id"]))
    form = _meeting_form(branch)
    if request.method == "GET" and request.args.get("type") in MeetingType.__members__:
        form.type.data = request.args["type"]
    if form.validate_on_submit():
        with boundary(form, success="会议已安排。") as done:
            meeting = service.plan_meeting(
                _chosen_branch(form.branch_id.data), form.service_data(), current_user
            )
        if done:
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    names = _member_names(branch.id) if branch else []
    return render_template("meetings/form.html", form=form, meeting=None, names=names), form_status(
        form
    )


@bp.get("/<int:meeting_id>")
@access(*ALL_ROLES)
def detail(meeting_id: int):
    meeting = db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.id == meeting_id)
        .options(
            selectinload(Meeting.agenda),
            selectinload(Meeting.attendance),
            selectinload(Meeting.resolutions),
            selectinload(Meeting.attachments).selectinload(MeetingAttachment.file),
            selectinload(Meeting.corrections),
            selectinload(Meeting.branch),
        )
    )
    if meeting is None or not meeting.can_view(current_user):
        abort(404)
    return render_template("meetings/detail.html", **_detail_context(meeting))


def _attendance_choices(meeting: Meeting) -> list[tuple[int, str]]:
    return [
        (a.id, f"{a.member_name}（{a.status.label if a.status else '未登记'}）")
        for a in meeting.attendance
    ]


def _resolution_choices(meeting: Meeting) -> list[tuple[int, str]]:
    return [(r.id, f"决议{r.position}：{r.text[:30]}") for r in meeting.resolutions]


def _detail_context(meeting: Meeting, **forms) -> dict:
    actions = set(meeting.allowed_actions(current_user))
    correction = forms.get("correction_form") or CorrectionForm()
    correction.part.choices = [(k, label) for k, label, _ in service.correction_parts(meeting)]
    attendance_correction = forms.get("attendance_form") or AttendanceCorrectionForm(prefix="att")
    attendance_correction.attendance_id.choices = _attendance_choices(meeting)
    vote_correction = forms.get("vote_form") or VoteCorrectionForm(prefix="vote")
    vote_correction.resolution_id.choices = _resolution_choices(meeting)
    # Retired attachments: listed, struck through, for those who manage the branch only.
    sees_retired = MeetingAction.retire_attachment in actions
    counts = defaultdict(int)
    for a in meeting.attendance:
        counts[a.status.value if a.status else "unset"] += 1
    return dict(
        m=meeting,
        actions=actions,
        A=MeetingAction,
        counts=counts,
        agenda_form=forms.get("agenda_form") or AgendaForm(),
        resolution_form=forms.get("resolution_form") or ResolutionForm(),
        correction_form=correction,
        attendance_form=attendance_correction,
        vote_form=vote_correction,
        retire_key=forms.get("retire_key"),
        retire_form=forms.get("retire_form") or ReasonForm(),
        attachments=[a for a in meeting.attachments if sees_retired or not a.file.is_retired],
        reason_form=forms.get("reason_form") or ReasonForm(),
        attachment_form=forms.get("attachment_form") or AttachmentForm(),
        quorum_percent=setting("MEETING_QUORUM_PERCENT"),
        correction_texts={k: text for k, _, text in service.correction_parts(meeting)},
    )


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def edit(meeting_id: int):
    meeting = _load(meeting_id)
    if not meeting.can(MeetingAction.edit, current_user):
        abort(403)
    form = _meeting_form(meeting.branch, meeting)
    if form.validate_on_submit():
        with boundary(form, success="会议信息已修改。") as done:
            service.update_meeting(
                meeting, form.service_data(), current_user, submitted_version(form)
            )
        if done:
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    return render_template(
        "meetings/form.html", form=form, meeting=meeting, names=_member_names(meeting.branch_id)
    ), form_status(form)


def _attendance_from_request() -> list[tuple[int, str, str]]:
    entries = []
    for raw in request.form.getlist("member"):
        member_id = parse_id(raw)
        if member_id is None:
            continue
        entries.append(
            (
                member_id,
                request.form.get(f"status-{member_id}", ""),
                clean_text(request.form.get(f"reason-{member_id}", ""))[:500],
            )
        )
    return entries


@bp.route("/<int:meeting_id>/record", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def record(meeting_id: int):
    meeting = _load(meeting_id)
    if not meeting.can(MeetingAction.record, current_user):
        abort(403)
    form = RecordForm(obj=meeting) if request.method == "GET" else RecordForm()
    expected = {a.member_id for a in meeting.attendance}
    others = db.session.scalars(
        sa.select(Member)
        .where(
            Member.branch_id == meeting.branch_id,
            Member.is_active.is_(True),
            Member.id.not_in(expected or {0}),
        )
        .order_by(*by_name())
    ).all()
    form.extra_member.choices = [("", "（无）")] + [(str(m.id), m.name) for m in others]
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        entries = _attendance_from_request()
        if parse_id(form.extra_member.data) is not None:
            entries.append((parse_id(form.extra_member.data), AttendanceStatus.present.value, ""))
        notes = {
            parse_id(key.removeprefix("notes-")): clean_text(value, multiline=True)
            for key, value in request.form.items()
            if key.startswith("notes-") and parse_id(key.removeprefix("notes-")) is not None
        }
        data = {"attendance": entries, "minutes": form.minutes.data, "notes": notes}
        with boundary(errors, success="出席情况和会议记录已保存。") as done:
            service.record_meeting(meeting, data, current_user)
        if done:
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
        meeting = _load(meeting_id)
    submitted = (
        {mid: (status, reason) for mid, status, reason in _attendance_from_request()}
        if request.method == "POST"
        else {}
    )
    return render_template(
        "meetings/record.html",
        m=meeting,
        form=form,
        errors=errors,
        submitted=submitted,
        statuses=AttendanceStatus,
    ), (400 if errors else form_status(form))


@bp.post("/<int:meeting_id>/agenda")
@access(*WRITE_ROLES)
def add_agenda(meeting_id: int):
    meeting = _load(meeting_id)
    form = AgendaForm()
    with boundary(success="议题已添加。"):
        service.add_agenda_item(meeting, form.title.data or "", current_user)
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/resolutions")
@access(*WRITE_ROLES)
def add_resolution(meeting_id: int):
    meeting = _load(meeting_id)
    form = ResolutionForm()
    if form.validate_on_submit():
        with boundary(form, success="决议已记录。") as done:
            service.add_resolution(meeting, form.data, current_user)
        if done:
            return redirect(url_for("meetings.detail", meeting_id=meeting.id) + "#resolutions")
    meeting = _load(meeting_id)
    return render_template(
        "meetings/detail.html", **_detail_context(meeting, resolution_form=form)
    ), form_status(form)


@bp.post("/<int:meeting_id>/approve")
@access(*WRITE_ROLES)
def approve(meeting_id: int):
    meeting = _load(meeting_id)
    with boundary(success="会议记录已审定并锁定。"):
        service.approve_minutes(meeting, current_user)
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/correct")
@access(*WRITE_ROLES)
def correct(meeting_id: int):
    meeting = _load(meeting_id)
    form = CorrectionForm()
    form.part.choices = [(k, label) for k, label, _ in service.correction_parts(meeting)]
    if form.validate_on_submit():
        with boundary(form, success="更正已记录，会议记录的数字指纹已更新。") as done:
            service.correct_minutes(
                meeting, form.part.data, form.text.data, form.reason.data, current_user
            )
        if done:
            return redirect(url_for("meetings.detail", meeting_id=meeting.id) + "#corrections")
    meeting = _load(meeting_id)
    return render_template(
        "meetings/detail.html", **_detail_context(meeting, correction_form=form)
    ), form_status(form)


@bp.post("/<int:meeting_id>/correct/attendance")
@access(*WRITE_ROLES)
def correct_attendance(meeting_id: int):
    meeting = _load(meeting_id)
    form = AttendanceCorrectionForm(prefix="att")
    form.attendance_id.choices = _attendance_choices(meeting)
    if form.validate_on_submit():
        with boundary(form, success="出席情况已更正，法定人数和数字指纹已重新计算。") as done:
            service.correct_attendance(
                meeting, form.attendance_id.data, form.status.data, form.absence_reason.data,
                form.reason.data, current_user,
            )  # fmt: skip
        if done:
            return redirect(url_for("meetings.detail", meeting_id=meeting.id) + "#corrections")
    meeting = _load(meeting_id)
    return render_template(
        "meetings/detail.html", **_detail_context(meeting, attendance_form=form)
    ), form_status(form)


@bp.post("/<int:meeting_id>/correct/vote")
@access(*WRITE_ROLES)
def correct_vote(meeting_id: int):
    meeting = _load(meeting_id)
    form = VoteCorrectionForm(prefix="vote")
    form.resolution_id.choices = _resolution_choices(meeting)
    if form.validate_on_submit():
        with boundary(form, success="表决结果已更正，数字指纹已重新计算。") as done:
            service.correct_vote(
                meeting, form.resolution_id.data, form.data, form.reason.data, current_user
            )
        if done:
            return redirect(url_for("meetings.detail", meeting_id=meeting.id) + "#corrections")
    meeting = _load(meeting_id)
    return render_template(
        "meetings/detail.html", **_detail_context(meeting, vote_form=form)
    ), form_status(form)


@bp.post("/<int:meeting_id>/attachments/<int:attachment_id>/retire")
@access(*WRITE_ROLES)
def retire_attachment(meeting_id: int, attachment_id: int):
    meeting = _load(meeting_id)
    form = ReasonForm()
    if form.validate_on_submit():
        with boundary(form, success="附件已停用（文件和停用原因保留备查）。") as done:
            service.retire_attachment(meeting, attachment_id, form.text.data, current_user)
        if done:
            return redirect(url_for("meetings.detail", meeting_id=meeting.id) + "#attachments")
    meeting = _load(meeting_id)
    return render_template(
        "meetings/detail.html",
        **_detail_context(meeting, retire_form=form, retire_key=attachment_id),
    ), form_status(form)


@bp.post("/<int:meeting_id>/cancel")
@access(*WRITE_ROLES)
def cancel(meeting_id: int):
    meeting = _load(meeting_id)
    form = ReasonForm()
    with boundary(success="会议已取消。"):
        service.cancel_meeting(meeting, form.text.data or "", current_user)
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


@bp.post("/<int:meeting_id>/attachments")
@access(*WRITE_ROLES)
def attach(meeting_id: int):
    meeting = _load(meeting_id)
    form = AttachmentForm()
    with boundary() as done:
        n = service.add_attachments(
            meeting, request.files.getlist("files"), form.caption.data or "", current_user
        )
        done.success = f"已上传 {n} 个附件。"
    return redirect(url_for("meetings.detail", meeting_id=meeting.id) + "#attachments")


@bp.get("/attachments/<int:attachment_id>")
@access(*ALL_ROLES)
def attachment(attachment_id: int):
    row = db.get_or_404(MeetingAttachment, attachment_id)
    if not row.meeting.can_view(current_user):
        abort(404)
    # A retired file stays open to those who manage the branch (for the record) only.
    if row.file.is_retired and not row.meeting.can(MeetingAction.retire_attachment, current_user):
        abort(404)
    return storage.send_stored(row.file)


@bp.get("/evidence/<int:evidence_id>")
@access(*ALL_ROLES)
def evidence(evidence_id: int):
    row = db.get_or_404(TaskEvidence, evidence_id)
    _load_task(row.progress.task_id)
    if row.file.is_retired:
        abort(404)
    return storage.send_stored(row.file)


# --------------------------------------------------------------------------- attendance


@bp.get("/mine")
@access(*ALL_ROLES)
def mine():
    member_id = current_user.member_id
    if member_id is None:
        return render_template("meetings/mine.html", page=None, summary=None)
    page = db.paginate(lists.my_attendance(member_id), per_page=PER_PAGE, max_per_page=100)
    return render_template(
        "meetings/mine.html", page=page, summary=service.attendance_summary(member_id)
    )


# --------------------------------------------------------------------------- calendar


def _member_rates(branch_id: int, year: int) -> list[tuple[str, int, int, int, int]]:
    """(name, present, excused, absent, rate %) per member of the branch, one query."""
    start, end = cadence.local_bounds(date(year, 1, 1), date(year, 12, 31))
    rows = db.session.execute(
        sa.select(Attendance.member_id, Attendance.member_name, Attendance.status, sa.func.count())
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Meeting.branch_id == branch_id,
            Meeting.state.in_(cadence.DONE_STATES),
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Attendance.status.is_not(None),
        )
        .group_by(Attendance.member_id, Attendance.member_name, Attendance.status)
    ).all()
    per: dict[int, dict] = {}
    for member_id, name, status, n in rows:
        slot = per.setdefault(member_id, {"name": name, "present": 0, "excused": 0, "absent": 0})
        slot[AttendanceStatus(status).value] += n
    out = []
    for slot in sorted(per.values(), key=lambda s: (sort_key(s["name"]), s["name"])):
        total = slot["present"] + slot["excused"] + slot["absent"]
        rate = round(slot["present"] * 100 / total) if total else 0
        out.append((slot["name"], slot["present"], slot["excused"], slot["absent"], rate))
    return out


CALENDAR_BRANCHES_PER_PAGE = 10


def _grids_html(shown: list[tuple[int, str, str]], year: int, today: date) -> Markup:
    """The shown branches' compliance grids, rendered once per meetings data version,
    branches (ids, codes and names are in the key), cadence setting and day: the same
    for every user who sees these branches, nothing in them depends on who asks."""

    def make() -> str:
        grids = cadence.grid([bid for bid, _, _ in shown], year, today)
        return render_template(
            "meetings/_grids.html",
            shown=shown,
            grids=grids,
            year=year,
            today=today,
            cadence_label=cadence.cadence_label,
        )

    rule = tuple(sorted(setting("MEETING_CADENCE").items()))
    html = dataversion.cached(
        "meetings.grids_html", ("meetings",), make, tuple(shown), year, today, rule
    )
    return Markup(html)  # noqa: S704 - our own template's output, escaped when rendered


@bp.get("/calendar")
@access(*ALL_ROLES)
def compliance():
    today = local_today()
    year = int_arg(request.args, "year") or today.year
    if not 2000 <= year <= 2100:
        year = today.year
    branches = cadence.visible_branches(current_user)
    chosen = int_arg(request.args, "branch")
    if chosen and chosen not in {b.id for b in branches}:
        abort(404)
    page = None
    if chosen:
        shown = [b for b in branches if b.id == chosen]
    else:  # every branch: a few grids per page, not the whole city at once
        page = db.paginate(
            cadence.visible_branches_stmt(current_user),
            per_page=CALENDAR_BRANCHES_PER_PAGE,
            max_per_page=50,
        )
        shown = list(page.items)
    rates = _member_rates(shown[0].id, year) if len(shown) == 1 else []
    return render_template(
        "meetings/calendar.html",
        year=year,
        today=today,
        branches=branches,
        shown=shown,
        chosen=chosen,
        grids_html=_grids_html([(b.id, b.code, b.name) for b in shown], year, today),
        page=page,
        rates=rates,
        cadence_label=cadence.cadence_label,
    )


# --------------------------------------------------------------------------- .ics feed


@bp.route("/feed", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def feed():
    branches = _managed_branches()
    branch_id = int_arg(request.values, "branch") or (branches[0].id if branches else None)
    branch = next((b for b in branches if b.id == branch_id), None)
    if branch is None:
        abort(404)
    token = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            with boundary(success="订阅地址已停用，已订阅的日历将不再更新。"):
                service.revoke_feed(branch, current_user)
        else:
            with boundary(success="已生成新的订阅地址，原地址同时失效。") as done:
                token = service.regenerate_feed(branch, current_user)
            if not done:
                token = None
    current = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.branch_id == branch.id))
    url = url_for("public.meeting_feed", token=token, _external=True) if token else None
    return render_template(
        "meetings/feed.html", branch=branch, branches=branches, feed=current, url=url
    )


# --------------------------------------------------------------------------- key tasks


@bp.get("/tasks")
@access(*ALL_ROLES)
def tasks():
    today = local_today()
    filters = lists.TaskFilters.from_args(request.args)
    page = db.paginate(
        lists.tasks(filters, current_user, today), per_page=PER_PAGE, max_per_page=100
    )
    counts = lists.task_counts(current_user, today, filters.branch)
    return render_template(
        "meetings/tasks.html",
        page=page,
        filters=filters,
        counts=counts,
        today=today,
        states=TaskState,
        branches=_branch_choices() if current_user.reads_all_branches else [],
        can_write=current_user.role in WRITE_ROLES,
    )


@bp.get("/tasks/export.xlsx")
@access(*ALL_ROLES)
def export_tasks():
    today = local_today()
    filters = lists.TaskFilters.from_args(request.args)
    rows = db.session.scalars(lists.tasks(filters, current_user, today).limit(5000)).all()
    return send_bytes(
        tasklist.export_xlsx(list(rows), today),
        f"重点任务责任清单_{today:%Y%m%d}.xlsx",
        XLSX,
        fallback="key-tasks.xlsx",
    )


@bp.get("/members.json")
@access(*WRITE_ROLES)
def member_options():
    """Type-ahead for the responsible leader: at most 20 active members of the
    user's organisation whose name contains the typed text."""
    q = (request.args.get("q") or "").strip()[:20]
    if not q:
        return jsonify([])
    stmt = (
        sa.select(Member.id, Member.name, Branch.name, Member.title)
        .join(Branch, Branch.id == Member.branch_id)
        .where(Member.is_active.is_(True), contains(Member.name, q))
        .order_by(*by_name())
        .limit(20)
    )
    if not current_user.is_admin:
        own = db.session.get(Branch, current_user.branch_id)
        stmt = stmt.where(Branch.organization_id == own.organization_id)
    return jsonify(
        [
            {"id": mid, "label": _member_label(mid, name, branch, title)}
            for mid, name, branch, title in db.session.execute(stmt)
        ]
    )


def _member_label(member_id: int, name: str, branch: str, title: str = "") -> str:
    extra = f"{title}，" if title else ""
    return f"{name}（{extra}{branch}）#{member_id}"


def _lead_id(text: str, branch: Branch) -> int | None:
    """``张三（…）#12`` from the type-ahead, or a name unique in the organisation."""
    text = (text or "").strip()
    if "#" in text and parse_id(text.rsplit("#", 1)[1]) is not None:
        return parse_id(text.rsplit("#", 1)[1])
    ids = db.session.scalars(
        sa.select(Member.id)
        .join(Branch, Branch.id == Member.branch_id)
        .where(
            Member.name == text,
            Member.is_active.is_(True),
            Branch.organization_id == branch.organization_id,
        )
        .limit(2)
    ).all()
    return ids[0] if len(ids) == 1 else None


def _task_form(branch: Branch, task: KeyTask | None = None) -> TaskForm:
    form = TaskForm(obj=task) if task is not None and request.method == "GET" else TaskForm()
    form.branch_id.choices = [(b.id, b.name) for b in _managed_branches()]
    departments = db.session.scalars(
        sa.select(Department)
        .where(Department.organization_id == branch.organization_id)
        .order_by(Department.name)
    ).all()
    form.department_id.choices = [(0, "（请选择）")] + [(d.id, d.name) for d in departments]
    form.supporter_ids.choices = [(d.id, d.name) for d in departments]
    if task is not None and request.method == "GET":
        lead = task.lead_member
        form.lead_member.data = _member_label(lead.id, lead.name, lead.branch.name, lead.title)
        form.supporter_ids.data = [d.id for d in task.supporters]
        form.version_id.data = task.version_id
    return form


def _task_data(form: TaskForm, branch: Branch) -> dict:
    data = dict(form.data)
    data["lead_member_id"] = _lead_id(form.lead_member.data, branch)
    data["department_id"] = form.department_id.data or None
    return data


@bp.route("/tasks/new", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def new_task():
    branches = _managed_branches()
    if not branches:
        abort(404)
    chosen = int_arg(request.values, "branch_id")
    branch = next((b for b in branches if b.id == chosen), branches[0])
    form = _task_form(branch)
    if form.validate_on_submit():
        with boundary(form, success="重点任务已新建。") as done:
            task = service.create_task(branch, _task_data(form, branch), current_user)
        if done:
            return redirect(url_for("meetings.task_detail", task_id=task.id))
    return render_template(
        "meetings/task_form.html", form=form, task=None, resolution=None
    ), form_status(form)


@bp.route("/resolutions/<int:resolution_id>/task", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def resolution_task(resolution_id: int):
    resolution = db.get_or_404(Resolution, resolution_id)
    meeting = _load(resolution.meeting_id)
    if not meeting.can(MeetingAction.make_task, current_user):
        abort(403)
    form = _task_form(meeting.branch)
    if request.method == "GET":
        form.title.data = resolution.text[:200]
        form.description.data = f"来源：{meeting.title}（{to_local(meeting.starts_at):%Y-%m-%d}）决议{resolution.position}"
    if form.validate_on_submit():
        with boundary(form, success="决议已转为重点任务。") as done:
            task = service.task_from_resolution(
                resolution, _task_data(form, meeting.branch), current_user
            )
        if done:
            return redirect(url_for("meetings.task_detail", task_id=task.id))
    return render_template(
        "meetings/task_form.html", form=form, task=None, resolution=resolution
    ), form_status(form)


@bp.get("/tasks/<int:task_id>")
@access(*ALL_ROLES)
def task_detail(task_id: int):
    task = _load_task(task_id)
    return render_template("meetings/task_detail.html", **_task_context(task))


def _task_context(task: KeyTask, **forms) -> dict:
    entries = db.session.scalars(
        sa.select(TaskProgress)
        .where(TaskProgress.task_id == task.id)
        .options(selectinload(TaskProgress.evidence).selectinload(TaskEvidence.file))
        .order_by(TaskProgress.recorded_on.desc(), TaskProgress.id.desc())
    ).all()
    today = local_today()
    progress_form = forms.get("progress_form") or ProgressForm(formdata=None)
    if "progress_form" not in forms:
        progress_form.recorded_on.data = today
    complete_form = forms.get("complete_form") or CompleteForm(formdata=None)
    if "complete_form" not in forms:
        complete_form.completed_on.data = today
    return dict(
        t=task,
        entries=entries,
        today=today,
        actions=set(task.allowed_actions(current_user)),
        A=TaskAction,
        progress_form=progress_form,
        complete_form=complete_form,
        postpone_form=forms.get("postpone_form") or PostponeForm(formdata=None),
        cancel_form=forms.get("cancel_form") or CancelTaskForm(formdata=None),
        postpone_reasons=setting("KEY_TASK_POSTPONE_REASONS"),
        cancel_reasons=setting("KEY_TASK_CANCEL_REASONS"),
    )


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def edit_task(task_id: int):
    task = _load_task(task_id)
    if not task.can(TaskAction.edit, current_user):
        abort(403)
    form = _task_form(task.branch, task)
    if form.validate_on_submit():
        with boundary(form, success="重点任务已修改。") as done:
            service.update_task(
                task, _task_data(form, task.branch), current_user, submitted_version(form)
            )
        if done:
            return redirect(url_for("meetings.task_detail", task_id=task.id))
    return render_template(
        "meetings/task_form.html", form=form, task=task, resolution=None
    ), form_status(form)


def _task_action(task_id: int, form_cls, key: str, success: str, call):
    task = _load_task(task_id)
    form = form_cls()
    if form.validate_on_submit():
        with boundary(form, success=success) as done:
            call(task, form)
        if done:
            return redirect(url_for("meetings.task_detail", task_id=task.id))
        task = _load_task(task_id)
    return render_template(
        "meetings/task_detail.html", **_task_context(task, **{key: form})
    ), form_status(form)


@bp.post("/tasks/<int:task_id>/progress")
@access(*ALL_ROLES)
def task_progress(task_id: int):
    return _task_action(
        task_id,
        ProgressForm,
        "progress_form",
        "进展已记录。",
        lambda t, f: service.add_progress(t, f.data, request.files.getlist("files"), current_user),
    )


@bp.post("/tasks/<int:task_id>/complete")
@access(*ALL_ROLES)
def task_complete(task_id: int):
    return _task_action(
        task_id,
        CompleteForm,
        "complete_form",
        "任务已标记为完成。",
        lambda t, f: service.complete_task(t, f.completed_on.data, current_user),
    )


@bp.post("/tasks/<int:task_id>/postpone")
@access(*WRITE_ROLES)
def task_postpone(task_id: int):
    return _task_action(
        task_id,
        PostponeForm,
        "postpone_form",
        "任务已延期。",
        lambda t, f: service.postpone_task(t, f.deadline.data, f.reason.data, current_user),
    )


@bp.post("/tasks/<int:task_id>/cancel")
@access(*WRITE_ROLES)
def task_cancel(task_id: int):
    return _task_action(
        task_id,
        CancelTaskForm,
        "cancel_form",
        "任务已取消。",
        lambda t, f: service.cancel_task(t, f.reason.data, current_user),
    )


@bp.route("/tasks/import", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def import_tasks():
    branches = _managed_branches()
    if not branches:
        abort(404)
    chosen = int_arg(request.values, "branch_id")
    branch = next((b for b in branches if b.id == chosen), branches[0])
    form = ImportForm()
    preview = token = None
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not upload.filename:
            form.file.errors = ["请选择 .xlsx 文件"]
        else:
            with boundary(form) as done:
                content = upload.read(20 * 1024 * 1024 + 1)
                if len(content) > 20 * 1024 * 1024:
                    raise ValidationFailed({"file": "文件不能超过 20 MB"})
                preview = tasklist.preview_import(branch, upload.filename, content, current_user)
            if done and preview.ok:
                with boundary(form) as saved:
                    token = tasklist.save_pending(preview, branch, current_user, upload.filename)
                if not saved:
                    token = None
    return render_template(
        "meetings/import.html",
        form=form,
        preview=preview,
        token=token,
        branch=branch,
        branches=branches,
    ), form_status(form)


@bp.post("/tasks/import/confirm")
@access(*WRITE_ROLES)
def confirm_import():
    token = request.form.get("token", "")
    with boundary() as done:
        created = tasklist.confirm_import(token, current_user)
        done.success = f"已导入 {len(created)} 项重点任务。"
    if done:
        return redirect(url_for("meetings.tasks"))
    return redirect(url_for("meetings.import_tasks"))


@bp.get("/tasks/import/template.xlsx")
@access(*WRITE_ROLES)
def import_template():
    return send_bytes(
        tasklist.template_xlsx(), "重点任务导入模板.xlsx", XLSX, fallback="tasks.xlsx"
    )


# --------------------------------------------------------------------------- workbench


def _secretary_panel(user, today: date) -> workbench.PanelData | None:
    scope = user.branch_scope
    if scope is None:
        return None  # admins read the reviewer's grid
    unmet = cadence.unmet_now(scope, today)
    overdue = lists.task_counts(user, today)["overdue"]
    items = []
    for mtype, period in unmet.get(scope[0], []):
        items.append(
            workbench.Item(
                f"{period.label}尚未安排：{mtype.label}",
                None,
                url_for("meetings.plan", type=mtype.value),
                tone="warning",
            )
        )
    planned = db.session.scalar(
        sa.select(sa.func.count(Meeting.id)).where(
            Meeting.branch_id.in_(scope),
            Meeting.state == MeetingState.planned,
        )
    )
    items.append(
        workbench.Item(
            "已安排、待召开的会议", planned or 0, url_for("meetings.index", state="planned")
        )
    )
    items.append(
        workbench.Item(
            "逾期的重点任务",
            overdue,
            url_for("meetings.tasks", overdue="1"),
            tone="danger" if overdue else "secondary",
        )
    )
    return workbench.PanelData(items=items)


def _member_panel(user, today: date) -> workbench.PanelData | None:
    if user.member_id is None:
        return None
    from partybuild.meetings.cadence import local_bounds

    start, _ = local_bounds(today, today)
    upcoming = db.session.execute(
        sa.select(Meeting.id, Meeting.title, Meeting.starts_at, Meeting.place)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(
            Attendance.member_id == user.member_id,
            Meeting.state == MeetingState.planned,
            Meeting.starts_at >= start,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    ).first()
    open_tasks = db.session.scalar(
        sa.select(sa.func.count(KeyTask.id)).where(
            KeyTask.lead_member_id == user.member_id,
            KeyTask.state.in_((TaskState.not_started, TaskState.in_progress, TaskState.postponed)),
        )
    )
    items = []
    if upcoming:
        when = f"{to_local(upcoming.starts_at):%m月%d日 %H:%M}"
        items.append(
            workbench.Item(
                f"下次会议：{upcoming.title}",
                None,
                url_for("meetings.detail", meeting_id=upcoming.id),
                hint=f"{when}{'，' + upcoming.place if upcoming.place else ''}",
            )
        )
    if open_tasks:
        items.append(
            workbench.Item(
                "我负责的未完成重点任务",
                open_tasks,
                url_for("meetings.tasks", mine="1", open="1"),
                tone="warning",
            )
        )
    items.append(workbench.Item("我的出席记录", None, url_for("meetings.mine")))
    return workbench.PanelData(items=items)


def _reviewer_panel(user, today: date) -> workbench.PanelData | None:
    branches = cadence.visible_branches(user)[:50]
    totals = cadence.totals([b.id for b in branches], today.year, today)
    return workbench.PanelData(
        template="meetings/_grid_panel.html",
        context={
            "branches": [workbench.Ref(b.id, b.name) for b in branches],
            "totals": totals,
            "year": today.year,
        },
    )


workbench.register(
    workbench.Panel(
        "meetings.secretary",
        "组织生活",
        _secretary_panel,
        roles=frozenset({Role.secretary}),
        order=20,
        link="meetings.index",
        reads=("meetings", "org"),
    ),
    workbench.Panel(
        "meetings.member",
        "我的组织生活",
        _member_panel,
        roles=frozenset({Role.member, Role.secretary}),
        order=21,
        link="meetings.mine",
        reads=("meetings",),
    ),
    workbench.Panel(
        "meetings.reviewer",
        "组织生活合规情况",
        _reviewer_panel,
        roles=frozenset({Role.reviewer, Role.admin}),
        order=20,
        link="meetings.compliance",
        reads=("meetings", "org"),
    ),
)
