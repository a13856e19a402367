"""The request boundary: one commit, after-commit hooks, the same error mapping everywhere."""

import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import get_flashed_messages
from sqlalchemy.orm.exc import StaleDataError

from partybuild.commitments.models import Commitment, CommitmentBatch, CommitmentState
from partybuild.core.boundary import after_commit, boundary, form_status
from partybuild.core.notifications import Notification
from partybuild.core.service import PermissionDenied, ServiceError, ValidationFailed
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.forms import RetireForm
from partybuild.org.models import Member
from tests.org.helpers import member_form, text


def _note(user_id: int, title: str = "测试通知") -> Notification:
    note = Notification(user_id=user_id, kind="test", title=title)
    db.session.add(note)
    return note


def _notes() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification.title).order_by(Notification.id)))


@pytest.fixture
def commits(app: Any) -> list[str]:
    """Every commit of the app's session, in order, with the hooks' runs in between."""
    seen: list[str] = []
    session = db.session()

    def on_commit(_session: Any) -> None:
        seen.append("commit")

    sa.event.listen(session, "after_commit", on_commit)
    yield seen
    sa.event.remove(session, "after_commit", on_commit)


# --- the boundary itself ----------------------------------------------------------------


def test_success_commits_once_then_runs_hooks_in_order(app, make_user, commits):
    user = make_user("admin")
    commits.clear()
    with app.test_request_context(method="POST"):
        with boundary(success="已保存。") as done:
            _note(user.id)
            after_commit(lambda: commits.append("hook 1"))
            after_commit(lambda: commits.append("hook 2"))
        assert done and done.status == 200
        assert get_flashed_messages(with_categories=True) == [("success", "已保存。")]
    assert commits == ["commit", "hook 1", "hook 2"]
    assert _notes() == ["测试通知"]


def test_a_hook_sees_the_committed_row_from_another_connection(app, make_user):
    user = make_user("admin")
    seen: list = []

    def look() -> None:
        with db.engine.connect() as conn:  # not the request's session
            seen.extend(conn.execute(sa.text("SELECT title FROM notifications")).scalars())

    with app.test_request_context(method="POST"), boundary():
        _note(user.id, "先提交")
        after_commit(look)
    assert seen == ["先提交"]


@pytest.mark.parametrize(
    ("error", "status", "category"),
    [
        (ServiceError("该批次已结束，不能再提交"), 400, "error"),
        (ValidationFailed({"reason": "请填写原因"}), 400, "error"),
        (ServiceError("承诺已被他人修改，请刷新页面后重新编辑", code="conflict"), 409, "warning"),
        (StaleDataError("UPDATE statement on table expected to update 1 row(s)"), 409, "warning"),
    ],
)
def test_a_refusal_rolls_back_runs_no_hook_and_says_why(
    app, make_user, commits, error, status, category
):
    user = make_user("admin")
    commits.clear()
    with app.test_request_context(method="POST"):
        with boundary(success="已保存。") as done:
            _note(user.id)
            after_commit(lambda: commits.append("hook"))
            db.session.flush()
            raise error
        assert not done and done.status == status and not done.redisplay  # no form
        [(shown_category, message)] = get_flashed_messages(with_categories=True)
    assert shown_category == category and "已保存" not in message
    assert re.search("[\u4e00-\u9fff]", message)  # Chinese, whatever the exception said
    assert commits == []  # no commit, no hook
    assert _notes() == []
    # A hook dropped by the rollback does not run on a later commit either.
    db.session.commit()
    assert commits == ["commit"]


def test_a_rollback_outside_the_boundary_drops_pending_hooks(app, make_user, commits):
    user = make_user("admin")
    commits.clear()
    after_commit(lambda: commits.append("dropped"))
    db.session.rollback()
    _note(user.id)
    db.session.commit()
    assert commits == ["commit"]


def test_field_problems_go_under_the_field_and_give_400(app):
    with app.test_request_context(method="POST", data={"reason": ""}):
        form = RetireForm()
        assert form_status(form) == 200  # not validated yet
        with boundary(form) as done:
            raise ValidationFailed({"reason": "请填写退出原因", "other": "整体的问题"})
        assert done.redisplay and done.status == 400 and form_status(form) == 400
        assert form.reason.errors == ["请填写退出原因"]
        assert form.form_errors == ["整体的问题"]  # no such field: top of the form
        assert get_flashed_messages() == []  # shown in the form, not twice


def test_permission_denied_and_other_errors_propagate_after_rollback(app, make_user, commits):
    user = make_user("admin")
    commits.clear()
    with app.test_request_context(method="POST"):
        with pytest.raises(PermissionDenied), boundary():
            _note(user.id)
            db.session.flush()
            raise PermissionDenied()
        with pytest.raises(KeyError), boundary():
            _note(user.id)
            db.session.flush()
            raise KeyError("bug")
    assert commits == [] and _notes() == []


def test_a_failing_hook_does_not_undo_the_saved_change(app, make_user, commits):
    user = make_user("admin")

    def broken() -> None:
        raise RuntimeError("mail server down")

    with app.test_request_context(method="POST"), boundary(success="已保存。") as done:
        _note(user.id)
        after_commit(broken)
        after_commit(lambda: commits.append("next hook"))
    assert done and _notes() == ["测试通知"] and "next hook" in commits


# --- through real routes --------------------------------------------------------------------


@pytest.fixture
def batch(org: Any) -> CommitmentBatch:
    today = local_today()
    b = CommitmentBatch(
        branch_id=org.a.id,
        title="2026年度党员承诺",
        commit_start=today - timedelta(days=10),
        commit_end=today + timedelta(days=10),
        evaluation_start=today - timedelta(days=5),
        evaluation_end=today + timedelta(days=200),
    )
    db.session.add(b)
    db.session.commit()
    return b


def _draft(batch: CommitmentBatch, member: Member, content: str) -> Commitment:
    c = Commitment(
        batch_id=batch.id,
        branch_id=batch.branch_id,
        member_id=member.id,
        category="工作",
        content=content,
        target="全年接访240批次",
        measures="首问负责",
        deadline=local_today() + timedelta(days=90),
        state=CommitmentState.draft,
    )
    db.session.add(c)
    db.session.commit()
    return c


def _deny(monkeypatch: Any, target: str) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise PermissionDenied("测试：不允许此操作")

    monkeypatch.setattr(target, refuse)


def _commitments(ctx: Any) -> Any:
    # Natural: a secretary opens a batch for another branch.
    ctx.auth.login("secretary", branch=ctx.org.a)
    today = local_today()
    return ctx.client.post(
        "/commitments/batches/new",
        headers=ctx.headers,
        data={
            "branch_id": ctx.org.b.id,
            "title": "2027年度党员承诺",
            "commit_start": f"{today:%Y-%m-%d}",
            "commit_end": f"{today + timedelta(days=30):%Y-%m-%d}",
            "evaluation_start": f"{today + timedelta(days=200):%Y-%m-%d}",
            "evaluation_end": f"{today + timedelta(days=230):%Y-%m-%d}",
        },
    )


def _reports(ctx: Any) -> Any:
    # Natural: a member asks for the branch roster.
    ctx.auth.login("member", branch=ctx.org.a)
    data = {"kind": "roster", "branch": "A", "period": "", "member": "", "batch": ""}
    return ctx.client.post("/reports/", data=data, headers=ctx.headers)


def _org(ctx: Any) -> Any:
    # The route's own guards already keep other branches out, so the service refuses here.
    member = ctx.make_member(name="本支部党员")
    ctx.auth.login("secretary", branch=ctx.org.a)
    _deny(ctx.monkeypatch, "partybuild.org.service.reinstate_member")
    return ctx.client.post(f"/org/members/{member.id}/reinstate", headers=ctx.headers)


def _greetings(ctx: Any) -> Any:
    ctx.auth.login("admin")
    _deny(ctx.monkeypatch, "partybuild.greetings.service.update_settings")
    return ctx.client.post(
        "/greetings/settings", data={"leap_day_rule": "mar1"}, headers=ctx.headers
    )


def _auth(ctx: Any) -> Any:
    target = ctx.make_user("reviewer")
    ctx.auth.login("admin")
    _deny(ctx.monkeypatch, "partybuild.auth.service.set_user_active")
    return ctx.client.post(
        f"/auth/users/{target.id}/active", data={"active": "0"}, headers=ctx.headers
    )


DENIED = {
    _commitments: "只有本支部书记可以开设承诺批次",
    _org: "测试：不允许此操作",
    _greetings: "测试：不允许此操作",
    _reports: "您没有权限导出",
    _auth: "测试：不允许此操作",
}


@pytest.mark.parametrize("as_json", [False, True], ids=["page", "json"])
@pytest.mark.parametrize("route", list(DENIED), ids=lambda f: f.__name__.strip("_"))
def test_permission_denied_is_403_in_every_domain(
    client, auth, org, make_user, make_member, monkeypatch, route, as_json
):
    ctx = SimpleNamespace(
        client=client,
        auth=auth,
        org=org,
        make_user=make_user,
        make_member=make_member,
        monkeypatch=monkeypatch,
        headers={"Accept": "application/json"} if as_json else {},
    )
    resp = route(ctx)
    assert resp.status_code == 403
    if as_json:
        error = resp.get_json()["error"]
        assert error["code"] == "forbidden" and DENIED[route] in error["message"]
    else:
        assert DENIED[route] in text(resp)


def test_field_problem_is_shown_under_its_field_with_400(client, auth, org):
    auth.login("secretary", branch=org.a)
    resp = client.post("/org/members/new", data=member_form(org, full_member_on="1990-01-01"))
    assert resp.status_code == 400
    html = text(resp)
    start = html.index('name="full_member_on"')
    field_block = html[start : html.index('<div class="mb-3">', start)]
    assert "转正日期不能早于入党日期" in field_block
    assert 'value="张建国"' in html  # the rest of the typed form is kept
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 0


def test_auth_field_problem_is_under_the_field_not_only_at_the_top(client, auth, org):
    auth.login("admin")
    client.post(
        "/auth/users/new",
        data={"username": "li.ming", "role": "reviewer", "password": "Good-password-12"},
    )
    resp = client.post(
        "/auth/users/new",
        data={"username": "li.ming", "role": "reviewer", "password": "Good-password-12"},
    )
    assert resp.status_code == 400
    html = text(resp)
    start = html.index('name="username"')
    assert "用户名已存在" in html[start : html.index('<div class="mb-3">', start)]


def test_stale_edit_gives_409_and_keeps_the_typed_text(client, auth, org, make_member, batch):
    member = make_member(branch=org.a, name="张承诺")
    owner = auth.login("member", member=member)
    c = _draft(batch, member, "每月接访20批次")
    page = text(client.get(f"/commitments/{c.id}/edit"))
    assert 'name="version_id" type="hidden" value="1"' in page or 'value="1"' in page
    # Someone else saves meanwhile (version 1 -> 2).
    c.content = "他人保存的内容"
    db.session.commit()
    resp = client.post(
        f"/commitments/{c.id}/edit",
        data={
            "category": "工作",
            "content": "我刚刚输入的新内容",
            "target": "全年接访240批次",
            "measures": "首问负责",
            "deadline": f"{local_today() + timedelta(days=90):%Y-%m-%d}",
            "version_id": "1",
        },
    )
    assert resp.status_code == 409
    html = text(resp)
    assert "已被他人修改" in html and "我刚刚输入的新内容" in html
    db.session.expire_all()
    assert db.session.get(Commitment, c.id).content == "他人保存的内容"
    assert owner.member_id == member.id


def test_refused_button_action_shows_its_message_and_saves_nothing(
    client, auth, org, make_member, batch
):
    member = make_member(branch=org.a, name="张承诺")
    auth.login("member", member=member)
    c = _draft(batch, member, "每月接访20批次")  # one item; the batch needs at least two
    resp = client.post(f"/commitments/batches/{batch.id}/submit-all")
    assert resp.status_code == 302
    html = text(client.get(resp.headers["Location"]))
    assert "每批次须填写" in html
    db.session.expire_all()
    c = db.session.get(Commitment, c.id)
    assert c.state == CommitmentState.draft and c.submitted_at is None
