"""The demo batch: about 120 commitments in every state, rates above 90%, idempotent."""

import sqlalchemy as sa

from partybuild.auth import demo as auth_demo
from partybuild.commitments import demo
from partybuild.commitments.models import Commitment, CommitmentState
from partybuild.commitments.rates import rates
from partybuild.extensions import db
from partybuild.org import demo as org_demo


def test_demo_seed(app, client):
    org_demo.seed()
    auth_demo.seed()
    lines = demo.seed()
    db.session.commit()
    assert "共 120 项承诺" in lines[0]
    states = set(db.session.scalars(sa.select(Commitment.state).distinct()))
    assert states == set(CommitmentState)
    summary = rates()
    assert summary.participation_rate > 0.9 and summary.satisfaction_rate > 0.9
    assert demo.seed() == ["承诺演示数据已存在，未重复加载。"]
    assert db.session.scalar(sa.select(sa.func.count(Commitment.id))) == 120
    page = client.get("/public/B01").get_data(as_text=True)
    assert "群众参评率" in page and "领导干部" in page
