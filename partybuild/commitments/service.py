"""Commitment services: one function per verb of the lifecycle.

Each verb asks ``check_transition`` (role + branch scope + state, from the
transition table), validates its input before touching anything, changes the
state, writes a timeline event and an audit entry, and flushes. Nothing here
commits or reads the request.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from partybuild.auth.models import User
from partybuild.commitments.models import (
    EVALUATION_KIND_ACTORS,
    Action,
    Actor,
    BatchStatus,
    CommentState,
    Commitment,
    CommitmentBatch,
    CommitmentEvent,
    CommitmentState,
    Evaluation,
    EvaluationKind,
    FulfilmentRecord,
    PublicRating,
    RatingLevel,
    RecordEvidence,
    SupervisionNote,
    check_transition,
)
from partybuild.core import audit, jobs, public_rating, storage
from partybuild.core.db import utcnow
from partybuild.core.notifications import notify_each
from partybuild.core.permissions import Role
from partybuild.core.service import (
    PermissionDenied,
    ServiceError,
    ValidationFailed,
    check_version,
)
from partybuild.core.settings import setting
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Member

logger = logging.getLogger(__name__)

CONTENT_MAX, TARGET_MAX, MEASURES_MAX, TEXT_MAX = 500, 300, 1000, 1000


# --- helpers -----------------------------------------------------------------------


def _actor_name(actor: Any) -> str:
    if actor is None:
        return "系统"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "label", None) or getattr(actor, "username", "")


# The member's own steps: done by anyone else they are 代填 (entered on the member's behalf).
OWNER_STEPS = frozenset({"create", "edit", "submit", "add_record", "request_evaluation"})


def _by_proxy(c: Commitment, action: str, actor: Any) -> bool:
    """A member's step done by somebody else (the branch secretary): 代填."""
    if actor is None or isinstance(actor, str) or str(action) not in OWNER_STEPS:
        return False
    return getattr(actor, "member_id", None) != c.member_id


def _event(
    c: Commitment,
    action: str,
    before: CommitmentState | None,
    actor: Any,
    comment: str = "",
    record: FulfilmentRecord | None = None,
    at: datetime | None = None,
    by_proxy: bool | None = None,
) -> CommitmentEvent:
    if by_proxy is None:
        by_proxy = _by_proxy(c, action, actor)
    event = CommitmentEvent(
        by_proxy=by_proxy,
        commitment=c,
        action=str(action),
        from_state=before,
        to_state=c.state,
        actor_id=getattr(actor, "id", None) if not isinstance(actor, str) else None,
        actor_name=_actor_name(actor),
        in_stead=_in_stead(c, action, actor),
        comment=comment,
        record=record,
        created_at=at or utcnow(),
    )
    db.session.add(event)
    return event


def _in_stead(c: Commitment, action: str, actor: Any) -> str:
    """ "由副书记 王五 代为审核通过并亮诺" when the actor stands in for the secretary."""
    if actor is None or isinstance(actor, str):
        return ""
    prefix = c.in_stead(actor)
    if not prefix:
        return ""
    try:
        label = Action(str(action)).label
    except ValueError:
        label = "办理"
    return f"{prefix}{label}（回避：本人承诺）"[:120]


def _audit(
    c: Commitment,
    action: str,
    actor: Any,
    before: dict,
    after: dict,
    summary: str = "",
    by_proxy: bool | None = None,
):
    if by_proxy is None:
        by_proxy = _by_proxy(c, action, actor)
    if by_proxy:  # the audit log names whom the step was done for
        after = {**after, "proxy_for": f"{c.member.name}（代填）"}
    audit.record(
        action,
        "commitment",
        c.id,
        actor=actor,
        branch_id=c.branch_id,
        before=before,
        after=after,
        summary=summary or c.content[:60],
    )


def _notify_owner(c: Commitment, title: str, body: str = "", *, key: str = "") -> None:
    """Tell the member; ``key`` names the step (with the row's version it makes the
    dedupe key: the same step notified twice in one change is one notification)."""
    notify_each(
        _owner_accounts(),
        "commitment",
        title,
        body=body,
        link=jobs.url_path("commitments.detail", commitment_id=c.id),
        dedupe_key=f"commitment-{key}:{c.id}:{c.version_id}" if key else None,
        params={"member_id": c.member_id},
    )


@cache
def _owner_accounts() -> sa.Select:
    """The member's active accounts (``member_id`` parameter), built once."""
    return sa.select(User.id).where(
        User.member_id == sa.bindparam("member_id"), User.is_active_account.is_(True)
    )


def _notify_secretaries(
    c: Commitment,
    kind: str,
    title: str,
    body: str,
    link: str,
    dedupe_key: str,
    actor: Any = None,
) -> None:
    """Tell whoever acts as the secretary (``conflicts.acting_user_ids``); not the one
    who did it herself (代填)."""
    from partybuild.commitments import conflicts

    users, params = conflicts.acting_users(c.member_id, c.branch_id)
    notify_each(
        _others(users),
        kind,
        title,
        body=body,
        link=link,
        dedupe_key=dedupe_key,
        params={**params, "skip_id": getattr(actor, "id", None) or 0},
    )


@cache
def _others(users: sa.Select) -> sa.Select:
    """``users`` without the account ``skip_id`` (0: nobody), built once."""
    return users.where(User.id != sa.bindparam("skip_id"))


def _move(
    c: Commitment,
    action: Action,
    actor: Any,
    comment: str = "",
    *,
    to: CommitmentState,
    **audit_after: Any,
):
    """Move ``c`` to ``to``, what ``check_transition`` gave for ``action`` (the caller
    checks first, before touching the row), with event and audit entry."""
    before = c.state
    c.state = to
    _event(c, action, before, actor, comment)
    _audit(
        c,
        action.value,
        actor,
        {"state": before},
        {"state": c.state, **({"comment": comment} if comment else {}), **audit_after},
    )
    db.session.flush()


def _required_text(value: Any, field_name: str, label: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed({field_name: f"请填写{label}"})
    if len(text) > limit:
        raise ValidationFailed({field_name: f"{label}不能超过{limit}个字"})
    return text


def active_items(batch_id: int, member_id: int) -> int:
    """Commitments a member has in a batch, not counting withdrawn ones."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Commitment.id)).where(
                Commitment.batch_id == batch_id,
                Commitment.member_id == member_id,
                Commitment.is_withdrawn.is_(False),
            )
        )
        or 0
    )


# --- batches -----------------------------------------------------------------------


def batch_problems(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = "请填写批次名称，如“2026年度党员承诺”"
    elif len(title) > 120:
        errors["title"] = "批次名称不能超过120个字"
    labels = {
        "commit_start": "承诺期开始日期",
        "commit_end": "承诺期结束日期",
        "evaluation_start": "评诺开始日期",
        "evaluation_end": "评诺截止日期",
    }
    for key, label in labels.items():
        if not isinstance(data.get(key), date):
            errors[key] = f"请填写{label}"
    for key, label in (("entry_start", "开放填报开始日期"), ("entry_end", "开放填报截止日期")):
        if data.get(key) is not None and not isinstance(data.get(key), date):
            errors[key] = f"{label}格式不正确"
    if errors:
        return errors
    if data["commit_end"] < data["commit_start"]:
        errors["commit_end"] = "承诺期结束日期不能早于开始日期"
    entry_start, entry_end = _entry_window(data)
    if entry_end < entry_start:
        errors["entry_end"] = "开放填报截止日期不能早于开始日期"
    elif entry_end > data["commit_end"]:
        errors["entry_end"] = (
            f"开放填报截止日期不能晚于承诺期结束日期（{data['commit_end']:%Y-%m-%d}）"
        )
    if data["evaluation_start"] < data["commit_start"]:
        errors["evaluation_start"] = "评诺开始日期不能早于承诺开始日期"
    if data["evaluation_end"] < data["evaluation_start"]:
        errors["evaluation_end"] = "评诺截止日期不能早于评诺开始日期"
    return errors


BATCH_KEYS = ("title", "commit_start", "commit_end", "evaluation_start", "evaluation_end")


def _entry_window(data: dict[str, Any]) -> tuple[date, date]:
    """开放填报 from–to; left empty, it is the batch's own period (承诺期)."""
    return (
        data.get("entry_start") or data["commit_start"],
        data.get("entry_end") or data["commit_end"],
    )


def create_batch(branch: Branch, data: dict[str, Any], actor: Any) -> CommitmentBatch:
    if not branch.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以开设承诺批次")
    errors = batch_problems(data)
    title = (data.get("title") or "").strip()
    if not errors and db.session.scalar(
        sa.select(CommitmentBatch.id).where(
            CommitmentBatch.branch_id == branch.id, CommitmentBatch.title == title
        )
    ):
        errors["title"] = "本支部已有同名承诺批次"
    if errors:
        raise ValidationFailed(errors)
    entry_start, entry_end = _entry_window(data)
    batch = CommitmentBatch(
        branch_id=branch.id,
        created_by_id=getattr(actor, "id", None),
        entry_start=entry_start,
        entry_end=entry_end,
        **{k: data[k] for k in BATCH_KEYS},
    )
    batch.title = title
    db.session.add(batch)
    db.session.flush()
    audit.record(
        "create",
        "commitment_batch",
        batch.id,
        actor=actor,
        branch_id=branch.id,
        after=audit.snapshot(batch, CommitmentBatch.AUDIT_FIELDS),
        summary=title,
    )
    return batch


def update_batch(
    batch: CommitmentBatch, data: dict[str, Any], actor: Any, version_id: int | None = None
) -> None:
    if not batch.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以修改承诺批次")
    check_version(batch, version_id, "该批次")
    errors = batch_problems(data)
    title = (data.get("title") or "").strip()
    if not errors and db.session.scalar(
        sa.select(CommitmentBatch.id).where(
            CommitmentBatch.branch_id == batch.branch_id,
            CommitmentBatch.title == title,
            CommitmentBatch.id != batch.id,
        )
    ):
        errors["title"] = "本支部已有同名承诺批次"
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(batch, CommitmentBatch.AUDIT_FIELDS)
    for key in BATCH_KEYS:
        setattr(batch, key, data[key])
    batch.entry_start, batch.entry_end = _entry_window(data)
    batch.title = title
    db.session.flush()
    audit.record(
        "update",
        "commitment_batch",
        batch.id,
        actor=actor,
        branch_id=batch.branch_id,
        before=before,
        after=audit.snapshot(batch, CommitmentBatch.AUDIT_FIELDS),
        summary=title,
    )


def set_batch_status(
    batch: CommitmentBatch, status: BatchStatus, actor: Any, note: str = ""
) -> None:
    """结束 (closed) or 重新开放 (open). What ending changes is ``batch.end_rules()``:
    the lifecycle guard, the entry window and the rating rule enforce it."""
    if not batch.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以结束或重开承诺批次")
    status = BatchStatus(status)
    if batch.status == status:
        raise ServiceError(f"该批次已是“{status.label}”状态")
    note = (note or "").strip()
    if len(note) > 255:
        raise ValidationFailed({"note": "说明不能超过255个字"})
    before = batch.status
    batch.status = status
    db.session.flush()
    audit.record(
        "close" if status == BatchStatus.closed else "reopen",
        "commitment_batch",
        batch.id,
        actor=actor,
        branch_id=batch.branch_id,
        before={"status": before},
        after={"status": status, **({"note": note} if note else {})},
        summary=batch.title,
    )


# --- writing commitments (承诺) ---------------------------------------------------------


def commitment_problems(data: dict[str, Any], batch: CommitmentBatch) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.get("category") not in setting("COMMITMENT_CATEGORIES"):
        errors["category"] = "请选择承诺类别"
    for key, label, limit, required in (
        ("content", "承诺内容", CONTENT_MAX, True),
        ("target", "可衡量的目标", TARGET_MAX, True),
        ("measures", "践诺措施", MEASURES_MAX, False),
    ):
        text = (data.get(key) or "").strip()
        if required and not text:
            errors[key] = f"请填写{label}"
        elif len(text) > limit:
            errors[key] = f"{label}不能超过{limit}个字"
    deadline = data.get("deadline")
    if not isinstance(deadline, date):
        errors["deadline"] = "请填写完成时限"
    elif deadline < batch.commit_start:
        errors["deadline"] = "完成时限不能早于本批次承诺开始日期"
    elif deadline > batch.evaluation_end:
        errors["deadline"] = (
            f"完成时限不能晚于本批次评诺截止日期（{batch.evaluation_end:%Y-%m-%d}）"
        )
    return errors


def _clean_commitment(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "category": data["category"],
        "content": data["content"].strip(),
        "target": data["target"].strip(),
        "measures": (data.get("measures") or "").strip(),
        "deadline": data["deadline"],
    }


def check_can_create(batch: CommitmentBatch, member: Member, actor: Any = None) -> None:
    """Raise if the member cannot add a commitment to the batch now (asked before the form).
    Anyone who joined the branch may join a batch while its entry window (开放填报) is open,
    however late they were added; outside it the message names the date that applies."""
    if member.branch_id != batch.branch_id or not member.is_active:
        raise PermissionDenied("该承诺批次不属于您所在的党支部")
    if actor is not None:
        check_may_enter_for(batch, member, actor)
    refusal = batch.entry_refusal(local_today())
    if refusal:
        raise ServiceError(refusal, code="window")
    most = setting("COMMITMENT_MAX_ITEMS")
    if active_items(batch.id, member.id) >= most:
        raise ServiceError(f"每批次最多填写 {most} 项承诺")


def is_proxy_entry(member: Member, actor: Any) -> bool:
    return getattr(actor, "member_id", None) != member.id


def check_may_enter_for(batch: CommitmentBatch, member: Member, actor: Any) -> None:
    """The member writes their own; the branch's secretary may enter one for any active
    member of her branch (代填), nobody else for anybody else."""
    if not is_proxy_entry(member, actor):
        if actor.role not in (Role.member, Role.secretary, Role.admin):
            raise PermissionDenied("只能为本人填写承诺")
        return
    if not (
        getattr(actor, "role", None) == Role.secretary
        and actor.manages_branch(batch.branch_id)
        and member.branch_id == batch.branch_id
    ):
        raise PermissionDenied("只能为本人填写承诺；代填须由该党员所在党支部的书记办理")


def create_commitment(
    batch: CommitmentBatch, member: Member, data: dict[str, Any], actor: Any
) -> Commitment:
    """A member writes one commitment item (a draft) in a batch, or the branch secretary
    enters it on the member's behalf (代填, marked on the row, timeline and audit)."""
    check_may_enter_for(batch, member, actor)
    check_can_create(batch, member)
    proxy = is_proxy_entry(member, actor)
    errors = commitment_problems(data, batch)
    if errors:
        raise ValidationFailed(errors)
    c = Commitment(
        batch_id=batch.id,
        branch_id=batch.branch_id,
        member_id=member.id,
        state=CommitmentState.draft,
        **_clean_commitment(data),
    )
    if proxy:
        c.entered_by_id = actor.id
        c.entered_by_name = _actor_name(actor)[:80]
    db.session.add(c)
    db.session.flush()
    _event(c, "create", None, actor)
    _audit(c, "create", actor, {}, audit.snapshot(c, Commitment.AUDIT_FIELDS))
    if proxy:
        _notify_owner(
            c,
            f"支部书记{_actor_name(actor)}为您代填了一项承诺",
            f"“{batch.title}”：{c.content[:60]}",
            key="proxy-created",
        )
    return c


def update_commitment(
    c: Commitment, data: dict[str, Any], actor: Any, version_id: int | None = None
) -> None:
    check_transition(c, Action.edit, actor)
    check_version(c, version_id, "该承诺")
    errors = commitment_problems(data, c.batch)
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(c, Commitment.AUDIT_FIELDS)
    for key, value in _clean_commitment(data).items():
        setattr(c, key, value)
    db.session.flush()
    _event(c, Action.edit, c.state, actor)
    _audit(c, "update", actor, before, audit.snapshot(c, Commitment.AUDIT_FIELDS))


def submit_commitment(c: Commitment, actor: Any) -> None:
    to = check_transition(c, Action.submit, actor)
    batch = c.batch
    # A draft sent back for revision may be submitted again after the entry window.
    refusal = None if c.return_comment else batch.entry_refusal(local_today())
    if refusal:
        raise ServiceError(f"{refusal}，不能提交", code="window")
    least, most = setting("COMMITMENT_MIN_ITEMS"), setting("COMMITMENT_MAX_ITEMS")
    count = active_items(c.batch_id, c.member_id)
    if not least <= count <= most:
        who = "您" if getattr(actor, "member_id", None) == c.member_id else c.member.name
        raise ServiceError(
            f"每批次须填写 {least}–{most} 项承诺后再提交，{who}目前在本批次有 {count} 项"
        )
    c.submitted_at = utcnow()
    _move(c, Action.submit, actor, to=to)
    # One notification per member, batch and day: "submit all" sends several at once.
    _notify_secretaries(
        c,
        "commitment_submitted",
        f"{c.member.name}提交了承诺，待审核",
        f"“{c.batch.title}”：{c.content[:60]}",
        jobs.url_path("commitments.review"),
        f"commitment-submitted:{c.batch_id}:{c.member_id}:{local_today().isoformat()}",
        actor,
    )


def submit_all(batch: CommitmentBatch, member: Member, actor: Any) -> int:
    """Submit every draft the member has in the batch; returns how many. The secretary
    submitting for a member (代填) submits the drafts she entered for them."""
    stmt = (
        sa.select(Commitment)
        .where(
            Commitment.batch_id == batch.id,
            Commitment.member_id == member.id,
            Commitment.state == CommitmentState.draft,
            Commitment.is_withdrawn.is_(False),
        )
        .order_by(Commitment.id)
    )
    if is_proxy_entry(member, actor):
        stmt = stmt.where(Commitment.entered_by_id.is_not(None))
    drafts = db.session.scalars(stmt).all()
    if not drafts:
        raise ServiceError("没有可提交的承诺草稿")
    for c in drafts:
        submit_commitment(c, actor)
    return len(drafts)


# --- review (亮诺) ---------------------------------------------------------------------


def return_for_revision(c: Commitment, comment: str, actor: Any) -> None:
    to = check_transition(c, Action.return_for_revision, actor)
    comment = _required_text(comment, "comment", "退回意见", TEXT_MAX)
    c.return_comment = comment
    _move(c, Action.return_for_revision, actor, comment, to=to)
    _notify_owner(c, "您的承诺被退回修改", comment, key="returned")


def publish_commitment(c: Commitment, actor: Any) -> None:
    to = check_transition(c, Action.publish, actor)
    c.published_at = utcnow()
    c.published_by_id = getattr(actor, "id", None)
    c.return_comment = ""
    _move(c, Action.publish, actor, to=to)
    _notify_owner(c, "您的承诺已审核通过并公开亮诺", c.content[:80], key="published")


# --- keeping the commitment (践诺) -------------------------------------------------------


def add_fulfilment_record(
    c: Commitment, data: dict[str, Any], files: list[Any], actor: Any
) -> FulfilmentRecord:
    """A dated record of what was done, with the progress reached and evidence files."""
    to = check_transition(c, Action.add_record, actor)
    text = _required_text(data.get("text"), "text", "践诺情况", TEXT_MAX)
    recorded_on = data.get("recorded_on")
    if not isinstance(recorded_on, date):
        raise ValidationFailed({"recorded_on": "请填写日期"})
    if recorded_on > local_today():
        raise ValidationFailed({"recorded_on": "日期不能晚于今天"})
    if c.published_at and recorded_on < c.batch.commit_start:
        raise ValidationFailed({"recorded_on": "日期不能早于本批次承诺开始日期"})
    progress = data.get("progress")
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValidationFailed({"progress": "完成进度应为 0–100 之间的整数"})
    if progress < c.progress:
        raise ValidationFailed({"progress": f"完成进度不能低于已记录的 {c.progress}%"})
    files = [f for f in files or [] if f is not None and getattr(f, "filename", True)]
    if len(files) > setting("COMMITMENT_MAX_FILES"):
        raise ValidationFailed(
            {"files": f"每条记录最多上传 {setting('COMMITMENT_MAX_FILES')} 个文件"}
        )
    # Check every file before storing any, so a bad one leaves nothing behind.
    uploads = [storage.read_upload(f) for f in files]
    for name, body in uploads:
        try:
            storage.check_file(name, body)
        except ServiceError as exc:
            raise ValidationFailed({"files": exc.message}) from None

    record = FulfilmentRecord(
        commitment=c,
        recorded_on=recorded_on,
        text=text,
        progress=progress,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(record)
    for upload in uploads:
        stored = storage.save_upload(upload, domain="commitments", actor=actor)
        db.session.add(RecordEvidence(record=record, file=stored))
    before = {"state": c.state, "progress": c.progress}
    from_state = c.state
    c.state = to
    c.progress = progress
    c.record_count += 1
    c.evidence_count += len(uploads)
    c.last_record_on = max(recorded_on, c.last_record_on or recorded_on)
    _event(c, Action.add_record, from_state, actor, text, record=record)
    db.session.flush()  # the record's id, for the audit entry
    _audit(
        c,
        Action.add_record.value,
        actor,
        before,
        {"state": c.state, "progress": progress, "record_id": record.id, "files": len(uploads)},
    )
    db.session.flush()
    return record


def add_supervision_note(c: Commitment, text: str, actor: Any) -> SupervisionNote:
    to = check_transition(c, Action.supervise, actor)
    text = _required_text(text, "text", "督促内容", TEXT_MAX)
    note = SupervisionNote(
        commitment=c,
        text=text,
        created_by_id=getattr(actor, "id", None),
        created_by_name=_actor_name(actor),
    )
    db.session.add(note)
    _move(c, Action.supervise, actor, text, to=to)
    _notify_owner(c, "支部书记督促您的承诺", text)
    return note


def _live_evidence_count(c: Commitment) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(RecordEvidence.id))
            .join(FulfilmentRecord, RecordEvidence.record_id == FulfilmentRecord.id)
            .join(storage.StoredFile, RecordEvidence.file_id == storage.StoredFile.id)
            .where(
                FulfilmentRecord.commitment_id == c.id,
                storage.StoredFile.is_retired.is_(False),
            )
        )
        or 0
    )


def retire_evidence(c: Commitment, file_id: int, reason: str, actor: Any) -> RecordEvidence:
    """Take a wrongly uploaded file out of use; the file and its row stay for the record."""
    check_transition(c, Action.retire_evidence, actor)
    link = db.session.scalar(
        sa.select(RecordEvidence)
        .join(FulfilmentRecord, RecordEvidence.record_id == FulfilmentRecord.id)
        .where(RecordEvidence.file_id == file_id, FulfilmentRecord.commitment_id == c.id)
    )
    if link is None:
        raise ServiceError("该证明材料不属于这项承诺", code="not_found")
    stored = link.file
    if stored.is_retired:
        raise ServiceError(f"证明材料“{stored.original_name}”已停用")
    reason = _required_text(reason, "text", "停用原因", 255)
    if c.state == CommitmentState.awaiting_evaluation and _live_evidence_count(c) <= 1:
        raise ServiceError(
            "该承诺已申请评诺，至少须保留一份证明材料。如需更换，"
            "请支部书记“退回继续践诺”，补充正确的材料后再停用这一份。"
        )
    before = c.evidence_count
    storage.retire_file(stored, reason, actor)
    c.evidence_count = max(0, c.evidence_count - 1)
    db.session.flush()
    _event(c, Action.retire_evidence, c.state, actor, f"停用“{stored.original_name}”：{reason}")
    _audit(
        c,
        Action.retire_evidence.value,
        actor,
        {"evidence_count": before},
        {
            "evidence_count": c.evidence_count,
            "file_id": stored.id,
            "file": stored.original_name,
            "reason": reason,
        },
    )
    return link


def request_evaluation(c: Commitment, actor: Any) -> None:
    to = check_transition(c, Action.request_evaluation, actor)
    if not _live_evidence_count(c):
        raise ServiceError("申请评诺前，须至少有一条附证明材料的践诺记录")
    c.evaluation_requested_at = utcnow()
    c.requested_days_left = (c.deadline - local_today()).days
    _move(c, Action.request_evaluation, actor, to=to)
    _notify_secretaries(
        c,
        "commitment_evaluation",
        f"{c.member.name}申请评诺",
        f"“{c.content[:60]}”，进度 {c.progress}%，请组织评诺",
        jobs.url_path("commitments.detail", commitment_id=c.id),
        f"commitment-evaluation-requested:{c.id}:{c.version_id}",
        actor,
    )


def reopen_fulfilment(c: Commitment, comment: str, actor: Any) -> None:
    """Send an evaluation request back: the record is not yet convincing."""
    to = check_transition(c, Action.reopen, actor)
    comment = _required_text(comment, "comment", "退回理由", TEXT_MAX)
    _move(c, Action.reopen, actor, comment, to=to)
    _notify_owner(c, "评诺申请被退回，请继续践诺", comment, key="reopened")


def close_not_fulfilled(c: Commitment, reason: str, actor: Any) -> None:
    """Close a commitment that cannot be kept for an objective reason (explained publicly)."""
    to = check_transition(c, Action.close_not_fulfilled, actor)
    reason = _required_text(reason, "reason", "未能践诺的原因说明（将公开显示）", TEXT_MAX)
    c.closed_at = utcnow()
    c.closed_reason = reason
    _move(c, Action.close_not_fulfilled, actor, reason, to=to)
    _notify_owner(c, "您的承诺已关闭为“未践诺”", reason)


# --- evaluation (评诺) -------------------------------------------------------------------


def record_evaluation(
    c: Commitment,
    kind: EvaluationKind | str,
    score: Any,
    comment: str,
    actor: Any,
    evaluator_name: str = "",
) -> Evaluation:
    check_transition(c, Action.record_evaluation, actor)
    try:
        kind = EvaluationKind(kind)
    except ValueError:
        raise ValidationFailed({"kind": "请选择评价类型"}) from None
    allowed = EVALUATION_KIND_ACTORS[kind]
    actors = c.actors(actor)
    if not allowed & actors:
        who = (
            "承诺党员本人（无账号的党员由支部书记代填）"
            if kind == EvaluationKind.self_
            else "本支部书记"
        )
        raise PermissionDenied(f"{kind.label}只能由{who}填写")
    # 党员述 entered by the secretary for a member without an account is 代填.
    proxy = kind == EvaluationKind.self_ and Actor.owner not in actors
    # The branch evaluates at its 评诺 meeting; the member may describe their own earlier.
    if kind != EvaluationKind.self_ and c.batch.evaluation_phase(local_today()) == "before":
        raise ServiceError(
            f"{_window(c)}，评诺期开始前不能录入{kind.label}；党员可先填写自评（党员述）",
            code="window",
        )
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise ValidationFailed({"score": "评分应为 0–100 之间的整数"})
    comment = (comment or "").strip()
    if len(comment) > TEXT_MAX:
        raise ValidationFailed({"comment": f"评语不能超过{TEXT_MAX}个字"})
    evaluator_name = (evaluator_name or "").strip()[:80]
    if kind == EvaluationKind.leader:
        # 领导点 is the leader's own comment: it is recorded under the leader's name, and
        # the leader is not the member being evaluated (回避).
        if not evaluator_name:
            raise ValidationFailed({"evaluator_name": "领导点评须填写点评领导的姓名"})
        if evaluator_name == c.member.name:
            raise ValidationFailed({"evaluator_name": "点评领导不能是承诺党员本人"})
    # 党员述 is the member's own words, also when the secretary enters it for them.
    evaluator_name = evaluator_name or (c.member.name if proxy else _actor_name(actor))
    existing = db.session.scalar(
        sa.select(Evaluation).where(Evaluation.commitment_id == c.id, Evaluation.kind == kind)
    )
    before = {"score": existing.score, "comment": existing.comment} if existing else {}
    if existing is None:
        existing = Evaluation(commitment=c, kind=kind)
        db.session.add(existing)
    existing.score = score
    existing.comment = comment
    existing.evaluator_name = evaluator_name
    existing.recorded_by_id = getattr(actor, "id", None)
    db.session.flush()
    _event(
        c,
        Action.record_evaluation,
        c.state,
        actor,
        f"{kind.label}：{score} 分。{comment}",
        by_proxy=proxy,
    )
    _audit(
        c,
        Action.record_evaluation.value,
        actor,
        before,
        {"kind": kind, "score": score, "comment": comment, "evaluator": evaluator_name},
        by_proxy=proxy,
    )
    return existing


@dataclass
class ScoreBreakdown:
    """The 100-point composite: parts that exist share the weights of those that don't."""

    parts: dict[str, float | None]
    weights: dict[str, float]
    public_count: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    LABELS = {"self": "党员述", "branch": "支部讲", "leader": "领导点", "public": "群众评"}

    @property
    def used(self) -> dict[str, float]:
        return {k: w for k, w in self.weights.items() if self.parts.get(k) is not None and w > 0}

    @property
    def total(self) -> float | None:
        used = self.used
        weight = sum(used.values())
        if not weight:
            return None
        value = sum(self.parts[k] * w for k, w in used.items()) / weight  # type: ignore[operator]
        return round(min(100.0, max(0.0, value)), 1)

    @property
    def grade(self) -> str | None:
        return grade_for(self.total)

    def rows(self) -> list[tuple[str, float | None, float]]:
        return [(self.LABELS[k], self.parts.get(k), w) for k, w in self.weights.items()]


def grade_for(score: float | None) -> str | None:
    if score is None:
        return None
    for minimum, label in sorted(setting("COMMITMENT_GRADES"), key=lambda g: -g[0]):
        if score >= minimum:
            return label
    return None


def public_score(counts: dict[str, int]) -> float | None:
    """Average rating points, or None below the minimum number of ratings."""
    total = sum(counts.values())
    if total < setting("PUBLIC_RATING_MIN_COUNT") or not total:
        return None
    points = setting("PUBLIC_RATING_POINTS")
    return round(sum(points[str(level)] * n for level, n in counts.items()) / total, 1)


def score_breakdown(c: Commitment, counts: dict[str, int] | None = None) -> ScoreBreakdown:
    if counts is None:
        counts = c.rating_counts
    parts: dict[str, float | None] = {k: None for k in ("self", "branch", "leader")}
    for ev in c.evaluations:
        parts[ev.kind.value] = float(ev.score)
    parts["public"] = public_score(counts)
    weights = {k: float(v) for k, v in setting("COMMITMENT_WEIGHTS").items()}
    return ScoreBreakdown(parts, weights, sum(counts.values()), counts)


def _window(c: Commitment) -> str:
    b = c.batch
    return f"本批次评诺期为 {b.evaluation_start:%Y-%m-%d} 至 {b.evaluation_end:%Y-%m-%d}"


def finalise_gaps(c: Commitment, breakdown: ScoreBreakdown | None = None) -> list[str]:
    """What is missing when the grade is fixed now, in words for the confirmation:
    progress below 100%, too few public ratings (the public part is left out and the
    weights renormalised), parts not entered."""
    breakdown = breakdown or score_breakdown(c)
    gaps = []
    if c.progress < 100:
        gaps.append(f"践诺进度为 {c.progress}%，未达到 100%")
    least = setting("PUBLIC_RATING_MIN_COUNT")
    weights = breakdown.weights
    if breakdown.parts.get("public") is None and weights.get("public", 0) > 0:
        gaps.append(
            f"群众评价 {breakdown.public_count} 条，少于最低 {least} 条："
            "群众评不计入，其余部分按权重比例折算"
        )
    missing = [
        breakdown.LABELS[k]
        for k in ("self", "branch", "leader")
        if breakdown.parts.get(k) is None and weights.get(k, 0) > 0
    ]
    if missing:
        gaps.append(f"未录入：{'、'.join(missing)}（不计入，其余部分按权重比例折算）")
    return gaps


def finalise_evaluation(c: Commitment, actor: Any, late_note: str = "") -> ScoreBreakdown:
    """Lock in the grade. Not before the evaluation window; after it only with a note.
    When something is missing (``finalise_gaps``) a note explaining it is required and
    kept on the timeline."""
    to = check_transition(c, Action.finalise, actor)
    phase = c.batch.evaluation_phase(local_today())
    if phase == "before":
        raise ServiceError(f"{_window(c)}，评诺期开始前不能确定评诺结果", code="window")
    late_note = (late_note or "").strip()
    if phase == "after" and not late_note:
        raise ValidationFailed({"text": f"{_window(c)}，已经结束；逾期确定评诺结果须填写逾期说明"})
    if len(late_note) > TEXT_MAX:
        raise ValidationFailed({"text": f"逾期说明不能超过{TEXT_MAX}个字"})
    have = {ev.kind for ev in c.evaluations}
    missing = [k.label for k in (EvaluationKind.self_, EvaluationKind.branch) if k not in have]
    if missing:
        raise ServiceError(f"确定评诺结果前，须先完成：{'、'.join(missing)}")
    gaps = finalise_gaps(c)
    if gaps and not late_note:
        raise ValidationFailed({"text": "以下情况须填写说明后再确定：" + "；".join(gaps)})
    if phase != "after" and not gaps:
        late_note = ""
    breakdown = score_breakdown(c)
    total = breakdown.total
    if total is None:
        raise ServiceError("评价权重配置有误，无法计算得分")
    c.score = total
    c.grade = breakdown.grade
    c.evaluated_at = utcnow()
    c.evaluated_by_id = getattr(actor, "id", None)
    result = f"综合得分 {total} 分，等次“{c.grade}”"
    if gaps:
        label = "逾期说明" if phase == "after" else "说明"
        result += f"。缺项：{'；'.join(gaps)}。{label}：{late_note}"
    elif late_note:
        result += f"。逾期说明：{late_note}"
    _move(
        c,
        Action.finalise,
        actor,
        result,
        score=total,
        grade=c.grade,
        **({"late_note": late_note} if late_note else {}),
        to=to,
    )
    _notify_owner(
        c, "您的承诺评诺结果已确定", f"综合得分 {total} 分，等次“{c.grade}”", key="evaluated"
    )
    return breakdown


# --- withdrawal -----------------------------------------------------------------------


def withdraw_commitment(c: Commitment, reason: str, actor: Any) -> None:
    """Take a commitment out of use (and off the public board); the record stays."""
    check_transition(c, Action.withdraw, actor)
    reason = _required_text(reason, "reason", "撤回原因", 255)
    c.is_withdrawn = True
    c.withdrawn_at = utcnow()
    c.withdrawn_by_id = getattr(actor, "id", None)
    c.withdrawn_reason = reason
    db.session.flush()
    _event(c, Action.withdraw, c.state, actor, reason)
    _audit(
        c,
        Action.withdraw.value,
        actor,
        {"is_withdrawn": False},
        {"is_withdrawn": True, "reason": reason},
    )


# --- public ratings (群众评) ----------------------------------------------------------------


DUPLICATE_RATING = "您今天已经评价过这项承诺，感谢参与！"


def add_public_rating(
    c: Commitment,
    level: str,
    comment: str,
    *,
    browser_id: str,
    ip: str,
    today: date | None = None,
) -> PublicRating:
    """Record one anonymous rating; one per commitment per browser per day."""
    if not c.is_ratable:
        raise ServiceError("该承诺当前不接受群众评价")
    try:
        level = RatingLevel(level)
    except ValueError:
        raise ValidationFailed({"level": "请选择“满意”“基本满意”或“不满意”"}) from None
    comment = public_rating.clean_comment(comment)
    rater = public_rating.identify(browser_id, ip)
    today = today or local_today()
    same = sa.select(sa.func.count(PublicRating.id)).where(
        PublicRating.commitment_id == c.id, PublicRating.rated_on == today
    )
    public_rating.refuse_repeat(
        same_browser=db.session.scalar(same.where(PublicRating.browser_hash == rater.browser_hash)),
        same_ip_today=db.session.scalar(same.where(PublicRating.ip_hash == rater.ip_hash)),
        duplicate=DUPLICATE_RATING,
    )
    rating = PublicRating(
        commitment_id=c.id,
        level=level,
        comment=comment,
        comment_state=CommentState.pending if comment else CommentState.none,
        browser_hash=rater.browser_hash,
        ip_hash=rater.ip_hash,
        rated_on=today,
    )
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except sa.exc.IntegrityError:  # a double click raced the check above
        raise ServiceError(DUPLICATE_RATING, code="duplicate") from None
    logger.info("public rating %s on commitment %s", level, c.id)
    return rating


def moderate_comment(rating: PublicRating, approve: bool, actor: Any) -> None:
    """The secretary decides whether a public comment is shown."""
    c = rating.commitment
    if Actor.secretary not in c.actors(actor):
        raise PermissionDenied("只有本支部书记可以审核群众留言")
    if rating.comment_state == CommentState.none:
        raise ServiceError("该评价没有留言")
    before = rating.comment_state
    rating.comment_state = CommentState.approved if approve else CommentState.hidden
    rating.moderated_at = utcnow()
    rating.moderated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        "moderate",
        "public_rating",
        rating.id,
        actor=actor,
        branch_id=c.branch_id,
        before={"comment_state": before},
        after={"comment_state": rating.comment_state},
        summary=rating.comment[:60],
    )
