"""One lifecycle engine for every domain object that moves through states.

A domain declares its lifecycle once, as a table::

    LIFECYCLE = Lifecycle(
        {(S.draft, A.submit): Transition(S.submitted, OWNER), ...},
        actions=Action,
        noun="承诺",
        refuse=lambda c: "该承诺已撤回，不能再进行任何操作" if c.is_withdrawn else None,
    )

and its model gets ``can(action, user)`` and ``allowed_actions(user)`` by inheriting
``Stateful`` and setting ``lifecycle = LIFECYCLE``. Service functions call
``LIFECYCLE.check(obj, action, user)``, which returns the new state or raises.

States and actions are ``LabelledEnum`` members (their labels go into the messages);
actor kinds are an enum too (e.g. owner / secretary): the model's ``actors(user)``
says which kinds the user is for this object, and each transition lists the kinds
that may perform it.
"""

import enum
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, ClassVar, NamedTuple

from partybuild.core.service import PermissionDenied, ServiceError

# (obj, user) -> a Chinese refusal, or None when the move may go ahead.
Guard = Callable[[Any, Any], str | None]


class Transition(NamedTuple):
    """Where an action leads from one state, and who may perform it."""

    to: Any  # the new state (may equal the old one: edits, notes, evaluations)
    actors: frozenset[Any]  # actor kinds, any one of which may perform it
    guard: Guard | None = None  # a further condition on the object, checked last


class TransitionRefused(ServiceError):
    """The action is not possible in the object's current state."""


class Lifecycle:
    """A transition table with the rules for reading it.

    ``check`` asks, in this order: may anything happen to the object at all
    (``refuse``), is the action defined from its current state (else
    TransitionRefused), is the user one of the allowed actor kinds (else
    PermissionDenied), does the guard accept (else TransitionRefused).
    """

    def __init__(
        self,
        table: Mapping[tuple[Any, Any], Transition],
        *,
        actions: Iterable[Any],
        noun: str,
        state_attr: str = "state",
        actors_of: Callable[[Any, Any], Collection[Any]] | None = None,
        refuse: Callable[[Any], str | None] | None = None,
    ) -> None:
        """
        ``actions``: the action enum; ``allowed_actions`` lists in its order.
        ``noun``: what the object is called in messages ("承诺", "会议" …).
        ``actors_of(obj, user)``: the user's actor kinds for obj; default ``obj.actors(user)``.
        ``refuse(obj)``: a Chinese refusal that applies to every action (a withdrawn or
        locked object), or None.
        """
        self.table = dict(table)
        for key, transition in self.table.items():
            if not transition.actors:
                raise ValueError(f"transition {key} allows no actor kind")
        self.actions = list(actions)
        self.noun = noun
        self.state_attr = state_attr
        self._actors_of = actors_of
        self._refuse = refuse
        self._action_type = type(self.actions[0]) if self.actions else None

    def actors(self, obj: Any, user: Any) -> Collection[Any]:
        if self._actors_of is not None:
            return self._actors_of(obj, user)
        return obj.actors(user)

    def _coerce(self, action: Any) -> Any:
        # Templates pass action names as strings; an unknown name is a programming error.
        if self._action_type is not None and not isinstance(action, self._action_type):
            return self._action_type(action)
        return action

    def check(self, obj: Any, action: Any, user: Any) -> Any:
        """The new state for ``action``, or TransitionRefused / PermissionDenied saying why not."""
        action = self._coerce(action)
        if self._refuse is not None:
            message = self._refuse(obj)
            if message:
                raise TransitionRefused(message)
        state = getattr(obj, self.state_attr)
        transition = self.table.get((state, action))
        if transition is None:
            raise TransitionRefused(f"{self.noun}当前为“{_label(state)}”状态，不能{_label(action)}")
        if not set(self.actors(obj, user)) & transition.actors:
            raise PermissionDenied(f"只有{_who(transition.actors)}可以{_label(action)}")
        if transition.guard is not None:
            message = transition.guard(obj, user)
            if message:
                raise TransitionRefused(message)
        return transition.to

    def can(self, obj: Any, action: Any, user: Any) -> bool:
        try:
            self.check(obj, action, user)
        except ServiceError:
            return False
        return True

    def allowed_actions(self, obj: Any, user: Any) -> list[Any]:
        """The actions the user may perform on obj now, in the action enum's order."""
        return [a for a in self.actions if self.can(obj, a, user)]


class Stateful:
    """Mixin: a model with ``lifecycle = SOME_LIFECYCLE`` gets ``can`` and ``allowed_actions``."""

    lifecycle: ClassVar[Lifecycle]

    def can(self, action: Any, user: Any) -> bool:
        return self.lifecycle.can(self, action, user)

    def allowed_actions(self, user: Any) -> list[Any]:
        return self.lifecycle.allowed_actions(self, user)


def _label(member: Any) -> str:
    return getattr(member, "label", str(member))


def _who(actors: frozenset[Any]) -> str:
    """ "A或B", in the actor enum's declaration order."""
    first = next(iter(actors))
    ordered = [a for a in type(first) if a in actors] if isinstance(first, enum.Enum) else actors
    return "或".join(_label(a) for a in ordered)
