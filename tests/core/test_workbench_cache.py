"""The workbench keeps each panel's figures per data version: a warm home page runs a
constant, small number of queries whatever the role or the data size, and every change
(a commitment submitted, a meeting recorded, a greeting sent by the job, a notification,
a locked account, a failed job) is visible on the very next load."""

import re
from datetime import date, datetime, timedelta

import pytest

from partybuild.commitments.models import Commitment, CommitmentBatch, CommitmentState
from partybuild.core.db import utcnow
from partybuild.core.timeutil import LOCAL_TZ, local_today
from partybuild.extensions import db


def _count(html: str, label: str) -> int:
    """The number on the workbench line labelled ``label``."""
    start = html.index(label)
    found = re.search(r'data-testid="count">(\d+)<', html[start:])
    assert found, label
    return int(found.group(1))


def _home(client) -> str:  # noqa: ANN001
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def people(org, make_user, make_member):  # noqa: ANN001, ANN201
    owner = make_member(branch=org.a, name="张承诺")
    return {
        "secretary": make_user("secretary", branch=org.a),
        "member": make_user("member", member=owner),
        "reviewer": make_user("reviewer"),
        "admin": make_user("admin"),
        "owner": owner,
    }


def _batch(org, title: str = "年度党员承诺") -> CommitmentBatch:  # noqa: ANN001
    today = local_today()
    batch = CommitmentBatch(
        branch_id=org.a.id,
        title=title,
        commit_start=today - timedelta(days=10),
        commit_end=today + timedelta(days=10),
        evaluation_start=today - timedelta(days=5),
        evaluation_end=today + timedelta(days=200),
    )
    db.session.add(batch)
    db.session.commit()
    return batch


def _commitment(batch, member, state=CommitmentState.draft) -> Commitment:  # noqa: ANN001
    c = Commitment(
        batch_id=batch.id,
        branch_id=batch.branch_id,
        member_id=member.id,
        category="工作",
        content="每月接待群众来访不少于20批次",
        target="全年接访240批次",
        measures="按时到岗",
        deadline=local_today() + timedelta(days=90),
        state=state,
        submitted_at=None if state == CommitmentState.draft else utcnow(),
        published_at=None
        if state in (CommitmentState.draft, CommitmentState.submitted)
        else utcnow(),
    )
    db.session.add(c)
    db.session.commit()
    return c


def _grow(org, make_member, people, n: int) -> None:  # noqa: ANN001
    batch = _batch(org, f"承诺批次{n}")
    for i in range(n):
        member = make_member(branch=org.a if i % 2 else org.b)
        _commitment(batch, member, CommitmentState.submitted)
    db.session.commit()


@pytest.mark.parametrize("role", ["secretary", "member", "reviewer", "admin"])
def test_warm_home_runs_the_same_few_queries_whatever_the_data(
    app, client, auth, org, make_member, people, query_counter, role
):
    auth.login(people[role])

    def warm() -> int:
        _home(client)  # fills the cache for the data as it is now
        with query_counter() as q:
            _home(client)
        return q.count

    _grow(org, make_member, people, 2)
    small = warm()
    _grow(org, make_member, people, 12)
    # At most the account (with its branch and member) in one query, and every data
    # version (with the stored settings' version) in one more: no panel query while
    # nothing changed.
    assert warm() == small <= 2


def test_a_submitted_commitment_is_counted_on_the_next_load(client, auth, org, people):
    from partybuild.commitments import service

    batch = _batch(org)
    draft = _commitment(batch, people["owner"])
    _commitment(batch, people["owner"])  # a batch asks for two items at least
    auth.login(people["secretary"])
    assert _count(_home(client), "待审核的承诺") == 0
    service.submit_commitment(draft, people["member"])
    db.session.commit()
    assert _count(_home(client), "待审核的承诺") == 1


def test_a_recorded_meeting_leaves_the_planned_count(client, auth, org, people, make_member):
    from partybuild.meetings import service

    make_member(branch=org.a)
    auth.login(people["secretary"])
    assert _count(_home(client), "已安排、待召开的会议") == 0
    data = {
        "type": "general_assembly",
        "title": "党员大会",
        "starts_at": datetime.now(LOCAL_TZ).replace(second=0, microsecond=0),
        "ends_at": None,
        "place": "三楼会议室",
        "host": "书记",
        "recorder": "组织委员",
        "lecturer": "",
        "agenda": "学习传达上级精神",
    }
    meeting = service.plan_meeting(org.a, data, people["secretary"])
    db.session.commit()
    assert _count(_home(client), "已安排、待召开的会议") == 1
    entries = [(a.member_id, "present", "") for a in meeting.attendance]
    service.record_meeting(
        meeting, {"attendance": entries, "minutes": "讨论。"}, people["secretary"]
    )
    db.session.commit()
    assert _count(_home(client), "已安排、待召开的会议") == 0


def test_a_greeting_sent_by_the_job_is_counted_on_the_next_load(
    client, auth, org, people, make_member
):
    from partybuild.greetings import service

    today = local_today()
    joined = date(today.year - 10, today.month, min(today.day, 28))
    make_member(
        branch=org.a, name="寿星", joined_on=joined, full_member_on=joined + timedelta(days=400)
    )
    auth.login(people["secretary"])
    label = "本月已过生日、尚未登记礼物的党员"
    before = _count(_home(client), label)
    # The job inserts greetings in bulk (not through ORM objects).
    service.greet_day(joined.replace(year=today.year))
    db.session.commit()
    assert _count(_home(client), label) == before + 1


def test_a_new_notification_shows_in_the_panel_and_the_badge(client, auth, people):
    from partybuild.core.notifications import notify, notify_many

    user = people["member"]
    auth.login(user)
    html = _home(client)
    assert "会议通知：党员大会" not in html and 'data-testid="unread-badge"' not in html
    notify(user.id, "test", "会议通知：党员大会")
    db.session.commit()
    html = _home(client)
    assert "会议通知：党员大会" in html
    assert re.search(r'data-testid="unread-badge">1<', html)
    notify_many([{"user_id": user.id, "kind": "test", "title": "批量：测评开始"}])
    db.session.commit()
    html = _home(client)
    assert "批量：测评开始" in html and re.search(r'data-testid="unread-badge">2<', html)


def test_a_locked_account_and_a_failed_job_show_on_the_admin_panels(client, auth, people):
    from partybuild.core.jobs import JobRun, Outcome, Trigger

    auth.login(people["admin"])
    label = "登录失败次数过多、已锁定的账户"
    assert _count(_home(client), label) == 0
    people["member"].locked_until = utcnow() + timedelta(minutes=15)
    db.session.commit()
    assert _count(_home(client), label) == 1
    assert "运行失败" not in _home(client)
    db.session.add(
        JobRun(job="greetings", trigger=Trigger.schedule, outcome=Outcome.failed,
               finished_at=utcnow())
    )  # fmt: skip
    db.session.commit()
    assert "运行失败" in _home(client)


def test_a_changed_setting_is_not_hidden_by_the_cache(app, client, auth, org, people):
    """Figures depend on settings (here the stale-commitment days): a value stored on
    系统设置, or a changed app config, makes a new key."""
    from partybuild.core import settings

    batch = _batch(org)
    c = _commitment(batch, people["owner"], CommitmentState.published)
    c.last_record_on = local_today() - timedelta(days=40)
    db.session.commit()
    auth.login(people["secretary"])
    label = "长期无进展的承诺"
    app.config["COMMITMENT_STALE_DAYS"] = 60
    assert _count(_home(client), label) == 0
    settings.change_setting("COMMITMENT_STALE_DAYS", 30, people["admin"])
    db.session.commit()
    assert _count(_home(client), label) == 1
    settings.reset_setting("COMMITMENT_STALE_DAYS", people["admin"])
    db.session.commit()
    assert _count(_home(client), label) == 0
    app.config["COMMITMENT_STALE_DAYS"] = 20
    assert _count(_home(client), label) == 1
