"""The database itself refuses a state it does not know, whatever wrote the row."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from partybuild.commitments.models import CommitmentState
from partybuild.extensions import db


def test_a_commitment_with_an_unknown_state_is_refused_by_the_database(world, backend):
    c = world.commitment(CommitmentState.draft)
    with pytest.raises(IntegrityError) as info:
        db.session.execute(
            sa.text("UPDATE commitments SET state = 'bogus' WHERE id = :id"), {"id": c.id}
        )
        db.session.flush()
    assert "ck_commitments_state_enum" in str(info.value)
    db.session.rollback()
    assert (
        db.session.scalar(sa.text("SELECT state FROM commitments WHERE id = :id"), {"id": c.id})
        == "draft"
    )
    # a known state passes the same check
    db.session.execute(
        sa.text("UPDATE commitments SET state = 'submitted' WHERE id = :id"), {"id": c.id}
    )
    db.session.commit()


@pytest.mark.parametrize("column", ["from_state", "to_state"])
def test_each_state_column_of_the_timeline_has_its_own_check(world, backend, column):
    c = world.commitment(CommitmentState.draft)
    with pytest.raises(IntegrityError) as info:
        db.session.execute(
            sa.text(
                f"INSERT INTO commitment_events (commitment_id, action, {column}, actor_name,"
                " comment, created_at) VALUES (:id, 'edit', 'bogus', '', '', CURRENT_TIMESTAMP)"
            ),
            {"id": c.id},
        )
    assert f"ck_commitment_events_{column}_enum" in str(info.value)
    db.session.rollback()
