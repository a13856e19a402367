"""Meeting and key-task services: one function per verb.

Each checks the lifecycle (role, branch scope, state), validates its input with
Chinese messages, changes the rows, writes an audit entry and flushes. Nothing here
commits or reads the request.
"""

import hashlib
import logging
import secrets
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from partybuild.core import audit, storage
from partybuild.core.db import utcnow
from partybuild.core.notifications import notify
from partybuild.core.service import (
    PermissionDenied,
    ServiceError,
    ValidationFailed,
    check_version,
)
from partybuild.core.settings import setting
from partybuild.core.timeutil import local_today, to_local
from partybuild.extensions import db
from partybuild.meetings.models import (
    OPEN_TASK_STATES,
    QUORUM_TYPES,
    REVIEW_TYPES,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    CalendarFeed,
    KeyTask,
    Meeting,
    MeetingAction,
    MeetingAttachment,
    MeetingState,
    MeetingType,
    MinutesCorrection,
    Resolution,
    ResolutionResult,
    TaskAction,
    TaskEvidence,
    TaskProgress,
    TaskSource,
    TaskState,
)
from partybuild.org.models import (
    Branch,
    CommitteeMember,
    Department,
    Member,
    MemberStatus,
    PartyGroup,
    by_name,
)

logger = logging.getLogger(__name__)

TITLE_MAX, TEXT_MAX, NAME_MAX, PLACE_MAX, MINUTES_MAX = 120, 2000, 40, 120, 20000
REASON_MAX = 200


def _actor_name(actor: Any) -> str:
    if isinstance(actor, str):
        return actor
    return getattr(actor, "label", None) or getattr(actor, "username", "") or "系统"


def _text(data: dict[str, Any], key: str) -> str:
    return (data.get(key) or "").strip()


def _audit_meeting(m: Meeting, action: str, actor: Any, before: dict | None, **after: Any) -> None:
    audit.record(
        action,
        "meeting",
        m.id,
        actor=actor,
        branch_id=m.branch_id,
        before=before,
        after={**audit.snapshot(m, Meeting.AUDIT_FIELDS), **after},
        summary=f"{m.type.label}：{m.title}"[:120],
    )


# --------------------------------------------------------------------------- meetings


def meeting_problems(data: dict[str, Any], branch: Branch) -> dict[str, str]:
    errors: dict[str, str] = {}
    mtype = data.get("type")
    if mtype not in MeetingType.__members__:
        errors["type"] = "请选择会议类型"
    title = _text(data, "title")
    if not title:
        errors["title"] = "请填写会议名称"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"会议名称不能超过{TITLE_MAX}个字"
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if not isinstance(starts, datetime):
        errors["starts_at"] = "请填写开始时间（精确到分钟）"
    elif starts.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    if ends is not None and isinstance(starts, datetime):
        if not isinstance(ends, datetime):
            errors["ends_at"] = "结束时间格式有误"
        elif ends <= starts:
            errors["ends_at"] = "结束时间须晚于开始时间"
        elif ends - starts > timedelta(days=2):
            errors["ends_at"] = "会议时长不能超过两天，请检查结束时间"
    for key, label, limit in (
        ("place", "地点", PLACE_MAX),
        ("host", "主持人", NAME_MAX),
        ("recorder", "记录人", NAME_MAX),
        ("lecturer", "授课人", 80),
    ):
        if len(_text(data, key)) > limit:
            errors[key] = f"{label}不能超过{limit}个字"
    if mtype == MeetingType.party_lecture.value and not _text(data, "lecturer"):
        errors["lecturer"] = "党课须填写授课人"
    if mtype == MeetingType.group_meeting.value:
        group_id = data.get("party_group_id")
        group = db.session.get(PartyGroup, group_id) if group_id else None
        if group is None or group.branch_id != branch.id:
            errors["party_group_id"] = "党小组会须选择本支部的党小组"
    return errors


MEETING_KEYS = ("title", "place", "host", "recorder", "lecturer")


def _expected_members(branch: Branch, mtype: MeetingType, group_id: int | None) -> list[Member]:
    """Who is expected: the committee for a 支委会, the group for a 党小组会, else the
    branch's active members."""
    if mtype == MeetingType.committee_meeting:
        seats = db.session.scalars(CommitteeMember.sitting(branch.id)).all()
        return [s.member for s in seats]
    stmt = sa.select(Member).where(Member.branch_id == branch.id, Member.is_active.is_(True))
    if mtype == MeetingType.group_meeting and group_id:
        stmt = stmt.where(Member.party_group_id == group_id)
    return list(db.session.scalars(stmt.order_by(*by_name())))


def _add_attendee(meeting: Meeting, member: Member, *, expected: bool = True) -> Attendance:
    """An attendance row; at a 支委会 a member who is not on the committee sits in
    (列席) without a vote, so she does not count towards its quorum."""
    voting = member.status == MemberStatus.full
    if meeting.type == MeetingType.committee_meeting and not expected:
        voting = False
    row = Attendance(
        meeting=meeting,
        member_id=member.id,
        member_name=member.name,
        is_voting=voting,
    )
    db.session.add(row)
    return row


def plan_meeting(branch: Branch, data: dict[str, Any], actor: Any) -> Meeting:
    """安排会议: the expected members are the branch's active members (a group's, for a
    党小组会); agenda lines become 议题; review meetings get open tasks carried over."""
    if not branch.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以安排会议")
    errors = meeting_problems(data, branch)
    if errors:
        raise ValidationFailed(errors)
    mtype = MeetingType(data["type"])
    expected = _expected_members(branch, mtype, data.get("party_group_id"))
    if mtype == MeetingType.committee_meeting and not expected:
        raise ValidationFailed(
            {
                "type": "本支部尚未设置支部委员会成员，不能安排支委会。"
                "请先在“党员名册 → 支部委员会”中维护支部委员名单。"
            }
        )
    meeting = Meeting(
        branch_id=branch.id,
        type=mtype,
        starts_at=data["starts_at"],
        ends_at=data.get("ends_at"),
        party_group_id=data.get("party_group_id") if mtype == MeetingType.group_meeting else None,
        created_by_id=getattr(actor, "id", None),
        **{k: _text(data, k) for k in MEETING_KEYS},
    )
    meeting.branch = branch
    db.session.add(meeting)
    for member in expected:
        _add_attendee(meeting, member)
    for n, line in enumerate(_agenda_lines(data.get("agenda")), start=1):
        db.session.add(AgendaItem(meeting=meeting, position=n, title=line))
    db.session.flush()
    carry_open_tasks(meeting)
    _audit_meeting(meeting, "plan", actor, None)
    return meeting


def _agenda_lines(raw: Any) -> list[str]:
    lines = raw if isinstance(raw, list) else str(raw or "").splitlines()
    items = [str(line).strip()[:200] for line in lines if str(line).strip()]
    if len(items) > 30:
        raise ValidationFailed({"agenda": "议题最多30项"})
    return items


def update_meeting(
    meeting: Meeting, data: dict[str, Any], actor: Any, version_id: int | None = None
) -> None:
    _check(meeting, MeetingAction.edit, actor)
    check_version(meeting, version_id, "该会议")
    errors = meeting_problems({**data, "type": meeting.type.value}, meeting.branch)
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(meeting, Meeting.AUDIT_FIELDS)
    meeting.starts_at, meeting.ends_at = data["starts_at"], data.get("ends_at")
    for key in MEETING_KEYS:
        setattr(meeting, key, _text(data, key))
    db.session.flush()
    if meeting.state == MeetingState.planned:
        carry_open_tasks(meeting)
    _audit_meeting(meeting, "edit", actor, before)


def _check(meeting: Meeting, action: MeetingAction, actor: Any) -> MeetingState:
    """The new state for ``action``, or the lifecycle's refusal (state, role, branch)."""
    return meeting.lifecycle.check(meeting, action, actor)


def carry_open_tasks(meeting: Meeting) -> int:
    """Put the branch's open key tasks that are overdue, or due within MEETING_CARRY_DAYS
    after the meeting, on the agenda of a planned review meeting (督办). Idempotent."""
    if meeting.type not in REVIEW_TYPES or meeting.state != MeetingState.planned:
        return 0
    day = to_local(meeting.starts_at).date()
    horizon = day + timedelta(days=setting("MEETING_CARRY_DAYS"))
    already = set(
        db.session.scalars(
            sa.select(AgendaItem.task_id).where(
                AgendaItem.meeting_id == meeting.id, AgendaItem.task_id.is_not(None)
            )
        )
    )
    tasks = db.session.scalars(
        sa.select(KeyTask)
        .where(
            KeyTask.branch_id == meeting.branch_id,
            KeyTask.state.in_(OPEN_TASK_STATES),
            KeyTask.deadline <= horizon,
        )
        .order_by(KeyTask.deadline, KeyTask.id)
    ).all()
    position = (
        db.session.scalar(
            sa.select(sa.func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
        )
        or 0
    )
    added = 0
    for task in tasks:
        if task.id in already:
            continue
        position += 1
        late = "（已逾期）" if task.deadline < day else f"（{task.deadline:%m月%d日}到期）"
        db.session.add(
            AgendaItem(
                meeting_id=meeting.id,
                position=position,
                title=f"督办重点任务：{task.title}{late}"[:200],
                task_id=task.id,
            )
        )
        added += 1
    db.session.flush()
    if added:
        db.session.expire(meeting, ["agenda"])
    return added


def add_agenda_item(meeting: Meeting, title: str, actor: Any) -> AgendaItem:
    _check(meeting, MeetingAction.edit, actor)
    title = (title or "").strip()
    if not title:
        raise ValidationFailed({"title": "请填写议题"})
    if len(title) > 200:
        raise ValidationFailed({"title": "议题不能超过200个字"})
    position = (max((i.position for i in meeting.agenda), default=0)) + 1
    item = AgendaItem(meeting=meeting, position=position, title=title)
    db.session.add(item)
    db.session.flush()
    _audit_meeting(meeting, "edit", actor, None, agenda_added=title)
    return item


def record_meeting(meeting: Meeting, data: dict[str, Any], actor: Any) -> None:
    """登记出席和会议记录 (planned → held, or again while held).

    ``data``: ``attendance`` a list of (member_id, status, reason) — every expected
    member once, others of the same branch may be added; ``minutes``; ``notes``
    {agenda item id: speaking points}.
    """
    new_state = _check(meeting, MeetingAction.record, actor)
    errors: dict[str, str] = {}
    rows = {a.member_id: a for a in meeting.attendance}
    entries = list(data.get("attendance") or [])
    seen: set[int] = set()
    problems: list[str] = []
    to_add: list[Member] = []
    for member_id, status, reason in entries:
        if member_id in seen:
            problems.append(f"同一党员重复登记（编号{member_id}）")
            continue
        seen.add(member_id)
        if member_id not in rows:
            member = db.session.get(Member, member_id)
            if member is None or member.branch_id != meeting.branch_id:
                problems.append(f"编号{member_id}不是本支部党员，不能登记出席")
                continue
            to_add.append(member)
        if status not in AttendanceStatus.__members__:
            problems.append(f"请为每位党员选择出席情况（编号{member_id}）")
        elif status == AttendanceStatus.excused.value and not (reason or "").strip():
            name = rows[member_id].member_name if member_id in rows else str(member_id)
            problems.append(f"{name}请假，请填写请假原因")
        elif len((reason or "").strip()) > REASON_MAX:
            problems.append(f"请假或缺席原因不能超过{REASON_MAX}个字")
    missing = [a.member_name for mid, a in rows.items() if mid not in seen]
    if missing:
        problems.append(f"还有党员的出席情况未登记：{'、'.join(missing[:10])}")
    if problems:
        errors["attendance"] = "；".join(dict.fromkeys(problems))
    minutes = (data.get("minutes") or "").strip()
    if len(minutes) > MINUTES_MAX:
        errors["minutes"] = f"会议记录不能超过{MINUTES_MAX}个字"
    notes: dict[int, str] = {
        int(k): (v or "").strip() for k, v in (data.get("notes") or {}).items()
    }
    items = {i.id: i for i in meeting.agenda}
    if any(k not in items for k in notes):
        errors["notes"] = "议题不属于本次会议"
    elif any(len(v) > TEXT_MAX * 5 for v in notes.values()):
        errors["notes"] = "每个议题的发言要点不能超过10000个字"
    if errors:
        raise ValidationFailed(errors)

    before = audit.snapshot(meeting, Meeting.AUDIT_FIELDS)
    for member in to_add:
        rows[member.id] = _add_attendee(meeting, member, expected=False)
    for member_id, status, reason in entries:
        row = rows[member_id]
        row.status = AttendanceStatus(status)
        row.reason = (reason or "").strip() if status != AttendanceStatus.present.value else ""
    meeting.minutes = minutes
    for item_id, text in notes.items():
        items[item_id].notes = text
    _count_quorum(meeting)
    first_time = meeting.state == MeetingState.planned
    meeting.state = new_state
    meeting.held_at = meeting.held_at or utcnow()
    db.session.flush()
    _audit_meeting(
        meeting,
        "record",
        actor,
        before,
        attendance={str(a.member_id): a.status for a in rows.values()},
    )
    if first_time:
        logger.info("meeting %s held", meeting.id)


def _count_quorum(meeting: Meeting) -> None:
    """应到 (entitled: voting members expected) and 实到; met when 实到 exceeds the
    MEETING_QUORUM_PERCENT share of 应到 (default: more than half)."""
    voting = [a for a in meeting.attendance if a.is_voting]
    meeting.entitled_count = len(voting)
    meeting.present_count = sum(1 for a in voting if a.status == AttendanceStatus.present)
    if meeting.type not in QUORUM_TYPES:
        meeting.quorum_met = None
        return
    percent = setting("MEETING_QUORUM_PERCENT")
    meeting.quorum_met = meeting.present_count * 100 > meeting.entitled_count * percent


def add_resolution(meeting: Meeting, data: dict[str, Any], actor: Any) -> Resolution:
    _check(meeting, MeetingAction.add_resolution, actor)
    text = _text(data, "text")
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "请填写决议内容"
    elif len(text) > TEXT_MAX:
        errors["text"] = f"决议内容不能超过{TEXT_MAX}个字"
    result = data.get("result")
    votes = _vote_problems(meeting, data, errors)
    if errors:
        raise ValidationFailed(errors)
    position = max((r.position for r in meeting.resolutions), default=0) + 1
    resolution = Resolution(
        meeting=meeting,
        position=position,
        text=text,
        result=ResolutionResult(result),
        votes_for=votes[0],
        votes_against=votes[1],
        votes_abstain=votes[2],
    )
    db.session.add(resolution)
    db.session.flush()
    _audit_meeting(meeting, "add_resolution", actor, None, resolution=text[:200], result=result)
    return resolution


def _vote_problems(
    meeting: Meeting, data: dict[str, Any], errors: dict[str, str]
) -> list[int | None]:
    """The (for, against, abstain) votes of a resolution, checked against the meeting's
    attendance; problems go into ``errors``."""
    result = data.get("result")
    if result not in ResolutionResult.__members__:
        errors["result"] = "请选择表决结果"
    votes = [data.get(k) for k in ("votes_for", "votes_against", "votes_abstain")]
    if result == ResolutionResult.agreed.value:
        return [None, None, None]
    if any(v is None for v in votes):
        errors["votes_for"] = "付诸表决的决议须填写赞成、反对、弃权票数"
    elif any(not isinstance(v, int) or v < 0 for v in votes):
        errors["votes_for"] = "票数须为不小于0的整数"
    elif sum(votes) > meeting.present_count:
        errors["votes_for"] = (
            f"票数合计（{sum(votes)}）超过实到有表决权人数（{meeting.present_count}）"
        )
    elif result == ResolutionResult.passed.value and votes[0] * 2 <= meeting.entitled_count:
        errors["result"] = "赞成票未超过应到有表决权人数的半数，不能记为“通过”"
    return votes


def approve_minutes(meeting: Meeting, actor: Any) -> str:
    """审定: lock the minutes and keep the SHA-256 of what was approved."""
    new_state = _check(meeting, MeetingAction.approve, actor)
    before = audit.snapshot(meeting, Meeting.AUDIT_FIELDS)
    sha = meeting.fingerprint()  # before the state moves: computing it may autoflush
    meeting.state = new_state
    meeting.approved_at = utcnow()
    meeting.approved_by_id = getattr(actor, "id", None)
    meeting.approved_sha256 = sha
    db.session.flush()
    _audit_meeting(meeting, "approve", actor, before, sha256=meeting.approved_sha256)
    return meeting.approved_sha256


def correction_parts(meeting: Meeting) -> list[tuple[str, str, str]]:
    """(key, label, current text) of every part of approved minutes that may be corrected."""
    parts = [("minutes", "会议记录（发言要点）", meeting.minutes)]
    parts += [(f"agenda:{i.id}", f"议题{i.position}的发言要点", i.notes) for i in meeting.agenda]
    parts += [(f"resolution:{r.id}", f"决议{r.position}", r.text) for r in meeting.resolutions]
    return parts


def correct_minutes(
    meeting: Meeting, part: str, text: str, reason: str, actor: Any
) -> MinutesCorrection:
    """更正 approved minutes: the old and new text, who and why are kept; the
    fingerprint of the approved version moves to the corrected text."""
    _check(meeting, MeetingAction.correct, actor)
    parts = {key: (label, current) for key, label, current in correction_parts(meeting)}
    text, reason = (text or "").strip(), (reason or "").strip()
    errors: dict[str, str] = {}
    if part not in parts:
        errors["part"] = "请选择要更正的内容"
    if not reason:
        errors["reason"] = "请填写更正原因"
    elif len(reason) > 500:
        errors["reason"] = "更正原因不能超过500个字"
    if part == "minutes" and len(text) > MINUTES_MAX:
        errors["text"] = f"会议记录不能超过{MINUTES_MAX}个字"
    elif part.startswith("resolution:") and not text:
        errors["text"] = "决议内容不能为空"
    if not errors and parts[part][1] == text:
        errors["text"] = "更正后的内容与原内容相同"
    if errors:
        raise ValidationFailed(errors)
    label, current = parts[part]
    sha_before = meeting.approved_sha256 or meeting.fingerprint()
    if part == "minutes":
        meeting.minutes = text
    else:
        kind, _, ident = part.partition(":")
        rows = meeting.agenda if kind == "agenda" else meeting.resolutions
        target = next(r for r in rows if str(r.id) == ident)
        setattr(target, "notes" if kind == "agenda" else "text", text)
    return _record_correction(meeting, part, label, current, text, reason, sha_before, actor)


def _quorum_text(meeting: Meeting) -> str:
    text = f"应到有表决权{meeting.entitled_count}人，实到{meeting.present_count}人"
    if meeting.quorum_met is None:
        return text
    return text + ("，达到法定人数" if meeting.quorum_met else "，不足法定人数，表决无效")


def _attendance_text(row: Attendance) -> str:
    if row.status is None:
        return "未登记"
    return row.status.label + (f"（{row.reason}）" if row.reason else "")


def _record_correction(
    meeting: Meeting,
    part: str,
    label: str,
    before: str,
    after: str,
    reason: str,
    sha_before: str,
    actor: Any,
    **audit_after: Any,
) -> MinutesCorrection:
    """Keep a correction of approved minutes: re-fingerprint, store, audit."""
    meeting.approved_sha256 = meeting.fingerprint()
    correction = MinutesCorrection(
        meeting=meeting,
        part=part,
        part_label=label,
        before=before,
        after=after,
        reason=reason,
        sha256_before=sha_before,
        sha256_after=meeting.approved_sha256,
        corrected_by_id=getattr(actor, "id", None),
        corrected_by_name=_actor_name(actor),
    )
    db.session.add(correction)
    db.session.flush()
    audit.record(
        "correct",
        "meeting",
        meeting.id,
        actor=actor,
        branch_id=meeting.branch_id,
        before={"part": part, "text": before, "sha256": sha_before},
        after={
            "part": part, "text": after, "sha256": meeting.approved_sha256, "reason": reason,
            **audit_after,
        },
        summary=f"更正{label}：{meeting.title}"[:120],
    )  # fmt: skip
    return correction


def _correction_reason(reason: str | None, errors: dict[str, str]) -> str:
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "请填写更正原因"
    elif len(reason) > 500:
        errors["reason"] = "更正原因不能超过500个字"
    return reason


def correct_attendance(
    meeting: Meeting,
    attendance_id: int | None,
    status: str | None,
    absence_reason: str | None,
    reason: str | None,
    actor: Any,
) -> MinutesCorrection:
    """更正 one member's attendance in approved minutes: before/after, who and why are
    kept, the quorum (and so the validity of the votes) is recounted and the
    fingerprint moves with it. Votes that would exceed those present must be corrected
    first."""
    _check(meeting, MeetingAction.correct, actor)
    errors: dict[str, str] = {}
    row = next((a for a in meeting.attendance if a.id == attendance_id), None)
    if row is None:
        errors["attendance_id"] = "请选择本次会议的出席人员"
    if status not in AttendanceStatus.__members__:
        errors["status"] = "请选择出席情况"
    absence_reason = (absence_reason or "").strip() if status != "present" else ""
    if status == AttendanceStatus.excused.value and not absence_reason:
        errors["absence_reason"] = "请假须填写请假原因"
    elif len(absence_reason) > REASON_MAX:
        errors["absence_reason"] = f"请假或缺席原因不能超过{REASON_MAX}个字"
    reason = _correction_reason(reason, errors)
    if errors:
        raise ValidationFailed(errors)
    assert row is not None
    before = f"{_attendance_text(row)}；{_quorum_text(meeting)}"
    if row.status == AttendanceStatus(status) and row.reason == absence_reason:
        raise ValidationFailed({"status": "更正后的出席情况与原记录相同"})
    old_status, old_reason = row.status, row.reason
    sha_before = meeting.approved_sha256 or meeting.fingerprint()
    row.status, row.reason = AttendanceStatus(status), absence_reason
    _count_quorum(meeting)
    over = [
        r for r in meeting.resolutions if sum(v or 0 for v in _votes(r)) > meeting.present_count
    ]
    if over:
        present = meeting.present_count
        row.status, row.reason = old_status, old_reason
        _count_quorum(meeting)
        raise ValidationFailed(
            {
                "status": f"更正后实到有表决权人数为{present}人，少于决议{over[0].position}"
                "的票数合计，请先更正该决议的表决结果"
            }
        )
    after = f"{_attendance_text(row)}；{_quorum_text(meeting)}"
    return _record_correction(
        meeting, f"attendance:{row.id}", f"{row.member_name}的出席情况", before, after,
        reason, sha_before, actor, quorum_met=meeting.quorum_met,
    )  # fmt: skip


def _votes(r: Resolution) -> tuple[int | None, int | None, int | None]:
    return (r.votes_for, r.votes_against, r.votes_abstain)


def correct_vote(
    meeting: Meeting, resolution_id: int | None, data: dict[str, Any], reason: str | None,
    actor: Any,
) -> MinutesCorrection:  # fmt: skip
    """更正 a resolution's vote (表决结果) in approved minutes, checked like a new vote
    against the meeting's attendance; before/after, who and why are kept."""
    _check(meeting, MeetingAction.correct, actor)
    errors: dict[str, str] = {}
    target = next((r for r in meeting.resolutions if r.id == resolution_id), None)
    if target is None:
        errors["resolution_id"] = "请选择本次会议的决议"
    votes = _vote_problems(meeting, data, errors)
    reason = _correction_reason(reason, errors)
    if errors:
        raise ValidationFailed(errors)
    assert target is not None
    result = ResolutionResult(data["result"])
    if target.result == result and list(_votes(target)) == votes:
        raise ValidationFailed({"result": "更正后的表决结果与原记录相同"})
    before = target.vote_text
    sha_before = meeting.approved_sha256 or meeting.fingerprint()
    target.result = result
    target.votes_for, target.votes_against, target.votes_abstain = votes
    return _record_correction(
        meeting, f"vote:{target.id}", f"决议{target.position}的表决结果", before,
        target.vote_text, reason, sha_before, actor,
    )  # fmt: skip


def cancel_meeting(meeting: Meeting, reason: str, actor: Any) -> None:
    new_state = _check(meeting, MeetingAction.cancel, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"text": "请填写取消原因"})
    before = audit.snapshot(meeting, Meeting.AUDIT_FIELDS)
    meeting.state = new_state
    meeting.cancel_reason = reason[:255]
    db.session.flush()
    _audit_meeting(meeting, "cancel", actor, before, reason=meeting.cancel_reason)


def add_attachments(meeting: Meeting, uploads: list[Any], caption: str, actor: Any) -> int:
    _check(meeting, MeetingAction.attach, actor)
    uploads = [u for u in uploads if getattr(u, "filename", None) or isinstance(u, tuple)]
    if not uploads:
        raise ValidationFailed({"files": "请选择要上传的文件"})
    if len(uploads) > 10:
        raise ValidationFailed({"files": "一次最多上传10个文件"})
    for upload in uploads:
        stored = storage.save_upload(upload, domain="meetings", actor=actor)
        db.session.add(
            MeetingAttachment(meeting=meeting, file_id=stored.id, caption=(caption or "")[:120])
        )
    db.session.flush()
    _audit_meeting(meeting, "attach", actor, None, files=len(uploads))
    return len(uploads)


def retire_attachment(
    meeting: Meeting, attachment_id: int | None, reason: str | None, actor: Any
) -> MeetingAttachment:
    """停用 a wrongly uploaded photo or scan: the file and its row stay for the record
    (who, when, why); members no longer see or open it."""
    _check(meeting, MeetingAction.retire_attachment, actor)
    row = next((a for a in meeting.attachments if a.id == attachment_id), None)
    if row is None:
        raise ServiceError("该附件不属于本次会议", code="not_found")
    if row.file.is_retired:
        raise ServiceError(f"附件“{row.file.original_name}”已停用")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "请填写停用原因"})
    if len(reason) > 255:
        raise ValidationFailed({"reason": "停用原因不能超过255个字"})
    storage.retire_file(row.file, reason, actor)
    _audit_meeting(
        meeting, "retire_attachment", actor, None,
        attachment=row.id, file=row.file.original_name, reason=reason,
    )  # fmt: skip
    return row


# --------------------------------------------------------------------------- attendance


def attendance_summary(member_id: int) -> dict[str, int]:
    """A member's attendance over held meetings: counts by status and the rate (%)."""
    rows = db.session.execute(
        sa.select(Attendance.status, sa.func.count(Attendance.id))
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Attendance.member_id == member_id,
            Meeting.state.in_((MeetingState.held, MeetingState.approved)),
            Attendance.status.is_not(None),
        )
        .group_by(Attendance.status)
    ).all()
    counts = {s.value: 0 for s in AttendanceStatus}
    for status, n in rows:
        counts[AttendanceStatus(status).value] = n
    total = sum(counts.values())
    counts["total"] = total
    counts["rate"] = round(counts["present"] * 100 / total) if total else 0
    return counts


# --------------------------------------------------------------------------- key tasks


TASK_KEYS = ("title", "description", "deadline", "lead_member_id", "department_id")


def task_problems(data: dict[str, Any], branch: Branch) -> dict[str, str]:
    errors: dict[str, str] = {}
    title = _text(data, "title")
    if not title:
        errors["title"] = "请填写任务名称"
    elif len(title) > 200:
        errors["title"] = "任务名称不能超过200个字"
    if len(_text(data, "description")) > TEXT_MAX:
        errors["description"] = f"任务内容不能超过{TEXT_MAX}个字"
    if not isinstance(data.get("deadline"), date):
        errors["deadline"] = "请填写完成时限"
    lead = db.session.get(Member, data["lead_member_id"]) if data.get("lead_member_id") else None
    if lead is None or not lead.is_active:
        errors["lead_member_id"] = "请选择责任领导（在册党员）"
    elif lead.branch.organization_id != branch.organization_id:
        errors["lead_member_id"] = "责任领导须为本单位党员"
    dept = db.session.get(Department, data["department_id"]) if data.get("department_id") else None
    if dept is None or dept.organization_id != branch.organization_id:
        errors["department_id"] = "请选择责任科室"
    supporters = data.get("supporter_ids") or []
    found = (
        db.session.scalars(sa.select(Department).where(Department.id.in_(supporters))).all()
        if supporters
        else []
    )
    if len(found) != len(set(supporters)) or any(
        d.organization_id != branch.organization_id for d in found
    ):
        errors["supporter_ids"] = "配合科室不存在"
    return errors


def _set_supporters(task: KeyTask, data: dict[str, Any]) -> None:
    ids = [i for i in dict.fromkeys(data.get("supporter_ids") or []) if i != task.department_id]
    task.supporters = (
        list(db.session.scalars(sa.select(Department).where(Department.id.in_(ids)))) if ids else []
    )


def _audit_task(task: KeyTask, action: str, actor: Any, before: dict | None, **after: Any) -> None:
    audit.record(
        f"task_{action}",
        "key_task",
        task.id,
        actor=actor,
        branch_id=task.branch_id,
        before=before,
        after={**audit.snapshot(task, KeyTask.AUDIT_FIELDS), **after},
        summary=task.title[:120],
    )


def create_task(
    branch: Branch,
    data: dict[str, Any],
    actor: Any,
    *,
    resolution: Resolution | None = None,
    audit_entry: bool = True,
) -> KeyTask:
    if not branch.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以新建重点任务")
    errors = task_problems(data, branch)
    if errors:
        raise ValidationFailed(errors)
    deadline: date = data["deadline"]
    task = KeyTask(
        branch_id=branch.id,
        year=int(data.get("year") or deadline.year),
        title=_text(data, "title"),
        description=_text(data, "description"),
        source=TaskSource.resolution if resolution is not None else TaskSource.annual_plan,
        resolution_id=resolution.id if resolution is not None else None,
        lead_member_id=data["lead_member_id"],
        department_id=data["department_id"],
        deadline=deadline,
        original_deadline=deadline,
        is_party_building=bool(data.get("is_party_building")),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(task)
    _set_supporters(task, data)
    db.session.flush()
    if resolution is not None:
        resolution.task_count += 1
    if audit_entry:
        _audit_task(task, "create", actor, None)
    return task


def task_from_resolution(resolution: Resolution, data: dict[str, Any], actor: Any) -> KeyTask:
    """A resolution recorded in a meeting becomes one (more) key task of its branch."""
    meeting = resolution.meeting
    _check(meeting, MeetingAction.make_task, actor)
    if not resolution.is_valid:
        raise ServiceError("该会议未达到法定出席人数，表决无效，决议不能转为重点任务")
    if resolution.result == ResolutionResult.rejected:
        raise ServiceError("未通过的决议不能转为重点任务")
    return create_task(meeting.branch, data, actor, resolution=resolution)


def update_task(task: KeyTask, data: dict[str, Any], actor: Any, version_id: int | None) -> None:
    task.lifecycle.check(task, TaskAction.edit, actor)
    check_version(task, version_id, "该任务")
    errors = task_problems(data, task.branch)
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(task, KeyTask.AUDIT_FIELDS)
    task.title, task.description = _text(data, "title"), _text(data, "description")
    task.lead_member_id, task.department_id = data["lead_member_id"], data["department_id"]
    if data["deadline"] != task.deadline and task.state != TaskState.postponed:
        task.original_deadline = data["deadline"]
    task.deadline = data["deadline"]
    task.is_party_building = bool(data.get("is_party_building"))
    _set_supporters(task, data)
    db.session.flush()
    _audit_task(task, "edit", actor, before)


def add_progress(
    task: KeyTask, data: dict[str, Any], uploads: list[Any], actor: Any, today: date | None = None
) -> TaskProgress:
    new_state = task.lifecycle.check(task, TaskAction.add_progress, actor)
    today = today or local_today()
    text = _text(data, "text")
    on = data.get("recorded_on")
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "请填写进展情况"
    elif len(text) > TEXT_MAX:
        errors["text"] = f"进展情况不能超过{TEXT_MAX}个字"
    if not isinstance(on, date):
        errors["recorded_on"] = "请填写日期"
    elif on > today:
        errors["recorded_on"] = "日期不能晚于今天"
    uploads = [u for u in uploads or [] if getattr(u, "filename", None) or isinstance(u, tuple)]
    if len(uploads) > 5:
        errors["files"] = "每条进展最多上传5个文件"
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(task, KeyTask.AUDIT_FIELDS)
    entry = TaskProgress(
        task=task,
        recorded_on=on,
        text=text,
        created_by_id=getattr(actor, "id", None),
        created_by_name=_actor_name(actor),
    )
    db.session.add(entry)
    db.session.flush()
    for upload in uploads:
        stored = storage.save_upload(upload, domain="meetings", actor=actor)
        db.session.add(TaskEvidence(progress=entry, file_id=stored.id))
    task.state = new_state
    task.progress_count += 1
    if task.last_progress_on is None or on >= task.last_progress_on:
        task.last_progress_on = on
        task.last_progress = text[:200]
    db.session.flush()
    _audit_task(task, "add_progress", actor, before, progress=text[:200], files=len(uploads))
    return entry


def complete_task(task: KeyTask, on: date | None, actor: Any, today: date | None = None) -> None:
    """已完成; a task finished after its deadline keeps the delay in days."""
    new_state = task.lifecycle.check(task, TaskAction.complete, actor)
    today = today or local_today()
    on = on or today
    if on > today:
        raise ValidationFailed({"completed_on": "完成日期不能晚于今天"})
    before = audit.snapshot(task, KeyTask.AUDIT_FIELDS)
    task.state = new_state
    task.completed_on = on
    late = (on - task.deadline).days
    task.days_late = late if late > 0 else None
    task.state_reason = ""
    db.session.flush()
    _audit_task(task, "complete", actor, before)


def postpone_task(task: KeyTask, deadline: date | None, reason: str, actor: Any) -> None:
    new_state = task.lifecycle.check(task, TaskAction.postpone, actor)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "请填写延期原因"
    elif len(reason) > 500:
        errors["reason"] = "延期原因不能超过500个字"
    if not isinstance(deadline, date):
        errors["deadline"] = "请填写新的完成时限"
    elif deadline <= task.deadline:
        errors["deadline"] = "新的完成时限须晚于原时限"
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(task, KeyTask.AUDIT_FIELDS)
    task.state, task.state_reason, task.deadline = new_state, reason, deadline
    db.session.flush()
    _audit_task(task, "postpone", actor, before)


def cancel_task(task: KeyTask, reason: str, actor: Any) -> None:
    new_state = task.lifecycle.check(task, TaskAction.cancel, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "请填写取消原因"})
    if len(reason) > 500:
        raise ValidationFailed({"reason": "取消原因不能超过500个字"})
    before = audit.snapshot(task, KeyTask.AUDIT_FIELDS)
    task.state, task.state_reason = new_state, reason
    db.session.flush()
    _audit_task(task, "cancel", actor, before)


# --------------------------------------------------------------------------- .ics feed


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def regenerate_feed(branch: Branch, actor: Any) -> str:
    """A new subscription token for the branch (the old one stops working). Only its
    hash is stored: the token is shown once, to the secretary who made it."""
    if not branch.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以管理日历订阅地址")
    token = secrets.token_urlsafe(24)
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.branch_id == branch.id))
    if feed is None:
        feed = CalendarFeed(branch_id=branch.id)
        db.session.add(feed)
    feed.token_sha256 = _token_hash(token)
    feed.created_at = utcnow()
    feed.created_by_id = getattr(actor, "id", None)
    feed.revoked_at = None
    db.session.flush()
    audit.record("feed_token", "meeting_feed", feed.id, actor=actor, branch_id=branch.id)
    return token


def revoke_feed(branch: Branch, actor: Any) -> None:
    if not branch.can_manage(actor):
        raise PermissionDenied("只有本支部书记可以管理日历订阅地址")
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.branch_id == branch.id))
    if feed is None or not feed.is_active:
        raise ServiceError("本支部没有启用的日历订阅地址")
    feed.token_sha256 = None
    feed.revoked_at = utcnow()
    db.session.flush()
    audit.record("feed_revoke", "meeting_feed", feed.id, actor=actor, branch_id=branch.id)


def branch_for_feed(token: str) -> Branch | None:
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.token_sha256 == _token_hash(token))
    )
    return feed.branch if feed is not None else None


def notify_users(member_ids: list[int], kind: str, title: str, **kw: Any) -> int:
    """Notify the accounts of these members; returns how many notes were new."""
    from partybuild.auth.models import User

    if not member_ids:
        return 0
    users = db.session.scalars(
        sa.select(User.id).where(User.member_id.in_(member_ids), User.is_active_account.is_(True))
    ).all()
    return sum(notify(uid, kind, title, **kw) is not None for uid in users)
