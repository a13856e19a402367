"""The model-post pages over HTTP: lifecycle, rating, anonymity, cross-branch denial."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from partybuild.extensions import db
from partybuild.ratings import service
from partybuild.ratings.models import ModelPost, PostState, RatingSheet


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_lifecycle_from_nomination_to_plaque(client, auth, rw, make_member):
    member = make_member(branch=rw.org.a, name="自荐者")
    user = rw.make_user("member", member=member)
    auth.login(user)
    resp = client.post(
        "/ratings/posts/new",
        data={
            "title": "政策咨询示范岗", "kind": "individual", "holder_ids": [member.id],
            "duties": "解答信访政策", "promises": "首问负责",
        },
    )  # fmt: skip
    assert resp.status_code == 302, text(resp)
    post = db.session.scalar(sa.select(ModelPost).where(ModelPost.title == "政策咨询示范岗"))
    assert post.nomination.value == "self" and post.state == PostState.nominated
    # A member cannot approve, even their own nomination.
    assert client.post(f"/ratings/posts/{post.id}/approve").status_code == 403
    auth.login(rw.secretary)
    assert client.post(f"/ratings/posts/{post.id}/approve").status_code == 302
    assert client.post(f"/ratings/posts/{post.id}/announce").status_code == 302
    db.session.refresh(post)
    assert post.state == PostState.announced and post.objection_end_on > post.announced_on
    client.post(
        f"/ratings/posts/{post.id}/objections",
        data={"received_on": rw.today.isoformat(), "text": "该同志曾被投诉"},
    )
    # Still in the 公示 period, and an open objection: no plaque yet.
    client.post(f"/ratings/posts/{post.id}/designate")
    db.session.refresh(post)
    assert post.state == PostState.announced
    post.announced_on = rw.today - timedelta(days=6)
    post.objection_end_on = rw.today - timedelta(days=1)
    db.session.commit()
    client.post(f"/ratings/posts/{post.id}/designate")
    db.session.refresh(post)
    assert post.state == PostState.announced and post.open_objections == 1
    objection_id = db.session.scalar(sa.text("SELECT id FROM model_post_objections"))
    client.post(f"/ratings/objections/{objection_id}/resolve", data={"text": "经核实，投诉不属实"})
    resp = client.post(f"/ratings/posts/{post.id}/designate")
    db.session.refresh(post)
    assert post.state == PostState.designated and post.plaque_no
    assert post.term_end_on.year == post.designated_on.year + 2
    page = text(client.get(f"/ratings/posts/{post.id}"))
    assert "经核实，投诉不属实" in page and post.plaque_no in page
    assert client.get(f"/ratings/posts/{post.id}/qr.svg").status_code == 200
    # The public page, reached from the plaque's code.
    anon = client.application.test_client()
    public = anon.get(f"/public/p/{post.plaque_no}")
    assert public.status_code == 200 and "政策咨询示范岗" in text(public)


def test_secretary_does_not_approve_her_own_post(client, auth, rw, make_member):
    me = make_member(branch=rw.org.a, name="书记本人")
    secretary = rw.make_user("secretary", branch=rw.org.a, member=me)
    post = rw.post(me, "书记示范岗")
    auth.login(secretary)
    assert client.post(f"/ratings/posts/{post.id}/approve").status_code == 403
    db.session.refresh(post)
    assert post.state == PostState.nominated


def test_other_branch_gets_404_and_reviewer_only_reads(client, auth, rw):
    post, rnd = rw.posts[0], rw.round()
    auth.login(rw.other_secretary)
    for url in (
        f"/ratings/posts/{post.id}", f"/ratings/rounds/{rnd.id}",
        f"/ratings/rounds/{rnd.id}/export.xlsx", f"/ratings/posts/{post.id}/qr.png",
    ):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post(f"/ratings/posts/{post.id}/revoke", data={"text": "x"}).status_code == 404
    assert client.post(f"/ratings/rounds/{rnd.id}/close").status_code == 404
    auth.login(rw.reviewer)
    assert client.get(f"/ratings/rounds/{rnd.id}").status_code == 200
    assert client.post(f"/ratings/rounds/{rnd.id}/close").status_code == 403
    assert client.post(f"/ratings/posts/{post.id}/revoke", data={"text": "x"}).status_code == 403


def test_peer_rates_through_the_form_once_and_never_their_own(client, auth, rw):
    rnd = rw.round()
    me = rw.holder_users[0]
    auth.login(me)
    page = text(client.get(f"/ratings/rounds/{rnd.id}"))
    assert "本人所在岗位，回避" in page
    resp = client.post(
        f"/ratings/rounds/{rnd.id}/rate/{rw.posts[0].id}", data=rw.scores(rnd, 10),
        follow_redirects=True,
    )  # fmt: skip
    assert "不能为本人所在的示范岗测评（回避）" in text(resp)
    other = rw.posts[1]
    resp = client.post(f"/ratings/rounds/{rnd.id}/rate/{other.id}", data=rw.scores(rnd, 9))
    assert resp.status_code == 302, text(resp)[-3000:]
    resp = client.post(
        f"/ratings/rounds/{rnd.id}/rate/{other.id}", data=rw.scores(rnd, 1), follow_redirects=True
    )
    assert "每人只能测评一次" in text(resp)
    sheets = db.session.scalars(sa.select(RatingSheet)).all()
    assert len(sheets) == 1 and sheets[0].model_post_id == other.id
    # The sheet does not say who rated.
    assert not {"member_id", "user_id", "rater_id"} & set(RatingSheet.__table__.c.keys())


def test_no_page_or_export_shows_who_rated_what(client, auth, rw):
    rnd = rw.round()
    post = rw.posts[0]
    for u in rw.peer_users[:3]:
        rw.rate(rnd, post, u, 7)
    for u in rw.leader_users:
        rw.rate(rnd, post, u, 9)
    service.close_round(rnd, rw.secretary)
    db.session.commit()
    names = [m.name for m in rw.peers + rw.leaders]
    auth.login(rw.holder_users[0])  # the rated member
    for url in (f"/ratings/posts/{post.id}", f"/ratings/rounds/{rnd.id}", "/ratings/"):
        page = text(client.get(url))
        assert not [n for n in names if n in page], url
    auth.login(rw.secretary)
    page = text(client.get(f"/ratings/rounds/{rnd.id}"))
    ranking = page[page.index('data-testid="ranking"') : page.index('id="raters"')]
    assert not [n for n in names if n in ranking]
    assert "已完成" in page  # that they rated is shown, not what
    data = client.get(f"/ratings/rounds/{rnd.id}/export.xlsx").data
    cells = " ".join(
        str(v) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
        for v in row if v is not None
    )  # fmt: skip
    assert "信访接待示范岗0" in cells
    assert not [n for n in names if n in cells]


def test_a_group_below_the_minimum_is_not_shown_and_the_page_says_so(client, auth, rw):
    rnd = rw.round()
    post = rw.posts[0]
    for u in rw.peer_users[:2]:  # 2 < 3
        rw.rate(rnd, post, u, 10)
    for u in rw.leader_users:
        rw.rate(rnd, post, u, 1)
    auth.login(rw.secretary)
    page = text(client.get(f"/ratings/rounds/{rnd.id}"))
    assert "党员互评、群众测评人数不足，未计入，权重已按比例折算" in page
    assert "0.0" in page  # leaders alone: every score 1 → 0


def test_revocation_flow_after_a_low_score(client, auth, rw):
    rnd = rw.round(weights=(0, 100, 0))
    low = rw.posts[1]
    for u in rw.peer_users[:3]:
        rw.rate(rnd, low, u, 3)
    auth.login(rw.secretary)
    client.post(f"/ratings/rounds/{rnd.id}/close")
    home = text(client.get("/"))
    assert "建议收回牌子" in home
    page = text(client.get(f"/ratings/posts/{low.id}"))
    assert "不达标" in page and "建议收回牌子" in page
    client.post(f"/ratings/posts/{low.id}/revoke", data={"text": ""})
    db.session.refresh(low)
    assert low.state == PostState.designated  # a reason is required
    client.post(f"/ratings/posts/{low.id}/revoke", data={"text": "测评得分低于70分"})
    db.session.refresh(low)
    assert low.state == PostState.revoked and low.revoke_reason == "测评得分低于70分"
    assert client.application.test_client().get(f"/public/p/{low.plaque_no}").status_code == 404


def test_appeal_is_answered_on_the_record(client, auth, rw):
    rnd = rw.round()
    service.close_round(rnd, rw.secretary)
    db.session.commit()
    post = rw.posts[0]
    auth.login(rw.holder_users[0])
    client.post(
        f"/ratings/posts/{post.id}/appeal", data={"round_id": rnd.id, "text": "群众测评人数太少"}
    )
    auth.login(rw.secretary)
    appeal_id = db.session.scalar(sa.text("SELECT id FROM rating_appeals"))
    client.post(f"/ratings/appeals/{appeal_id}/answer", data={"text": "按规定权重折算，维持结果"})
    auth.login(rw.holder_users[0])
    page = text(client.get(f"/ratings/posts/{post.id}"))
    assert "群众测评人数太少" in page and "维持结果" in page


def test_admin_criteria_form_refuses_weights_not_summing_to_100(client, auth, rw):
    auth.login(rw.admin)
    data = {"name": "新标准", "name-0": "甲", "weight-0": "50", "name-1": "乙", "weight-1": "40"}
    resp = client.post("/ratings/criteria/new", data=data)
    assert resp.status_code == 400 and "现在是 90" in text(resp)
    data["weight-1"] = "50"
    assert client.post("/ratings/criteria/new", data=data).status_code == 302
    assert "新标准" in text(client.get("/ratings/criteria"))


def test_pages_render_for_every_role(client, auth, rw):
    rnd = rw.round()
    for user in (rw.secretary, rw.admin, rw.reviewer, rw.peer_users[0]):
        auth.login(user)
        for url in ("/ratings/", "/ratings/rounds", f"/ratings/rounds/{rnd.id}",
                    f"/ratings/posts/{rw.posts[0].id}", "/"):  # fmt: skip
            assert client.get(url).status_code == 200, (user.role, url)
    auth.login(rw.secretary)
    for url in ("/ratings/plaques", "/ratings/plaques?size=a4", "/ratings/moderation",
                "/ratings/criteria", "/ratings/rounds/new", "/ratings/posts/new",
                f"/ratings/members.json?round={rnd.id}&q=同事&group=peer"):  # fmt: skip
        assert client.get(url).status_code == 200, url
    found = client.get(f"/ratings/members.json?round={rnd.id}&q=同事&group=peer").get_json()
    assert len(found) == 4


@pytest.mark.parametrize("n", [2, 8])
def test_post_list_queries_do_not_grow(client, auth, rw, make_member, query_counter, n):
    for i in range(n):
        rw.designated(make_member(branch=rw.org.a), f"新增示范岗{i}")
    auth.login(rw.secretary)
    client.get("/ratings/")
    with query_counter() as counter:
        assert client.get("/ratings/").status_code == 200
    assert counter.count <= 14
