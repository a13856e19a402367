"""Acceptance-review fixes: say "no" before the member types, keep the secretary in the
review queue, flags visible on a phone."""

import re
from datetime import timedelta

from partybuild.commitments.models import CommitmentBatch, CommitmentState
from partybuild.extensions import db
from tests.commitments.conftest import World

S = CommitmentState


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_new_commitment_form_is_not_offered_outside_the_commit_window(client, auth, world):
    t = world.today
    closed = CommitmentBatch(
        branch_id=world.org.a.id,
        title="承诺期已过",
        commit_start=t - timedelta(days=60),
        commit_end=t - timedelta(days=30),
        evaluation_start=t,
        evaluation_end=t + timedelta(days=30),
    )
    db.session.add(closed)
    db.session.commit()
    auth.login(world.owner)
    resp = client.get(f"/commitments/batches/{closed.id}/new", follow_redirects=True)
    page = text(resp)
    # The message names the date that applies (issue 10).
    assert f"本批次承诺填报已于 {t - timedelta(days=30):%Y-%m-%d} 截止" in page
    assert "新增承诺</h1>" not in page
    # The open batch still offers the form.
    assert 'name="content"' in text(client.get(f"/commitments/batches/{world.batch.id}/new"))


def test_new_commitment_form_is_not_offered_when_the_batch_is_full(client, auth, world):
    for _ in range(5):
        world.commitment(S.draft)
    auth.login(world.owner)
    resp = client.get(f"/commitments/batches/{world.batch.id}/new", follow_redirects=True)
    assert "每批次最多填写 5 项承诺" in text(resp)


def test_returning_from_the_review_queue_goes_back_to_the_queue(client, auth, world):
    c = world.commitment(S.submitted)
    world.commitment(S.submitted)
    auth.login(world.secretary)
    page = text(client.get("/commitments/review"))
    assert 'name="next" value="review"' in page
    resp = client.post(f"/commitments/{c.id}/return", data={"text": "目标请量化", "next": "review"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/commitments/review")
    db.session.expire_all()
    assert c.state == S.draft
    # An empty comment from the queue: the detail page explains, nothing is lost or changed.
    other = world.commitment(S.submitted)
    resp = client.post(f"/commitments/{other.id}/return", data={"text": "", "next": "review"})
    assert resp.status_code == 400 and "请填写" in text(resp)


def test_overview_shows_flags_inside_the_commitment_cell_on_phones(client, auth, world: World):
    world.commitment(S.in_progress, deadline=world.today - timedelta(days=1))
    auth.login(world.secretary)
    page = text(client.get("/commitments/overview"))
    # One copy for phones (under the commitment), one in the wide-screen column.
    assert re.search(r'class="d-md-none[^"]*"[^>]*>.*?已逾期', page, re.S)
    assert page.count('data-testid="row-flag"') == 1


def test_qr_sheet_shows_the_address_and_warns_about_a_local_one(app, client, auth, world):
    auth.login(world.secretary)
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"
    page = text(client.get("/commitments/qr"))
    assert f"http://127.0.0.1:5000/public/{world.org.a.code}" in page
    # Configuration names are for admins: a secretary is told whom to ask (issue 10).
    assert "手机扫码无法打开" in page and "请联系系统管理员" in page
    assert "PARTYBUILD_" not in page
    app.config["PUBLIC_BASE_URL"] = "https://dj.example.gov.cn"
    page = text(client.get("/commitments/qr"))
    assert f"https://dj.example.gov.cn/public/{world.org.a.code}" in page
    assert "手机扫码无法打开" not in page
