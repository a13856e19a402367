"""Random action sequences by random roles (hypothesis), checking the lifecycle's invariants:
an evaluated commitment never changes; a commitment is on the public board iff it was
published and not withdrawn; scores stay within 0–100; refused actions change nothing."""

import itertools
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from partybuild.commitments import service
from partybuild.commitments.models import (
    TRANSITIONS,
    Action,
    Commitment,
    CommitmentBatch,
    CommitmentEvent,
    CommitmentState,
    Evaluation,
    EvaluationKind,
)
from partybuild.core.service import ServiceError
from partybuild.extensions import db
from partybuild.public.views import board_query
from tests.commitments.test_transitions import ROLES, run

S = CommitmentState


@pytest.fixture
def app_config():
    return {"PUBLIC_RATING_MIN_COUNT": 2}


def test_random_action_sequences_keep_invariants(app, backend, world):
    titles = itertools.count(1)
    reached: set[int] = set()

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            db.session.rollback()
            batch = CommitmentBatch(
                branch_id=world.batch.branch_id,
                title=f"批次{next(titles)}",
                commit_start=world.batch.commit_start,
                commit_end=world.batch.commit_end,
                evaluation_start=world.batch.evaluation_start,
                evaluation_end=world.batch.evaluation_end,
            )
            db.session.add(batch)
            db.session.commit()
            world.commitment(S.draft, batch=batch)  # the second item submit needs
            self.cid = world.commitment(S.draft, batch=batch).id
            self.frozen = None

        @property
        def c(self) -> Commitment:
            return db.session.get(Commitment, self.cid)

        def snapshot(self) -> tuple:
            c = self.c
            evaluations = db.session.scalar(
                sa.select(sa.func.count(Evaluation.id)).where(Evaluation.commitment_id == c.id)
            )
            events = db.session.scalar(
                sa.select(sa.func.count(CommitmentEvent.id)).where(
                    CommitmentEvent.commitment_id == c.id
                )
            )
            return (
                c.state, c.is_withdrawn, c.score, c.grade, c.progress, c.record_count,
                c.evidence_count, c.version_id, c.published_at, evaluations, events,
            )  # fmt: skip

        def attempt(self, action: Action, role: str, call) -> None:  # noqa: ANN001
            c = self.c
            before = self.snapshot()
            entry = TRANSITIONS.get((c.state, action))
            try:
                call(c, world.users[role])
            except ServiceError:
                db.session.rollback()
                assert self.snapshot() == before, (action, role)
            else:
                db.session.commit()
                assert entry is not None and self.c.state == entry[0], (action, role)

        @rule(action=st.sampled_from(list(Action)), role=st.sampled_from(ROLES))
        def act(self, action: Action, role: str) -> None:
            self.attempt(action, role, lambda c, user: run(action, c, user, world))

        @rule()
        def advance(self) -> None:
            """The happy path's next step, so runs reach the later states often."""
            c = self.c
            have = {e.kind for e in c.evaluations}
            if c.state == S.draft:
                step = (Action.submit, "owner")
            elif c.state == S.submitted:
                step = (Action.publish, "secretary")
            elif c.state == S.published or (c.state == S.in_progress and not c.evidence_count):
                step = (Action.add_record, "owner")
            elif c.state == S.in_progress:
                step = (Action.request_evaluation, "owner")
            elif c.state == S.awaiting_evaluation and EvaluationKind.self_ not in have:
                step = (Action.record_evaluation, "owner")
            elif c.state == S.awaiting_evaluation and EvaluationKind.branch not in have:
                step = (Action.record_evaluation, "secretary")
            else:
                step = (Action.finalise, "secretary")
            self.attempt(*step, lambda c, user: run(step[0], c, user, world))
            if self.c.state == S.evaluated:
                reached.add(self.cid)

        @rule(
            score=st.integers(0, 100),
            kind=st.sampled_from(list(EvaluationKind)),
            role=st.sampled_from(ROLES),
        )
        def evaluate(self, score: int, kind: EvaluationKind, role: str) -> None:
            self.attempt(
                Action.record_evaluation,
                role,
                lambda c, user: service.record_evaluation(c, kind, score, "", user),
            )

        @rule(level=st.sampled_from(["satisfied", "basic", "unsatisfied"]))
        def public_rating(self, level: str) -> None:
            c = self.c
            try:
                service.add_public_rating(
                    c, level, "", browser_id=uuid.uuid4().hex, ip=uuid.uuid4().hex
                )
            except ServiceError:
                db.session.rollback()
                assert not c.is_ratable
            else:
                db.session.commit()
                assert c.is_ratable

        @invariant()
        def evaluated_never_changes(self) -> None:
            if self.frozen is not None:
                assert self.snapshot() == self.frozen
            elif self.c.state == S.evaluated:
                self.frozen = self.snapshot()

        @invariant()
        def on_board_iff_published_and_not_withdrawn(self) -> None:
            c = self.c
            board = set(
                db.session.scalars(board_query(c.branch_id).with_only_columns(Commitment.id))
            )
            assert (c.id in board) == (c.published_at is not None and not c.is_withdrawn)

        @invariant()
        def scores_in_range(self) -> None:
            c = self.c
            assert c.score is None or 0 <= c.score <= 100
            assert (c.score is not None) == (c.state == S.evaluated)
            total = service.score_breakdown(c).total
            assert total is None or 0 <= total <= 100

    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=30 if backend == "sqlite" else 12,
            stateful_step_count=15,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
    assert reached, "no run reached the evaluated state"
