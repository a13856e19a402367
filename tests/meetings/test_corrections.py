"""After approval: attendance and votes are corrected only on the record (who, why,
before/after), the quorum and the fingerprint are recomputed; attachments are
retired with a reason, never deleted, and disappear for members."""

import pytest
import sqlalchemy as sa

from partybuild.core.audit import AuditEntry
from partybuild.core.service import ServiceError, ValidationFailed
from partybuild.core.states import TransitionRefused
from partybuild.core.storage import StoredFile
from partybuild.extensions import db
from partybuild.meetings import service
from partybuild.meetings.models import (
    AttendanceStatus,
    MeetingAttachment,
    MeetingType,
    MinutesCorrection,
    ResolutionResult,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _approved_assembly(world, present: int = 3, votes=(3, 0, 0)):
    """A 支部党员大会 (5 voting members) with ``present`` present and one voted resolution."""
    m = world.meeting(MeetingType.general_assembly)
    voting = [a for a in m.attendance if a.is_voting]
    entries = [(a.member_id, "present" if i < present else "absent", "") for i, a in
               enumerate(voting)]  # fmt: skip
    entries += [(a.member_id, "present", "") for a in m.attendance if not a.is_voting]
    service.record_meeting(m, {"attendance": entries, "minutes": "讨论。"}, world.secretary)
    if votes is None:
        data = {"text": "议定下月活动安排", "result": "agreed"}
    else:
        data = {"text": "通过年度计划", "result": "passed", "votes_for": votes[0],
                "votes_against": votes[1], "votes_abstain": votes[2]}  # fmt: skip
    service.add_resolution(m, data, world.secretary)
    service.approve_minutes(m, world.secretary)
    db.session.commit()
    return m


def _row(m, status):
    return next(a for a in m.attendance if a.is_voting and a.status == status)


def test_attendance_correction_recounts_quorum_and_fingerprint(world):
    m = _approved_assembly(world, present=3, votes=None)  # 3 of 5: met
    sha = m.approved_sha256
    row = _row(m, AttendanceStatus.present)
    c = service.correct_attendance(m, row.id, "excused", "公出", "签到表核对有误", world.secretary)
    db.session.commit()
    assert row.status == AttendanceStatus.excused and row.reason == "公出"
    # 2 of 5 present is no longer a quorum: the votes are void now.
    assert (m.present_count, m.quorum_met) == (2, False) and not m.resolutions[0].is_valid
    assert c.part == f"attendance:{row.id}" and c.reason == "签到表核对有误"
    assert c.before == "出席；应到有表决权5人，实到3人，达到法定人数"
    assert c.after == "请假（公出）；应到有表决权5人，实到2人，不足法定人数，表决无效"
    assert c.corrected_by_id == world.secretary.id
    assert c.sha256_before == sha and c.sha256_after == m.approved_sha256 != sha
    assert m.fingerprint_intact
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "correct").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.after["quorum_met"] is False and entry.after["reason"] == "签到表核对有误"


def test_attendance_correction_back_restores_quorum(world):
    m = _approved_assembly(world, present=2, votes=None)  # 2 of 5: not met
    assert m.quorum_met is False
    row = _row(m, AttendanceStatus.absent)
    service.correct_attendance(m, row.id, "present", "", "漏登记出席", world.secretary)
    assert (m.present_count, m.quorum_met) == (3, True) and m.resolutions[0].is_valid


def test_attendance_correction_rules(world):
    m = _approved_assembly(world, present=3)
    row = _row(m, AttendanceStatus.present)
    with pytest.raises(ValidationFailed) as exc:
        service.correct_attendance(m, row.id, "excused", "", "", world.secretary)
    assert exc.value.errors == {"absence_reason": "请假须填写请假原因", "reason": "请填写更正原因"}
    with pytest.raises(ValidationFailed, match="与原记录相同"):
        service.correct_attendance(m, row.id, "present", "", "核对", world.secretary)
    with pytest.raises(ValidationFailed) as exc:
        service.correct_attendance(m, 999_999, "present", "", "核对", world.secretary)
    assert "attendance_id" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        service.correct_attendance(m, row.id, "late", "", "核对", world.secretary)
    assert "status" in exc.value.errors
    # Three votes were cast: one of three present cannot be made absent before the vote is.
    with pytest.raises(ValidationFailed, match="请先更正该决议的表决结果"):
        service.correct_attendance(m, row.id, "absent", "", "核对", world.secretary)
    assert row.status == AttendanceStatus.present and m.present_count == 3
    assert db.session.scalar(sa.select(sa.func.count(MinutesCorrection.id))) == 0
    # Not before approval, and never by a member or another branch's secretary.
    held = world.meeting(MeetingType.general_assembly)
    world.hold(held)
    with pytest.raises(TransitionRefused):
        service.correct_attendance(held, held.attendance[0].id, "absent", "", "x", world.secretary)
    from partybuild.core.service import PermissionDenied

    for who in ("member", "other_secretary", "reviewer"):
        with pytest.raises(PermissionDenied):
            service.correct_attendance(m, row.id, "absent", "", "x", world.users[who])


def test_vote_correction_is_checked_like_a_vote_and_recorded(world):
    m = _approved_assembly(world, present=4, votes=(3, 0, 0))
    r = m.resolutions[0]
    sha = m.approved_sha256
    with pytest.raises(ValidationFailed, match="超过实到"):
        service.correct_vote(m, r.id, {"result": "passed", "votes_for": 5, "votes_against": 0,
                                       "votes_abstain": 0}, "点票有误", world.secretary)  # fmt: skip
    with pytest.raises(ValidationFailed, match="不能记为“通过”"):
        service.correct_vote(m, r.id, {"result": "passed", "votes_for": 2, "votes_against": 2,
                                       "votes_abstain": 0}, "点票有误", world.secretary)  # fmt: skip
    with pytest.raises(ValidationFailed, match="与原记录相同"):
        service.correct_vote(m, r.id, {"result": "passed", "votes_for": 3, "votes_against": 0,
                                       "votes_abstain": 0}, "点票有误", world.secretary)  # fmt: skip
    with pytest.raises(ValidationFailed, match="更正原因"):
        service.correct_vote(m, r.id, {"result": "passed", "votes_for": 4, "votes_against": 0,
                                       "votes_abstain": 0}, " ", world.secretary)  # fmt: skip
    c = service.correct_vote(
        m, r.id, {"result": "passed", "votes_for": 3, "votes_against": 1, "votes_abstain": 0},
        "漏记一张反对票", world.secretary,
    )  # fmt: skip
    db.session.commit()
    assert (r.result, r.votes_for, r.votes_against) == (ResolutionResult.passed, 3, 1)
    assert c.before == "赞成3票，反对0票，弃权0票，通过"
    assert c.after == "赞成3票，反对1票，弃权0票，通过"
    assert c.part_label == "决议1的表决结果" and c.reason == "漏记一张反对票"
    assert c.sha256_before == sha != m.approved_sha256 and m.fingerprint_intact


def test_corrections_over_http(client, auth, world):
    m = _approved_assembly(world, present=4, votes=(3, 0, 0))
    row = _row(m, AttendanceStatus.absent)
    auth.login(world.secretary)
    resp = client.post(
        f"/meetings/{m.id}/correct/attendance",
        data={"att-attendance_id": str(row.id), "att-status": "excused",
              "att-absence_reason": "", "att-reason": "核对请假条"},
    )  # fmt: skip
    assert resp.status_code == 400 and "请假须填写请假原因" in resp.get_data(as_text=True)
    resp = client.post(
        f"/meetings/{m.id}/correct/attendance",
        data={"att-attendance_id": str(row.id), "att-status": "excused",
              "att-absence_reason": "病假", "att-reason": "核对请假条"},
    )  # fmt: skip
    assert resp.status_code == 302
    resp = client.post(
        f"/meetings/{m.id}/correct/vote",
        data={"vote-resolution_id": str(m.resolutions[0].id), "vote-result": "passed",
              "vote-votes_for": "4", "vote-votes_against": "0", "vote-votes_abstain": "0",
              "vote-reason": "点票有误"},
    )  # fmt: skip
    assert resp.status_code == 302
    page = client.get(f"/meetings/{m.id}").get_data(as_text=True)
    db.session.expire_all()
    m = db.session.get(type(m), m.id)
    assert "核对请假条" in page and "请假（病假）" in page and "点票有误" in page
    assert m.approved_sha256 in page and m.fingerprint_intact
    # Another branch's secretary cannot reach the meeting at all.
    auth.login(world.users["other_secretary"])
    resp = client.post(
        f"/meetings/{m.id}/correct/vote",
        data={
            "vote-resolution_id": str(m.resolutions[0].id),
            "vote-result": "agreed",
            "vote-reason": "x",
        },
    )
    assert resp.status_code == 404


def _attach(world, m, name="签到表.png"):
    service.add_attachments(m, [(name, PNG)], "签到表", world.secretary)
    db.session.commit()
    return m.attachments[-1]


def test_attachment_is_retired_with_reason_never_deleted(world):
    m = world.approved()
    att = _attach(world, m)
    with pytest.raises(ValidationFailed, match="停用原因"):
        service.retire_attachment(m, att.id, " ", world.secretary)
    from partybuild.core.service import PermissionDenied

    with pytest.raises(PermissionDenied):
        service.retire_attachment(m, att.id, "传错", world.users["member"])
    service.retire_attachment(m, att.id, "传错了文件", world.secretary)
    db.session.commit()
    stored = db.session.get(StoredFile, att.file_id)
    assert stored.is_retired and stored.retired_reason == "传错了文件"
    assert stored.retired_by_id == world.secretary.id
    assert db.session.get(MeetingAttachment, att.id) is not None  # the row stays
    with pytest.raises(ServiceError, match="已停用"):
        service.retire_attachment(m, att.id, "再停", world.secretary)
    with pytest.raises(ServiceError, match="不属于本次会议"):
        service.retire_attachment(m, 999_999, "x", world.secretary)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "meeting")
    ).all()
    assert "retire_attachment" in actions
    # The approved minutes do not change: attachments are not part of the fingerprint.
    assert m.fingerprint_intact


def test_retired_attachment_is_hidden_from_members(client, auth, world):
    m = world.approved()
    keep, wrong = _attach(world, m, "合影.png"), _attach(world, m, "错误文件.png")
    auth.login(world.secretary)
    resp = client.post(f"/meetings/{m.id}/attachments/{wrong.id}/retire", data={"text": ""})
    assert resp.status_code == 400
    resp = client.post(
        f"/meetings/{m.id}/attachments/{wrong.id}/retire", data={"text": "传错了文件"}
    )
    assert resp.status_code == 302
    page = client.get(f"/meetings/{m.id}").get_data(as_text=True)
    assert "错误文件.png" in page and "传错了文件" in page  # the secretary sees the record
    assert client.get(f"/meetings/attachments/{wrong.id}").status_code == 200
    auth.login(world.users["member"])
    page = client.get(f"/meetings/{m.id}").get_data(as_text=True)
    assert "合影.png" in page and "错误文件.png" not in page and "传错了文件" not in page
    assert client.get(f"/meetings/attachments/{wrong.id}").status_code == 404
    assert client.get(f"/meetings/attachments/{keep.id}").status_code == 200
    # Another branch's secretary cannot retire it.
    auth.login(world.users["other_secretary"])
    resp = client.post(f"/meetings/{m.id}/attachments/{keep.id}/retire", data={"text": "x"})
    assert resp.status_code == 404
