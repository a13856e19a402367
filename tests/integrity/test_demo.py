"""Demo data: 71 risk points in the three categories, a year of reviews, open
rectifications and reminders; idempotent."""

import sqlalchemy as sa

from partybuild.auth import demo as auth_demo
from partybuild.core.db import utcnow
from partybuild.extensions import db
from partybuild.integrity import demo
from partybuild.integrity.models import (
    Rectification,
    RectificationState,
    Reminder,
    RiskPoint,
    RiskReview,
)
from partybuild.integrity.tasks import remind_reviews
from partybuild.org import demo as org_demo


def test_demo_seed(app, client):
    org_demo.seed()
    auth_demo.seed()
    lines = demo.seed()
    db.session.commit()
    assert "71 个风险点" in lines[0]
    count = lambda model: db.session.scalar(sa.select(sa.func.count(model.id)))  # noqa: E731
    assert count(RiskPoint) == 71
    assert set(db.session.scalars(sa.select(RiskPoint.category).distinct())) == {
        "power", "institution", "ideology"
    }  # fmt: skip
    assert count(RiskReview) > 71
    assert count(Reminder) == 5
    open_states = [RectificationState.open, RectificationState.done]
    assert db.session.scalar(
        sa.select(sa.func.count(Rectification.id)).where(Rectification.state.in_(open_states))
    )
    # No point's residual level is above its inherent one; some reviews are overdue.
    for p in db.session.scalars(sa.select(RiskPoint)):
        assert p.residual_level.rank <= p.level.rank
    assert demo.seed() == ["廉政风险演示数据已存在，未重复加载。"]
    assert count(RiskPoint) == 71
    assert remind_reviews(utcnow())["overdue"] > 0
    page = client.get("/integrity/heatmap")  # anonymous: sent to the login page
    assert page.status_code == 302
