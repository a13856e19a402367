"""Model-post pages: posts and their lifecycle, plaques with QR codes, criterion sets,
rating rounds (raters, rating forms, progress, results and ranking), moderation of
public comments and appeals. The public page of a plaque lives in ``public/``."""

import json
import logging

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from partybuild.core import audit, navigation, qr, workbench
from partybuild.core.boundary import boundary, form_status
from partybuild.core.downloads import XLSX, send_bytes
from partybuild.core.forms import submitted_version
from partybuild.core.lists import contains, int_arg
from partybuild.core.permissions import Role, access
from partybuild.core.service import ValidationFailed
from partybuild.core.settings import setting
from partybuild.core.text import clean_text
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Member, Post, by_name
from partybuild.ratings import export, lists, results, service
from partybuild.ratings.forms import (
    CriterionSetForm,
    ModelPostForm,
    ObjectionForm,
    RaterForm,
    RoundForm,
    ScoreForm,
    ServiceForm,
    TextForm,
)
from partybuild.ratings.models import (
    Appeal,
    CommentState,
    CriterionSet,
    ModelPost,
    ModelPostHolder,
    Objection,
    PostAction,
    PostActor,
    PostState,
    RaterGroup,
    RatingReceipt,
    RatingRound,
    RatingSheet,
    RoundAction,
    RoundPost,
    RoundRater,
    RoundState,
    ServiceEntry,
)

logger = logging.getLogger(__name__)

bp = Blueprint("ratings", __name__, url_prefix="/ratings")

navigation.register(
    navigation.Entry("ratings.index", "示范岗测评", "党员示范岗评议与测评", order=70),
)

ALL_ROLES = (Role.admin, Role.secretary, Role.reviewer, Role.member)
WRITE_ROLES = (Role.admin, Role.secretary)
READ_ROLES = (Role.admin, Role.secretary, Role.reviewer)
RATER_ROLES = (Role.admin, Role.secretary, Role.member)
PER_PAGE = 30


def _load_post(post_id: int) -> ModelPost:
    post = db.get_or_404(ModelPost, post_id)
    if not post.can_view(current_user):
        abort(404)  # another branch's post does not exist for this user
    return post


def _load_round(round_id: int) -> RatingRound:
    rnd = db.get_or_404(RatingRound, round_id)
    if not rnd.can_view(current_user):
        abort(404)
    return rnd


def _branch_arg() -> Branch | None:
    """The branch a page works on: the user's own, or (admins, reviewers) ``?branch=``."""
    if current_user.branch_id is not None and not current_user.reads_all_branches:
        return db.session.get(Branch, current_user.branch_id)
    chosen = int_arg(request.args, "branch") or int_arg(request.form, "branch")
    if chosen is not None:
        return db.session.get(Branch, chosen)
    return db.session.scalar(sa.select(Branch).order_by(Branch.code).limit(1))


def _tasks(user) -> list[dict]:  # noqa: ANN001
    """Open rounds the user still has to rate in: [{round, rater, left}]."""
    if user.member_id is None:
        return []
    today = local_today()
    raters = db.session.scalars(
        sa.select(RoundRater)
        .join(RatingRound, RatingRound.id == RoundRater.round_id)
        .where(RoundRater.member_id == user.member_id, RatingRound.state == RoundState.open)
        .options(
            selectinload(RoundRater.round)
            .selectinload(RatingRound.entries)
            .selectinload(RoundPost.model_post)
            .selectinload(ModelPost.holders)
        )
    ).all()
    found = []
    for rater in raters:
        rnd = rater.round
        if not rnd.accepts_ratings(today):
            continue
        expected = sum(1 for e in rnd.entries if user.member_id not in e.model_post.holder_ids)
        left = expected - rater.rated_count
        if left > 0:
            found.append({"round": rnd, "rater": rater, "left": left, "expected": expected})
    return found


# --- index: posts -------------------------------------------------------------------------


@bp.get("/")
@access(*ALL_ROLES)
def index():
    filters = lists.PostFilters.from_args(request.args)
    page = db.paginate(
        lists.posts(filters, current_user), page=int_arg(request.args, "page") or 1,
        per_page=PER_PAGE, error_out=False,
    )  # fmt: skip
    mine = []
    if current_user.member_id is not None:
        mine = db.session.scalars(lists.my_posts(current_user).limit(10)).all()
    return render_template(
        "ratings/index.html",
        page=page,
        filters=filters,
        tasks=_tasks(current_user),
        mine=mine,
        branches=db.session.scalars(lists.branches(current_user)).all()
        if current_user.reads_all_branches
        else [],
        states=list(PostState),
    )


def _post_form(post: ModelPost | None, branch: Branch) -> ModelPostForm:
    form = ModelPostForm(obj=post) if post is not None else ModelPostForm()
    posts = db.session.scalars(
        sa.select(Post)
        .where(Post.department.has(organization_id=branch.organization_id))
        .options(selectinload(Post.department))
        .order_by(Post.department_id, Post.name)
        .limit(500)
    ).all()
    form.post_id.choices = [("", "（不指定）")] + [(str(p.id), p.full_name) for p in posts]
    # Holders come from the branch's own members only (never the whole roster).
    members = db.session.scalars(
        sa.select(Member)
        .where(Member.branch_id == branch.id, Member.is_active.is_(True))
        .order_by(*by_name())
    ).all()
    form.holder_ids.choices = [(m.id, m.name) for m in members]
    if request.method == "GET":
        if post is not None:
            form.holder_ids.data = sorted(post.holder_ids)
            form.post_id.data = str(post.post_id or "")
            form.version_id.data = post.version_id
        elif current_user.member_id is not None and not current_user.manages_branch(branch.id):
            form.holder_ids.data = [current_user.member_id]
    return form


def _post_data(form: ModelPostForm) -> dict:
    data = dict(form.data)
    data["post_id"] = data.get("post_id") or None
    return data


@bp.route("/posts/new", methods=["GET", "POST"])
@access(*RATER_ROLES)
def nominate():
    branch = _branch_arg()
    if branch is None or not (
        current_user.manages_branch(branch.id) or current_user.branch_id == branch.id
    ):
        abort(404)
    form = _post_form(None, branch)
    if form.validate_on_submit():
        with boundary(form, success="示范岗已提名，等待支部审批。") as done:
            post = service.nominate_post(
                branch, _post_data(form), form.holder_ids.data or [], current_user
            )
        if done:
            return redirect(url_for("ratings.post_detail", post_id=post.id))
    return render_template(
        "ratings/post_form.html", form=form, post=None, branch=branch
    ), form_status(form)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@access(*RATER_ROLES)
def edit_post(post_id: int):
    post = _load_post(post_id)
    if not post.can(PostAction.edit, current_user):
        abort(403)
    form = _post_form(post, post.branch)
    if form.validate_on_submit():
        with boundary(form, success="示范岗信息已修改。") as done:
            service.update_post(
                post, _post_data(form), form.holder_ids.data, current_user,
                submitted_version(form),
            )  # fmt: skip
        if done:
            return redirect(url_for("ratings.post_detail", post_id=post.id))
    return render_template(
        "ratings/post_form.html", form=form, post=post, branch=post.branch
    ), form_status(form)


@bp.get("/posts/<int:post_id>")
@access(*ALL_ROLES)
def post_detail(post_id: int):
    post = _load_post(post_id)
    objections = db.session.scalars(
        sa.select(Objection).where(Objection.model_post_id == post.id).order_by(Objection.id)
    ).all()
    services = db.session.scalars(
        sa.select(ServiceEntry)
        .where(ServiceEntry.model_post_id == post.id, ServiceEntry.is_retired.is_(False))
        .order_by(ServiceEntry.handled_on.desc(), ServiceEntry.id.desc())
        .limit(50)
    ).all()
    # Closed rounds' frozen results for this post (what the holder and the branch see).
    entries = db.session.scalars(
        sa.select(RoundPost)
        .join(RatingRound, RatingRound.id == RoundPost.round_id)
        .where(RoundPost.model_post_id == post.id, RatingRound.state == RoundState.closed)
        .options(
            selectinload(RoundPost.round)
            .selectinload(RatingRound.criterion_set)
            .selectinload(CriterionSet.criteria)
        )
        .order_by(RatingRound.closes_on.desc())
    ).all()
    appeals = db.session.scalars(
        sa.select(Appeal).where(Appeal.model_post_id == post.id).order_by(Appeal.id)
    ).all()
    return render_template(
        "ratings/post_detail.html",
        post=post,
        objections=objections,
        services=services,
        rounds=[(e.round, results.PostResult.from_row(e)) for e in entries],
        appeals=appeals,
        text_form=TextForm(formdata=None),
        objection_form=ObjectionForm(formdata=None, received_on=local_today()),
        service_form=ServiceForm(formdata=None, handled_on=local_today()),
        PostAction=PostAction,
        is_holder=current_user.member_id in post.holder_ids,
        is_secretary=PostActor.secretary in post.actors(current_user),
        revoke_below=setting("RATING_REVOKE_BELOW"),
    )


_SIMPLE = {
    "approve": (service.approve_post, "示范岗已审批通过。"),
    "announce": (service.announce_post, "示范岗已进入公示期。"),
    "designate": (service.designate_post, "已授牌，示范岗公开页面和二维码已生效。"),
    "renew": (service.renew_post, "示范岗已续期。"),
}
_WITH_REASON = {
    "reject": (service.reject_post, "已不予通过。"),
    "revoke": (service.revoke_post, "已收回牌子，公开页面随即关闭。"),
}


@bp.post("/posts/<int:post_id>/<any(approve, announce, designate, renew):verb>")
@access(*WRITE_ROLES)
def post_step(post_id: int, verb: str):
    post = _load_post(post_id)
    fn, message = _SIMPLE[verb]
    with boundary(success=message):
        fn(post, current_user)
    return redirect(url_for("ratings.post_detail", post_id=post.id))


@bp.post("/posts/<int:post_id>/<any(reject, revoke):verb>")
@access(*WRITE_ROLES)
def post_close(post_id: int, verb: str):
    post = _load_post(post_id)
    fn, message = _WITH_REASON[verb]
    form = TextForm()
    with boundary(success=message):
        fn(post, form.text.data or "", current_user)
    return redirect(url_for("ratings.post_detail", post_id=post.id))


@bp.post("/posts/<int:post_id>/objections")
@access(*WRITE_ROLES)
def add_objection(post_id: int):
    post = _load_post(post_id)
    form = ObjectionForm()
    form.validate()
    with boundary(success="异议已登记。"):
        if form.received_on.errors:
            raise ValidationFailed({"received_on": "请填写正确的收到日期（不晚于今天）"})
        service.record_objection(post, form.text.data, form.received_on.data, current_user)
    return redirect(url_for("ratings.post_detail", post_id=post.id))


@bp.post("/objections/<int:objection_id>/resolve")
@access(*WRITE_ROLES)
def resolve_objection(objection_id: int):
    objection = db.get_or_404(Objection, objection_id)
    post = _load_post(objection.model_post_id)
    with boundary(success="异议处理意见已记录。"):
        service.resolve_objection(objection, TextForm().text.data or "", current_user)
    return redirect(url_for("ratings.post_detail", post_id=post.id))


@bp.post("/posts/<int:post_id>/services")
@access(*RATER_ROLES)
def add_service(post_id: int):
    post = _load_post(post_id)
    form = ServiceForm()
    form.validate()
    with boundary(success="服务群众事项已登记。"):
        if form.handled_on.errors:
            raise ValidationFailed({"handled_on": "请填写正确的办理日期（不晚于今天）"})
        service.log_service(post, form.data, current_user)
    return redirect(url_for("ratings.post_detail", post_id=post.id) + "#services")


@bp.post("/services/<int:entry_id>/retire")
@access(*WRITE_ROLES)
def retire_service(entry_id: int):
    entry = db.get_or_404(ServiceEntry, entry_id)
    post = _load_post(entry.model_post_id)
    with boundary(success="该记录已停用（保留在档）。"):
        service.retire_service(entry, current_user)
    return redirect(url_for("ratings.post_detail", post_id=post.id) + "#services")


@bp.post("/posts/<int:post_id>/appeal")
@access(*RATER_ROLES)
def file_appeal(post_id: int):
    post = _load_post(post_id)
    rnd = _load_round(int_arg(request.form, "round_id") or 0)
    with boundary(success="申诉已提交，等待支部书记答复。"):
        service.file_appeal(rnd, post, current_user, TextForm().text.data or "")
    return redirect(url_for("ratings.post_detail", post_id=post.id) + "#appeals")


@bp.post("/appeals/<int:appeal_id>/answer")
@access(*WRITE_ROLES)
def answer_appeal(appeal_id: int):
    appeal = db.get_or_404(Appeal, appeal_id)
    post = _load_post(appeal.model_post_id)
    with boundary(success="申诉答复已记录。"):
        service.answer_appeal(appeal, TextForm().text.data or "", current_user)
    return redirect(url_for("ratings.post_detail", post_id=post.id) + "#appeals")


# --- QR codes and plaques --------------------------------------------------------------------


def _public_url(post: ModelPost) -> str:
    return qr.public_url(url_for("public.model_post", plaque_no=post.plaque_no))


@bp.get("/posts/<int:post_id>/qr.<fmt>")
@access(*ALL_ROLES)
def post_qr(post_id: int, fmt: str):
    post = _load_post(post_id)
    if fmt not in qr.FORMATS or not post.is_public:
        abort(404)
    return qr.response(_public_url(post), fmt, f"{post.title}_{post.plaque_no}_二维码")


@bp.get("/plaques")
@access(*READ_ROLES)
def plaques():
    """Printable plaques (挂牌): one per page, A5 or A4."""
    branches = db.session.scalars(lists.branches(current_user)).all()
    chosen = int_arg(request.args, "branch")
    branch = next((b for b in branches if b.id == chosen), branches[0] if branches else None)
    size = "a4" if request.args.get("size") == "a4" else "a5"
    posts = []
    if branch is not None:
        posts = db.session.scalars(
            sa.select(ModelPost)
            .where(ModelPost.branch_id == branch.id, ModelPost.public())
            .options(*lists.post_options())
            .order_by(ModelPost.plaque_no)
        ).all()
    return render_template(
        "ratings/plaques.html",
        branches=branches,
        branch=branch,
        posts=posts,
        size=size,
        urls={p.id: _public_url(p) for p in posts},
    )


# --- members type-ahead ----------------------------------------------------------------------


@bp.get("/members.json")
@access(*WRITE_ROLES)
def members_json():
    """At most 10 active members matching ``q``: peers from the branch, leaders from the unit."""
    rnd = _load_round(int_arg(request.args, "round") or 0)
    q = (request.args.get("q") or "").strip()[:20]
    if not q:
        return jsonify([])
    stmt = sa.select(Member).where(Member.is_active.is_(True), contains(Member.name, q))
    if request.args.get("group") == RaterGroup.peer.value:
        stmt = stmt.where(Member.branch_id == rnd.branch_id)
    else:
        stmt = stmt.where(Member.branch.has(organization_id=rnd.branch.organization_id))
    found = db.session.scalars(
        stmt.options(selectinload(Member.branch)).order_by(*by_name()).limit(10)
    ).all()
    return jsonify([{"id": m.id, "label": f"{m.name}（{m.branch.name}）"} for m in found])


# --- criterion sets ------------------------------------------------------------------------


@bp.get("/criteria")
@access(*READ_ROLES)
def criteria():
    sets = db.session.scalars(
        sa.select(CriterionSet)
        .options(selectinload(CriterionSet.criteria))
        .order_by(CriterionSet.is_builtin.desc(), CriterionSet.id)
    ).all()
    return render_template("ratings/criteria.html", sets=sets)


@bp.post("/criteria/defaults")
@access(Role.admin, Role.secretary)
def criteria_defaults():
    with boundary(success="已载入默认测评标准。"):
        service.ensure_default_sets(current_user)
    if request.form.get("back") == "new_round":
        return redirect(url_for("ratings.new_round"))
    return redirect(url_for("ratings.criteria"))


def _criterion_rows(count: int = 12) -> list[dict]:
    return [
        {
            key: clean_text(request.form.get(f"{key}-{i}", ""), multiline=key == "description")
            for key in ("name", "description", "weight", "scale_min", "scale_max")
        }
        for i in range(count)
    ]


@bp.route("/criteria/new", methods=["GET", "POST"])
@bp.route("/criteria/<int:set_id>/edit", methods=["GET", "POST"])
@access(Role.admin)
def criterion_set_form(set_id: int | None = None):
    cset = db.get_or_404(CriterionSet, set_id) if set_id else None
    form = CriterionSetForm(obj=cset)
    rows = (
        [
            {
                "name": c.name, "description": c.description, "weight": c.weight,
                "scale_min": c.scale_min, "scale_max": c.scale_max,
            }
            for c in cset.criteria
        ]
        if cset
        else []
    )  # fmt: skip
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        rows = _criterion_rows()
        with boundary(errors, success="测评标准已保存。") as done:
            service.save_criterion_set(
                cset, form.name.data, form.description.data or "", rows, current_user
            )
        if done:
            return redirect(url_for("ratings.criteria"))
    while len(rows) < 12:
        rows.append({"name": "", "description": "", "weight": "", "scale_min": 1, "scale_max": 10})
    status = 400 if errors else form_status(form)
    return render_template(
        "ratings/criterion_form.html", form=form, cset=cset, rows=rows, errors=errors
    ), status


# --- rounds ---------------------------------------------------------------------------------


@bp.get("/rounds")
@access(*ALL_ROLES)
def rounds():
    page = db.paginate(
        lists.rounds(current_user, int_arg(request.args, "branch")),
        page=int_arg(request.args, "page") or 1, per_page=PER_PAGE, error_out=False,
    )  # fmt: skip
    return render_template("ratings/rounds.html", page=page, tasks=_tasks(current_user))


def _round_form(rnd: RatingRound | None, branch: Branch) -> RoundForm:
    form = RoundForm(obj=rnd) if rnd is not None else RoundForm()
    sets = db.session.scalars(
        sa.select(CriterionSet)
        .where(CriterionSet.is_active.is_(True))
        .order_by(CriterionSet.is_builtin.desc(), CriterionSet.id)
    ).all()
    form.criterion_set_id.choices = [(s.id, s.name) for s in sets]
    posts = db.session.scalars(
        sa.select(ModelPost)
        .where(ModelPost.branch_id == branch.id, ModelPost.public())
        .options(*lists.post_options())
        .order_by(ModelPost.plaque_no)
    ).all()
    form.post_ids.choices = [(p.id, f"{p.title}（{p.holder_names}）") for p in posts]
    if request.method == "GET":
        if rnd is None:
            weights = setting("RATING_GROUP_WEIGHTS")
            form.leader_weight.data = weights["leader"]
            form.peer_weight.data = weights["peer"]
            form.public_weight.data = weights["public"]
            form.post_ids.data = [p.id for p in posts]
        else:
            form.post_ids.data = rnd.post_ids
            form.version_id.data = rnd.version_id
    return form


@bp.route("/rounds/new", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def new_round():
    branch = _branch_arg()
    if branch is None or not current_user.manages_branch(branch.id):
        abort(404)
    # No write on a GET: the built-in criterion sets come from the migration or the demo;
    # an empty table is offered the explicit "load defaults" button (a POST).
    form = _round_form(None, branch)
    if form.validate_on_submit():
        with boundary(form, success="测评已创建。请指定领导和党员测评人，然后开始测评。") as done:
            rnd = service.create_round(branch, form.data, form.post_ids.data or [], current_user)
        if done:
            return redirect(url_for("ratings.round_detail", round_id=rnd.id))
    return render_template(
        "ratings/round_form.html", form=form, rnd=None, branch=branch
    ), form_status(form)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@access(*WRITE_ROLES)
def edit_round(round_id: int):
    rnd = _load_round(round_id)
    if not rnd.can(RoundAction.edit, current_user):
        abort(403)
    form = _round_form(rnd, rnd.branch)
    if form.validate_on_submit():
        with boundary(form, success="测评已修改。") as done:
            service.update_round(
                rnd, form.data, form.post_ids.data or [], current_user, submitted_version(form)
            )
        if done:
            return redirect(url_for("ratings.round_detail", round_id=rnd.id))
    return render_template(
        "ratings/round_form.html", form=form, rnd=rnd, branch=rnd.branch
    ), form_status(form)


def _progress(rnd: RatingRound) -> dict:
    """Per group: raters assigned, raters done (rated every post they may). Public: sheets."""
    expected: dict[int, int] = {}
    holders = {e.model_post_id: e.model_post.holder_ids for e in rnd.entries}
    out = {g: {"assigned": 0, "done": 0, "ratings": 0} for g in RaterGroup}
    for rater in rnd.raters:
        expected[rater.id] = sum(1 for h in holders.values() if rater.member_id not in h)
        out[rater.rater_group]["assigned"] += 1
        out[rater.rater_group]["ratings"] += rater.rated_count
        if rater.rated_count >= expected[rater.id]:
            out[rater.rater_group]["done"] += 1
    out[RaterGroup.public]["ratings"] = (
        db.session.scalar(
            sa.select(sa.func.count(RatingSheet.id)).where(
                RatingSheet.round_id == rnd.id, RatingSheet.rater_group == RaterGroup.public
            )
        )
        or 0
    )
    return {"groups": out, "expected": expected}


@bp.get("/rounds/<int:round_id>")
@access(*ALL_ROLES)
def round_detail(round_id: int):
    rnd = db.session.scalar(
        sa.select(RatingRound)
        .where(RatingRound.id == round_id)
        .options(
            selectinload(RatingRound.entries)
            .selectinload(RoundPost.model_post)
            .selectinload(ModelPost.holders)
            .selectinload(ModelPostHolder.member),
            selectinload(RatingRound.raters).selectinload(RoundRater.member),
            selectinload(RatingRound.criterion_set).selectinload(CriterionSet.criteria),
            selectinload(RatingRound.branch),
        )
    )
    if rnd is None or not rnd.can_view(current_user):
        abort(404)
    posts = {e.model_post_id: e.model_post for e in rnd.entries}
    reads = current_user.reads_branch(rnd.branch_id) and current_user.role != Role.member
    found = results.for_round(rnd) if reads else []
    rater = service.rater_for(rnd, current_user)
    rated = set()
    if rater is not None:
        rated = set(
            db.session.scalars(
                sa.select(RatingReceipt.model_post_id).where(RatingReceipt.rater_id == rater.id)
            )
        )
    chart = {
        "indicators": [{"name": c.name, "max": 100} for c in rnd.criterion_set.criteria],
        "series": {
            str(r.model_post_id): [r.criteria.get(c.id) for c in rnd.criterion_set.criteria]
            for r in found
            if r.criteria
        },
    }
    return render_template(
        "ratings/round_detail.html",
        rnd=rnd,
        posts=posts,
        found=found,
        reads=reads,
        progress=_progress(rnd) if reads else None,
        rater=rater,
        rated=rated,
        today=local_today(),
        rater_form=RaterForm(formdata=None),
        chart_json=json.dumps(chart, ensure_ascii=False),
        RoundAction=RoundAction,
        RaterGroup=RaterGroup,
    )


@bp.post("/rounds/<int:round_id>/<any(open, close):verb>")
@access(*WRITE_ROLES)
def round_step(round_id: int, verb: str):
    rnd = _load_round(round_id)
    with boundary(success="测评已开始。" if verb == "open" else "测评已结束，结果已固定。"):
        (service.open_round if verb == "open" else service.close_round)(rnd, current_user)
    return redirect(url_for("ratings.round_detail", round_id=rnd.id))


@bp.post("/rounds/<int:round_id>/raters")
@access(*WRITE_ROLES)
def add_raters(round_id: int):
    rnd = _load_round(round_id)
    group = request.form.get("group", "")
    if request.form.get("all_peers"):
        ids = list(
            db.session.scalars(
                sa.select(Member.id).where(
                    Member.branch_id == rnd.branch_id, Member.is_active.is_(True)
                )
            )
        )
        group = RaterGroup.peer.value
    else:
        member_id = int_arg(request.form, "member_id")
        if member_id is None:  # typed a name without picking: take an exact match
            name = clean_text(request.form.get("member") or "").split("（")[0].strip()
            member_id = db.session.scalar(
                sa.select(Member.id)
                .where(
                    Member.name == name,
                    Member.is_active.is_(True),
                    Member.branch.has(organization_id=rnd.branch.organization_id),
                )
                .limit(1)
            )
        ids = [member_id] if member_id else []
    with boundary() as done:
        n = service.assign_raters(rnd, group, ids, current_user)
        done.success = f"已添加 {n} 名测评人。"
    return redirect(url_for("ratings.round_detail", round_id=rnd.id) + "#raters")


@bp.post("/raters/<int:rater_id>/remove")
@access(*WRITE_ROLES)
def remove_rater(rater_id: int):
    rater = db.get_or_404(RoundRater, rater_id)
    rnd = _load_round(rater.round_id)
    with boundary(success="测评人已移除。"):
        service.remove_rater(rater, current_user)
    return redirect(url_for("ratings.round_detail", round_id=rnd.id) + "#raters")


@bp.route("/rounds/<int:round_id>/rate/<int:post_id>", methods=["GET", "POST"])
@access(*RATER_ROLES)
def rate(round_id: int, post_id: int):
    rnd = _load_round(round_id)
    if post_id not in rnd.post_ids:
        abort(404)
    post = _load_post(post_id)
    form = ScoreForm()
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        with boundary(errors, success=f"已完成对“{post.title}”的测评，感谢！") as done:
            service.submit_rating(rnd, post, current_user, request.form)
        if done or not errors:
            return redirect(url_for("ratings.round_detail", round_id=rnd.id))
    return render_template(
        "ratings/rate.html", rnd=rnd, post=post, form=form, errors=errors,
        scores=request.form if request.method == "POST" else {},
    ), (400 if errors else form_status(form))  # fmt: skip


@bp.get("/rounds/<int:round_id>/export.xlsx")
@access(*READ_ROLES)
def export_round(round_id: int):
    rnd = _load_round(round_id)
    data = export.round_xlsx(rnd)
    with boundary():
        audit.record(
            "export", "rating_round", rnd.id, actor=current_user, branch_id=rnd.branch_id,
            summary="导出测评结果（Excel）",
        )  # fmt: skip
    return send_bytes(data, f"{rnd.title}_测评结果.xlsx", XLSX, fallback="rating-results.xlsx")


# --- moderation ------------------------------------------------------------------------------


@bp.get("/moderation")
@access(*WRITE_ROLES)
def moderation():
    state = request.args.get("state", "pending")
    if state not in ("pending", "approved", "hidden"):
        state = "pending"
    page = db.paginate(
        lists.moderation_queue(CommentState(state), current_user),
        page=int_arg(request.args, "page") or 1, per_page=PER_PAGE, error_out=False,
    )  # fmt: skip
    return render_template("ratings/moderation.html", page=page, state=state)


@bp.post("/moderation/<int:sheet_id>")
@access(*WRITE_ROLES)
def moderate(sheet_id: int):
    sheet = db.get_or_404(RatingSheet, sheet_id)
    if not current_user.manages_branch(sheet.model_post.branch_id):
        abort(404)
    decision = request.form.get("decision")
    with boundary(success="已公开该留言。" if decision == "approve" else "该留言不公开。"):
        service.moderate_comment(sheet, decision == "approve", current_user)
    return redirect(url_for("ratings.moderation", state=request.form.get("back", "pending")))


# --- workbench ---------------------------------------------------------------------------------


def _rater_panel(user, today):  # noqa: ANN001, ANN202
    tasks = _tasks(user)
    if not tasks:
        return None
    return workbench.PanelData(
        items=[
            workbench.Item(
                f"{t['round'].title}：待测评的示范岗", t["left"],
                url_for("ratings.round_detail", round_id=t["round"].id), tone="warning",
                hint=f"{t['round'].closes_on:%m月%d日} 截止",
            )
            for t in tasks
        ]
    )  # fmt: skip


def _secretary_panel(user, today):  # noqa: ANN001, ANN202
    scope = user.branch_scope
    rounds_q = sa.select(RatingRound).where(RatingRound.state == RoundState.open)
    if scope is not None:
        rounds_q = rounds_q.where(RatingRound.branch_id.in_(scope))
    open_rounds = db.session.scalars(
        rounds_q.options(selectinload(RatingRound.raters), selectinload(RatingRound.branch))
        .order_by(RatingRound.closes_on)
        .limit(5)
    ).all()
    many = scope is None or len(scope) > 1  # name the branch when several are shown
    items = []
    for rnd in open_rounds:
        done = {g: 0 for g in RaterGroup}
        total = {g: 0 for g in RaterGroup}
        for r in rnd.raters:
            total[r.rater_group] += 1
            done[r.rater_group] += 1 if r.rated_count else 0
        items.append(
            workbench.Item(
                f"测评中：{rnd.title}" + (f"（{rnd.branch.name}）" if many else ""), None,
                url_for("ratings.round_detail", round_id=rnd.id),
                hint=f"领导已测评 {done[RaterGroup.leader]}/{total[RaterGroup.leader]} 人，"
                f"党员已测评 {done[RaterGroup.peer]}/{total[RaterGroup.peer]} 人；"
                f"{rnd.closes_on:%m月%d日} 截止",
            )
        )  # fmt: skip
    in_scope = sa.true() if scope is None else ModelPost.branch_id.in_(scope)
    flagged = db.session.scalar(
        sa.select(sa.func.count(ModelPost.id)).where(lists.flagged_condition(), in_scope)
    )
    if flagged:
        items.append(
            workbench.Item(
                "测评低于提示线、建议收回牌子的示范岗", flagged,
                url_for("ratings.index", flagged="1"), tone="danger",
            )
        )  # fmt: skip
    counts = dict(
        db.session.execute(
            sa.select(ModelPost.state, sa.func.count(ModelPost.id))
            .where(ModelPost.state.in_([PostState.nominated, PostState.announced]))
            .where(sa.true() if scope is None else ModelPost.branch_id.in_(scope))
            .group_by(ModelPost.state)
        ).all()
    )
    for state in (PostState.nominated, PostState.announced):
        if counts.get(state):
            items.append(
                workbench.Item(
                    f"{state.label}的示范岗", counts[state],
                    url_for("ratings.index", state=state.value), tone="warning",
                )
            )  # fmt: skip
    pending = db.session.scalar(
        sa.select(sa.func.count(RatingSheet.id))
        .join(ModelPost, ModelPost.id == RatingSheet.model_post_id)
        .where(RatingSheet.comment_state == CommentState.pending)
        .where(sa.true() if scope is None else ModelPost.branch_id.in_(scope))
    )
    if pending:
        items.append(workbench.Item("待审核的群众测评留言", pending, url_for("ratings.moderation")))
    appealed = db.session.scalar(
        sa.select(sa.func.count(ModelPost.id)).where(lists.open_appeal_condition(), in_scope)
    )
    if appealed:
        items.append(
            workbench.Item(
                "有待答复测评申诉的示范岗", appealed,
                url_for("ratings.index", appeal="open"), tone="warning",
            )
        )  # fmt: skip
    return workbench.PanelData(items=items) if items else None


def _reviewer_panel(user, today):  # noqa: ANN001, ANN202
    """Each branch's latest closed round: its top posts."""
    latest = (
        sa.select(RatingRound.branch_id, sa.func.max(RatingRound.closed_at).label("at"))
        .where(RatingRound.state == RoundState.closed)
        .group_by(RatingRound.branch_id)
        .subquery()
    )
    rounds_ = db.session.scalars(
        sa.select(RatingRound)
        .join(
            latest,
            sa.and_(
                latest.c.branch_id == RatingRound.branch_id, latest.c.at == RatingRound.closed_at
            ),
        )
        .options(
            selectinload(RatingRound.branch),
            selectinload(RatingRound.entries).selectinload(RoundPost.model_post),
        )
        .order_by(RatingRound.branch_id)
        .limit(20)
    ).all()
    if not rounds_:
        return None
    rows = []
    for rnd in rounds_:
        ranked = sorted((e for e in rnd.entries if e.rank), key=lambda e: e.rank)[:3]
        # Plain values: the panel is cached beyond this session.
        rows.append(
            (
                {"id": rnd.id, "title": rnd.title, "branch": rnd.branch.name},
                [(e.rank, e.model_post.title, e.score, e.grade) for e in ranked],
            )
        )
    return workbench.PanelData(template="ratings/_ranking_panel.html", context={"rows": rows})


workbench.register(
    workbench.Panel(
        "ratings.todo", "示范岗测评", _rater_panel,
        roles=frozenset({Role.member, Role.secretary, Role.admin}), order=70,
        link="ratings.index", reads=("ratings", "org"),
    ),
    workbench.Panel(
        "ratings.manage", "示范岗与测评", _secretary_panel,
        roles=frozenset({Role.secretary, Role.admin}), order=71, link="ratings.index",
        reads=("ratings", "org"),
    ),
    workbench.Panel(
        "ratings.ranking", "各支部示范岗测评排名", _reviewer_panel,
        roles=frozenset({Role.reviewer, Role.admin}), order=72, link="ratings.rounds",
        reads=("ratings", "org"),
    ),
)  # fmt: skip
