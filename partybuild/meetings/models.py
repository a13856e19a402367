"""Meetings (组织生活: 三会一课, 主题党日, 组织生活会) and key tasks (重点任务 / 责任清单).

Two lifecycles, each an explicit table read by core/states.py:

- a meeting is planned, then held (attendance and minutes entered), then its
  minutes are approved and locked; after approval the minutes change only through a
  recorded ``MinutesCorrection`` and the fingerprint of the approved version moves with it;
- a key task is not started, in progress, done, postponed or cancelled (reasons kept).

Only the branch's secretary (or an admin) changes a meeting; a task's responsible
leader may also record its progress.
"""

import hashlib
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partybuild.core import audit, dataversion
from partybuild.core.db import LabelledEnum, str_enum, utcnow
from partybuild.core.states import Lifecycle, Stateful, Transition
from partybuild.core.storage import StoredFile
from partybuild.core.timeutil import format_datetime
from partybuild.extensions import db
from partybuild.org.models import Branch, Department, Member

if TYPE_CHECKING:
    from partybuild.auth.models import User


class MeetingType(LabelledEnum):
    general_assembly = "general_assembly", "支部党员大会"
    committee_meeting = "committee_meeting", "支部委员会"
    group_meeting = "group_meeting", "党小组会"
    party_lecture = "party_lecture", "党课"
    topic_meeting = "topic_meeting", "党建工作专题会议"
    theme_day = "theme_day", "主题党日"
    org_life_meeting = "org_life_meeting", "组织生活会"


# Meetings that decide by vote: attendance must exceed the quorum or the votes are void.
QUORUM_TYPES = (MeetingType.general_assembly, MeetingType.committee_meeting)
# Meetings that review work: open and overdue key tasks are carried into their agenda.
REVIEW_TYPES = (
    MeetingType.general_assembly,
    MeetingType.committee_meeting,
    MeetingType.topic_meeting,
)


class MeetingState(LabelledEnum):
    planned = "planned", "计划中"
    held = "held", "已召开"
    approved = "approved", "记录已审定"
    cancelled = "cancelled", "已取消"


class AttendanceStatus(LabelledEnum):
    present = "present", "出席"
    excused = "excused", "请假"
    absent = "absent", "缺席"


class ResolutionResult(LabelledEnum):
    passed = "passed", "通过"
    rejected = "rejected", "未通过"
    agreed = "agreed", "议定（未表决）"


class MeetingAction(LabelledEnum):
    edit = "edit", "修改会议信息"
    record = "record", "登记出席和会议记录"
    add_resolution = "add_resolution", "记录决议"
    attach = "attach", "上传附件"
    retire_attachment = "retire_attachment", "停用附件"
    approve = "approve", "审定会议记录"
    correct = "correct", "更正会议记录"
    cancel = "cancel", "取消会议"
    make_task = "make_task", "转为重点任务"


class Actor(LabelledEnum):
    secretary = "secretary", "本支部书记"
    lead = "lead", "责任领导"


SECRETARY = frozenset({Actor.secretary})
LEAD_OR_SECRETARY = frozenset({Actor.secretary, Actor.lead})

MS, MA = MeetingState, MeetingAction


def _minutes_complete(meeting: "Meeting", _user: Any) -> str | None:
    if not meeting.attendance:
        return "请先登记出席情况"
    if any(a.status is None for a in meeting.attendance):
        return "还有党员的出席情况未登记"
    if not (meeting.minutes or "").strip() and not any(i.notes.strip() for i in meeting.agenda):
        return "请先填写会议记录（发言要点）"
    return None


MEETING_TRANSITIONS: dict[tuple[MeetingState, MeetingAction], Transition] = {
    (MS.planned, MA.edit): Transition(MS.planned, SECRETARY),
    (MS.planned, MA.record): Transition(MS.held, SECRETARY),
    (MS.planned, MA.cancel): Transition(MS.cancelled, SECRETARY),
    (MS.held, MA.edit): Transition(MS.held, SECRETARY),
    (MS.held, MA.record): Transition(MS.held, SECRETARY),
    (MS.held, MA.add_resolution): Transition(MS.held, SECRETARY),
    (MS.held, MA.attach): Transition(MS.held, SECRETARY),
    (MS.held, MA.retire_attachment): Transition(MS.held, SECRETARY),
    (MS.held, MA.make_task): Transition(MS.held, SECRETARY),
    (MS.held, MA.approve): Transition(MS.approved, SECRETARY, guard=_minutes_complete),
    # Approved minutes are locked: only a recorded correction changes them. Scans of the
    # sign-in sheet often arrive later, and resolutions still become tasks.
    (MS.approved, MA.correct): Transition(MS.approved, SECRETARY),
    (MS.approved, MA.attach): Transition(MS.approved, SECRETARY),
    # A wrong upload is retired (never deleted), with the reason, also after approval.
    (MS.approved, MA.retire_attachment): Transition(MS.approved, SECRETARY),
    (MS.approved, MA.make_task): Transition(MS.approved, SECRETARY),
    # cancelled is final.
}
del MS, MA

MEETING_LIFECYCLE = Lifecycle(MEETING_TRANSITIONS, actions=MeetingAction, noun="会议")


class TaskState(LabelledEnum):
    not_started = "not_started", "未开始"
    in_progress = "in_progress", "进行中"
    done = "done", "已完成"
    postponed = "postponed", "已延期"
    cancelled = "cancelled", "已取消"


OPEN_TASK_STATES = (TaskState.not_started, TaskState.in_progress, TaskState.postponed)


class TaskSource(LabelledEnum):
    resolution = "resolution", "会议决议"
    annual_plan = "annual_plan", "年度计划"


class TaskAction(LabelledEnum):
    edit = "edit", "修改任务"
    add_progress = "add_progress", "记录进展"
    complete = "complete", "标记完成"
    postpone = "postpone", "延期"
    cancel = "cancel", "取消任务"


TS, TA = TaskState, TaskAction
TASK_TRANSITIONS: dict[tuple[TaskState, TaskAction], Transition] = {}
for _state in OPEN_TASK_STATES:
    TASK_TRANSITIONS[(_state, TA.edit)] = Transition(_state, SECRETARY)
    TASK_TRANSITIONS[(_state, TA.add_progress)] = Transition(
        TS.postponed if _state == TS.postponed else TS.in_progress, LEAD_OR_SECRETARY
    )
    TASK_TRANSITIONS[(_state, TA.complete)] = Transition(TS.done, LEAD_OR_SECRETARY)
    TASK_TRANSITIONS[(_state, TA.postpone)] = Transition(TS.postponed, SECRETARY)
    TASK_TRANSITIONS[(_state, TA.cancel)] = Transition(TS.cancelled, SECRETARY)
del TS, TA, _state

TASK_LIFECYCLE = Lifecycle(TASK_TRANSITIONS, actions=TaskAction, noun="重点任务")

ACTION_LABELS = {
    **{f"task_{a.value}": a.label for a in TaskAction},
    "plan": "安排会议",
    "task_create": "新建重点任务",
    "task_import": "导入重点任务",
    "feed_token": "生成日历订阅地址",
    "feed_revoke": "停用日历订阅地址",
}
audit.register_action_labels(ACTION_LABELS)
# Meeting verbs share names with other domains' ("edit"): labelled for meetings only.
audit.register_action_labels(MeetingAction.labels(), object_type="meeting")


def _secretary_actors(branch_id: int, user: "User | None") -> set[Actor]:
    if user is None or not user.is_authenticated:
        return set()
    return {Actor.secretary} if user.manages_branch(branch_id) else set()


class Meeting(Stateful, db.Model):
    __tablename__ = "meetings"
    __table_args__ = (
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "(state IN ('held', 'approved')) = (held_at IS NOT NULL)", name="held_has_time"
        ),
        sa.CheckConstraint(
            "(state = 'approved') = (approved_at IS NOT NULL AND approved_sha256 IS NOT NULL)",
            name="approved_has_fingerprint",
        ),
        sa.CheckConstraint(
            "state != 'cancelled' OR cancel_reason != ''", name="cancelled_has_reason"
        ),
        sa.Index("ix_meetings_branch_starts", "branch_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    party_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party_groups.id"))
    type: Mapped[MeetingType] = mapped_column(str_enum(MeetingType), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    state: Mapped[MeetingState] = mapped_column(
        str_enum(MeetingState, 16), default=MeetingState.planned, index=True
    )
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime | None]
    place: Mapped[str] = mapped_column(sa.String(120), default="")
    host: Mapped[str] = mapped_column(sa.String(40), default="")  # 主持人
    recorder: Mapped[str] = mapped_column(sa.String(40), default="")  # 记录人
    lecturer: Mapped[str] = mapped_column(sa.String(80), default="")  # 党课 授课人
    minutes: Mapped[str] = mapped_column(sa.Text, default="")  # 发言要点 / 会议记录
    # Quorum, fixed when attendance is recorded: None for meetings without one.
    entitled_count: Mapped[int] = mapped_column(default=0)
    present_count: Mapped[int] = mapped_column(default=0)
    quorum_met: Mapped[bool | None]
    held_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    cancel_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}
    lifecycle = MEETING_LIFECYCLE

    branch: Mapped[Branch] = relationship()
    agenda: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position"
    )
    attendance: Mapped[list["Attendance"]] = relationship(
        back_populates="meeting", order_by="Attendance.id"
    )
    resolutions: Mapped[list["Resolution"]] = relationship(
        back_populates="meeting", order_by="Resolution.position"
    )
    attachments: Mapped[list["MeetingAttachment"]] = relationship(
        back_populates="meeting", order_by="MeetingAttachment.id"
    )
    corrections: Mapped[list["MinutesCorrection"]] = relationship(
        back_populates="meeting", order_by="MinutesCorrection.id"
    )

    AUDIT_FIELDS = (
        "type", "title", "state", "starts_at", "ends_at", "place", "host", "recorder",
        "lecturer", "party_group_id", "quorum_met",
    )  # fmt: skip

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.type} {self.state}>"

    def actors(self, user: "User | None") -> set[Actor]:
        return _secretary_actors(self.branch_id, user)

    def can_view(self, user: "User | None") -> bool:
        return user is not None and user.is_authenticated and user.reads_branch(self.branch_id)

    @property
    def has_quorum_rule(self) -> bool:
        return self.type in QUORUM_TYPES

    @property
    def votes_valid(self) -> bool:
        """Votes count only where the quorum was met (or the meeting has no quorum rule)."""
        return self.quorum_met is not False

    @property
    def is_locked(self) -> bool:
        return self.state in (MeetingState.approved, MeetingState.cancelled)

    def canonical(self) -> dict[str, Any]:
        """What the approved minutes say, in a stable form: the fingerprint is its SHA-256."""
        return {
            "meeting": self.id,
            "branch": self.branch.code,
            "type": self.type.value,
            "title": self.title,
            "starts_at": format_datetime(self.starts_at),
            "ends_at": format_datetime(self.ends_at),
            "place": self.place,
            "host": self.host,
            "recorder": self.recorder,
            "lecturer": self.lecturer,
            "minutes": self.minutes,
            "agenda": [[i.position, i.title, i.notes] for i in self.agenda],
            "attendance": sorted(
                [a.member_id, a.member_name, a.status.value if a.status else "", a.reason]
                for a in self.attendance
            ),
            "quorum": [self.entitled_count, self.present_count, self.quorum_met],
            "resolutions": [
                [r.position, r.text, r.result.value, r.votes_for, r.votes_against, r.votes_abstain]
                for r in self.resolutions
            ],
        }

    def fingerprint(self) -> str:
        text = json.dumps(
            self.canonical(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def fingerprint_intact(self) -> bool | None:
        """Whether the stored minutes still hash to the approved fingerprint (None: not approved)."""
        if self.approved_sha256 is None:
            return None
        return self.fingerprint() == self.approved_sha256


class AgendaItem(db.Model):
    """议题, with its speaking points; a carried-over key task points at the task."""

    __tablename__ = "meeting_agenda_items"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "position"),
        sa.UniqueConstraint("meeting_id", "task_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    notes: Mapped[str] = mapped_column(sa.Text, default="")  # 发言要点
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("key_tasks.id"), index=True)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
    task: Mapped["KeyTask | None"] = relationship()


class Attendance(db.Model):
    """One expected member at one meeting; the status is recorded when the meeting is held."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "member_id"),
        sa.CheckConstraint("status != 'excused' OR reason != ''", name="excused_has_reason"),
        sa.Index("ix_meeting_attendance_member", "member_id", "meeting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"))
    # The name as it stood at the meeting: the minutes (and their fingerprint) keep it.
    member_name: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[AttendanceStatus | None] = mapped_column(str_enum(AttendanceStatus, 16))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    # Probationary members attend but have no vote: the quorum counts voting members.
    is_voting: Mapped[bool] = mapped_column(default=True)

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    member: Mapped[Member] = relationship()


class Resolution(db.Model):
    """决议 with its vote (表决结果); a vote at a meeting without quorum is invalid."""

    __tablename__ = "meeting_resolutions"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "position"),
        sa.CheckConstraint(
            "(votes_for IS NULL OR votes_for >= 0) AND (votes_against IS NULL OR votes_against >= 0)"
            " AND (votes_abstain IS NULL OR votes_abstain >= 0)",
            name="votes_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    result: Mapped[ResolutionResult] = mapped_column(str_enum(ResolutionResult, 16))
    votes_for: Mapped[int | None]
    votes_against: Mapped[int | None]
    votes_abstain: Mapped[int | None]
    task_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="resolutions")

    @property
    def is_valid(self) -> bool:
        return self.meeting.votes_valid

    @property
    def vote_text(self) -> str:
        if self.votes_for is None:
            return self.result.label
        return (
            f"赞成{self.votes_for}票，反对{self.votes_against or 0}票，"
            f"弃权{self.votes_abstain or 0}票，{self.result.label}"
        )


class MeetingAttachment(db.Model):
    """Photos and sign-in sheet scans; retired with the stored file, never deleted."""

    __tablename__ = "meeting_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_files.id"), unique=True)
    caption: Mapped[str] = mapped_column(sa.String(120), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship()


class MinutesCorrection(db.Model):
    """更正: who changed approved minutes, why, what it said before and after."""

    __tablename__ = "minutes_corrections"
    __table_args__ = (sa.CheckConstraint("reason != ''", name="has_reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    part: Mapped[str] = mapped_column(sa.String(40))  # minutes / agenda:<id> / resolution:<id>
    part_label: Mapped[str] = mapped_column(sa.String(80))
    before: Mapped[str] = mapped_column(sa.Text)
    after: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.String(500))
    sha256_before: Mapped[str] = mapped_column(sa.String(64))
    sha256_after: Mapped[str] = mapped_column(sa.String(64))
    corrected_at: Mapped[datetime] = mapped_column(default=utcnow)
    corrected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    corrected_by_name: Mapped[str] = mapped_column(sa.String(80), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="corrections")


key_task_supporters = sa.Table(
    "key_task_supporters",
    db.metadata,
    sa.Column("task_id", sa.ForeignKey("key_tasks.id"), primary_key=True),
    sa.Column("department_id", sa.ForeignKey("departments.id"), primary_key=True),
)


class KeyTask(Stateful, db.Model):
    """重点任务: one line of the responsibility list (责任清单)."""

    __tablename__ = "key_tasks"
    __table_args__ = (
        sa.CheckConstraint("(state = 'done') = (completed_on IS NOT NULL)", name="done_has_date"),
        sa.CheckConstraint(
            "state NOT IN ('postponed', 'cancelled') OR state_reason != ''",
            name="closed_has_reason",
        ),
        sa.CheckConstraint(
            "(source = 'resolution') = (resolution_id IS NOT NULL)", name="source_matches"
        ),
        sa.CheckConstraint("days_late IS NULL OR days_late > 0", name="days_late_positive"),
        sa.Index("ix_key_tasks_branch_state_deadline", "branch_id", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[TaskSource] = mapped_column(str_enum(TaskSource, 16))
    resolution_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting_resolutions.id"), index=True
    )
    lead_member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    deadline: Mapped[date] = mapped_column(index=True)
    original_deadline: Mapped[date]
    state: Mapped[TaskState] = mapped_column(
        str_enum(TaskState, 16), default=TaskState.not_started, index=True
    )
    state_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    is_party_building: Mapped[bool] = mapped_column(default=False)  # 党建专项
    completed_on: Mapped[date | None]
    days_late: Mapped[int | None]  # completed after the deadline: by how many days
    # Kept in step by add_progress so lists need no per-row queries.
    progress_count: Mapped[int] = mapped_column(default=0)
    last_progress_on: Mapped[date | None]
    last_progress: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}
    lifecycle = TASK_LIFECYCLE

    branch: Mapped[Branch] = relationship()
    lead_member: Mapped[Member] = relationship()
    department: Mapped[Department] = relationship()
    supporters: Mapped[list[Department]] = relationship(
        secondary=key_task_supporters, order_by=Department.name
    )
    resolution: Mapped[Resolution | None] = relationship()
    progress: Mapped[list["TaskProgress"]] = relationship(
        back_populates="task",
        order_by=lambda: (TaskProgress.recorded_on.desc(), TaskProgress.id.desc()),
    )

    AUDIT_FIELDS = (
        "title", "description", "lead_member_id", "department_id", "deadline", "state",
        "state_reason", "is_party_building", "completed_on", "days_late",
    )  # fmt: skip

    def __repr__(self) -> str:
        return f"<KeyTask {self.id} {self.state}>"

    def actors(self, user: "User | None") -> set[Actor]:
        found = _secretary_actors(self.branch_id, user)
        if user is not None and user.is_authenticated and user.member_id == self.lead_member_id:
            found.add(Actor.lead)
        return found

    def can_view(self, user: "User | None") -> bool:
        return user is not None and user.is_authenticated and user.reads_branch(self.branch_id)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TASK_STATES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.deadline < today

    @classmethod
    def overdue_condition(cls, today: date) -> sa.ColumnElement[bool]:
        return sa.and_(cls.state.in_(OPEN_TASK_STATES), cls.deadline < today)


class TaskProgress(db.Model):
    """A dated progress update (进展) with evidence files."""

    __tablename__ = "key_task_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("key_tasks.id"), index=True)
    recorded_on: Mapped[date]
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(sa.String(80), default="")

    task: Mapped[KeyTask] = relationship(back_populates="progress")
    evidence: Mapped[list["TaskEvidence"]] = relationship(
        back_populates="progress", order_by="TaskEvidence.id"
    )


class TaskEvidence(db.Model):
    __tablename__ = "key_task_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(sa.ForeignKey("key_task_progress.id"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_files.id"), unique=True)

    progress: Mapped[TaskProgress] = relationship(back_populates="evidence")
    file: Mapped[StoredFile] = relationship()


class CalendarFeed(db.Model):
    """A branch's .ics subscription: only the token's SHA-256 is kept; revocable."""

    __tablename__ = "meeting_calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), unique=True)
    token_sha256: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]

    branch: Mapped[Branch] = relationship()

    @property
    def is_active(self) -> bool:
        return self.token_sha256 is not None


def _attendance_summary(value: dict) -> str:
    """{member id: status} as counts per status: 出席 12 人，请假 1 人."""
    counts: dict[str, int] = {}
    for status in (value or {}).values():
        try:
            label = AttendanceStatus(status).label
        except ValueError:
            label = str(status)
        counts[label] = counts.get(label, 0) + 1
    return "，".join(f"{label} {n} 人" for label, n in counts.items()) or "—"


def _register_audit_labels() -> None:
    audit.register_object_type(
        "meeting",
        "会议",
        fields={
            "type": "会议类型", "title": "会议名称", "state": "状态", "starts_at": "开始时间",
            "ends_at": "结束时间", "place": "地点", "host": "主持人", "recorder": "记录人",
            "lecturer": "授课人", "quorum_met": "到会人数符合规定", "agenda_added": "新增议程",
            "resolution": "决议", "result": "表决结果", "sha256": "记录指纹（SHA-256）",
            "reason": "原因", "files": "附件数", "part": "更正部分", "text": "内容",
            "attendance": "出席情况", "present": "出席人数", "absent": "缺席人数",
        },
        values={
            "type": MeetingType,
            "state": MeetingState,
            "result": ResolutionResult,
            "attendance": _attendance_summary,
        },
        names=audit.names_from(Meeting.id, Meeting.title),
        link=("meetings.detail", "meeting_id"),
        order=30,
    )  # fmt: skip
    audit.register_object_type(
        "key_task",
        "重点任务",
        fields={
            "title": "任务名称", "description": "任务内容", "lead_member_id": "牵头人",
            "department_id": "牵头科室", "deadline": "完成时限", "state": "状态",
            "state_reason": "状态说明", "is_party_building": "党建任务", "completed_on": "完成日期",
            "days_late": "逾期天数", "progress": "进展", "files": "附件数",
        },
        values={"state": TaskState},
        refs={"lead_member_id": "member", "ids": "key_task"},
        names=audit.names_from(KeyTask.id, KeyTask.title),
        link=("meetings.task_detail", "task_id"),
        order=31,
    )  # fmt: skip
    audit.register_object_type(
        "meeting_feed",
        "会议日历订阅",
        names=audit.names_from(
            CalendarFeed.id, CalendarFeed.branch_id, fmt=lambda r: "支部日历订阅"
        ),
        order=32,
    )


_register_audit_labels()

# The compliance figures (cadence.py) and the workbench panels are cached per version of
# the meetings domain: every model here (and the supporters table) bumps it.
dataversion.track_module("meetings", __name__, key_task_supporters)
