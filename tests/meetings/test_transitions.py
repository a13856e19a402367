"""Every (state, action, actor) of both lifecycles, written out by hand."""

from types import SimpleNamespace

import pytest

from partybuild.meetings.models import (
    MEETING_LIFECYCLE,
    TASK_LIFECYCLE,
    Actor,
    MeetingAction,
    MeetingState,
    TaskAction,
    TaskState,
)

MS, MA, TS, TA = MeetingState, MeetingAction, TaskState, TaskAction
SEC, LEAD = Actor.secretary, Actor.lead

# (state, action) -> who may: anything not listed is refused to everyone.
MEETING_ALLOWED = {
    (MS.planned, MA.edit): {SEC}, (MS.planned, MA.record): {SEC}, (MS.planned, MA.cancel): {SEC},
    (MS.held, MA.edit): {SEC}, (MS.held, MA.record): {SEC}, (MS.held, MA.add_resolution): {SEC},
    (MS.held, MA.attach): {SEC}, (MS.held, MA.make_task): {SEC}, (MS.held, MA.approve): {SEC},
    (MS.approved, MA.correct): {SEC}, (MS.approved, MA.attach): {SEC},
    (MS.approved, MA.make_task): {SEC},
    (MS.held, MA.retire_attachment): {SEC}, (MS.approved, MA.retire_attachment): {SEC},
}  # fmt: skip
OPEN = (TS.not_started, TS.in_progress, TS.postponed)
TASK_ALLOWED = {
    **{(s, TA.edit): {SEC} for s in OPEN},
    **{(s, TA.add_progress): {SEC, LEAD} for s in OPEN},
    **{(s, TA.complete): {SEC, LEAD} for s in OPEN},
    **{(s, TA.postpone): {SEC} for s in OPEN},
    **{(s, TA.cancel): {SEC} for s in OPEN},
}


def _obj(state, actor):
    return SimpleNamespace(
        state=state, actors=lambda _user: {actor} if actor else set(), attendance=[1]
    )


@pytest.mark.parametrize("state", list(MS))
@pytest.mark.parametrize("action", list(MA))
@pytest.mark.parametrize("actor", [SEC, LEAD, None])
def test_meeting_table(state, action, actor):
    obj = _obj(state, actor)
    if action == MA.approve:  # the guard reads the minutes: make them complete
        obj.attendance = [SimpleNamespace(status="present")]
        obj.minutes, obj.agenda = "记录", []
    expected = actor in MEETING_ALLOWED.get((state, action), set())
    assert MEETING_LIFECYCLE.can(obj, action, None) is expected


@pytest.mark.parametrize("state", list(TS))
@pytest.mark.parametrize("action", list(TA))
@pytest.mark.parametrize("actor", [SEC, LEAD, None])
def test_task_table(state, action, actor):
    expected = actor in TASK_ALLOWED.get((state, action), set())
    assert TASK_LIFECYCLE.can(_obj(state, actor), action, None) is expected


def test_approve_refuses_incomplete_minutes():
    obj = SimpleNamespace(
        state=MS.held, actors=lambda _u: {SEC}, attendance=[SimpleNamespace(status=None)],
        minutes="", agenda=[],
    )  # fmt: skip
    assert not MEETING_LIFECYCLE.can(obj, MA.approve, None)
