"""The lifecycle engine on a toy table (a door), no database needed."""

from dataclasses import dataclass, field

import pytest

from partybuild.core.db import LabelledEnum
from partybuild.core.service import PermissionDenied, ServiceError
from partybuild.core.states import Lifecycle, Stateful, Transition, TransitionRefused


class DoorState(LabelledEnum):
    closed = "closed", "关闭"
    open = "open", "打开"
    locked = "locked", "上锁"
    broken = "broken", "损坏"


class DoorAction(LabelledEnum):
    open = "open", "开门"
    close = "close", "关门"
    lock = "lock", "锁门"
    unlock = "unlock", "开锁"
    paint = "paint", "刷漆"


class Who(LabelledEnum):
    resident = "resident", "住户"
    janitor = "janitor", "门卫"


RESIDENT, JANITOR = frozenset({Who.resident}), frozenset({Who.janitor})
BOTH = RESIDENT | JANITOR


def not_wet(door: "Door", user: object) -> str | None:
    return "油漆未干，不能开门" if door.wet_paint else None


S, A = DoorState, DoorAction
DOOR = Lifecycle(
    {
        (S.closed, A.open): Transition(S.open, BOTH, guard=not_wet),
        (S.open, A.close): Transition(S.closed, BOTH),
        (S.closed, A.lock): Transition(S.locked, RESIDENT),
        (S.locked, A.unlock): Transition(S.closed, RESIDENT),
        (S.closed, A.paint): Transition(S.closed, JANITOR),
    },
    actions=DoorAction,
    noun="门",
    refuse=lambda door: "门已损坏，不能再操作" if door.state == S.broken else None,
)


@dataclass
class Door(Stateful):
    state: DoorState = DoorState.closed
    wet_paint: bool = False
    keys: dict[str, set[Who]] = field(default_factory=dict)
    lifecycle = DOOR

    def actors(self, user: str) -> set[Who]:
        return self.keys.get(user, set())


@pytest.fixture
def door() -> Door:
    return Door(keys={"alice": {Who.resident}, "bob": {Who.janitor}, "eve": set()})


def test_allowed_move_returns_the_new_state(door):
    assert DOOR.check(door, A.open, "alice") == S.open
    assert DOOR.check(door, A.lock, "alice") == S.locked
    assert door.can(A.paint, "bob")


def test_actions_given_as_strings_are_accepted(door):
    assert door.can("open", "alice")
    with pytest.raises(ValueError):
        door.can("fly", "alice")


def test_undefined_transition_is_refused_with_the_state_and_action_named(door):
    door.state = S.open
    with pytest.raises(TransitionRefused) as info:
        DOOR.check(door, A.lock, "alice")
    assert info.value.message == "门当前为“打开”状态，不能锁门"
    assert isinstance(info.value, ServiceError)
    assert not isinstance(info.value, PermissionDenied)
    assert not door.can(A.lock, "alice")


def test_wrong_actor_is_permission_denied_naming_who_may(door):
    with pytest.raises(PermissionDenied) as info:
        DOOR.check(door, A.lock, "bob")
    assert info.value.message == "只有住户可以锁门"
    with pytest.raises(PermissionDenied) as info:
        DOOR.check(door, A.open, "eve")
    # several kinds are listed in the actor enum's order, not the set's
    assert info.value.message == "只有住户或门卫可以开门"


def test_guard_refusal_comes_after_the_actor_check(door):
    door.wet_paint = True
    with pytest.raises(TransitionRefused) as info:
        DOOR.check(door, A.open, "alice")
    assert info.value.message == "油漆未干，不能开门"
    # someone who may not open the door at all hears that, not the guard's reason
    with pytest.raises(PermissionDenied):
        DOOR.check(door, A.open, "eve")
    assert door.allowed_actions("alice") == [A.lock]


def test_allowed_actions_follow_the_action_enum_order(door):
    assert door.allowed_actions("alice") == [A.open, A.lock]
    assert door.allowed_actions("bob") == [A.open, A.paint]
    assert door.allowed_actions("eve") == []
    door.state = S.locked
    assert door.allowed_actions("alice") == [A.unlock]


def test_object_wide_refusal_wins_over_the_table(door):
    door.state = S.broken
    for action in DoorAction:
        with pytest.raises(TransitionRefused) as info:
            DOOR.check(door, action, "alice")
        assert info.value.message == "门已损坏，不能再操作"
    assert door.allowed_actions("bob") == []


def test_a_transition_nobody_may_perform_is_a_programming_error():
    with pytest.raises(ValueError):
        Lifecycle({(S.open, A.close): Transition(S.closed, frozenset())}, actions=A, noun="门")


def test_actor_kinds_can_come_from_a_function(door):
    everyone_janitor = Lifecycle(
        DOOR.table, actions=DoorAction, noun="门", actors_of=lambda door, user: {Who.janitor}
    )
    assert everyone_janitor.allowed_actions(door, "eve") == [A.open, A.paint]


def test_labelled_enum_members_are_their_values_and_carry_labels():
    assert DoorState.open == "open" and str(DoorState.open) == "open"
    assert DoorState("locked") is DoorState.locked
    assert DoorState.locked.label == "上锁"
    assert DoorState.labels() == {
        DoorState.closed: "关闭",
        DoorState.open: "打开",
        DoorState.locked: "上锁",
        DoorState.broken: "损坏",
    }
