"""Random action sequences by random roles (hypothesis) over a meeting and a key task,
checking the lifecycles' invariants: refused actions change nothing; a successful one
lands where the transition table says; approved minutes always match their fingerprint
and every correction links the fingerprints in a chain; the quorum figures agree with
the attendance; a cancelled meeting and a closed task never change again."""

import itertools
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from partybuild.core.service import ServiceError
from partybuild.core.settings import setting
from partybuild.core.storage import StoredFile
from partybuild.extensions import db
from partybuild.meetings import service
from partybuild.meetings.models import (
    MEETING_TRANSITIONS,
    QUORUM_TYPES,
    TASK_TRANSITIONS,
    AttendanceStatus,
    KeyTask,
    Meeting,
    MeetingAction,
    MeetingAttachment,
    MeetingState,
    MeetingType,
    TaskAction,
    TaskProgress,
    TaskState,
)

MA, MS, TA, TS = MeetingAction, MeetingState, TaskAction, TaskState
ROLES = ["secretary", "admin", "member", "leader", "reviewer", "other_secretary"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# Derandomized: the same sequences every run, so the "every end state was reached" checks
# cannot fail by chance in CI (a changed rule or table still changes what is explored).
SETTINGS = dict(
    derandomize=True,
    stateful_step_count=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _meeting_call(action: MeetingAction, m: Meeting, user, world, n: int, pick: int):  # noqa: ANN001, ANN202
    """One service call for ``action`` with plausible data (``n`` makes texts unique,
    ``pick`` chooses a row and a status)."""
    status = list(AttendanceStatus)[pick % 3].value
    if action == MA.edit:
        data = {"title": f"会议{n}", "starts_at": m.starts_at, "place": "会议室"}
        return service.update_meeting(m, data, user, m.version_id)
    if action == MA.record:
        entries = [
            (a.member_id, "present" if (i + pick) % 3 else status, "公出")
            for i, a in enumerate(m.attendance)
        ]
        return service.record_meeting(m, {"attendance": entries, "minutes": f"记录{n}"}, user)
    if action == MA.add_resolution:
        return service.add_resolution(m, {"text": f"决议{n}", "result": "agreed"}, user)
    if action == MA.attach:
        return service.add_attachments(m, [(f"照片{n}.png", PNG)], "", user)
    if action == MA.retire_attachment:
        ids = [a.id for a in m.attachments] or [0]
        return service.retire_attachment(m, ids[pick % len(ids)], f"传错{n}", user)
    if action == MA.approve:
        return service.approve_minutes(m, user)
    if action == MA.correct:
        kind = pick % 3
        if kind == 0:
            return service.correct_minutes(m, "minutes", f"更正{n}", "补记", user)
        if kind == 1:
            rows = m.attendance or []
            row_id = rows[pick % len(rows)].id if rows else 0
            return service.correct_attendance(m, row_id, status, "公出", "核对", user)
        ids = [r.id for r in m.resolutions] or [0]
        data = {"result": "passed", "votes_for": n % 7, "votes_against": 0, "votes_abstain": 0}
        return service.correct_vote(m, ids[pick % len(ids)], data, "点票", user)
    if action == MA.cancel:
        return service.cancel_meeting(m, f"改期{n}", user)
    assert action == MA.make_task
    if not m.resolutions:
        raise ServiceError("没有决议")
    data = {
        "title": f"任务{n}", "lead_member_id": world.leader.id,
        "department_id": world.org.department.id,
        "deadline": world.today + timedelta(days=30),
    }  # fmt: skip
    return service.task_from_resolution(m.resolutions[0], data, user)


def test_meeting_action_sequences_keep_invariants(app, backend, world):
    counter = itertools.count(1)
    reached: set[MeetingState] = set()

    class MeetingMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            db.session.rollback()
            mtype = [MeetingType.general_assembly, MeetingType.committee_meeting,
                     MeetingType.theme_day][next(counter) % 3]  # fmt: skip
            n = next(counter)
            self.mid = world.meeting(mtype, title=f"会议{n}").id
            self.frozen = None
            if n % 4 == 0:  # some runs work on a cancelled meeting: nothing may change it
                service.cancel_meeting(self.m, "改期", world.secretary)
                db.session.commit()
                reached.add(MS.cancelled)

        @property
        def m(self) -> Meeting:
            return db.session.get(Meeting, self.mid)

        def snapshot(self) -> tuple:
            m = self.m
            retired = db.session.scalar(
                sa.select(sa.func.count(StoredFile.id))
                .join(MeetingAttachment, MeetingAttachment.file_id == StoredFile.id)
                .where(MeetingAttachment.meeting_id == m.id, StoredFile.is_retired.is_(True))
            )
            return (
                m.state, m.version_id, m.approved_sha256, m.fingerprint(), len(m.attachments),
                retired, len(m.corrections), sum(r.task_count for r in m.resolutions),
            )  # fmt: skip

        def attempt(self, action: MeetingAction, role: str, pick: int) -> None:
            m = self.m
            before, state = self.snapshot(), m.state
            entry = MEETING_TRANSITIONS.get((state, action))
            try:
                _meeting_call(action, m, world.users[role], world, next(counter), pick)
            except ServiceError:
                db.session.rollback()
                db.session.expire_all()
                assert self.snapshot() == before, (action, role)
            else:
                db.session.commit()
                assert entry is not None and self.m.state == entry.to, (action, role)
                assert role in ("secretary", "admin"), (action, role)
                reached.add(self.m.state)

        @rule(
            action=st.sampled_from(list(MeetingAction)),
            role=st.sampled_from(ROLES),
            pick=st.integers(0, 8),
        )
        def act(self, action: MeetingAction, role: str, pick: int) -> None:
            self.attempt(action, role, pick)

        @rule(pick=st.integers(0, 8))
        def advance(self, pick: int) -> None:
            """The happy path's next step, so runs reach approval and corrections often."""
            m = self.m
            if m.state == MS.planned:
                step = MA.record
            elif m.state == MS.held and not m.resolutions:
                step = MA.add_resolution
            elif m.state == MS.held:
                step = MA.approve
            else:
                step = [MA.correct, MA.attach, MA.retire_attachment][pick % 3]
            self.attempt(step, "secretary", pick)

        @invariant()
        def cancelled_never_changes(self) -> None:
            if self.frozen is not None:
                assert self.snapshot() == self.frozen
            elif self.m.state == MS.cancelled:
                self.frozen = self.snapshot()

        @invariant()
        def approved_minutes_match_their_fingerprint(self) -> None:
            m = self.m
            assert (m.state == MS.approved) == (m.approved_sha256 is not None)
            if m.state == MS.approved:
                assert m.fingerprint_intact
            shas = [(c.sha256_before, c.sha256_after) for c in m.corrections]
            for (_, after), (before, _) in itertools.pairwise(shas):
                assert after == before
            if shas:
                assert shas[-1][1] == m.approved_sha256

        @invariant()
        def quorum_agrees_with_attendance(self) -> None:
            m = self.m
            if m.state not in (MS.held, MS.approved):
                return
            voting = [a for a in m.attendance if a.is_voting]
            present = sum(1 for a in voting if a.status == AttendanceStatus.present)
            assert (m.entitled_count, m.present_count) == (len(voting), present)
            if m.type in QUORUM_TYPES:
                percent = setting("MEETING_QUORUM_PERCENT")
                assert m.quorum_met == (present * 100 > len(voting) * percent)
            else:
                assert m.quorum_met is None
            for r in m.resolutions:
                assert r.is_valid == (m.quorum_met is not False)
                if r.votes_for is not None:
                    assert r.votes_for + (r.votes_against or 0) + (r.votes_abstain or 0) <= present

    run_state_machine_as_test(
        MeetingMachine,
        settings=settings(max_examples=25 if backend == "sqlite" else 10, **SETTINGS),
    )
    assert {MS.approved, MS.cancelled} <= reached, reached


def _task_call(action: TaskAction, t: KeyTask, user, world, n: int, days: int):  # noqa: ANN001, ANN202
    today = world.today
    if action == TA.edit:
        data = {
            "title": f"任务{n}", "lead_member_id": world.leader.id,
            "department_id": world.org.department.id, "deadline": t.deadline,
        }  # fmt: skip
        return service.update_task(t, data, user, t.version_id)
    if action == TA.add_progress:
        on = today - timedelta(days=days % 3)
        return service.add_progress(t, {"text": f"进展{n}", "recorded_on": on}, [], user)
    if action == TA.complete:
        return service.complete_task(t, today - timedelta(days=days % 5), user)
    if action == TA.postpone:
        return service.postpone_task(t, t.deadline + timedelta(days=days), f"延期{n}", user)
    assert action == TA.cancel
    return service.cancel_task(t, f"取消{n}", user)


def test_task_action_sequences_keep_invariants(app, backend, world):
    counter = itertools.count(1)
    reached: set[TaskState] = set()

    class TaskMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            db.session.rollback()
            offset = next(counter) % 3 * 20 - 20  # overdue, due soon or later
            self.tid = world.task(deadline=world.today + timedelta(days=offset)).id
            self.frozen = None

        @property
        def t(self) -> KeyTask:
            return db.session.get(KeyTask, self.tid)

        def snapshot(self) -> tuple:
            t = self.t
            progress = db.session.scalar(
                sa.select(sa.func.count(TaskProgress.id)).where(TaskProgress.task_id == t.id)
            )
            return (
                t.state, t.version_id, t.deadline, t.state_reason, t.completed_on, t.days_late,
                t.progress_count, progress, t.last_progress,
            )  # fmt: skip

        def attempt(self, action: TaskAction, role: str, days: int) -> None:
            t = self.t
            before = self.snapshot()
            entry = TASK_TRANSITIONS.get((t.state, action))
            try:
                _task_call(action, t, world.users[role], world, next(counter), days)
            except ServiceError:
                db.session.rollback()
                db.session.expire_all()
                assert self.snapshot() == before, (action, role)
            else:
                db.session.commit()
                assert entry is not None and self.t.state == entry.to, (action, role)
                assert role in ("secretary", "admin", "leader"), (action, role)
                reached.add(self.t.state)

        @rule(
            action=st.sampled_from(list(TaskAction)),
            role=st.sampled_from(ROLES),
            days=st.integers(1, 40),
        )
        def act(self, action: TaskAction, role: str, days: int) -> None:
            self.attempt(action, role, days)

        @invariant()
        def closed_task_never_changes(self) -> None:
            if self.frozen is not None:
                assert self.snapshot() == self.frozen
            elif not self.t.is_open:
                self.frozen = self.snapshot()

        @invariant()
        def columns_agree_with_state(self) -> None:
            t = self.t
            assert (t.state == TS.done) == (t.completed_on is not None)
            if t.state == TS.done:
                late = (t.completed_on - t.deadline).days
                assert t.days_late == (late if late > 0 else None)
            else:
                assert t.days_late is None
            if t.state in (TS.postponed, TS.cancelled):
                assert t.state_reason
            if t.state == TS.postponed:
                assert t.deadline > t.original_deadline
            progress = db.session.scalar(
                sa.select(sa.func.count(TaskProgress.id)).where(TaskProgress.task_id == t.id)
            )
            assert t.progress_count == progress

    run_state_machine_as_test(
        TaskMachine,
        settings=settings(max_examples=25 if backend == "sqlite" else 10, **SETTINGS),
    )
    assert {TS.done, TS.cancelled, TS.postponed} <= reached, reached
