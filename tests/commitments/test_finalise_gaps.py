"""Finalising explains itself: the confirmation lists what is missing and a note is
required then; the score shows the grade bands."""

import sqlalchemy as sa

from partybuild.commitments.models import CommitmentEvent, CommitmentState
from partybuild.extensions import db

S = CommitmentState


def text(resp):
    return resp.get_data(as_text=True)


def test_confirmation_lists_what_is_missing_and_needs_a_note(client, auth, world):
    c = world.commitment(S.awaiting_evaluation)  # progress 50, no ratings, no 领导点
    auth.login(world.secretary)
    page = text(client.get(f"/commitments/{c.id}"))
    assert 'data-testid="finalise-gaps"' in page
    assert "践诺进度为 50%，未达到 100%" in page
    assert "群众评价 0 条，少于最低 5 条：群众评不计入，其余部分按权重比例折算" in page
    assert "未录入：领导点" in page
    resp = client.post(f"/commitments/{c.id}/finalise", data={"text": ""})
    assert resp.status_code == 400 and "须填写说明" in text(resp)
    db.session.expire_all()
    assert c.state == S.awaiting_evaluation
    resp = client.post(f"/commitments/{c.id}/finalise", data={"text": "岗位调整，按现状评定"})
    assert resp.status_code == 302
    event = db.session.scalars(
        sa.select(CommitmentEvent).where(
            CommitmentEvent.commitment_id == c.id, CommitmentEvent.action == "finalise"
        )
    ).one()
    assert "缺项：践诺进度为 50%" in event.comment and "说明：岗位调整，按现状评定" in event.comment


def test_nothing_missing_needs_no_note(client, auth, world, app):
    app.config["COMMITMENT_WEIGHTS"] = {"self": 50, "branch": 50, "leader": 0, "public": 0}
    c = world.commitment(S.awaiting_evaluation)
    c.progress = 100
    db.session.commit()
    auth.login(world.secretary)
    page = text(client.get(f"/commitments/{c.id}"))
    assert 'data-testid="finalise-gaps"' not in page
    assert client.post(f"/commitments/{c.id}/finalise").status_code == 302


def test_score_page_shows_the_grade_bands(client, auth, world):
    c = world.commitment(S.evaluated)
    auth.login(world.owner)
    page = text(client.get(f"/commitments/{c.id}"))
    assert "等次划分：好（≥95 分）；中（≥80 分）；差（低于 80 分）" in page
