"""Demo model posts: a closed and an open round per branch, all three groups, idempotent."""

import sqlalchemy as sa

from partybuild.auth import demo as auth_demo
from partybuild.extensions import db
from partybuild.org import demo as org_demo
from partybuild.ratings import demo, results
from partybuild.ratings.models import ModelPost, RatingRound, RoundState


def test_demo_seed(app, client):
    org_demo.seed()
    auth_demo.seed()
    lines = demo.seed()
    db.session.commit()
    assert "服务群众台账 175 件" in lines[0]
    rounds = db.session.scalars(sa.select(RatingRound)).all()
    assert {r.state for r in rounds} == {RoundState.open, RoundState.closed}
    closed = next(r for r in rounds if r.state == RoundState.closed)
    found = results.for_round(closed)
    assert all(r.score is not None for r in found)
    assert all(not r.left_out for r in found)  # leaders, peers and the public all counted
    assert any(r.flagged for r in found)  # one post below the revocation line
    assert sum(p.service_count for p in db.session.scalars(sa.select(ModelPost))) == 175
    assert demo.seed() == ["示范岗演示数据已存在，未重复加载。"]
    post = db.session.scalar(sa.select(ModelPost).limit(1))
    assert client.get(f"/public/p/{post.plaque_no}").status_code == 200


def test_reviewer_workbench_ranks_each_branchs_closed_round(app, client, auth):
    """The reviewer's 各支部示范岗测评排名 lists every branch's top posts, by rank."""
    from partybuild.auth.models import User
    from partybuild.ratings.models import RoundPost

    org_demo.seed()
    auth_demo.seed()
    demo.seed()
    db.session.commit()
    auth.login(db.session.scalar(sa.select(User).where(User.username == "reviewer")))
    home = client.get("/").get_data(as_text=True)
    panel = home[home.index('data-testid="branch-ranking"') :].split("</table>")[0]
    first = db.session.scalars(
        sa.select(RoundPost)
        .join(RatingRound)
        .where(RatingRound.state == RoundState.closed, RoundPost.rank == 1)
    ).all()
    assert len(first) >= 2
    for entry in first:
        assert f"1. {entry.model_post.title}" in panel
