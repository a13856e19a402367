"""Figures over many commitments (overview chips, rates, the workbench, batches) are
cached per data version: a change is counted on the very next request, never stale."""

import re

import pytest

from partybuild.commitments import service
from partybuild.commitments.models import CommitmentState, PublicRating
from partybuild.core import pagecache
from partybuild.extensions import db

S = CommitmentState


@pytest.fixture(autouse=True)
def _fresh_cache():
    pagecache.clear()
    yield
    pagecache.clear()


def state_count(page: str, state: CommitmentState) -> int:
    found = re.search(rf'<option value="{state.value}"[^>]*>[^<]*（(\d+)）', page)
    assert found, f"no chip for {state.value}"
    return int(found.group(1))


def pending_link(page: str) -> int:
    found = re.search(r"待审核留言 (\d+)", page)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("role", ["secretary", "reviewer"])
def test_overview_counts_a_change_on_the_next_request(client, auth, world, role):
    user = auth.login(world.users[role] if role == "secretary" else "reviewer")
    assert user
    c = world.commitment(S.submitted)
    world.commitment(S.published)
    page = client.get("/commitments/overview").get_data(as_text=True)
    assert state_count(page, S.submitted) == 1
    assert client.get("/commitments/overview").status_code == 200  # now from the cache
    service.publish_commitment(c, world.secretary)
    db.session.commit()
    page = client.get("/commitments/overview").get_data(as_text=True)
    assert state_count(page, S.submitted) == 0
    assert state_count(page, S.published) == 2


def test_a_new_comment_is_counted_on_the_next_request(client, auth, world):
    auth.login(world.secretary)
    c = world.commitment(S.in_progress)
    assert pending_link(client.get("/commitments/overview").get_data(as_text=True)) == 0
    db.session.add(
        PublicRating(
            commitment_id=c.id, level="basic", comment="请加快进度", comment_state="pending",
            browser_hash="b", ip_hash="ip", rated_on=world.today,
        )
    )  # fmt: skip
    db.session.commit()
    assert pending_link(client.get("/commitments/overview").get_data(as_text=True)) == 1


def test_batches_and_reviewer_home_count_a_change_on_the_next_request(client, auth, world):
    auth.login("reviewer")
    c = world.commitment(S.submitted)
    batches = client.get("/commitments/batches").get_data(as_text=True)
    assert "待审核 1" in batches
    assert client.get("/").status_code == 200
    service.withdraw_commitment(c, "调离", world.secretary)
    db.session.commit()
    batches = client.get("/commitments/batches").get_data(as_text=True)
    assert "待审核 1" not in batches
    assert client.get("/").status_code == 200


def test_rows_with_any_flag_are_counted_with_the_chips(app, world):
    """The "any flag" total comes from the chips' query and equals the rows listed."""
    import sqlalchemy as sa

    from partybuild.commitments import lists

    past = world.today.replace(year=world.today.year - 1)
    world.commitment(S.in_progress, deadline=past)
    world.commitment(S.published, deadline=past)
    world.commitment(S.in_progress)
    world.commitment(S.submitted)
    for state in (None, S.in_progress, S.submitted):
        filters = lists.OverviewFilters(flag="any", state=state)
        states, flags, flagged = lists.overview_counts(
            lists.overview_base(filters, world.secretary, rows=False), world.today
        )
        rows = lists.overview(filters, world.secretary, world.today)
        listed = db.session.scalar(sa.select(sa.func.count()).select_from(rows.subquery()))
        assert lists.overview_total(filters, states, flags, flagged) == listed
    assert listed == 0 and sum(flagged.values()) >= 2
