"""The rules of the issue, through the services: quorum, locking and corrections,
carry-over of open tasks, bad input, delays."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from partybuild.core.service import PermissionDenied, ServiceError, ValidationFailed
from partybuild.core.states import TransitionRefused
from partybuild.extensions import db
from partybuild.meetings import service
from partybuild.meetings.models import (
    AttendanceStatus,
    Meeting,
    MeetingState,
    MeetingType,
    MinutesCorrection,
    TaskSource,
    TaskState,
)
from tests.meetings.conftest import local


def test_plan_expects_every_active_member_of_the_branch(world):
    m = world.meeting()
    names = {a.member_name for a in m.attendance}
    assert names == {"党员1", "党员2", "党员3", "党员4", "预备党员甲", "李局长"}
    assert "乙支部党员" not in names
    assert {a.member_name for a in m.attendance if not a.is_voting} == {"预备党员甲"}


def test_end_before_start_is_refused(world):
    with pytest.raises(ValidationFailed) as exc:
        world.meeting(starts_at=local(2026, 3, 5, 9), ends_at=local(2026, 3, 5, 8, 30))
    assert exc.value.errors["ends_at"] == "结束时间须晚于开始时间"


def test_party_lecture_needs_a_lecturer(world):
    with pytest.raises(ValidationFailed) as exc:
        world.meeting(MeetingType.party_lecture, lecturer="")
    assert "授课人" in exc.value.errors["lecturer"]


def test_quorum_not_more_than_half_flags_meeting_and_voids_votes(world):
    m = world.meeting(MeetingType.general_assembly)
    # 5 voting members (the probationary member has no vote): 2 present is not more than half.
    world.hold(m, present=2)
    assert m.entitled_count == 5 and m.present_count == 2
    assert m.quorum_met is False and not m.votes_valid
    r = service.add_resolution(
        m, {"text": "同意接收张三为预备党员", "result": "agreed"}, world.secretary
    )
    assert r.is_valid is False
    voted = service.add_resolution(
        m,
        {"text": "通过年度计划", "result": "rejected", "votes_for": 1, "votes_against": 1,
         "votes_abstain": 0},
        world.secretary,
    )  # fmt: skip
    assert voted.is_valid is False
    with pytest.raises(ServiceError, match="表决无效"):
        service.task_from_resolution(voted, {}, world.secretary)


def test_quorum_more_than_half_is_met(world):
    m = world.meeting(MeetingType.general_assembly)
    voting = [a for a in m.attendance if a.is_voting]
    entries = [(a.member_id, "present" if i < 3 else "absent", "") for i, a in enumerate(voting)]
    # The probationary member attends but does not count towards the quorum.
    entries += [(a.member_id, "present", "") for a in m.attendance if not a.is_voting]
    service.record_meeting(m, {"attendance": entries, "minutes": "x"}, world.secretary)
    assert (m.entitled_count, m.present_count, m.quorum_met) == (5, 3, True)
    assert all(a.status == AttendanceStatus.present for a in m.attendance if not a.is_voting)


def test_quorum_is_a_setting(world, app):
    from partybuild.core.settings import change_setting

    change_setting("MEETING_QUORUM_PERCENT", "70", world.users["admin"])
    db.session.commit()
    m = world.meeting(MeetingType.general_assembly)
    rows = [a for a in m.attendance if a.is_voting]
    entries = [(a.member_id, "present" if i < 3 else "absent", "") for i, a in enumerate(rows)]
    entries += [(a.member_id, "present", "") for a in m.attendance if not a.is_voting]
    service.record_meeting(m, {"attendance": entries, "minutes": "x"}, world.secretary)
    assert m.present_count == 3 and m.quorum_met is False  # 60% is not more than 70%


def test_meetings_without_a_quorum_rule_are_not_flagged(world):
    m = world.meeting(MeetingType.theme_day)
    world.hold(m, present=1)
    assert m.quorum_met is None and m.votes_valid


def test_attendance_for_another_branch_member_is_refused(world):
    m = world.meeting()
    entries = [(a.member_id, "present", "") for a in m.attendance]
    entries.append((world.other_branch_member.id, "present", ""))
    with pytest.raises(ValidationFailed) as exc:
        service.record_meeting(m, {"attendance": entries, "minutes": "x"}, world.secretary)
    assert "不是本支部党员" in exc.value.errors["attendance"]
    db.session.rollback()
    assert db.session.get(Meeting, m.id).state == MeetingState.planned


def test_duplicate_attendance_is_refused(world):
    m = world.meeting()
    entries = [(a.member_id, "present", "") for a in m.attendance]
    entries.append((entries[0][0], "absent", ""))
    with pytest.raises(ValidationFailed, match="重复登记"):
        service.record_meeting(m, {"attendance": entries, "minutes": "x"}, world.secretary)


def test_every_expected_member_needs_a_status_and_excused_a_reason(world):
    m = world.meeting()
    entries = [(a.member_id, "present", "") for a in m.attendance][1:]
    with pytest.raises(ValidationFailed, match="未登记"):
        service.record_meeting(m, {"attendance": entries, "minutes": "x"}, world.secretary)
    entries = [(a.member_id, "excused" if i == 0 else "present", "") for i, a in
               enumerate(m.attendance)]  # fmt: skip
    with pytest.raises(ValidationFailed, match="请假原因"):
        service.record_meeting(m, {"attendance": entries, "minutes": "x"}, world.secretary)


def test_approved_minutes_are_locked_and_fingerprinted(world):
    m = world.approved()
    assert m.state == MeetingState.approved
    assert len(m.approved_sha256) == 64 and m.fingerprint_intact
    for action in (
        lambda: service.record_meeting(m, {"attendance": [], "minutes": "改"}, world.secretary),
        lambda: service.update_meeting(m, {"title": "x"}, world.secretary),
        lambda: service.add_resolution(m, {"text": "x", "result": "agreed"}, world.secretary),
    ):
        with pytest.raises(TransitionRefused):
            action()
    # A silent change (bypassing the services) no longer matches the fingerprint.
    m.minutes = "偷偷改过的记录"
    assert m.fingerprint_intact is False


def test_correction_is_recorded_with_who_why_before_after(world):
    m = world.approved()
    sha = m.approved_sha256
    c = service.correct_minutes(
        m, "minutes", "与会同志逐一发言，一致同意。", "漏记表态", world.secretary
    )
    db.session.commit()
    assert (c.before, c.after, c.reason) == (
        "与会同志逐一发言。",
        "与会同志逐一发言，一致同意。",
        "漏记表态",
    )
    assert c.corrected_by_id == world.secretary.id
    assert c.sha256_before == sha and c.sha256_after == m.approved_sha256 != sha
    assert m.fingerprint_intact
    with pytest.raises(ValidationFailed, match="更正原因"):
        service.correct_minutes(m, "minutes", "再改", "", world.secretary)
    assert db.session.scalar(sa.select(sa.func.count(MinutesCorrection.id))) == 1


def test_only_the_branch_secretary_changes_a_meeting(world):
    m = world.meeting()
    for who in ("member", "reviewer", "other_secretary"):
        with pytest.raises(PermissionDenied):
            service.cancel_meeting(m, "改期", world.users[who])
    with pytest.raises(PermissionDenied):
        service.plan_meeting(world.org.a, {}, world.users["other_secretary"])


def test_open_and_overdue_tasks_are_carried_into_the_next_review_meeting(world):
    overdue = world.task(deadline=world.today - timedelta(days=3), title="逾期任务")
    soon = world.task(deadline=world.today + timedelta(days=10), title="即将到期任务")
    later = world.task(deadline=world.today + timedelta(days=200), title="年底任务")
    done = world.task(deadline=world.today - timedelta(days=1), title="已完成任务")
    service.complete_task(done, world.today - timedelta(days=2), world.secretary)
    db.session.commit()
    m = world.meeting(MeetingType.committee_meeting, agenda="学习")
    carried = {i.task_id for i in m.agenda if i.task_id}
    assert carried == {overdue.id, soon.id}
    assert later.id not in carried and done.id not in carried
    titles = [i.title for i in m.agenda]
    assert any("逾期任务（已逾期）" in t for t in titles)
    # Idempotent: editing the planned meeting does not add them twice.
    service.carry_open_tasks(m)
    assert len([i for i in m.agenda if i.task_id]) == 2
    # A party lecture is not a review meeting.
    lecture = world.meeting(MeetingType.party_lecture, agenda="")
    assert not [i for i in lecture.agenda if i.task_id]


def test_resolution_becomes_key_task(world):
    m = world.meeting()
    world.hold(m)
    r = service.add_resolution(
        m,
        {"text": "开展信访积案化解专项行动", "result": "passed", "votes_for": 5,
         "votes_against": 0, "votes_abstain": 0},
        world.secretary,
    )  # fmt: skip
    data = {
        "title": "信访积案化解专项行动",
        "lead_member_id": world.leader.id,
        "department_id": world.org.department.id,
        "deadline": world.today + timedelta(days=60),
        "is_party_building": True,
    }
    t1 = service.task_from_resolution(r, data, world.secretary)
    t2 = service.task_from_resolution(r, {**data, "title": "第二项"}, world.secretary)
    assert t1.source == TaskSource.resolution and t1.resolution_id == r.id
    assert r.task_count == 2 and t2.is_party_building


def test_votes_cannot_exceed_those_present(world):
    m = world.meeting()
    world.hold(m, present=3)
    with pytest.raises(ValidationFailed, match="超过实到"):
        service.add_resolution(
            m,
            {"text": "x", "result": "passed", "votes_for": 4, "votes_against": 0,
             "votes_abstain": 0},
            world.secretary,
        )  # fmt: skip


def test_task_completed_late_records_delay(world):
    t = world.task(deadline=world.today - timedelta(days=5))
    assert t.is_overdue(world.today)
    service.complete_task(t, world.today, world.secretary)
    assert t.state == TaskState.done and t.days_late == 5 and not t.is_overdue(world.today)
    on_time = world.task(deadline=world.today + timedelta(days=5), title="按期任务")
    service.complete_task(on_time, world.today, world.users["leader"])  # the leader may
    assert on_time.days_late is None


def test_postpone_and_cancel_need_reasons(world):
    t = world.task()
    with pytest.raises(ValidationFailed, match="延期原因"):
        service.postpone_task(t, t.deadline + timedelta(days=30), "", world.secretary)
    with pytest.raises(ValidationFailed, match="晚于原时限"):
        service.postpone_task(t, t.deadline, "上级部署调整", world.secretary)
    original = t.deadline
    service.postpone_task(t, original + timedelta(days=30), "上级部署调整", world.secretary)
    assert t.state == TaskState.postponed and t.original_deadline == original
    with pytest.raises(PermissionDenied):
        service.cancel_task(t, "重复录入", world.users["leader"])
    service.cancel_task(t, "重复录入", world.secretary)
    assert t.state == TaskState.cancelled and t.state_reason == "重复录入"
    with pytest.raises(TransitionRefused):
        service.add_progress(t, {"text": "x", "recorded_on": world.today}, [], world.secretary)


def test_progress_moves_task_and_keeps_latest(world):
    t = world.task()
    service.add_progress(
        t, {"text": "召开推进会", "recorded_on": world.today}, [], world.users["leader"]
    )
    assert t.state == TaskState.in_progress and t.progress_count == 1
    assert t.last_progress == "召开推进会"
    with pytest.raises(PermissionDenied):
        service.add_progress(
            t, {"text": "x", "recorded_on": world.today}, [], world.users["member"]
        )
    with pytest.raises(ValidationFailed, match="晚于今天"):
        service.add_progress(
            t, {"text": "x", "recorded_on": world.today + timedelta(days=1)}, [], world.secretary
        )


def test_task_lead_must_be_of_the_organisation(world, app):
    from partybuild.org.models import Branch, Gender, Member, MemberStatus, Organization

    other_org = Organization(name="别的单位")
    branch = Branch(organization=other_org, code="Z", name="别的支部")
    stranger = Member(
        branch=branch, name="外人", gender=Gender.male, birth_on=world.today.replace(year=1980),
        joined_on=world.today.replace(year=2000), status=MemberStatus.probationary,
    )  # fmt: skip
    db.session.add_all([other_org, branch, stranger])
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        world.task(lead_member_id=stranger.id)
    assert "本单位" in exc.value.errors["lead_member_id"]


def test_attendance_rate(world):
    me = world.members[0]
    for present in (6, 0):
        m = world.meeting()
        world.hold(m, present=present)
    summary = service.attendance_summary(me.id)
    assert summary["total"] == 2 and summary["present"] == 1 and summary["rate"] == 50


def test_exactly_half_is_not_a_quorum(world, make_member):
    make_member(branch=world.org.a, name="党员6")  # six voting members now
    m = world.meeting(MeetingType.general_assembly)
    voting = [a for a in m.attendance if a.is_voting]
    entries = [(a.member_id, "present" if i < 3 else "excused", "公出") for i, a in
               enumerate(voting)]  # fmt: skip
    entries += [(a.member_id, "present", "") for a in m.attendance if not a.is_voting]
    service.record_meeting(m, {"attendance": entries, "minutes": "x"}, world.secretary)
    assert (m.entitled_count, m.present_count) == (6, 3)
    assert m.quorum_met is False


def test_meeting_audit_labels_do_not_rename_other_domains_actions(app):
    from partybuild.core.audit import AuditEntry

    assert AuditEntry(action="edit", object_type="meeting").action_label == "修改会议信息"
    assert AuditEntry(action="edit", object_type="commitment").action_label == "修改承诺"


def test_committee_meeting_expects_the_branch_committee(world, make_member):
    m = world.meeting(MeetingType.committee_meeting)
    assert {a.member_id for a in m.attendance} == {c.id for c in world.committee}
    # Its quorum counts the committee: 2 of 3 is more than half.
    world.hold(m, present=2)
    assert (m.entitled_count, m.present_count, m.quorum_met) == (3, 2, True)


def test_committee_meeting_quorum_is_the_committees(world):
    m = world.meeting(MeetingType.committee_meeting)
    world.hold(m, present=1)  # 1 of 3: not more than half, though the branch has 6
    assert (m.entitled_count, m.present_count, m.quorum_met) == (3, 1, False)


def test_member_sitting_in_on_a_committee_meeting_has_no_vote(world):
    m = world.meeting(MeetingType.committee_meeting)
    entries = [(a.member_id, "present" if i == 0 else "absent", "") for i, a in
               enumerate(m.attendance)]  # fmt: skip
    entries.append((world.members[3].id, "present", ""))  # not on the committee: 列席
    service.record_meeting(m, {"attendance": entries, "minutes": "x"}, world.secretary)
    sitting_in = next(a for a in m.attendance if a.member_id == world.members[3].id)
    assert sitting_in.is_voting is False
    assert (m.entitled_count, m.present_count, m.quorum_met) == (3, 1, False)


def test_committee_meeting_without_a_committee_is_refused(world):
    from partybuild.org.models import CommitteeMember

    db.session.execute(sa.delete(CommitteeMember))
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        world.meeting(MeetingType.committee_meeting)
    assert "尚未设置支部委员会成员，不能安排支委会" in exc.value.errors["type"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0
