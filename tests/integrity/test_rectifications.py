"""The rectification lifecycle: every (state, action, actor), verification never by the
responsible person (nor by whoever reported it done), overdue marking."""

from datetime import timedelta

import pytest

from partybuild.core.db import utcnow
from partybuild.core.service import PermissionDenied, ServiceError, ValidationFailed
from partybuild.core.states import TransitionRefused
from partybuild.extensions import db
from partybuild.integrity import service
from partybuild.integrity.models import (
    RECTIFICATION_TRANSITIONS,
    RectificationAction,
    RectificationState,
)

S, A = RectificationState, RectificationAction
# (state, action) -> who may: "resp" (responsible member), "sec" (branch secretary).
EXPECTED = {
    (S.open, A.edit): {"sec"},
    (S.open, A.start): {"resp", "sec"},
    (S.open, A.report_done): {"resp", "sec"},
    (S.in_progress, A.edit): {"sec"},
    (S.in_progress, A.report_done): {"resp", "sec"},
    (S.done, A.reject): {"sec"},
    (S.done, A.verify): {"sec"},
    (S.verified, A.reopen): {"sec"},
}


def test_table_is_exactly_the_expected_one():
    assert set(RECTIFICATION_TRANSITIONS) == set(EXPECTED)


def _put(world, state):
    r = world.rectification()
    now, admin_id = utcnow(), world.users["admin"].id
    r.state = state
    if state in (S.done, S.verified):
        r.done_at = now
    if state == S.verified:
        r.verified_at, r.verified_by_id = now, admin_id
    db.session.commit()
    return r


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", list(A))
def test_every_state_action_actor(world, state, action):
    r = _put(world, state)
    who = {
        "resp": world.users["owner"],
        "sec": world.users["deputy"],  # not the one who might have reported it done
        "other_member": world.users["other_member"],
        "other_secretary": world.users["other_secretary"],
        "reviewer": world.users["reviewer"],
    }
    allowed = EXPECTED.get((state, action), set())
    for name, user in who.items():
        assert r.can(action, user) == (name in allowed), (state, action, name)


def test_responsible_person_cannot_verify_own_rectification(world, make_user, make_member):
    # The secretary is also the responsible person: the guard refuses them.
    sec_member = make_member(branch=world.org.a, name="书记本人")
    secretary = make_user("secretary", branch=world.org.a, member=sec_member)
    r = world.rectification(responsible_id=sec_member.id)
    service.act_on_rectification(r, "report_done", world.users["admin"], "已补录")
    db.session.commit()
    with pytest.raises(TransitionRefused) as err:
        service.act_on_rectification(r, "verify", secretary)
    assert "整改责任人不能验收" in err.value.message
    db.session.rollback()
    service.act_on_rectification(r, "verify", world.users["deputy"], "抽查无误")
    db.session.commit()
    assert r.state == S.verified and r.verified_by_id == world.users["deputy"].id


def test_who_reported_done_cannot_verify(world):
    r = world.rectification()
    service.act_on_rectification(r, "report_done", world.users["secretary"], "代为报告")
    db.session.commit()
    with pytest.raises(TransitionRefused):
        service.act_on_rectification(r, "verify", world.users["secretary"])
    db.session.rollback()


def test_full_flow_keeps_open_count(client, auth, world):
    point = world.point()
    r = world.rectification(point)
    assert point.open_rectifications == 1
    auth.login(world.users["owner"])
    assert (
        client.post(f"/integrity/rectifications/{r.id}/report_done", data={"text": ""}).status_code
        == 302
    )
    db.session.refresh(r)
    assert r.state == S.open  # a report needs its text
    client.post(f"/integrity/rectifications/{r.id}/report_done", data={"text": "已全部补录"})
    db.session.refresh(r)
    assert r.state == S.done
    assert client.post(f"/integrity/rectifications/{r.id}/verify", data={}).status_code == 403
    auth.login(world.users["secretary"])
    client.post(f"/integrity/rectifications/{r.id}/verify", data={"text": "抽查无误"})
    db.session.refresh(r)
    db.session.refresh(point)
    assert r.state == S.verified and point.open_rectifications == 0
    client.post(f"/integrity/rectifications/{r.id}/reopen", data={"text": "复查又发现问题"})
    db.session.refresh(r)
    db.session.refresh(point)
    assert r.state == S.in_progress and point.open_rectifications == 1 and r.verified_at is None


def test_deadline_and_responsible_are_checked(world):
    point = world.point()
    with pytest.raises(ValidationFailed) as err:
        service.open_rectification(
            point,
            {
                "problem": "p",
                "measure": "m",
                "responsible_id": world.b_member.id,
                "deadline": world.today - timedelta(days=1),
            },  # fmt: skip
            world.users["secretary"],
        )
    assert set(err.value.errors) == {"responsible_id", "deadline"}
    with pytest.raises(PermissionDenied):
        service.open_rectification(point, {}, world.users["other_secretary"])


def test_overdue_rectification_marked_and_flagged(client, auth, world):
    point = world.point()
    r = world.rectification(point)
    r.opened_on = r.deadline = world.today - timedelta(days=3)
    db.session.commit()
    assert r.is_overdue(world.today)
    auth.login(world.users["secretary"])
    assert "已逾期" in client.get("/integrity/rectifications?overdue=1").get_data(as_text=True)
    page = client.get("/integrity/?flag=rect_overdue").get_data(as_text=True)
    assert point.title in page and "整改逾期" in page


def test_other_members_cannot_see_a_rectification(client, auth, world):
    r = world.rectification()
    for name in ("other_member", "b_member", "other_secretary"):
        auth.login(world.users[name])
        assert client.get(f"/integrity/rectifications/{r.id}").status_code == 404, name
        assert r.problem not in client.get("/integrity/rectifications").get_data(as_text=True)


def test_edit_refused_after_done(world):
    r = world.rectification()
    service.act_on_rectification(r, "report_done", world.users["owner"], "完成")
    db.session.commit()
    with pytest.raises(ServiceError):
        service.edit_rectification(r, {}, world.users["secretary"])
    db.session.rollback()
