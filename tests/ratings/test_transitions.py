"""Every (state, action, actor) of the model-post and round lifecycles, read off the table."""

import itertools
from types import SimpleNamespace

import pytest

from partybuild.core.service import PermissionDenied
from partybuild.core.states import TransitionRefused
from partybuild.ratings.models import (
    POST_LIFECYCLE,
    ROUND_LIFECYCLE,
    PostAction,
    PostActor,
    PostState,
    RoundAction,
    RoundActor,
    RoundState,
)

# (state, action) -> who may: the expected table, written out by hand.
POST_EXPECTED = {
    ("nominated", "edit"): {"holder", "secretary"},
    ("nominated", "approve"): {"secretary"},
    ("nominated", "reject"): {"secretary"},
    ("approved", "edit"): {"secretary"},
    ("approved", "announce"): {"secretary"},
    ("approved", "reject"): {"secretary"},
    ("announced", "record_objection"): {"secretary"},
    ("announced", "designate"): {"secretary"},
    ("announced", "reject"): {"secretary"},
    ("designated", "edit"): {"secretary"},
    ("designated", "renew"): {"secretary"},
    ("designated", "revoke"): {"secretary"},
    ("designated", "log_service"): {"holder", "secretary"},
}
ROUND_EXPECTED = {
    ("draft", "edit"): {"secretary"},
    ("draft", "open"): {"secretary"},
    ("open", "close"): {"secretary"},
}


def _post(state, actor):
    return SimpleNamespace(
        state=PostState(state),
        objection_end_on=None,
        open_objections=0,
        actors=lambda _user: {PostActor(actor)} if actor else set(),
    )


def _round(state, actor):
    return SimpleNamespace(
        state=RoundState(state),
        open_problem=lambda: None,
        actors=lambda _user: {RoundActor(actor)} if actor else set(),
    )


@pytest.mark.parametrize(
    ("state", "action", "actor"),
    list(itertools.product([s.value for s in PostState], [a.value for a in PostAction],
                           ["holder", "secretary", None])),
)  # fmt: skip
def test_post_table(state, action, actor):
    allowed = POST_EXPECTED.get((state, action))
    obj = _post(state, actor)
    if allowed is None:
        with pytest.raises(TransitionRefused):
            POST_LIFECYCLE.check(obj, action, None)
    elif actor in allowed:
        POST_LIFECYCLE.check(obj, action, None)
    else:
        with pytest.raises(PermissionDenied):
            POST_LIFECYCLE.check(obj, action, None)


@pytest.mark.parametrize(
    ("state", "action", "actor"),
    list(itertools.product([s.value for s in RoundState], [a.value for a in RoundAction],
                           ["secretary", None])),
)  # fmt: skip
def test_round_table(state, action, actor):
    allowed = ROUND_EXPECTED.get((state, action))
    obj = _round(state, actor)
    if allowed is None:
        with pytest.raises(TransitionRefused):
            ROUND_LIFECYCLE.check(obj, action, None)
    elif actor in allowed:
        ROUND_LIFECYCLE.check(obj, action, None)
    else:
        with pytest.raises(PermissionDenied):
            ROUND_LIFECYCLE.check(obj, action, None)


def test_tables_match_the_expected_lists():
    assert {(s.value, a.value) for s, a in POST_LIFECYCLE.table} == set(POST_EXPECTED)
    assert {(s.value, a.value) for s, a in ROUND_LIFECYCLE.table} == set(ROUND_EXPECTED)
