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
