"""Branch scope: other branches' commitments do not exist for you; reviewers only read."""

import io

import openpyxl
import pytest
import sqlalchemy as sa

from partybuild.commitments.models import CommitmentState, PublicRating
from partybuild.extensions import db
from tests.commitments.conftest import World

S = CommitmentState


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_other_branch_secretary_sees_nothing(client, auth, world: World):
    c = world.commitment(S.submitted, content="本支部的承诺")
    evidence_c = world.commitment(S.in_progress)
    auth.login(world.users["other_secretary"])
    for url in (
        f"/commitments/{c.id}",
        f"/commitments/{c.id}/edit",
        f"/commitments/qr/{evidence_c.id}.png",
        f"/commitments/batches/{world.batch.id}/edit",
        f"/commitments/qr/branch/{world.org.a.id}.png",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/commitments/{c.id}/publish",
        f"/commitments/{c.id}/return",
        f"/commitments/{c.id}/supervise",
        f"/commitments/{c.id}/close",
        f"/commitments/{c.id}/withdraw",
        f"/commitments/{c.id}/finalise",
        f"/commitments/batches/{world.batch.id}/status",
    ):
        assert client.post(url, data={"text": "x", "status": "closed"}).status_code == 404, url
    for url in ("/commitments/overview", "/commitments/review", "/commitments/batches"):
        assert "本支部的承诺" not in text(client.get(url))
    assert f"/commitments/batches/{world.batch.id}/edit" not in text(
        client.get("/commitments/batches")
    )
    xlsx = client.get(f"/commitments/export.xlsx?branch={world.org.a.id}").data
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    assert sheet.max_row == 2  # title and header only
    db.session.expire_all()
    assert c.state == S.submitted


def test_member_sees_only_own_commitments(client, auth, world: World):
    c = world.commitment(S.published)
    auth.login(world.users["other_member"])
    assert client.get(f"/commitments/{c.id}").status_code == 404
    assert client.post(f"/commitments/{c.id}/records", data={}).status_code == 404
    assert client.get("/commitments/overview").status_code == 403
    assert client.get("/commitments/review").status_code == 403
    # Their own page shows only their (empty) batch.
    assert c.content not in text(client.get("/commitments/mine"))


def test_reviewer_reads_everything_writes_nothing(client, auth, world: World, make_member):
    c = world.commitment(S.submitted, content="第一支部承诺")
    other = make_member(branch=world.org.b)
    from partybuild.commitments.models import CommitmentBatch

    batch_b = CommitmentBatch(
        branch_id=world.org.b.id,
        title="第二支部批次",
        commit_start=world.batch.commit_start,
        commit_end=world.batch.commit_end,
        evaluation_start=world.batch.evaluation_start,
        evaluation_end=world.batch.evaluation_end,
    )
    db.session.add(batch_b)
    db.session.commit()
    world.commitment(S.published, member=other, batch=batch_b, content="第二支部承诺")
    auth.login(world.users["reviewer"])
    page = text(client.get("/commitments/overview"))
    assert "第一支部承诺" in page and "第二支部承诺" in page and "只读" in page
    detail = text(client.get(f"/commitments/{c.id}"))
    assert "审核通过并亮诺" not in detail
    assert client.post(f"/commitments/{c.id}/publish").status_code == 403
    assert client.get("/commitments/review").status_code == 403
    assert client.get("/commitments/moderation").status_code == 403
    db.session.expire_all()
    assert c.state == S.submitted


def test_anonymous_is_sent_to_login(client, world: World):
    c = world.commitment(S.published)
    resp = client.get(f"/commitments/{c.id}")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert client.post(f"/commitments/{c.id}/publish").status_code == 401


def test_moderation_is_branch_scoped(client, auth, world: World):
    c = world.commitment(S.published)
    rating = PublicRating(
        commitment_id=c.id,
        level="satisfied",
        comment="很好",
        comment_state="pending",
        browser_hash="b",
        ip_hash="i",
        rated_on=world.today,
    )
    db.session.add(rating)
    db.session.commit()
    auth.login(world.users["other_secretary"])
    assert "很好" not in text(client.get("/commitments/moderation"))
    db.session.expire_all()
    assert db.session.scalar(sa.select(PublicRating.comment_state)) == "pending"


@pytest.mark.parametrize(
    ("who", "sees_review", "sees_qr", "read_only"),
    [
        ("secretary", True, True, False),
        ("admin", True, True, False),
        ("reviewer", False, True, True),
        ("owner", False, False, None),  # members do not open the overview at all
    ],
)
def test_buttons_follow_route_rules(
    client, auth, world: World, who, sees_review, sees_qr, read_only
):
    """Secretary-only links and buttons show to those who may use them, and only to them."""
    c = world.commitment(S.published)
    auth.login(world.users[who])
    detail = text(client.get(f"/commitments/{c.id}"))
    assert ("二维码 PNG" in detail) is sees_qr
    assert ("审核亮诺" in detail) is sees_review  # the sub-navigation
    assert ("留言审核" in detail) is sees_review
    if read_only is not None:
        overview = text(client.get("/commitments/overview"))
        assert ("（只读）" in overview) is read_only
        assert ("承诺总览" in overview) and ("审核亮诺" in overview) is sees_review
