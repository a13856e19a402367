"""Commitment pages: my commitments, review queue, overview with flags, timeline,
batches, moderation of public comments, QR codes and the xlsx ledger."""

import functools
import logging
from collections import defaultdict
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from partybuild.commitments import export, lists, service, workbench
from partybuild.commitments.forms import (
    BatchForm,
    CloseBatchForm,
    CommitmentForm,
    EvaluationForm,
    FinaliseForm,
    RecordForm,
    TextForm,
)
from partybuild.commitments.models import (
    FLAG_LABELS,
    STATE_LABELS,
    Action,
    Actor,
    BatchStatus,
    CommentState,
    Commitment,
    CommitmentBatch,
    CommitmentEvent,
    CommitmentState,
    FulfilmentRecord,
    PublicRating,
    RecordEvidence,
)
from partybuild.core import audit, navigation, qr, storage
from partybuild.core import workbench as core_workbench
from partybuild.core.boundary import Outcome, boundary, form_status
from partybuild.core.downloads import XLSX, send_bytes
from partybuild.core.forms import submitted_version
from partybuild.core.lists import int_arg
from partybuild.core.permissions import Role, access, can_open
from partybuild.core.service import ValidationFailed
from partybuild.core.settings import setting
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Member, by_name

logger = logging.getLogger(__name__)

bp = Blueprint("commitments", __name__, url_prefix="/commitments")

navigation.register(
    navigation.Entry("commitments.mine", "我的承诺", "填写承诺、记录践诺、申请评诺", order=40),
    navigation.Entry("commitments.overview", "承诺践诺", "审核亮诺、督促践诺、组织评诺", order=45),
)
core_workbench.register(*workbench.PANELS)

OWNER_ROLES = (Role.member, Role.secretary)
WRITE_ROLES = (Role.admin, Role.secretary)
READ_ROLES = (Role.admin, Role.secretary, Role.reviewer)
ALL_ROLES = (Role.admin, Role.secretary, Role.reviewer, Role.member)
# The secretary's actions on one commitment: the service decides who acts (回避: on a
# secretary's own commitment a deputy member or a granted reviewer acts in her stead).
ACTING_ROLES = ALL_ROLES
PER_PAGE = 30
QR_PER_PAGE = 24  # codes per printed sheet

NEXT_STEP = {
    CommitmentState.draft: "完善后提交审核（本批次须有 {min}–{max} 项承诺）",
    CommitmentState.submitted: "等待支部书记审核",
    CommitmentState.published: "已公开亮诺：按措施践诺，并添加践诺记录",
    CommitmentState.in_progress: "继续添加践诺记录；完成后申请评诺（须有附证明材料的记录）",
    CommitmentState.awaiting_evaluation: "党员填写自评（党员述）；评诺期内由支部评议并确定结果",
    CommitmentState.evaluated: "评诺已完成",
    CommitmentState.not_fulfilled: "已关闭为未践诺",
}


@bp.app_template_global()
def commitment_next_step(c: Commitment) -> str:
    if c.is_withdrawn:
        return "已撤回"
    if c.state == CommitmentState.draft and c.return_comment:
        return f"已退回修改：{c.return_comment}"
    return NEXT_STEP[c.state].format(
        min=setting("COMMITMENT_MIN_ITEMS"), max=setting("COMMITMENT_MAX_ITEMS")
    )


def _load(commitment_id: int) -> Commitment:
    c = db.get_or_404(Commitment, commitment_id)
    if not c.can_view(current_user):
        abort(404)  # another branch's commitment does not exist for this user
    return c


def _load_batch(batch_id: int) -> CommitmentBatch:
    batch = db.get_or_404(CommitmentBatch, batch_id)
    if not current_user.reads_branch(batch.branch_id):
        abort(404)
    return batch


def _back(c: Commitment):
    if request.method == "POST" and request.form.get("next") == "review":
        return redirect(url_for("commitments.review"))  # working through the queue
    return redirect(url_for("commitments.detail", commitment_id=c.id))


# --- my commitments -----------------------------------------------------------------------


@bp.get("/mine")
@access(*OWNER_ROLES)
def mine():
    member = current_user.member
    if member is None:
        return render_template("commitments/mine.html", member=None, groups=[], open_batches=[])
    batches = db.session.scalars(
        sa.select(CommitmentBatch)
        .where(CommitmentBatch.branch_id == member.branch_id)
        .order_by(CommitmentBatch.commit_start.desc(), CommitmentBatch.id.desc())
    ).all()
    items = db.session.scalars(
        sa.select(Commitment)
        .where(Commitment.member_id == member.id)
        .order_by(Commitment.batch_id, Commitment.id)
    ).all()
    by_batch: dict[int, list[Commitment]] = defaultdict(list)
    for c in items:
        by_batch[c.batch_id].append(c)
    today = local_today()
    # Every batch the batches page calls 进行中 is shown, also to a member added after its
    # entry window: the card then says when entry opens or closed (issue 10).
    groups = [
        (b, by_batch.get(b.id, []))
        for b in batches
        if by_batch.get(b.id) or b.status == BatchStatus.open
    ]
    return render_template(
        "commitments/mine.html",
        member=member,
        groups=groups,
        today=today,
        min_items=setting("COMMITMENT_MIN_ITEMS"),
        max_items=setting("COMMITMENT_MAX_ITEMS"),
    )


@bp.route("/batches/<int:batch_id>/new", methods=["GET", "POST"])
@access(*OWNER_ROLES)
def create(batch_id: int):
    batch = _load_batch(batch_id)
    member = current_user.member
    if member is None:
        abort(403)
    if request.method == "GET":
        with boundary() as allowed:  # say so before the member types a whole commitment
            service.check_can_create(batch, member)
        if not allowed:
            return redirect(url_for("commitments.mine"))
    form = CommitmentForm()
    if form.validate_on_submit():
        with boundary(
            form, success="承诺已保存为草稿。填写完本批次的全部承诺后请提交审核。"
        ) as done:
            c = service.create_commitment(batch, member, form.data, current_user)
        if done:
            return redirect(url_for("commitments.detail", commitment_id=c.id))
    return render_template(
        "commitments/form.html", form=form, batch=batch, commitment=None
    ), form_status(form)


# --- 代填: the secretary enters commitments for members of her branch ------------------------


def _load_proxy_batch(batch_id: int) -> CommitmentBatch:
    batch = _load_batch(batch_id)
    if not batch.can_manage(current_user):
        abort(403)
    return batch


def _load_branch_member(batch: CommitmentBatch, member_id: int) -> Member:
    member = db.get_or_404(Member, member_id)
    if member.branch_id != batch.branch_id or not member.is_active:
        abort(404)  # another branch's member does not exist here
    return member


@bp.get("/batches/<int:batch_id>/proxy")
@access(Role.secretary)
def proxy_members(batch_id: int):
    """The branch's members with what each has in this batch: the secretary picks one to
    enter commitments for (代填), e.g. a member without an account."""
    batch = _load_proxy_batch(batch_id)
    q = (request.args.get("q") or "").strip()[:40]
    page = db.paginate(
        lists.branch_members(batch.branch_id, q), per_page=PER_PAGE, max_per_page=100
    )
    members = list(page.items)
    return render_template(
        "commitments/proxy_members.html",
        batch=batch,
        page=page,
        members=members,
        q=q,
        progress=lists.batch_progress(batch.id, [m.id for m in members]),
        with_account=lists.members_with_account([m.id for m in members]),
        refusal=batch.entry_refusal(local_today()),
        max_items=setting("COMMITMENT_MAX_ITEMS"),
        min_items=setting("COMMITMENT_MIN_ITEMS"),
    )


@bp.route("/batches/<int:batch_id>/proxy/<int:member_id>", methods=["GET", "POST"])
@access(Role.secretary)
def proxy_create(batch_id: int, member_id: int):
    batch = _load_proxy_batch(batch_id)
    member = _load_branch_member(batch, member_id)
    back = url_for("commitments.proxy_members", batch_id=batch.id)
    if request.method == "GET":
        with boundary() as allowed:
            service.check_can_create(batch, member, current_user)
        if not allowed:
            return redirect(back)
    form = CommitmentForm()
    if form.validate_on_submit():
        with boundary(
            form,
            success=f"已为{member.name}代填一项承诺（草稿）。填写完本批次的全部承诺后请提交审核。",
        ) as done:
            c = service.create_commitment(batch, member, form.data, current_user)
        if done:
            return redirect(url_for("commitments.detail", commitment_id=c.id))
    return render_template(
        "commitments/form.html",
        form=form,
        batch=batch,
        commitment=None,
        proxy_member=member,
        cancel=back,
    ), form_status(form)


@bp.post("/batches/<int:batch_id>/proxy/<int:member_id>/submit-all")
@access(Role.secretary)
def proxy_submit_all(batch_id: int, member_id: int):
    batch = _load_proxy_batch(batch_id)
    member = _load_branch_member(batch, member_id)
    with boundary() as done:
        n = service.submit_all(batch, member, current_user)
        done.success = f"已为{member.name}提交 {n} 项代填的承诺，等待审核。"
    return redirect(url_for("commitments.proxy_members", batch_id=batch.id))


@bp.route("/<int:commitment_id>/edit", methods=["GET", "POST"])
@access(*OWNER_ROLES)
def edit(commitment_id: int):
    c = _load(commitment_id)
    if not c.can(Action.edit, current_user):
        abort(403)
    form = CommitmentForm(obj=c)
    if request.method == "GET":
        form.version_id.data = c.version_id
    if form.validate_on_submit():
        with boundary(form, success="承诺已修改。") as done:
            service.update_commitment(c, form.data, current_user, submitted_version(form))
        if done:
            return _back(c)
    return render_template(
        "commitments/form.html",
        form=form,
        batch=c.batch,
        commitment=c,
        proxy_member=c.member if c.member_id != current_user.member_id else None,
    ), form_status(form)


@bp.post("/batches/<int:batch_id>/submit-all")
@access(*OWNER_ROLES)
def submit_all(batch_id: int):
    batch = _load_batch(batch_id)
    if current_user.member is None:
        abort(403)
    with boundary() as done:
        n = service.submit_all(batch, current_user.member, current_user)
        done.success = f"已提交 {n} 项承诺，等待支部书记审核。"
    return redirect(url_for("commitments.mine"))


# --- one commitment: timeline and actions ----------------------------------------------------


def _detail_context(c: Commitment, **forms) -> dict:
    events = db.session.scalars(
        sa.select(CommitmentEvent)
        .where(CommitmentEvent.commitment_id == c.id)
        .options(
            selectinload(CommitmentEvent.record)
            .selectinload(FulfilmentRecord.evidence)
            .selectinload(RecordEvidence.file)
        )
        .order_by(CommitmentEvent.created_at, CommitmentEvent.id)
    ).all()
    counts = c.rating_counts  # the counters on the row itself: no second read
    breakdown = service.score_breakdown(c, counts)
    actions = set(c.allowed_actions(current_user))
    actors = c.actors(current_user)
    today = local_today()
    phase = c.batch.evaluation_phase(today)
    eval_form = forms.get("eval_form") or EvaluationForm()
    if Actor.secretary not in actors:
        eval_form.kind.choices = [("self", "党员述（自评）")]
    elif not actors & {Actor.owner, Actor.proxy}:  # 党员述 is entered by proxy (代填) too
        eval_form.kind.choices = [k for k in eval_form.kind.choices if k[0] != "self"]
    if phase == "before":  # 支部讲/领导点 wait for the evaluation window
        eval_form.kind.choices = [k for k in eval_form.kind.choices if k[0] == "self"]
    record_form = forms.get("record_form") or RecordForm(formdata=None)
    if "record_form" not in forms:  # also when another form on the page is shown again
        record_form.recorded_on.data = local_today()
        record_form.progress.data = c.progress
    return dict(
        c=c,
        events=events,
        actions=actions,
        breakdown=breakdown,
        finalise_gaps=service.finalise_gaps(c, breakdown) if "finalise" in actions else [],
        grade_bands=sorted(setting("COMMITMENT_GRADES"), key=lambda g: -g[0]),
        counts=counts,
        flags=c.flags(today),
        phase=phase,
        FLAG_LABELS=FLAG_LABELS,
        record_form=record_form,
        text_form=forms.get("text_form") or TextForm(),
        eval_form=eval_form,
        failed=forms.get("failed", ""),
        max_bytes=storage.max_bytes(),
        allowed_types=storage.ALLOWED_LABEL,
        inspect_retired=c.can_inspect_retired(current_user),
    )


@functools.cache
def _detail_query() -> sa.Select:
    # Built once: putting the statement together cost more than running it.
    return (
        sa.select(Commitment)
        .where(Commitment.id == sa.bindparam("commitment_id"))
        .options(
            joinedload(Commitment.member).joinedload(Member.post),
            joinedload(Commitment.member).joinedload(Member.department),
            joinedload(Commitment.batch),
            joinedload(Commitment.branch),
            selectinload(Commitment.evaluations),
            selectinload(Commitment.notes),
        )
    )


def _load_for_detail(commitment_id: int) -> Commitment:
    """The commitment with what its page shows around it, in one joined query (not a
    lazy load each for the member, post, department, branch and batch)."""
    c = db.session.scalar(_detail_query(), {"commitment_id": commitment_id})
    if c is None or not c.can_view(current_user):
        abort(404)  # another branch's commitment does not exist for this user
    return c


@bp.get("/<int:commitment_id>")
@access(*ALL_ROLES)
def detail(commitment_id: int):
    c = _load_for_detail(commitment_id)
    return render_template("commitments/detail.html", **_detail_context(c))


def _text(form: TextForm, message: str = "请填写内容（不超过1000字）") -> str:
    """The one text box (reason, comment, note) of an action button, checked."""
    if not form.validate_on_submit():
        form.text.errors = []  # one clear message instead of WTForms' generic one
        raise ValidationFailed({"text": message})
    return form.text.data


def _detail_again(c: Commitment, done: Outcome, **forms):
    """After an action on the detail page: show the page again with the form's problems,
    or go back (the boundary has flashed the outcome)."""
    if done.redisplay:
        return render_template("commitments/detail.html", **_detail_context(c, **forms)), (
            done.status
        )
    return _back(c)


@bp.post("/<int:commitment_id>/submit")
@access(*OWNER_ROLES)
def submit(commitment_id: int):
    c = _load(commitment_id)
    with boundary(success="已提交，等待支部书记审核。"):
        service.submit_commitment(c, current_user)
    return _back(c)


@bp.post("/<int:commitment_id>/publish")
@access(*ACTING_ROLES)
def publish(commitment_id: int):
    c = _load(commitment_id)
    with boundary(success=f"已审核通过，{c.member.name}的承诺已在公示栏亮诺。"):
        service.publish_commitment(c, current_user)
    return _back(c)


@bp.post("/<int:commitment_id>/return")
@access(*ACTING_ROLES)
def return_for_revision(commitment_id: int):
    c = _load(commitment_id)
    form = TextForm()
    with boundary(form, success="已退回修改，并通知了党员。") as done:
        service.return_for_revision(c, _text(form), current_user)
    return _detail_again(c, done, text_form=form, failed="return")


@bp.post("/<int:commitment_id>/records")
@access(*OWNER_ROLES)
def add_record(commitment_id: int):
    c = _load(commitment_id)
    form = RecordForm()
    with boundary(form, success="践诺记录已添加。") as done:
        if not form.validate_on_submit():
            raise ValidationFailed({})
        files = [f for f in request.files.getlist(form.files.name) if f and f.filename]
        service.add_fulfilment_record(c, form.data, files, current_user)
    return _detail_again(c, done, record_form=form)


@bp.post("/<int:commitment_id>/supervise")
@access(*ACTING_ROLES)
def supervise(commitment_id: int):
    c = _load(commitment_id)
    form = TextForm()
    with boundary(form, success="督促意见已记录，并通知了党员。") as done:
        service.add_supervision_note(c, _text(form), current_user)
    return _detail_again(c, done, text_form=form, failed="supervise")


@bp.post("/<int:commitment_id>/request-evaluation")
@access(*OWNER_ROLES)
def request_evaluation(commitment_id: int):
    c = _load(commitment_id)
    with boundary(success="已申请评诺，请填写自评（党员述）。"):
        service.request_evaluation(c, current_user)
    return _back(c)


@bp.post("/<int:commitment_id>/reopen")
@access(*ACTING_ROLES)
def reopen(commitment_id: int):
    c = _load(commitment_id)
    form = TextForm()
    with boundary(form, success="已退回继续践诺。") as done:
        service.reopen_fulfilment(c, _text(form), current_user)
    return _detail_again(c, done, text_form=form, failed="reopen")


@bp.post("/<int:commitment_id>/close")
@access(*ACTING_ROLES)
def close(commitment_id: int):
    c = _load(commitment_id)
    form = TextForm()
    with boundary(form, success="已关闭为未践诺，说明将在公示栏显示。") as done:
        service.close_not_fulfilled(c, _text(form), current_user)
    return _detail_again(c, done, text_form=form, failed="close")


@bp.post("/<int:commitment_id>/withdraw")
@access(*ACTING_ROLES)
def withdraw(commitment_id: int):
    c = _load(commitment_id)
    form = TextForm()
    with boundary(form, success="承诺已撤回，记录保留。") as done:
        service.withdraw_commitment(c, _text(form), current_user)
    return _detail_again(c, done, text_form=form, failed="withdraw")


@bp.post("/<int:commitment_id>/evaluate")
@access(*ACTING_ROLES)
def evaluate(commitment_id: int):
    c = _load(commitment_id)
    form = EvaluationForm()
    with boundary(form, success="评价已保存。") as done:
        if not form.validate_on_submit():
            raise ValidationFailed({})
        service.record_evaluation(
            c,
            form.kind.data,
            form.score.data,
            form.comment.data,
            current_user,
            evaluator_name=form.evaluator_name.data or "",
        )
    return _detail_again(c, done, eval_form=form)


@bp.post("/<int:commitment_id>/finalise")
@access(*ACTING_ROLES)
def finalise(commitment_id: int):
    c = _load(commitment_id)
    form = FinaliseForm()
    with boundary(form) as done:
        if not form.validate_on_submit():
            raise ValidationFailed({})
        result = service.finalise_evaluation(c, current_user, form.text.data or "")
        done.success = f"评诺结果已确定：综合得分 {result.total} 分，等次“{result.grade}”。"
    return _detail_again(c, done, text_form=form, failed="finalise")


@bp.post("/<int:commitment_id>/evidence/<int:file_id>/retire")
@access(*OWNER_ROLES, Role.admin)
def retire_evidence(commitment_id: int, file_id: int):
    c = _load(commitment_id)
    form = TextForm()
    with boundary(form, success="证明材料已停用（文件和停用原因保留备查）。") as done:
        reason = _text(form, "请填写停用原因（不超过255字）")
        service.retire_evidence(c, file_id, reason, current_user)
    return _detail_again(c, done, text_form=form, failed=f"retire-{file_id}")


@bp.get("/evidence/<int:file_id>")
@access(*ALL_ROLES)
def evidence(file_id: int):
    link = db.session.scalar(
        sa.select(RecordEvidence)
        .where(RecordEvidence.file_id == file_id)
        .options(selectinload(RecordEvidence.record), selectinload(RecordEvidence.file))
    )
    if link is None:
        abort(404)
    c = _load(link.record.commitment_id)
    if link.file.is_retired and not c.can_inspect_retired(current_user):
        abort(404)
    return storage.send_stored(link.file)


# --- secretary: review queue, overview, supervision ----------------------------------------


@bp.get("/review")
@access(*WRITE_ROLES)
def review():
    def render() -> str:
        page = db.paginate(lists.review_queue(current_user), per_page=PER_PAGE, max_per_page=100)
        return render_template("commitments/_review_body.html", page=page, text_form=TextForm())

    body = lists.page_body("commitments.review", current_user, render, _args())
    return render_template("commitments/review.html", body=body)


def _visible_branches() -> list[Branch]:
    return list(db.session.scalars(lists.branches(current_user)))


def _int_arg(name: str) -> int | None:
    return int_arg(request.args, name)


def _args() -> tuple:
    """The query string as a cache-key part."""
    return tuple(sorted(request.args.items(multi=True)))


@bp.get("/overview")
@access(*READ_ROLES)
def overview():
    body = lists.page_body("commitments.overview", current_user, _overview_body, _args())
    return render_template("commitments/overview.html", body=body)


def _overview_body() -> str:
    today = local_today()
    filters = lists.OverviewFilters.from_args(request.args)
    branches = _visible_branches()
    figures = lists.overview_figures(filters, current_user, today, branches)
    state_counts, flag_counts = figures.state_counts, figures.flag_counts
    stmt = lists.overview(filters, current_user, today)
    total = lists.overview_total(filters, state_counts, flag_counts, figures.flagged)
    # The chips already counted the rows: no second count over the same commitments.
    page = db.paginate(stmt, per_page=PER_PAGE, max_per_page=100, count=total is None)
    if total is not None:
        page.total = total
    member = db.session.get(Member, filters.member) if filters.member else None
    return render_template(
        "commitments/_overview_body.html",
        page=page,
        filter_member=member if member is not None and member.can_view(current_user) else None,
        today=today,
        state_counts=state_counts,
        flag_counts=flag_counts,
        FLAG_LABELS=FLAG_LABELS,
        STATE_LABELS=STATE_LABELS,
        branches=branches,
        batches=db.session.execute(lists.batch_choices(current_user)).all(),
        categories=setting("COMMITMENT_CATEGORIES"),
        summary=figures.summary,
        pending_comments=figures.pending_comments,
    )


# --- batches ------------------------------------------------------------------------------


def _batch_form(batch: CommitmentBatch | None = None) -> BatchForm:
    form = BatchForm(obj=batch)
    branches = [b for b in _visible_branches() if b.can_manage(current_user) and b.is_active]
    form.branch_id.choices = [(b.id, b.name) for b in branches]
    if batch is None and request.method == "GET":
        year = local_today().year
        form.title.data = f"{year}年度党员承诺"
        if current_user.branch_id:
            form.branch_id.data = current_user.branch_id
    return form


@bp.get("/batches")
@access(*READ_ROLES)
def batches():
    body = lists.page_body("commitments.batches", current_user, _batches_body, _args())
    return render_template("commitments/batches.html", body=body)


def _batches_body() -> str:
    page = db.paginate(lists.batches(current_user), per_page=PER_PAGE, max_per_page=100)
    items = list(page.items)
    # Only the batches on this page are counted.
    counts, batch_rates = lists.batch_figures(items)
    return render_template(
        "commitments/_batches_body.html",
        page=page,
        items=items,
        counts=counts,
        batch_rates=batch_rates,
        form=_batch_form() if can_open("commitments.create_batch") else None,
        STATE_LABELS=STATE_LABELS,
        branches=_visible_branches(),
        today=local_today(),
    )


@bp.post("/batches/new")
@access(*WRITE_ROLES)
def create_batch():
    form = _batch_form()
    branch = db.session.get(Branch, form.branch_id.data or 0) if form.branch_id.data else None
    with boundary(form) as done:
        if not form.validate_on_submit():
            raise ValidationFailed({})
        if branch is None:
            raise ValidationFailed({"branch_id": "请选择党支部"})
        batch = service.create_batch(branch, form.data, current_user)
        done.success = f"已开设承诺批次“{batch.title}”。"
    if done.redisplay:
        return render_template("commitments/batch_form.html", form=form, batch=None), done.status
    return redirect(url_for("commitments.batches"))


@bp.route("/batches/<int:batch_id>/edit", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def edit_batch(batch_id: int):
    batch = _load_batch(batch_id)
    if not batch.can_manage(current_user):
        abort(403)
    form = _batch_form(batch)
    if request.method == "GET":
        form.version_id.data = batch.version_id
    if form.validate_on_submit():
        with boundary(form, success="承诺批次已保存。") as done:
            service.update_batch(batch, form.data, current_user, submitted_version(form))
        if done:
            return redirect(url_for("commitments.batches"))
    return render_template("commitments/batch_form.html", form=form, batch=batch), form_status(form)


@bp.post("/batches/<int:batch_id>/status")
@access(*WRITE_ROLES)
def batch_status(batch_id: int):
    """重新开放. Ending goes through its confirmation page (``close_batch``)."""
    batch = _load_batch(batch_id)
    status = request.form.get("status", "")
    if status not in BatchStatus.__members__:
        abort(400)
    if status == BatchStatus.closed:
        return redirect(url_for("commitments.close_batch", batch_id=batch.id))
    with boundary(success=f"批次“{batch.title}”已重新开放。"):
        service.set_batch_status(batch, BatchStatus.open, current_user)
    return redirect(url_for("commitments.batches"))


@bp.route("/batches/<int:batch_id>/close", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def close_batch(batch_id: int):
    """结束: a page saying what ending changes, then the confirmed POST."""
    batch = _load_batch(batch_id)
    if not batch.can_manage(current_user):
        abort(403)
    form = CloseBatchForm()
    if form.validate_on_submit():
        with boundary(form, success=f"批次“{batch.title}”已结束。") as done:
            service.set_batch_status(batch, BatchStatus.closed, current_user, form.note.data)
        if done:
            return redirect(url_for("commitments.batches"))
    counts = dict(
        db.session.execute(
            sa.select(Commitment.state, sa.func.count())
            .where(Commitment.batch_id == batch.id, Commitment.is_withdrawn.is_(False))
            .group_by(Commitment.state)
        ).all()
    )
    return render_template(
        "commitments/batch_close.html",
        form=form,
        batch=batch,
        counts={CommitmentState(k): v for k, v in counts.items()},
        CommitmentState=CommitmentState,
    ), form_status(form)


# --- public comments moderation ---------------------------------------------------------------


@bp.get("/moderation")
@access(*ACTING_ROLES)
def moderation():
    from partybuild.commitments.conflicts import stead_condition

    state = request.args.get("state", "pending")
    if state not in ("pending", "approved", "hidden"):
        state = "pending"
    stead = None
    if current_user.role not in WRITE_ROLES:  # a deputy or a granted reviewer (回避)
        stead = stead_condition(current_user)
        if stead is None:
            abort(403)

    def render() -> str:
        stmt = lists.moderation_queue(CommentState(state), current_user, stead)
        page = db.paginate(stmt, per_page=PER_PAGE, max_per_page=100)
        return render_template("commitments/_moderation_body.html", page=page, state=state)

    if stead is None:
        body = lists.page_body("commitments.moderation", current_user, render, _args())
    else:  # whose commitments a deputy moderates is not keyed by branch versions alone
        body = Markup(render())
    return render_template("commitments/moderation.html", body=body)


@bp.post("/moderation/<int:rating_id>")
@access(*ACTING_ROLES)
def moderate(rating_id: int):
    rating = db.get_or_404(PublicRating, rating_id)
    _load(rating.commitment_id)
    decision = request.form.get("decision")
    if decision not in ("approve", "hide"):
        abort(400)
    success = "留言已公开。" if decision == "approve" else "留言已设为不公开（评价仍计入统计）。"
    with boundary(success=success):
        service.moderate_comment(rating, decision == "approve", current_user)
    return redirect(url_for("commitments.moderation", state=request.form.get("back", "pending")))


# --- QR codes and the ledger ------------------------------------------------------------------


@bp.get("/qr/branch/<int:branch_id>.<fmt>")
@access(*READ_ROLES)
def qr_board(branch_id: int, fmt: str):
    branch = db.get_or_404(Branch, branch_id)
    if fmt not in qr.FORMATS or not branch.can_view(current_user):
        abort(404)
    url = qr.public_url(url_for("public.board", code=branch.code))
    return qr.response(url, fmt, f"{branch.name}_承诺公示栏二维码")


@bp.get("/qr/<int:commitment_id>.<fmt>")
@access(*READ_ROLES)
def qr_commitment(commitment_id: int, fmt: str):
    c = _load(commitment_id)
    if fmt not in qr.FORMATS or not c.is_public:
        abort(404)
    url = qr.public_url(url_for("public.commitment", code=c.branch.code, commitment_id=c.id))
    return qr.response(url, fmt, f"{c.member.name}_承诺{c.id}_二维码")


@bp.get("/qr")
@access(*READ_ROLES)
def qr_sheet():
    """Printable sheet: the board's code and one per published commitment."""
    body = lists.page_body("commitments.qr_sheet", current_user, _qr_body, _args())
    return render_template("commitments/qr_sheet.html", body=body)


def _qr_body() -> str:
    branches = _visible_branches()
    branch = next((b for b in branches if b.id == _int_arg("branch")), None) or (
        branches[0] if branches else None
    )
    page = None
    if branch is not None:  # printed page by page, never the whole branch at once
        page = db.paginate(
            sa.select(Commitment)
            .join(Member, Commitment.member_id == Member.id)
            .where(Commitment.branch_id == branch.id, Commitment.on_public_board())
            .options(selectinload(Commitment.member), selectinload(Commitment.branch))
            .order_by(Member.is_leader.desc(), *by_name(), Commitment.id),
            per_page=QR_PER_PAGE,
            max_per_page=QR_PER_PAGE,
        )
    board_url = qr.public_url(url_for("public.board", code=branch.code)) if branch else ""
    host = urlsplit(board_url).hostname or ""
    return render_template(
        "commitments/_qr_sheet_body.html",
        branch=branch,
        branches=branches,
        page=page,
        items=page.items if page else [],
        board_url=board_url,
        # Codes printed with such an address open nothing on a phone.
        unreachable=host in ("", "localhost", "0.0.0.0") or host.startswith("127."),
    )


@bp.get("/export.xlsx")
@access(*READ_ROLES)
def export_xlsx():
    scope = current_user.branch_scope
    if scope is None and _int_arg("branch"):
        scope = [_int_arg("branch")]
    rows = list(export.ledger_rows(scope, batch_id=_int_arg("batch")))
    title = f"承诺践诺台账（导出日期：{local_today():%Y-%m-%d}）"
    data = export.ledger_xlsx(rows, title)
    with boundary():
        audit.record(
            "export",
            "commitment",
            None,
            actor=current_user,
            branch_id=current_user.branch_id,
            summary=f"导出承诺践诺台账（Excel），{len(rows)} 行",
        )
    filename = f"承诺践诺台账_{local_today():%Y%m%d}.xlsx"
    return send_bytes(data, filename, XLSX, fallback="ledger.xlsx")
