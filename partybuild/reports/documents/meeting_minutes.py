"""会议记录: one meeting in the layout inspectors expect — name, time to the minute,
place, host, recorder, attendance with absences and reasons, agenda with speaking
points, resolutions with their votes, corrections, and the approval fingerprint."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core.permissions import Role
from partybuild.core.timeutil import format_datetime, to_local
from partybuild.extensions import db
from partybuild.meetings.models import AttendanceStatus, Meeting, MeetingState
from partybuild.org.models import Branch
from partybuild.reports.document import OfficialDocument
from partybuild.reports.registry import BuiltReport, Progress, ReportKind, ReportParams, register

logger = logging.getLogger(__name__)

LABEL = "会议记录"
RECORDED = (MeetingState.held, MeetingState.approved)
RESOLUTION_COLUMNS = [("序号", 12), ("决议事项", 88), ("表决结果", 56)]


def meeting_branch(meeting_id: int) -> Branch | None:
    meeting = db.session.get(Meeting, meeting_id)
    return meeting.branch if meeting is not None else None


def _meeting(params: ReportParams) -> Meeting:
    meeting = db.session.scalar(
        sa.select(Meeting)
        .where(Meeting.id == params.meeting_id)
        .options(
            selectinload(Meeting.agenda),
            selectinload(Meeting.attendance),
            selectinload(Meeting.resolutions),
            selectinload(Meeting.corrections),
            selectinload(Meeting.attachments),
        )
    )
    assert meeting is not None
    return meeting


def validate(params: ReportParams) -> dict[str, str]:
    meeting = db.session.get(Meeting, params.meeting_id)
    if meeting is None or meeting.state not in RECORDED:
        return {"meeting": "会议召开并登记会议记录后才能导出会议记录"}
    return {}


def count_rows(params: ReportParams) -> int:
    meeting = db.session.get(Meeting, params.meeting_id)
    return 1 if meeting is not None else 0


def title(params: ReportParams) -> str:
    meeting = db.session.get(Meeting, params.meeting_id)
    return f"{meeting.title}{LABEL}" if meeting is not None else LABEL


def _names(rows: list, status: AttendanceStatus, with_reason: bool = False) -> str:
    chosen = [a for a in rows if a.status == status]
    if not chosen:
        return "无"
    if with_reason:
        return "；".join(f"{a.member_name}（{a.reason or '未说明原因'}）" for a in chosen)
    return "、".join(a.member_name for a in chosen)


def build(params: ReportParams, progress: Progress) -> BuiltReport:
    m = _meeting(params)
    doc = OfficialDocument(f"{m.title}{LABEL}", issuer=m.branch.name)
    doc.key_value("会议名称", m.title)
    doc.key_value("会议类型", m.type.label)
    when = format_datetime(m.starts_at)
    if m.ends_at:
        when += f" 至 {format_datetime(m.ends_at)[11:] if m.ends_at.date() == m.starts_at.date() else format_datetime(m.ends_at)}"
    doc.key_value("时间", when)
    doc.key_value("地点", m.place or "—")
    doc.key_value("主持人", m.host or "—")
    doc.key_value("记录人", m.recorder or "—")
    if m.lecturer:
        doc.key_value("授课人", m.lecturer)
    rows = list(m.attendance)
    present = sum(1 for a in rows if a.status == AttendanceStatus.present)
    doc.key_value("应到人数", f"{len(rows)}人（其中有表决权{m.entitled_count}人）")
    doc.key_value("实到人数", f"{present}人（其中有表决权{m.present_count}人）")
    doc.key_value("出席人员", _names(rows, AttendanceStatus.present))
    doc.key_value("请假人员及原因", _names(rows, AttendanceStatus.excused, True))
    doc.key_value("缺席人员及原因", _names(rows, AttendanceStatus.absent, True))
    if m.quorum_met is False:
        doc.paragraph(
            "本次会议实到有表决权人数未超过应到人数的规定比例，不足法定人数，会议表决无效。"
        )

    doc.heading("一、会议议题")
    for item in m.agenda:
        doc.paragraph(f"{item.position}. {item.title}")
    if not m.agenda:
        doc.paragraph("无")
    doc.heading("二、发言要点")
    for item in m.agenda:
        if item.notes:
            doc.heading(f"（{_cn(item.position)}）{item.title}", level=2)
            for line in item.notes.splitlines():
                if line.strip():
                    doc.paragraph(line.strip())
    for line in (m.minutes or "").splitlines():
        if line.strip():
            doc.paragraph(line.strip())
    doc.heading("三、表决结果")
    if m.resolutions:
        doc.table(
            RESOLUTION_COLUMNS,
            [
                (r.position, r.text, r.vote_text + ("（表决无效）" if not r.is_valid else ""))
                for r in m.resolutions
            ],
        )
    else:
        doc.paragraph("本次会议无表决事项。")
    if m.corrections:
        doc.heading("四、更正记录")
        for c in m.corrections:
            doc.paragraph(
                f"{format_datetime(c.corrected_at)}，{c.corrected_by_name}更正{c.part_label}，"
                f"原因：{c.reason}。更正前：{c.before}；更正后：{c.after}。"
            )
    if m.approved_sha256:
        doc.paragraph(
            f"本记录已于{format_datetime(m.approved_at)}审定锁定，审定版本数字指纹（SHA-256）：",
            indent=False,
        )
        doc.paragraph(m.approved_sha256, indent=False)
    else:
        doc.paragraph("本记录尚未审定。", indent=False)
    names = [a.file.original_name for a in m.attachments if not a.file.is_retired]
    if names:
        doc.attachments(names)
    # Signed by host and recorder, dated on the meeting's day (not the export day).
    doc.sign_off(
        to_local(m.starts_at).date(),
        signers=("主持人（签名）", "记录人（签名）"),
        issuer=m.branch.name,
        blank_lines=1,
    )
    progress(1, 1)
    return BuiltReport(doc, 1)


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九十"
    return digits[n] if n <= 10 else str(n)


KIND = register(
    ReportKind(
        key="minutes",
        label=LABEL,
        description="一次会议的会议记录：出席、请假缺席及原因、议题、发言要点、表决结果和审定指纹（在会议页面导出）",
        build=build,
        count_rows=count_rows,
        title=title,
        period="none",
        meeting_branch=meeting_branch,
        roles=frozenset({Role.admin, Role.reviewer, Role.secretary}),
        validate=validate,
        order=32,
    )
)
