"""Integrity services: one function per verb. Each checks who may, validates, changes,
audits and flushes; nothing here commits or reads the request."""

import logging
from datetime import date
from typing import Any

import sqlalchemy as sa

from partybuild.core import audit
from partybuild.core.db import utcnow
from partybuild.core.forms import parse_id
from partybuild.core.notifications import notify
from partybuild.core.service import PermissionDenied, ServiceError, ValidationFailed, check_version
from partybuild.core.timeutil import cn_date, local_today
from partybuild.extensions import db
from partybuild.integrity.models import (
    Acknowledgement,
    ControlMeasure,
    ControlResult,
    Rectification,
    RectificationAction,
    RectificationState,
    Reminder,
    ReviewResult,
    RiskLevel,
    RiskPoint,
    RiskReview,
    add_months,
    category_labels,
    matrix_level,
    review_cycle_months,
)
from partybuild.org.models import Branch, Member, Post

logger = logging.getLogger(__name__)

TITLE_MAX, TEXT_MAX, NAME_MAX = 200, 2000, 40


def _text(data: dict[str, Any], key: str) -> str:
    return str(data.get(key) or "").strip()


def _check_text(errors: dict, data: dict, key: str, label: str, limit: int, required: bool):
    text = _text(data, key)
    if required and not text:
        errors[key] = f"请填写{label}"
    elif len(text) > limit:
        errors[key] = f"{label}不能超过{limit}个字"
    return text


def _cell(data: dict, prefix: str, errors: dict, required: bool) -> tuple[int | None, int | None]:
    """(likelihood, impact) from ``{prefix}likelihood`` / ``{prefix}impact``: both or neither."""
    lk, ik = f"{prefix}likelihood", f"{prefix}impact"
    values = []
    for key, label in ((lk, "发生可能性"), (ik, "影响程度")):
        raw = data.get(key)
        if raw in (None, ""):
            values.append(None)
            continue
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= 5:
            errors[key] = f"{label}须为 1 到 5 的整数"
            values.append(None)
        else:
            values.append(number)
    likelihood, impact = values
    if (likelihood is None) != (impact is None) and lk not in errors and ik not in errors:
        missing = lk if likelihood is None else ik
        errors[missing] = "发生可能性和影响程度须同时填写"
    elif required and likelihood is None and impact is None and lk not in errors:
        errors[lk] = "请评估发生可能性"
        errors[ik] = "请评估影响程度"
    return likelihood, impact


def assess(data: dict[str, Any], require_inherent: bool = True) -> dict[str, Any]:
    """Levels from the matrix for the inherent and residual cells; ValidationFailed on
    bad input or a residual level above the inherent one without a reason."""
    errors: dict[str, str] = {}
    likelihood, impact = _cell(data, "", errors, require_inherent and not data.get("level"))
    r_likelihood, r_impact = _cell(data, "residual_", errors, False)
    reason = _check_text(errors, data, "residual_reason", "原因说明", TEXT_MAX, False)
    if errors:
        raise ValidationFailed(errors)
    level = matrix_level(likelihood, impact) if likelihood is not None else RiskLevel(data["level"])
    residual = matrix_level(r_likelihood, r_impact) if r_likelihood is not None else None
    if residual is not None and residual.rank > level.rank and not reason:
        raise ValidationFailed(
            {"residual_reason": "采取防控措施后的风险等级高于固有风险等级，须说明原因"}
        )
    return {
        "likelihood": likelihood,
        "impact": impact,
        "level": level,
        "residual_likelihood": r_likelihood,
        "residual_impact": r_impact,
        "residual_level": residual,
        "residual_reason": reason if residual is not None else "",
    }


def branch_posts(branch_id: int) -> sa.Select:
    """Posts a branch's ledger covers: those of the offices its members work in, and any
    post it already keeps risk points for."""
    offices = (
        sa.select(Member.department_id)
        .where(Member.branch_id == branch_id, Member.department_id.is_not(None))
        .distinct()
    )
    held = sa.select(RiskPoint.post_id).where(RiskPoint.branch_id == branch_id)
    return (
        sa.select(Post)
        .where(sa.or_(Post.department_id.in_(offices), Post.id.in_(held)))
        .order_by(Post.department_id, Post.name)
    )


def _point_fields(branch_id: int, data: dict[str, Any], actor: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {}
    post = (
        db.session.get(Post, parse_id(data["post_id"]))
        if parse_id(data.get("post_id")) is not None
        else None
    )
    if post is None:
        errors["post_id"] = "请选择岗位"
    fields["post_id"] = post.id if post else None
    if data.get("category") not in category_labels():
        errors["category"] = "请选择风险类别"
    fields["category"] = data.get("category")
    fields["title"] = _check_text(errors, data, "title", "风险点", TITLE_MAX, True)
    fields["manifestation"] = _check_text(
        errors, data, "manifestation", "表现形式", TEXT_MAX, False
    )
    fields["basis"] = _check_text(errors, data, "basis", "制度依据", TEXT_MAX, False)
    fields["leader_name"] = _check_text(errors, data, "leader_name", "责任领导", NAME_MAX, False)
    owner = None
    if parse_id(data.get("owner_id")) is not None:
        owner = db.session.get(Member, parse_id(data["owner_id"]))
        if owner is None or owner.branch_id != branch_id or not owner.is_active:
            errors["owner_id"] = "责任人须为本支部在册党员"
            owner = None
    fields["owner_id"] = owner.id if owner else None
    fields["owner_name"] = owner.name if owner else _text(data, "owner_name")[:NAME_MAX]
    months = data.get("review_months")
    if months in (None, "", 0):
        fields["review_months"] = None
    elif not str(months).isdigit() or not 1 <= int(months) <= 36:
        errors["review_months"] = "排查周期须为 1 到 36 个月，或留空按风险等级确定"
    else:
        fields["review_months"] = int(months)
    try:
        fields.update(assess(data))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return fields


def _audit(action: str, kind: str, obj_id: Any, actor: Any, branch_id: int, **kw: Any) -> None:
    audit.record(action, kind, obj_id, actor=actor, branch_id=branch_id, **kw)


def create_point(branch: Branch, data: dict[str, Any], actor: Any, today: date | None = None):
    if not branch.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以登记风险点")
    point = new_point(branch, _point_fields(branch.id, data, actor), today)
    _audit("create", "risk_point", point.id, actor, branch.id,
           after=audit.snapshot(point, RiskPoint.AUDIT_FIELDS), summary=point.title[:60])  # fmt: skip
    return point


def new_point(branch: Branch, fields: dict[str, Any], today: date | None = None) -> RiskPoint:
    """Add a validated point, its first review falling one cycle from ``today``."""
    today = today or local_today()
    point = RiskPoint(branch_id=branch.id, **fields)
    point.next_review_on = add_months(
        today, point.review_months or review_cycle_months(point.level)
    )
    db.session.add(point)
    db.session.flush()
    return point


def point_fields(branch: Branch, data: dict[str, Any], actor: Any) -> dict[str, Any]:
    """Validated columns of a point for ``branch`` (ValidationFailed by field)."""
    return _point_fields(branch.id, data, actor)


def update_point(point: RiskPoint, data: dict[str, Any], actor: Any, version_id: int | None = None):
    if not point.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以修改风险点")
    if not point.is_active:
        raise ServiceError("该风险点已停用，不能修改")
    check_version(point, version_id, "该风险点")
    fields = _point_fields(point.branch_id, data, actor)
    before = audit.snapshot(point, RiskPoint.AUDIT_FIELDS)
    old_cycle = point.cycle_months
    for key, value in fields.items():
        setattr(point, key, value)
    if point.cycle_months != old_cycle:
        base = point.last_reviewed_on or local_today(point.created_at)
        point.next_review_on = add_months(base, point.cycle_months)
    db.session.flush()
    _audit("update", "risk_point", point.id, actor, point.branch_id, before=before,
           after=audit.snapshot(point, RiskPoint.AUDIT_FIELDS), summary=point.title[:60])  # fmt: skip


def retire_point(point: RiskPoint, reason: str, actor: Any) -> None:
    """A risk point is evidence: it is retired with who and why, never deleted."""
    if not point.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以停用风险点")
    if not point.is_active:
        raise ServiceError("该风险点已停用")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"text": "请填写停用原因"})
    point.is_active = False
    point.retired_at = utcnow()
    point.retired_by_id = getattr(actor, "id", None)
    point.retired_reason = reason[:255]
    db.session.flush()
    _audit("retire_risk_point", "risk_point", point.id, actor, point.branch_id,
           before={"is_active": True}, after={"is_active": False, "reason": reason},
           summary=point.title[:60])  # fmt: skip


# --- controls ---------------------------------------------------------------------


def add_control(point: RiskPoint, data: dict[str, Any], actor: Any) -> ControlMeasure:
    if not point.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以增加防控措施")
    if not point.is_active:
        raise ServiceError("该风险点已停用，不能增加防控措施")
    errors: dict[str, str] = {}
    fields = dict(
        text=_check_text(errors, data, "text", "防控措施", TEXT_MAX, True),
        owner_name=_check_text(errors, data, "owner_name", "措施责任人", NAME_MAX, False),
        frequency=_check_text(errors, data, "frequency", "执行频次", 20, False),
        evidence=_check_text(errors, data, "evidence", "留痕要求", 200, False),
    )
    if errors:
        raise ValidationFailed(errors)
    control = ControlMeasure(risk_point=point, **fields)
    db.session.add(control)
    db.session.flush()
    _audit("add_control", "risk_point", point.id, actor, point.branch_id,
           after=audit.snapshot(control, ControlMeasure.AUDIT_FIELDS), summary=control.text[:60])  # fmt: skip
    return control


def retire_control(control: ControlMeasure, actor: Any) -> None:
    point = control.risk_point
    if not point.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以停用防控措施")
    if not control.is_active:
        raise ServiceError("该防控措施已停用")
    control.is_active = False
    control.retired_at = utcnow()
    db.session.flush()
    _audit("retire_control", "risk_point", point.id, actor, point.branch_id,
           before={"control": control.id, "is_active": True},
           after={"control": control.id, "is_active": False}, summary=control.text[:60])  # fmt: skip


# --- reviews -----------------------------------------------------------------------


def record_review(point: RiskPoint, data: dict[str, Any], actor: Any) -> RiskReview:
    """Record (and close) one periodic review: per-control results, findings, the level
    at that moment; sets the point's next review date from its cycle."""
    if not point.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以记录排查")
    if not point.is_active:
        raise ServiceError("该风险点已停用，不能排查")
    errors: dict[str, str] = {}
    day = data.get("reviewed_on")
    if not isinstance(day, date):
        errors["reviewed_on"] = "请填写排查日期"
    elif day > local_today():
        errors["reviewed_on"] = "排查日期不能晚于今天"
    findings = _check_text(errors, data, "findings", "发现的问题", TEXT_MAX, False)
    results: dict[int, ControlResult] = {}
    raw_results = data.get("results") or {}
    for control in point.controls:
        if not control.is_active:
            continue
        value = raw_results.get(control.id) or raw_results.get(str(control.id))
        if value not in ControlResult.__members__:
            errors[f"result-{control.id}"] = "请选择该措施的落实情况"
        else:
            results[control.id] = ControlResult(value)
    assessed: dict[str, Any] = {}
    if not errors:
        try:
            assessed = assess(
                {
                    "level": point.level,
                    "likelihood": point.likelihood,
                    "impact": point.impact,
                    "residual_likelihood": data.get("residual_likelihood"),
                    "residual_impact": data.get("residual_impact"),
                    "residual_reason": data.get("residual_reason"),
                },
                require_inherent=False,
            )
        except ValidationFailed as exc:
            errors.update(exc.errors)
    not_done = any(r != ControlResult.done for r in results.values())
    if not errors and not_done and not findings:
        errors["findings"] = "有措施未完全落实，请填写发现的问题"
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(point, ("residual_level", "next_review_on", "last_reviewed_on"))
    next_on = add_months(day, point.cycle_months)
    review = RiskReview(
        risk_point=point,
        branch_id=point.branch_id,
        reviewed_on=day,
        reviewer_id=getattr(actor, "id", None),
        reviewer_name=getattr(actor, "label", ""),
        findings=findings,
        level=point.level,
        residual_level=assessed["residual_level"],
        likelihood=assessed["residual_likelihood"] or point.likelihood,
        impact=assessed["residual_impact"] or point.impact,
        next_review_on=next_on,
    )
    db.session.add(review)
    for control_id, result in results.items():
        db.session.add(ReviewResult(review=review, control_id=control_id, result=result))
    if assessed["residual_level"] is not None:
        point.residual_likelihood = assessed["residual_likelihood"]
        point.residual_impact = assessed["residual_impact"]
        point.residual_level = assessed["residual_level"]
        point.residual_reason = assessed["residual_reason"]
    if point.last_reviewed_on is None or day >= point.last_reviewed_on:
        # The latest review sets the schedule; a late-entered older one does not.
        point.last_reviewed_on = day
        point.next_review_on = next_on
    db.session.flush()
    _audit("risk_review", "risk_point", point.id, actor, point.branch_id, before=before,
           after=audit.snapshot(point, ("residual_level", "next_review_on", "last_reviewed_on"))
           | {"review": review.id, "findings": findings}, summary=point.title[:60])  # fmt: skip
    return review


# --- rectifications ---------------------------------------------------------------------


def _rectification_fields(point: RiskPoint, data: dict[str, Any], opened_on: date) -> dict:
    errors: dict[str, str] = {}
    fields = {
        "problem": _check_text(errors, data, "problem", "问题", TEXT_MAX, True),
        "measure": _check_text(errors, data, "measure", "整改措施", TEXT_MAX, True),
    }
    responsible = None
    if parse_id(data.get("responsible_id")) is not None:
        responsible = db.session.get(Member, parse_id(data["responsible_id"]))
    if responsible is None or responsible.branch_id != point.branch_id or not responsible.is_active:
        errors["responsible_id"] = "请选择本支部在册党员为整改责任人"
    else:
        fields["responsible_id"] = responsible.id
    deadline = data.get("deadline")
    if not isinstance(deadline, date):
        errors["deadline"] = "请填写整改期限"
    elif deadline < opened_on:
        errors["deadline"] = "整改期限不能早于今天"
    else:
        fields["deadline"] = deadline
    if errors:
        raise ValidationFailed(errors)
    return fields


def _notify_responsible(r: Rectification, title: str) -> None:
    from partybuild.auth.models import User

    user_ids = db.session.scalars(
        sa.select(User.id).where(User.member_id == r.responsible_id, User.is_active_account)
    ).all()
    for user_id in user_ids:
        notify(user_id, "rectification", title, body=r.measure[:80],
               link=f"/integrity/rectifications/{r.id}")  # fmt: skip


def open_rectification(
    point: RiskPoint, data: dict[str, Any], actor: Any, review: RiskReview | None = None
) -> Rectification:
    if not point.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以下达整改")
    today = local_today()
    fields = _rectification_fields(point, data, today)
    r = Rectification(
        risk_point=point,
        review=review,
        branch_id=point.branch_id,
        opened_on=today,
        opened_by_id=getattr(actor, "id", None),
        state=RectificationState.open,
        **fields,
    )
    db.session.add(r)
    point.open_rectifications += 1
    db.session.flush()
    _notify_responsible(r, f"请落实整改：期限 {cn_date(r.deadline)}")
    _audit("create", "rectification", r.id, actor, r.branch_id,
           after=audit.snapshot(r, Rectification.AUDIT_FIELDS), summary=r.problem[:60])  # fmt: skip
    return r


def edit_rectification(r: Rectification, data: dict[str, Any], actor: Any, version_id=None):
    r.lifecycle.check(r, RectificationAction.edit, actor)
    check_version(r, version_id, "该整改")
    fields = _rectification_fields(r.risk_point, data, min(r.opened_on, local_today()))
    before = audit.snapshot(r, Rectification.AUDIT_FIELDS)
    for key, value in fields.items():
        setattr(r, key, value)
    db.session.flush()
    _audit("update", "rectification", r.id, actor, r.branch_id, before=before,
           after=audit.snapshot(r, Rectification.AUDIT_FIELDS), summary=r.problem[:60])  # fmt: skip


def act_on_rectification(
    r: Rectification, action: RectificationAction | str, actor: Any, note: str = ""
) -> None:
    """start / report_done / reject / verify / reopen, as the lifecycle table allows."""
    action = RectificationAction(action)
    if action == RectificationAction.edit:
        raise ServiceError("请使用修改整改措施的表单")
    new_state = r.lifecycle.check(r, action, actor)
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise ValidationFailed({"text": f"说明不能超过{TEXT_MAX}个字"})
    if action in (RectificationAction.report_done, RectificationAction.reject) and not note:
        what = "整改完成情况" if action == RectificationAction.report_done else "退回原因"
        raise ValidationFailed({"text": f"请填写{what}"})
    before = r.state
    point = r.risk_point
    if action == RectificationAction.report_done:
        r.done_at, r.done_by_id, r.done_note = utcnow(), getattr(actor, "id", None), note
    elif action == RectificationAction.reject:
        r.done_at, r.done_by_id, r.return_comment = None, None, note
    elif action == RectificationAction.verify:
        r.verified_at, r.verified_by_id = utcnow(), actor.id
        r.verified_by_name, r.verify_note = getattr(actor, "label", ""), note
        point.open_rectifications = max(0, point.open_rectifications - 1)
    elif action == RectificationAction.reopen:
        r.verified_at = r.verified_by_id = None
        r.done_at = r.done_by_id = None
        r.verified_by_name, r.return_comment = "", note
        point.open_rectifications += 1
    r.state = new_state
    db.session.flush()
    if action in (RectificationAction.reject, RectificationAction.reopen):
        _notify_responsible(r, f"整改被{action.label}：{note[:40]}")
    _audit(f"rectification_{action.value}", "rectification", r.id, actor, r.branch_id,
           before={"state": before}, after={"state": r.state, **({"note": note} if note else {})},
           summary=r.problem[:60])  # fmt: skip


# --- reminders and acknowledgements ---------------------------------------------------------


def record_reminder(branch: Branch, data: dict[str, Any], actor: Any) -> Reminder:
    if not branch.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以记录提醒谈话")
    errors: dict[str, str] = {}
    member = None
    if parse_id(data.get("member_id")) is not None:
        member = db.session.get(Member, parse_id(data["member_id"]))
    if member is None or member.branch_id != branch.id:
        errors["member_id"] = "请选择本支部党员"
    day = data.get("talked_on")
    if not isinstance(day, date):
        errors["talked_on"] = "请填写谈话日期"
    elif day > local_today():
        errors["talked_on"] = "谈话日期不能晚于今天"
    point = None
    if parse_id(data.get("risk_point_id")) is not None:
        point = db.session.get(RiskPoint, parse_id(data["risk_point_id"]))
        if point is None or point.branch_id != branch.id:
            errors["risk_point_id"] = "请选择本支部的风险点"
    reminder = dict(
        reminder_name=_check_text(errors, data, "reminder_name", "谈话人", NAME_MAX, True),
        reason=_check_text(errors, data, "reason", "谈话事由", TEXT_MAX, True),
        content=_check_text(errors, data, "content", "谈话内容", TEXT_MAX, False),
        follow_up=_check_text(errors, data, "follow_up", "后续跟进", TEXT_MAX, False),
    )
    if errors:
        raise ValidationFailed(errors)
    row = Reminder(
        branch_id=branch.id,
        member_id=member.id,
        risk_point_id=point.id if point else None,
        talked_on=day,
        recorded_by_id=getattr(actor, "id", None),
        **reminder,
    )
    db.session.add(row)
    db.session.flush()
    # The summary names no one: the audit log is read more widely than the reminder.
    _audit("risk_reminder", "risk_reminder", row.id, actor, branch.id,
           after={"member_id": member.id, "talked_on": day.isoformat()}, summary="提醒谈话")  # fmt: skip
    return row


def post_points(member: Member) -> sa.Select:
    """The active risk points of a member's post."""
    return (
        sa.select(RiskPoint)
        .where(RiskPoint.post_id == member.post_id, RiskPoint.is_active.is_(True))
        .order_by(RiskPoint.level, RiskPoint.id)
    )


def acknowledge(member: Member, actor: Any, today: date | None = None) -> int:
    """The member confirms they know every active risk point of their post this year;
    returns how many were newly acknowledged."""
    if getattr(actor, "member_id", None) != member.id:
        raise PermissionDenied("只能由党员本人确认")
    if member.post_id is None:
        raise ServiceError("您还没有登记岗位，暂无需要确认的风险点")
    year = (today or local_today()).year
    done = set(
        db.session.scalars(
            sa.select(Acknowledgement.risk_point_id).where(
                Acknowledgement.member_id == member.id, Acknowledgement.year == year
            )
        )
    )
    new = [p for p in db.session.scalars(post_points(member)) if p.id not in done]
    if not new:
        raise ServiceError(f"本岗位的风险点您在{year}年都已确认知晓")
    for point in new:
        db.session.add(Acknowledgement(risk_point_id=point.id, member_id=member.id, year=year))
    db.session.flush()
    _audit("acknowledge_risks", "member", member.id, actor, member.branch_id,
           after={"year": year, "points": [p.id for p in new]},
           summary=f"{year}年确认知晓{len(new)}个风险点")  # fmt: skip
    return len(new)


__all__ = [
    "acknowledge",
    "act_on_rectification",
    "add_control",
    "assess",
    "create_point",
    "open_rectification",
    "record_reminder",
    "record_review",
    "retire_control",
    "retire_point",
    "update_point",
]
