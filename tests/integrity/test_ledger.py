"""The ledger: levels assessed through the matrix, residual never above inherent without a
reason, scheduling by level, branch scope and the member's own post."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from partybuild.core.service import PermissionDenied, ValidationFailed
from partybuild.extensions import db
from partybuild.integrity import service
from partybuild.integrity.models import Acknowledgement, RiskLevel, RiskPoint, add_months


def test_level_and_next_review_from_matrix(world):
    p = world.point(likelihood=5, impact=5)
    assert p.level == RiskLevel.high
    assert p.next_review_on == add_months(world.today, 3)
    low = world.point(title="低风险", likelihood=1, impact=2)
    assert low.level == RiskLevel.low and low.next_review_on == add_months(world.today, 12)


def test_residual_above_inherent_needs_a_reason(world):
    sec = world.users["secretary"]
    base = {"post_id": world.org.post.id, "category": "power", "title": "测试",
            "likelihood": 1, "impact": 1}  # fmt: skip
    with pytest.raises(ValidationFailed) as err:
        service.create_point(
            world.org.a, base | {"residual_likelihood": 5, "residual_impact": 5}, sec
        )
    assert "residual_reason" in err.value.errors
    db.session.rollback()
    p = service.create_point(
        world.org.a,
        base
        | {"residual_likelihood": 5, "residual_impact": 5, "residual_reason": "岗位新增审批权"},
        sec,
    )
    assert p.residual_level == RiskLevel.high and p.level == RiskLevel.low
    db.session.commit()


def test_database_refuses_residual_above_inherent_without_reason(world):
    p = world.point(likelihood=1, impact=1)
    p.residual_likelihood, p.residual_impact, p.residual_level = 5, 5, RiskLevel.high
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_cross_branch_secretary_gets_404_and_cannot_write(client, auth, world):
    p = world.point()
    auth.login(world.users["other_secretary"])
    assert client.get(f"/integrity/points/{p.id}").status_code == 404
    assert client.get(f"/integrity/points/{p.id}/edit").status_code == 404
    assert client.post(f"/integrity/points/{p.id}/retire", data={"text": "x"}).status_code == 404
    assert p.title not in client.get("/integrity/").get_data(as_text=True)
    with pytest.raises(PermissionDenied):
        service.update_point(p, {}, world.users["other_secretary"])


def test_reviewer_reads_every_branch_and_writes_nothing(client, auth, world):
    p = world.point()
    auth.login(world.users["reviewer"])
    assert client.get(f"/integrity/points/{p.id}").status_code == 200
    assert p.title in client.get("/integrity/").get_data(as_text=True)
    assert client.get("/integrity/points/new").status_code == 403
    assert client.post(f"/integrity/points/{p.id}/review", data={}).status_code == 403


def test_secretary_creates_a_point_through_the_form(client, auth, world):
    auth.login(world.users["secretary"])
    resp = client.post(
        "/integrity/points/new",
        data={
            "branch_id": world.org.a.id,
            "post_id": world.org.post.id,
            "category": "ideology",
            "title": "八小时以外交友不慎",
            "likelihood": "2",
            "impact": "4",
            "owner_id": world.owner_member.id,
        },  # fmt: skip
    )
    assert resp.status_code == 302
    p = db.session.scalar(sa.select(RiskPoint).where(RiskPoint.title == "八小时以外交友不慎"))
    assert p.level == RiskLevel.medium and p.owner_name == "李岗位"
    bad = client.post(
        "/integrity/points/new",
        data={
            "branch_id": world.org.a.id,
            "post_id": world.org.post.id,
            "category": "power",
            "title": "x",
            "likelihood": "9",
            "impact": "",
        },  # fmt: skip
    )
    assert bad.status_code == 400
    assert "发生可能性须为 1 到 5 的整数" in bad.get_data(as_text=True)


def test_member_sees_own_post_points_and_acknowledges_yearly(client, auth, world):
    p = world.point()
    second = world.point(title="第二个风险点")
    auth.login(world.users["other_member"])  # no post: sees none
    page = client.get("/integrity/mine").get_data(as_text=True)
    assert p.title not in page
    assert client.get(f"/integrity/points/{p.id}").status_code == 404
    auth.login(world.users["owner"])
    assert client.get(f"/integrity/points/{p.id}").status_code == 200
    assert client.post("/integrity/mine/acknowledge").status_code == 302
    acks = db.session.scalars(sa.select(Acknowledgement)).all()
    assert {a.risk_point_id for a in acks} == {p.id, second.id}
    assert {a.year for a in acks} == {world.today.year}
    assert "已确认知晓本岗位全部风险点" in client.get("/integrity/mine").get_data(as_text=True)
    # A second confirmation the same year adds nothing.
    client.post("/integrity/mine/acknowledge")
    assert len(db.session.scalars(sa.select(Acknowledgement)).all()) == 2


def test_retired_point_is_kept_and_hidden_from_the_member(client, auth, world):
    p = world.point()
    auth.login(world.users["secretary"])
    client.post(f"/integrity/points/{p.id}/retire", data={"text": "岗位撤并"})
    db.session.expire_all()
    p = db.session.get(RiskPoint, p.id)
    assert not p.is_active and p.retired_reason == "岗位撤并"
    auth.login(world.users["owner"])
    assert p.title not in client.get("/integrity/mine").get_data(as_text=True)


def test_review_records_snapshot_and_sets_next_date(world):
    p = world.point(likelihood=4, impact=4)  # 高: quarterly
    control = p.controls[0]
    day = date(2025, 11, 30) if world.today > date(2025, 11, 30) else world.today
    review = service.record_review(
        p,
        {
            "reviewed_on": day,
            "results": {control.id: "partial"},
            "findings": "登记缺两项",
            "residual_likelihood": "2",
            "residual_impact": "3",
        },  # fmt: skip
        world.users["secretary"],
    )
    db.session.commit()
    assert review.level == RiskLevel.high and review.residual_level == RiskLevel.medium
    assert p.next_review_on == add_months(day, 3) == review.next_review_on
    assert p.last_reviewed_on == day


def test_review_with_unmet_control_needs_findings(world):
    p = world.point()
    with pytest.raises(ValidationFailed) as err:
        service.record_review(
            p, {"reviewed_on": world.today, "results": {p.controls[0].id: "not_done"}},
            world.users["secretary"],
        )  # fmt: skip
    assert "findings" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        service.record_review(
            p, {"reviewed_on": world.today, "results": {}}, world.users["secretary"]
        )
    assert f"result-{p.controls[0].id}" in err.value.errors


def test_overdue_review_flagged_on_ledger(client, auth, world):
    p = world.point()
    p.next_review_on = world.today - timedelta(days=1)
    db.session.commit()
    auth.login(world.users["secretary"])
    page = client.get("/integrity/").get_data(as_text=True)
    assert "排查逾期" in page and 'data-testid="flag-review_overdue">排查逾期 1' in page
    page = client.get("/integrity/?flag=review_overdue").get_data(as_text=True)
    assert p.title in page


def test_audit_labels_do_not_override_other_domains(app):
    from partybuild.core.audit import ACTION_LABELS

    assert ACTION_LABELS["retire"] == "退出名册"
    assert ACTION_LABELS["edit"] == "修改承诺"
    assert ACTION_LABELS["rectification_verify"] == "验收销号"
