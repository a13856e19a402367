"""Model posts and rating rounds: one function per verb. Each checks, validates, changes,
audits and flushes; none commits (the request boundary or the job does)."""

import logging
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from partybuild.core import audit, public_rating
from partybuild.core.db import utcnow
from partybuild.core.notifications import notify
from partybuild.core.service import (
    PermissionDenied,
    ServiceError,
    ValidationFailed,
    check_version,
)
from partybuild.core.settings import setting
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Member, Post
from partybuild.ratings import results
from partybuild.ratings.models import (
    POST_LIFECYCLE,
    ROUND_LIFECYCLE,
    Appeal,
    AppealState,
    CommentState,
    CriterionSet,
    ModelPost,
    ModelPostHolder,
    Nomination,
    Objection,
    PostAction,
    PostActor,
    PostKind,
    RaterGroup,
    RatingCriterion,
    RatingReceipt,
    RatingRound,
    RatingScore,
    RatingSheet,
    RoundAction,
    RoundPost,
    RoundRater,
    RoundState,
    ServiceEntry,
)

logger = logging.getLogger(__name__)

TEXT_MAX = 1000


def _text(value: Any, field: str, label: str, *, required: bool = True, limit: int = TEXT_MAX):
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed({field: f"请填写{label}"})
    if len(text) > limit:
        raise ValidationFailed({field: f"{label}不能超过{limit}个字"})
    return text


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- model posts ----------------------------------------------------------------------


def _post_audit(post: ModelPost, action: str, actor: Any, before: dict | None, **kw: Any) -> None:
    audit.record(
        action,
        "model_post",
        post.id,
        actor=actor,
        branch_id=post.branch_id,
        before=before,
        after=audit.snapshot(post, post.AUDIT_FIELDS),
        **kw,
    )


def _holders(branch: Branch, member_ids: Iterable[int], kind: PostKind) -> list[Member]:
    ids = sorted({int(i) for i in member_ids})
    if not ids:
        raise ValidationFailed({"holders": "请指定示范岗的党员"})
    if kind == PostKind.individual and len(ids) > 1:
        raise ValidationFailed({"holders": "个人示范岗只能有一名党员；多人请选择“集体示范岗”"})
    members = db.session.scalars(
        sa.select(Member).where(
            Member.id.in_(ids), Member.branch_id == branch.id, Member.is_active.is_(True)
        )
    ).all()
    if len(members) != len(ids):
        raise ValidationFailed({"holders": "示范岗党员须是本支部在册党员"})
    return list(members)


def _post_fields(branch: Branch, data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        kind = PostKind(data.get("kind") or PostKind.individual)
    except ValueError:
        raise ValidationFailed({"kind": "请选择示范岗类型"}) from None
    post_id = data.get("post_id") or None
    if post_id is not None and db.session.get(Post, int(post_id)) is None:
        raise ValidationFailed({"post_id": "所选岗位不存在"})
    return {
        "title": _text(data.get("title"), "title", "示范岗名称", limit=80),
        "kind": kind,
        "post_id": int(post_id) if post_id else None,
        "duties": _text(data.get("duties"), "duties", "岗位职责"),
        "promises": _text(data.get("promises"), "promises", "服务承诺"),
    }


def nominate_post(
    branch: Branch, data: Mapping[str, Any], holder_ids: Iterable[int], actor: Any
) -> ModelPost:
    """提名: a member nominates themself, or the branch secretary nominates members."""
    fields = _post_fields(branch, data)
    members = _holders(branch, holder_ids, fields["kind"])
    if actor.manages_branch(branch.id):
        nomination = Nomination.branch
    elif actor.member_id is not None and actor.branch_id == branch.id:
        if actor.member_id not in {m.id for m in members}:
            raise PermissionDenied("党员只能自荐本人（或本人所在的集体岗位）")
        nomination = Nomination.self_
    else:
        raise PermissionDenied("只能提名本支部的党员")
    post = ModelPost(branch_id=branch.id, nomination=nomination, nominated_by_id=actor.id, **fields)
    post.holders = [ModelPostHolder(member_id=m.id) for m in members]
    db.session.add(post)
    db.session.flush()
    _post_audit(post, "nominate_model_post", actor, None, summary=post.title)
    return post


def update_post(
    post: ModelPost,
    data: Mapping[str, Any],
    holder_ids: Iterable[int] | None,
    actor: Any,
    version: int | None = None,
) -> None:
    POST_LIFECYCLE.check(post, PostAction.edit, actor)
    check_version(post, version, "示范岗")
    before = audit.snapshot(post, post.AUDIT_FIELDS)
    for key, value in _post_fields(post.branch, data).items():
        setattr(post, key, value)
    if holder_ids is not None and PostActor.secretary in post.actors(actor):
        members = _holders(post.branch, holder_ids, post.kind)
        wanted = {m.id for m in members}
        post.holders = [h for h in post.holders if h.member_id in wanted] + [
            ModelPostHolder(member_id=i) for i in sorted(wanted - post.holder_ids)
        ]
    db.session.flush()
    _post_audit(post, "model_post_edit", actor, before)


def _move(post: ModelPost, action: PostAction, actor: Any, **changes: Any) -> None:
    new_state = POST_LIFECYCLE.check(post, action, actor)
    before = audit.snapshot(post, post.AUDIT_FIELDS)
    post.state = new_state
    for key, value in changes.items():
        setattr(post, key, value)
    db.session.flush()
    _post_audit(post, f"model_post_{action.value}", actor, before)


def approve_post(post: ModelPost, actor: Any) -> None:
    _move(post, PostAction.approve, actor, approved_at=utcnow())


def announce_post(post: ModelPost, actor: Any, today: date | None = None) -> None:
    """公示: the public may object until the end of the period."""
    today = today or local_today()
    end = today + timedelta(days=setting("MODEL_POST_OBJECTION_DAYS"))
    _move(post, PostAction.announce, actor, announced_on=today, objection_end_on=end)


def record_objection(post: ModelPost, text: str, received_on: date | None, actor: Any) -> Objection:
    POST_LIFECYCLE.check(post, PostAction.record_objection, actor)
    received_on = received_on or local_today()
    if post.announced_on and received_on < post.announced_on:
        raise ValidationFailed({"received_on": "收到日期不能早于公示开始日期"})
    if received_on > local_today():
        raise ValidationFailed({"received_on": "收到日期不能晚于今天"})
    objection = Objection(
        model_post_id=post.id,
        received_on=received_on,
        text=_text(text, "text", "异议内容"),
        recorded_by_id=actor.id,
    )
    db.session.add(objection)
    post.open_objections += 1
    db.session.flush()
    audit.record(
        "model_post_record_objection", "model_post", post.id, actor=actor,
        branch_id=post.branch_id, summary=objection.text[:100],
    )  # fmt: skip
    return objection


def resolve_objection(objection: Objection, resolution: str, actor: Any) -> None:
    post = objection.model_post
    if PostActor.secretary not in post.actors(actor):
        raise PermissionDenied("只有本支部书记可以处理公示异议")
    if objection.resolved_at is not None:
        raise ServiceError("该异议已处理")
    objection.resolution = _text(resolution, "text", "处理意见")
    objection.resolved_at = utcnow()
    objection.resolved_by_id = actor.id
    post.open_objections = max(0, post.open_objections - 1)
    db.session.flush()
    audit.record(
        "resolve_objection", "model_post", post.id, actor=actor, branch_id=post.branch_id,
        summary=objection.resolution[:100],
    )  # fmt: skip


def plaque_number(post: ModelPost) -> str:
    return f"{post.branch.code}-{post.id:05d}"


def designate_post(post: ModelPost, actor: Any, today: date | None = None) -> None:
    """授牌: the post gets its plaque number, its public page and its term."""
    today = today or local_today()
    _move(
        post,
        PostAction.designate,
        actor,
        plaque_no=post.plaque_no or plaque_number(post),
        designated_on=today,
        term_end_on=_add_years(today, setting("MODEL_POST_TERM_YEARS")),
    )


def reject_post(post: ModelPost, reason: str, actor: Any) -> None:
    _move(post, PostAction.reject, actor, rejected_reason=_text(reason, "text", "原因", limit=255))


def renew_post(post: ModelPost, actor: Any, today: date | None = None) -> None:
    today = today or local_today()
    start = max(today, post.term_end_on or today)
    _move(
        post,
        PostAction.renew,
        actor,
        term_end_on=_add_years(start, setting("MODEL_POST_TERM_YEARS")),
        renewed_count=post.renewed_count + 1,
    )


def revoke_post(post: ModelPost, reason: str, actor: Any) -> None:
    """收回牌子: the public page closes; the plaque number stays on record."""
    _move(
        post,
        PostAction.revoke,
        actor,
        revoked_at=utcnow(),
        revoke_reason=_text(reason, "text", "收回原因", limit=255),
    )


def log_service(post: ModelPost, data: Mapping[str, Any], actor: Any) -> ServiceEntry:
    """服务群众台账: one public demand handled; counted on the public page."""
    POST_LIFECYCLE.check(post, PostAction.log_service, actor)
    handled_on = data.get("handled_on") or local_today()
    if handled_on > local_today():
        raise ValidationFailed({"handled_on": "办理日期不能晚于今天"})
    entry = ServiceEntry(
        model_post_id=post.id,
        handled_on=handled_on,
        demand=_text(data.get("demand"), "demand", "群众诉求"),
        outcome=_text(data.get("outcome"), "outcome", "办理结果"),
        recorded_by_id=actor.id,
    )
    db.session.add(entry)
    post.service_count += 1
    db.session.flush()
    audit.record(
        "model_post_log_service", "model_post", post.id, actor=actor, branch_id=post.branch_id,
        summary=entry.demand[:100],
    )  # fmt: skip
    return entry


def retire_service(entry: ServiceEntry, actor: Any) -> None:
    post = entry.model_post
    if PostActor.secretary not in post.actors(actor):
        raise PermissionDenied("只有本支部书记可以停用服务台账记录")
    if entry.is_retired:
        raise ServiceError("该记录已停用")
    entry.is_retired, entry.retired_at = True, utcnow()
    post.service_count = max(0, post.service_count - 1)
    db.session.flush()
    audit.record(
        "retire_service", "model_post", post.id, actor=actor, branch_id=post.branch_id,
        summary=f"停用服务台账记录：{entry.demand[:60]}",
    )  # fmt: skip


# --- criterion sets -----------------------------------------------------------------------

DEFAULT_SETS: list[dict[str, Any]] = [
    {
        "code": "five",
        "name": "党员示范岗五项标准",
        "description": "信念坚定、为民服务、勤政务实、敢于担当、清正廉洁",
        "criteria": [
            ("信念坚定", "理想信念坚定，对党忠诚", 20),
            ("为民服务", "心系群众，热情服务，解决群众合理诉求", 20),
            ("勤政务实", "履职尽责，务实高效", 20),
            ("敢于担当", "迎难而上，敢于负责", 20),
            ("清正廉洁", "严守纪律，廉洁自律", 20),
        ],
    },
    {
        "code": "four_five",
        "name": "“4+5”人民满意窗口标准",
        "description": "窗口：环境优、态度好、技能强、纪律严、效率高；接访人员：道德好、态度好、技能好、守纪好、创新好",
        "criteria": [
            ("服务环境优", "窗口环境整洁有序", 8),
            ("接访态度好", "窗口接访热情耐心", 8),
            ("业务技能强", "窗口业务熟练", 8),
            ("纪律作风严", "窗口纪律严明", 8),
            ("办事效率高", "窗口办事快捷", 8),
            ("接访人员道德好", "", 12),
            ("接访人员态度好", "", 12),
            ("接访人员业务技能好", "", 12),
            ("接访人员遵章守纪好", "", 12),
            ("接访人员创新创优好", "", 12),
        ],
    },
]


def ensure_default_sets(actor: Any = None) -> list[CriterionSet]:
    """The built-in sets, added once (idempotent); returns every active set. The
    migration seeds them too; this is for the demo, tests and the explicit button."""
    existing = set(db.session.scalars(sa.select(CriterionSet.code)))
    added = [spec["code"] for spec in DEFAULT_SETS if spec["code"] not in existing]
    if added and actor is not None:
        audit.record(
            "criteria_defaults", "criterion_set", None, actor=actor,
            after={"codes": added},
        )  # fmt: skip
    for spec in DEFAULT_SETS:
        if spec["code"] in existing:
            continue
        cset = CriterionSet(
            code=spec["code"], name=spec["name"], description=spec["description"], is_builtin=True
        )
        cset.criteria = [
            RatingCriterion(position=i, name=name, description=desc, weight=weight)
            for i, (name, desc, weight) in enumerate(spec["criteria"])
        ]
        db.session.add(cset)
    db.session.flush()
    return list(
        db.session.scalars(
            sa.select(CriterionSet)
            .where(CriterionSet.is_active.is_(True))
            .order_by(CriterionSet.is_builtin.desc(), CriterionSet.id)
        )
    )


def parse_criteria(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Criterion rows from the form: name, weight, scale; weights must sum to 100."""
    criteria: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for i, row in enumerate(rows):
        name = str(row.get("name") or "").strip()
        weight_text = str(row.get("weight") or "").strip()
        if not name and not weight_text:
            continue
        if not name or len(name) > 40:
            errors[f"name-{i}"] = "请填写标准名称（不超过40字）"
            continue
        try:
            weight = int(weight_text)
            low = int(str(row.get("scale_min") or "1"))
            high = int(str(row.get("scale_max") or "10"))
        except ValueError:
            errors[f"weight-{i}"] = f"“{name}”的权重和分值须为整数"
            continue
        if not 1 <= weight <= 100:
            errors[f"weight-{i}"] = f"“{name}”的权重须在 1 到 100 之间"
        if not (0 <= low < high <= 100):
            errors[f"weight-{i}"] = f"“{name}”的分值范围须满足 0 ≤ 最低分 < 最高分 ≤ 100"
        criteria.append(
            {
                "name": name,
                "description": str(row.get("description") or "").strip()[:200],
                "weight": weight,
                "scale_min": low,
                "scale_max": high,
            }
        )
    if errors:
        raise ValidationFailed(errors)
    if not criteria:
        raise ValidationFailed({"criteria": "请至少填写一项标准"})
    names = [c["name"] for c in criteria]
    if len(set(names)) != len(names):
        raise ValidationFailed({"criteria": "标准名称不能重复"})
    total = sum(c["weight"] for c in criteria)
    if total != 100:
        raise ValidationFailed({"criteria": f"各项标准的权重之和须为 100，现在是 {total}"})
    return criteria


def save_criterion_set(
    cset: CriterionSet | None,
    name: str,
    description: str,
    rows: Iterable[Mapping[str, Any]],
    actor: Any,
) -> CriterionSet:
    if not getattr(actor, "is_admin", False):
        raise PermissionDenied("只有系统管理员可以维护测评标准")
    name = _text(name, "name", "标准名称", limit=60)
    criteria = parse_criteria(rows)
    clash = db.session.scalar(
        sa.select(CriterionSet.id).where(
            CriterionSet.name == name, CriterionSet.id != (cset.id if cset else -1)
        )
    )
    if clash:
        raise ValidationFailed({"name": "已有同名的测评标准"})
    if cset is None:
        count = db.session.scalar(sa.select(sa.func.count(CriterionSet.id))) or 0
        cset = CriterionSet(code=f"custom{count + 1}_{utcnow():%y%m%d%H%M%S}")
        db.session.add(cset)
    elif db.session.scalar(
        sa.select(sa.func.count(RatingRound.id)).where(
            RatingRound.criterion_set_id == cset.id, RatingRound.state != RoundState.draft
        )
    ):
        raise ServiceError("该标准已用于开始的测评，不能修改；请另建一套标准")
    cset.name, cset.description = name, _text(description, "description", "说明", required=False)
    # A set not yet used by a started round: its criteria are replaced wholesale.
    for old in list(cset.criteria):
        db.session.delete(old)
    db.session.flush()
    cset.criteria = [RatingCriterion(position=i, **c) for i, c in enumerate(criteria)]
    db.session.flush()
    audit.record(
        "save_criterion_set", "criterion_set", cset.id, actor=actor,
        after={"name": name, "criteria": criteria},
    )  # fmt: skip
    return cset


# --- rating rounds --------------------------------------------------------------------------


def _weights(data: Mapping[str, Any]) -> dict[str, int]:
    weights, errors = {}, {}
    for group in RaterGroup:
        try:
            value = int(str(data.get(f"{group.value}_weight", "")).strip())
        except ValueError:
            errors[f"{group.value}_weight"] = f"{group.label}权重须为整数"
            continue
        if not 0 <= value <= 100:
            errors[f"{group.value}_weight"] = f"{group.label}权重须在 0 到 100 之间"
        weights[f"{group.value}_weight"] = value
    if errors:
        raise ValidationFailed(errors)
    total = sum(weights.values())
    if total != 100:
        raise ValidationFailed({"leader_weight": f"三类测评人群的权重之和须为 100，现在是 {total}"})
    return weights


def _round_posts(branch_id: int, post_ids: Iterable[int]) -> list[ModelPost]:
    ids = sorted({int(i) for i in post_ids})
    if not ids:
        raise ValidationFailed({"post_ids": "请选择参加测评的示范岗"})
    posts = db.session.scalars(
        sa.select(ModelPost).where(
            ModelPost.id.in_(ids), ModelPost.branch_id == branch_id, ModelPost.public()
        )
    ).all()
    if len(posts) != len(ids):
        raise ValidationFailed({"post_ids": "只能选择本支部已挂牌的示范岗"})
    return list(posts)


def _round_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    opens_on, closes_on = data.get("opens_on"), data.get("closes_on")
    if not isinstance(opens_on, date) or not isinstance(closes_on, date):
        raise ValidationFailed({"opens_on": "请填写开始和结束日期"})
    if closes_on < opens_on:
        raise ValidationFailed({"closes_on": "结束日期不能早于开始日期"})
    cset = db.session.get(CriterionSet, int(data.get("criterion_set_id") or 0))
    if cset is None or not cset.is_active:
        raise ValidationFailed({"criterion_set_id": "请选择测评标准"})
    if cset.total_weight != 100:
        raise ValidationFailed({"criterion_set_id": "该测评标准的权重之和不是 100，不能使用"})
    return {
        "title": _text(data.get("title"), "title", "测评名称", limit=80),
        "criterion_set_id": cset.id,
        "opens_on": opens_on,
        "closes_on": closes_on,
        **_weights(data),
    }


def _refuse_same_title(branch_id: int, title: str, round_id: int | None = None) -> None:
    """Titles are unique per branch (a constraint): say so rather than fail on it."""
    stmt = sa.select(RatingRound.id).where(
        RatingRound.branch_id == branch_id, RatingRound.title == title
    )
    if round_id is not None:
        stmt = stmt.where(RatingRound.id != round_id)
    with db.session.no_autoflush:
        if db.session.scalar(stmt.limit(1)):
            raise ValidationFailed({"title": "本支部已有同名的测评"})


def create_round(
    branch: Branch, data: Mapping[str, Any], post_ids: Iterable[int], actor: Any
) -> RatingRound:
    if not actor.manages_branch(branch.id):
        raise PermissionDenied("只有本支部书记可以组织测评")
    fields = _round_fields(data)
    _refuse_same_title(branch.id, fields["title"])
    rnd = RatingRound(
        branch_id=branch.id,
        min_raters=setting("RATING_MIN_RATERS"),
        created_by_id=actor.id,
        **fields,
    )
    rnd.entries = [RoundPost(model_post_id=p.id) for p in _round_posts(branch.id, post_ids)]
    db.session.add(rnd)
    db.session.flush()
    audit.record(
        "create_round", "rating_round", rnd.id, actor=actor, branch_id=branch.id,
        after=audit.snapshot(rnd, rnd.AUDIT_FIELDS),
    )  # fmt: skip
    return rnd


def update_round(
    rnd: RatingRound,
    data: Mapping[str, Any],
    post_ids: Iterable[int],
    actor: Any,
    version: int | None = None,
) -> None:
    ROUND_LIFECYCLE.check(rnd, RoundAction.edit, actor)
    check_version(rnd, version, "测评")
    before = audit.snapshot(rnd, rnd.AUDIT_FIELDS)
    fields = _round_fields(data)
    _refuse_same_title(rnd.branch_id, fields["title"], rnd.id)
    for key, value in fields.items():
        setattr(rnd, key, value)
    wanted = {p.id for p in _round_posts(rnd.branch_id, post_ids)}
    rnd.entries = [e for e in rnd.entries if e.model_post_id in wanted] + [
        RoundPost(model_post_id=i) for i in sorted(wanted - set(rnd.post_ids))
    ]
    db.session.flush()
    audit.record(
        "rating_round_edit", "rating_round", rnd.id, actor=actor, branch_id=rnd.branch_id,
        before=before, after=audit.snapshot(rnd, rnd.AUDIT_FIELDS),
    )  # fmt: skip


def assign_raters(rnd: RatingRound, group: str, member_ids: Iterable[int], actor: Any) -> int:
    """Add leaders or peers to a round; returns how many were new."""
    if not actor.manages_branch(rnd.branch_id):
        raise PermissionDenied("只有本支部书记可以指定测评人")
    if rnd.state == RoundState.closed:
        raise ServiceError("测评已结束，不能再指定测评人")
    try:
        group = RaterGroup(group)
    except ValueError:
        raise ValidationFailed({"group": "请选择测评人群"}) from None
    if group == RaterGroup.public:
        raise ValidationFailed({"group": "群众通过示范岗公开页面测评，无需指定"})
    ids = {int(i) for i in member_ids}
    if not ids:
        raise ValidationFailed({"member": "请选择测评人"})
    members = db.session.scalars(
        sa.select(Member).where(Member.id.in_(ids), Member.is_active.is_(True))
    ).all()
    if len(members) != len(ids):
        raise ValidationFailed({"member": "找不到所选党员，或其已不在册"})
    org_id = rnd.branch.organization_id
    for m in members:
        if group == RaterGroup.peer and m.branch_id != rnd.branch_id:
            raise ValidationFailed({"member": f"{m.name}不是本支部党员，不能参加党员互评"})
        if m.branch.organization_id != org_id:
            raise ValidationFailed({"member": f"{m.name}不属于本单位"})
    existing = {r.member_id: r for r in rnd.raters}
    added = 0
    for m in members:
        if m.id in existing:
            if existing[m.id].rater_group != group:
                raise ValidationFailed(
                    {"member": f"{m.name}已是{existing[m.id].rater_group.label}测评人"}
                )
            continue
        rnd.raters.append(RoundRater(member_id=m.id, rater_group=group))
        added += 1
    db.session.flush()
    audit.record(
        "assign_raters", "rating_round", rnd.id, actor=actor, branch_id=rnd.branch_id,
        summary=f"{group.label} +{added}",
    )  # fmt: skip
    return added


def remove_rater(rater: RoundRater, actor: Any) -> None:
    rnd = rater.round
    if not actor.manages_branch(rnd.branch_id):
        raise PermissionDenied("只有本支部书记可以调整测评人")
    if rater.rated_count:
        raise ServiceError("该测评人已开始测评，不能移除")
    rnd.raters.remove(rater)
    db.session.delete(rater)
    db.session.flush()
    audit.record(
        "remove_rater", "rating_round", rnd.id, actor=actor, branch_id=rnd.branch_id,
        after={"member_id": rater.member_id}, summary="移除测评人",
    )  # fmt: skip


def open_round(rnd: RatingRound, actor: Any) -> None:
    new_state = ROUND_LIFECYCLE.check(rnd, RoundAction.open, actor)
    _open(rnd, new_state, actor)


def _open(rnd: RatingRound, new_state: RoundState, actor: Any) -> None:
    before = audit.snapshot(rnd, rnd.AUDIT_FIELDS)
    rnd.state, rnd.opened_at = new_state, utcnow()
    db.session.flush()
    audit.record(
        "rating_round_open", "rating_round", rnd.id, actor=actor, branch_id=rnd.branch_id,
        before=before, after=audit.snapshot(rnd, rnd.AUDIT_FIELDS),
    )  # fmt: skip
    link = f"/ratings/rounds/{rnd.id}"
    for rater in rnd.raters:
        user_id = _user_of(rater.member_id)
        if user_id:
            notify(
                user_id, "rating_round", f"请参加{rnd.title}", link=link,
                dedupe_key=f"rating-open-{rnd.id}",
            )  # fmt: skip


def _user_of(member_id: int) -> int | None:
    from partybuild.auth.models import User

    return db.session.scalar(
        sa.select(User.id).where(User.member_id == member_id, User.is_active_account.is_(True))
    )


def close_round(rnd: RatingRound, actor: Any) -> None:
    """Close and freeze: each post's figures are written once and read from then on."""
    new_state = ROUND_LIFECYCLE.check(rnd, RoundAction.close, actor)
    _close(rnd, new_state, actor)


def _close(rnd: RatingRound, new_state: RoundState, actor: Any) -> None:
    before = audit.snapshot(rnd, rnd.AUDIT_FIELDS)
    results.freeze(rnd)
    rnd.state, rnd.closed_at = new_state, utcnow()
    db.session.flush()
    audit.record(
        "rating_round_close", "rating_round", rnd.id, actor=actor, branch_id=rnd.branch_id,
        before=before, after=audit.snapshot(rnd, rnd.AUDIT_FIELDS),
    )  # fmt: skip


def open_due_round(rnd: RatingRound) -> None:
    """The scheduler opens a round on its date (no user: the lifecycle is not asked)."""
    if rnd.state == RoundState.draft and rnd.entries:
        _open(rnd, RoundState.open, None)


def close_due_round(rnd: RatingRound) -> None:
    if rnd.state == RoundState.open:
        _close(rnd, RoundState.closed, None)


# --- rating ---------------------------------------------------------------------------------


def rater_for(rnd: RatingRound, user: Any) -> RoundRater | None:
    if user is None or not user.is_authenticated or user.member_id is None:
        return None
    return db.session.scalar(
        sa.select(RoundRater).where(
            RoundRater.round_id == rnd.id, RoundRater.member_id == user.member_id
        )
    )


def _scores(rnd: RatingRound, raw: Mapping[Any, Any]) -> list[RatingScore]:
    scores, errors = [], {}
    for c in rnd.criterion_set.criteria:
        # Form fields are named c<criterion id>; callers may also key by the id.
        value = raw.get(f"c{c.id}", raw.get(c.id))
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            errors[f"c{c.id}"] = f"请为“{c.name}”打分"
            continue
        if not c.scale_min <= number <= c.scale_max:
            errors[f"c{c.id}"] = f"“{c.name}”的分值须在 {c.scale_min} 到 {c.scale_max} 之间"
            continue
        scores.append(RatingScore(criterion_id=c.id, score=number))
    if errors:
        raise ValidationFailed(errors)
    return scores


def _check_ratable(rnd: RatingRound, post: ModelPost, today: date) -> None:
    if not rnd.accepts_ratings(today):
        raise ServiceError("该测评当前不在测评期内")
    if post.id not in rnd.post_ids:
        raise ServiceError("该示范岗不在本次测评中", code="not_found")


def submit_rating(
    rnd: RatingRound,
    post: ModelPost,
    user: Any,
    raw_scores: Mapping[Any, Any],
    today: date | None = None,
) -> None:
    """A leader or peer rates one post, once. The sheet keeps the scores but not the
    rater; the receipt keeps that the rater has rated, but not the scores."""
    today = today or local_today()
    _check_ratable(rnd, post, today)
    rater = rater_for(rnd, user)
    if rater is None:
        raise PermissionDenied("您不是本次测评的测评人")
    if rater.member_id in post.holder_ids:
        raise ServiceError("不能为本人所在的示范岗测评（回避）", code="self_rating")
    if db.session.scalar(
        sa.select(RatingReceipt.id).where(
            RatingReceipt.rater_id == rater.id, RatingReceipt.model_post_id == post.id
        )
    ):
        raise ServiceError("您已为该示范岗测评，每人只能测评一次", code="duplicate")
    sheet = RatingSheet(
        round_id=rnd.id,
        model_post_id=post.id,
        rater_group=rater.rater_group,
        rated_on=today,
        scores=_scores(rnd, raw_scores),
    )
    try:
        with db.session.begin_nested():
            db.session.add(RatingReceipt(rater_id=rater.id, model_post_id=post.id, rated_on=today))
            db.session.flush()
    except sa.exc.IntegrityError:  # a double click raced the check above
        raise ServiceError("您已为该示范岗测评，每人只能测评一次", code="duplicate") from None
    db.session.add(sheet)
    rater.rated_count += 1
    db.session.flush()
    # The audit says who rated which post (as the receipt does), never the scores.
    audit.record(
        "rate_model_post", "rating_round", rnd.id, actor=user, branch_id=rnd.branch_id,
        after={"model_post_id": post.id}, summary=f"测评示范岗：{post.title}"[:120],
    )  # fmt: skip


PUBLIC_DUPLICATE = "您已在本次测评中评价过该示范岗，感谢参与！"


def add_public_rating(
    rnd: RatingRound,
    post: ModelPost,
    raw_scores: Mapping[Any, Any],
    comment: str,
    *,
    browser_id: str,
    ip: str,
    today: date | None = None,
) -> RatingSheet:
    """群众测评 through the plaque's QR code: one per browser per post per round."""
    today = today or local_today()
    _check_ratable(rnd, post, today)
    if not rnd.public_weight:
        raise ServiceError("本次测评不含群众测评")
    scores = _scores(rnd, raw_scores)
    comment = public_rating.clean_comment(comment)
    rater = public_rating.identify(browser_id, ip)
    mine = sa.select(sa.func.count(RatingSheet.id)).where(RatingSheet.model_post_id == post.id)
    public_rating.refuse_repeat(
        same_browser=db.session.scalar(
            mine.where(
                RatingSheet.round_id == rnd.id, RatingSheet.browser_hash == rater.browser_hash
            )
        ),
        same_ip_today=db.session.scalar(
            mine.where(RatingSheet.ip_hash == rater.ip_hash, RatingSheet.rated_on == today)
        ),
        duplicate=PUBLIC_DUPLICATE,
    )
    sheet = RatingSheet(
        round_id=rnd.id,
        model_post_id=post.id,
        rater_group=RaterGroup.public,
        rated_on=today,
        browser_hash=rater.browser_hash,
        ip_hash=rater.ip_hash,
        comment=comment,
        comment_state=CommentState.pending if comment else CommentState.none,
        scores=scores,
    )
    try:
        with db.session.begin_nested():
            db.session.add(sheet)
    except sa.exc.IntegrityError:
        raise ServiceError(PUBLIC_DUPLICATE, code="duplicate") from None
    return sheet


def moderate_comment(sheet: RatingSheet, approve: bool, actor: Any) -> None:
    if not actor.manages_branch(sheet.model_post.branch_id):
        raise PermissionDenied("只有本支部书记可以审核群众留言")
    if sheet.comment_state == CommentState.none:
        raise ServiceError("该评价没有留言")
    sheet.comment_state = CommentState.approved if approve else CommentState.hidden
    sheet.moderated_at, sheet.moderated_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(
        "moderate_rating_comment", "model_post", sheet.model_post_id, actor=actor,
        branch_id=sheet.model_post.branch_id, summary=sheet.comment_state.label,
    )  # fmt: skip


# --- appeals --------------------------------------------------------------------------------


def file_appeal(rnd: RatingRound, post: ModelPost, actor: Any, reason: str) -> Appeal:
    """申诉: a holder of a rated post disputes a closed round's result."""
    if rnd.state != RoundState.closed:
        raise ServiceError("测评结束、结果确定后才能申诉")
    if post.id not in rnd.post_ids:
        raise ServiceError("该示范岗不在本次测评中", code="not_found")
    if actor.member_id is None or actor.member_id not in post.holder_ids:
        raise PermissionDenied("只有示范岗党员本人可以申诉")
    appeal = Appeal(
        round_id=rnd.id,
        model_post_id=post.id,
        member_id=actor.member_id,
        reason=_text(reason, "text", "申诉理由"),
    )
    db.session.add(appeal)
    db.session.flush()
    audit.record(
        "file_appeal", "rating_round", rnd.id, actor=actor, branch_id=rnd.branch_id,
        summary=appeal.reason[:100],
    )  # fmt: skip
    return appeal


def answer_appeal(appeal: Appeal, answer: str, actor: Any) -> None:
    post = appeal.model_post
    if PostActor.secretary not in post.actors(actor):
        raise PermissionDenied("只有本支部书记可以答复申诉")
    if appeal.state == AppealState.answered:
        raise ServiceError("该申诉已答复")
    appeal.answer = _text(answer, "text", "答复")
    appeal.state, appeal.answered_at, appeal.answered_by_id = (
        AppealState.answered,
        utcnow(),
        actor.id,
    )
    db.session.flush()
    audit.record(
        "answer_appeal", "rating_round", appeal.round_id, actor=actor, branch_id=post.branch_id,
        summary=appeal.answer[:100],
    )  # fmt: skip
    user_id = _user_of(appeal.member_id)
    if user_id:
        notify(
            user_id, "rating_appeal", "您的测评申诉已答复",
            link=f"/ratings/posts/{post.id}", dedupe_key=f"appeal-answer-{appeal.id}",
        )  # fmt: skip
