"""The shared scheduler: catch-up, run log, run-lock, heartbeat banner, job log page."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from partybuild.core import jobs
from partybuild.core.timeutil import LOCAL_TZ
from partybuild.extensions import db


def local(day: date, hour: int = 7, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)


@pytest.fixture
def recorder(monkeypatch):
    """A registered test job that records the local days it was asked to handle."""
    seen: list[date] = []

    def record_day(now: datetime) -> dict[str, int]:
        seen.append(now.astimezone(LOCAL_TZ).date())
        return {"handled": 1}

    monkeypatch.setitem(
        jobs._REGISTRY, "test-recorder", jobs.Job("test-recorder", record_day, "测试任务")
    )
    return seen


@pytest.fixture
def failing(monkeypatch):
    def explode(now: datetime) -> dict[str, int]:
        raise RuntimeError("数据库不可用")

    monkeypatch.setitem(
        jobs._REGISTRY, "test-failing", jobs.Job("test-failing", explode, "会失败的任务")
    )


def test_greetings_job_is_registered(app):
    registry = jobs.load_jobs()
    assert "greetings" in registry
    assert registry["greetings"].after is not None


def test_catch_up_after_three_day_outage_greets_missed_days(app, make_member):
    from partybuild.greetings.models import Greeting

    d0 = date(2026, 7, 1)
    missed = [d0 + timedelta(days=i) for i in (1, 2, 3)]
    members = {
        d: make_member(joined_on=d.replace(year=2000), full_member_on=date(2001, 8, 1))
        for d in [d0, *missed, d0 + timedelta(days=4)]
    }
    with time_machine.travel(local(d0), tick=False):
        first = jobs.run_job("greetings", trigger=jobs.Trigger.schedule)
    assert first.days == [d0.isoformat()] and first.caught_up_days == []
    # The server is down for 2, 3 and 4 July; it comes back on 5 July.
    back = d0 + timedelta(days=4)
    with time_machine.travel(local(back, 9), tick=False):
        run = jobs.run_job("greetings", trigger=jobs.Trigger.schedule)
    assert run.outcome == jobs.Outcome.success
    assert run.caught_up_days == [d.isoformat() for d in missed]
    assert run.days == [*run.caught_up_days, back.isoformat()]
    assert run.done_through == back
    assert run.counts["greeted"] == 4
    on = dict(db.session.execute(sa.select(Greeting.member_id, Greeting.anniversary_on)).all())
    assert on == {m.id: d for d, m in members.items()}
    # Running again the same day catches up nothing and greets nobody twice.
    with time_machine.travel(local(back, 10), tick=False):
        again = jobs.run_job("greetings", trigger=jobs.Trigger.schedule)
    assert again.caught_up_days == [] and again.counts.get("greeted", 0) == 0


def test_first_ever_run_does_not_go_back_in_time(app, recorder):
    jobs.run_job("test-recorder", local(date(2026, 7, 1)), trigger=jobs.Trigger.schedule)
    assert recorder == [date(2026, 7, 1)]


@pytest.mark.parametrize("app_config", [{"JOBS_CATCH_UP_DAYS": 2}])
def test_catch_up_is_limited_and_says_so(app, recorder):
    jobs.run_job("test-recorder", local(date(2026, 7, 1)), trigger=jobs.Trigger.schedule)
    run = jobs.run_job("test-recorder", local(date(2026, 7, 10)), trigger=jobs.Trigger.schedule)
    assert run.caught_up_days == ["2026-07-08", "2026-07-09"]
    assert run.days_beyond_limit == 6
    assert recorder[1:] == [date(2026, 7, 8), date(2026, 7, 9), date(2026, 7, 10)]
    assert run.counts == {"handled": 3}


def test_manual_runs_do_not_move_the_catch_up_mark(app, recorder):
    jobs.run_job("test-recorder", local(date(2026, 7, 1)), trigger=jobs.Trigger.schedule)
    jobs.run_job("test-recorder", day=date(2026, 8, 1), trigger=jobs.Trigger.manual)
    run = jobs.run_job("test-recorder", local(date(2026, 7, 3)), trigger=jobs.Trigger.schedule)
    assert run.caught_up_days == ["2026-07-02"]


def test_every_run_is_logged(app, recorder):
    with time_machine.travel(local(date(2026, 7, 1)), tick=False):
        jobs.run_job("test-recorder")
    run = db.session.scalar(sa.select(jobs.JobRun).where(jobs.JobRun.job == "test-recorder"))
    assert run.outcome == jobs.Outcome.success
    assert run.trigger == jobs.Trigger.manual
    assert run.started_at == local(date(2026, 7, 1)).astimezone(UTC)
    assert run.finished_at is not None
    assert run.counts == {"handled": 1}
    assert run.days == ["2026-07-01"] and run.error == ""


def test_failed_run_is_logged_with_its_error(app, failing):
    run = jobs.run_job("test-failing", local(date(2026, 7, 1)), trigger=jobs.Trigger.schedule)
    assert run.outcome == jobs.Outcome.failed
    assert "RuntimeError: 数据库不可用" in run.error
    assert run.finished_at is not None and run.done_through is None


def test_failure_midway_keeps_done_days_and_resumes(app, monkeypatch):
    seen: list[date] = []

    def flaky(now: datetime) -> dict[str, int]:
        day = now.astimezone(LOCAL_TZ).date()
        if day == date(2026, 7, 3) and day not in seen:
            seen.append(day)
            raise RuntimeError("boom")
        seen.append(day)
        return {"ok": 1}

    monkeypatch.setitem(jobs._REGISTRY, "test-flaky", jobs.Job("test-flaky", flaky, "时好时坏"))
    jobs.run_job("test-flaky", local(date(2026, 7, 1)), trigger=jobs.Trigger.schedule)
    bad = jobs.run_job("test-flaky", local(date(2026, 7, 4)), trigger=jobs.Trigger.schedule)
    assert bad.outcome == jobs.Outcome.failed and bad.done_through == date(2026, 7, 2)
    good = jobs.run_job("test-flaky", local(date(2026, 7, 4), 8), trigger=jobs.Trigger.schedule)
    assert good.caught_up_days == ["2026-07-03"] and good.outcome == jobs.Outcome.success


def test_run_lock_makes_a_second_runner_skip(app, recorder):
    with jobs.run_lock("test-recorder") as held:
        assert held
        outcome: list = []

        def other() -> None:
            with app.app_context():
                outcome.append(jobs.run_job("test-recorder", local(date(2026, 7, 1))).outcome)
                db.session.remove()

        t = threading.Thread(target=other)
        t.start()
        t.join(timeout=60)
    assert outcome == [jobs.Outcome.skipped]
    assert recorder == []
    # Once released, the job runs.
    assert jobs.run_job("test-recorder", local(date(2026, 7, 1))).outcome == jobs.Outcome.success


# --- commits per run ----------------------------------------------------------------


def _stored_run(name: str) -> tuple:
    """The job's last run as another connection sees it (committed data only)."""
    with db.engine.connect() as conn:
        return conn.execute(
            sa.select(jobs.JobRun.outcome, jobs.JobRun.done_through, jobs.JobRun.finished_at)
            .where(jobs.JobRun.job == name)
            .order_by(jobs.JobRun.id.desc())
            .limit(1)
        ).one()


def test_a_run_commits_its_row_then_the_day_with_the_run_end(app, recorder, commits_that_wrote):
    with commits_that_wrote() as commits:
        run = jobs.run_job("test-recorder", local(date(2026, 7, 1)))
    # The "running" row, not waited for (the next commit writes it to disk with its
    # own), then the day's work with the day's progress and the run's end, waited for.
    assert commits == [False, True]
    assert run.outcome == jobs.Outcome.success and run.counts == {"handled": 1}
    assert run.finished_at is not None and run.done_through == date(2026, 7, 1)


def test_the_run_shows_as_running_while_its_day_is_worked(app, monkeypatch):
    seen: list[tuple] = []

    def look(now: datetime) -> dict[str, int]:
        seen.append(_stored_run("test-look"))
        return {"ok": 1}

    monkeypatch.setitem(jobs._REGISTRY, "test-look", jobs.Job("test-look", look, "看一眼"))
    jobs.run_job("test-look", local(date(2026, 7, 1)))
    assert seen == [(jobs.Outcome.running, None, None)]
    assert _stored_run("test-look")[:2] == (jobs.Outcome.success, date(2026, 7, 1))


def test_after_hook_runs_once_the_days_are_committed_and_the_run_ends_after_it(
    app, monkeypatch, commits_that_wrote
):
    seen: list[tuple] = []

    def day(now: datetime) -> dict[str, int]:
        return {"done": 1}

    def after(now: datetime) -> dict[str, int]:
        seen.append(_stored_run("test-after"))
        return {"sent": 2}

    monkeypatch.setitem(
        jobs._REGISTRY, "test-after", jobs.Job("test-after", day, "后续", after=after)
    )
    with commits_that_wrote() as commits:
        run = jobs.run_job("test-after", local(date(2026, 7, 1)))
    # The day is committed before the hook runs; the run is still running then.
    assert seen == [(jobs.Outcome.running, date(2026, 7, 1), None)]
    assert commits == [False, True, True]
    assert run.outcome == jobs.Outcome.success and run.counts == {"done": 1, "sent": 2}


def test_after_hook_with_nothing_to_do_is_skipped_and_the_day_ends_the_run(
    app, monkeypatch, commits_that_wrote
):
    called: list[datetime] = []

    def day(now: datetime) -> dict[str, int]:
        return {"done": 1}

    job = jobs.Job(
        "test-idle-after", day, "无后续", after=called.append, after_needed=lambda: False
    )
    monkeypatch.setitem(jobs._REGISTRY, "test-idle-after", job)
    with commits_that_wrote() as commits:
        run = jobs.run_job("test-idle-after", local(date(2026, 7, 1)))
    assert called == [] and commits == [False, True]
    assert run.outcome == jobs.Outcome.success and run.counts == {"done": 1}


def test_a_failed_day_leaves_none_of_its_work_and_logs_the_error(
    app, monkeypatch, commits_that_wrote
):
    def half_then_fail(now: datetime) -> dict[str, int]:
        db.session.add(jobs.SchedulerHeartbeat(host="half-written", pid=1))
        db.session.flush()
        raise RuntimeError("写到一半")

    monkeypatch.setitem(
        jobs._REGISTRY, "test-half", jobs.Job("test-half", half_then_fail, "写到一半")
    )
    with commits_that_wrote() as commits:
        run = jobs.run_job("test-half", local(date(2026, 7, 1)))
    assert commits == [False, True]  # the running row, then the failure
    assert run.outcome == jobs.Outcome.failed and "RuntimeError: 写到一半" in run.error
    assert run.done_through is None and run.days == [] and run.finished_at is not None
    assert db.session.scalar(sa.select(sa.func.count(jobs.SchedulerHeartbeat.id))) == 0


def test_commit_unsynced_commits_without_waiting_and_puts_the_setting_back(
    app, backend, commits_that_wrote
):
    from partybuild.core.db import commit_unsynced

    def setting_of(raw) -> object:  # noqa: ANN001
        if backend == "sqlite":
            return raw.execute("PRAGMA synchronous").fetchone()[0]
        with raw.cursor() as cur:
            cur.execute("SHOW synchronous_commit")
            return cur.fetchone()[0]

    usual = setting_of(db.session.connection().connection.dbapi_connection)
    db.session.commit()
    with commits_that_wrote() as commits, commit_unsynced(db.session):
        raw = db.session.connection().connection.dbapi_connection
        db.session.add(jobs.SchedulerHeartbeat(host="marker", pid=1))
        db.session.flush()
        assert setting_of(raw) == (1 if backend == "sqlite" else "off")
    assert commits == [False]
    with db.engine.connect() as conn:  # committed: another connection sees it
        assert conn.scalar(sa.select(sa.func.count(jobs.SchedulerHeartbeat.id))) == 1
    # Back to the usual setting once the connection is returned (SQLite), or with the
    # transaction (PostgreSQL): the next commit waits for the disk again.
    assert setting_of(db.session.connection().connection.dbapi_connection) == usual
    if backend == "sqlite":
        assert setting_of(raw) == usual
    with commits_that_wrote() as commits:
        jobs.beat()
    assert commits == [True]

    # A block that raises commits nothing.
    with pytest.raises(RuntimeError), commit_unsynced(db.session):
        db.session.add(jobs.SchedulerHeartbeat(host="never", pid=2))
        raise RuntimeError
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(jobs.SchedulerHeartbeat.id))) == 2


def test_scheduler_is_built_for_shanghai_and_never_started_by_the_app(app):
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]
    scheduler = jobs.build_scheduler(app)
    assert str(scheduler.timezone) == "Asia/Shanghai"
    ids = {j.id for j in scheduler.get_jobs()}
    assert {"greetings", "heartbeat"} <= ids
    assert not scheduler.running


def test_startup_catch_up_runs_a_job_whose_time_has_passed(app, recorder, monkeypatch):
    monkeypatch.setattr(
        jobs, "load_jobs", lambda: {"test-recorder": jobs._REGISTRY["test-recorder"]}
    )
    assert jobs.startup_catch_up(app, local(date(2026, 7, 1), 6)) == []  # before 07:00
    assert jobs.startup_catch_up(app, local(date(2026, 7, 1), 9)) == ["test-recorder"]
    assert jobs.startup_catch_up(app, local(date(2026, 7, 1), 10)) == []  # already done today


# --- heartbeat banner and the job log page --------------------------------------------


def _banner(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return " ".join(
        part.split("</div>")[0] for part in html.split('data-testid="scheduler-warning"')[1:]
    )


def test_banner_when_scheduler_never_ran(client, auth):
    auth.login("admin")
    assert "调度器尚未运行过" in _banner(client)


def test_no_banner_with_a_fresh_heartbeat_and_banner_when_stale(client, auth):
    with time_machine.travel(datetime(2026, 7, 1, 1, 0, tzinfo=UTC), tick=False) as clock:
        auth.login("admin")
        jobs.beat()
        assert _banner(client) == ""
        clock.shift(timedelta(minutes=20))
        assert _banner(client) == ""
        clock.shift(timedelta(hours=3))
        assert "已超过预期时间未运行" in _banner(client)


def test_banner_is_for_admins_only(client, auth):
    auth.login("secretary")
    assert _banner(client) == ""


def test_banner_when_last_run_failed(client, auth, failing):
    jobs.beat()
    jobs.run_job("test-failing", local(date(2026, 7, 1)))
    auth.login("admin")
    assert "会失败的任务" in _banner(client)


def test_heartbeat_updates_one_row_per_process(app):
    first = jobs.beat()
    assert jobs.beat(first) == first
    assert db.session.scalar(sa.select(sa.func.count(jobs.SchedulerHeartbeat.id))) == 1


def test_job_log_page_is_admin_only(client, auth):
    assert client.get("/jobs").status_code == 302  # anonymous: to login
    for role in ("secretary", "reviewer", "member"):
        auth.login(role)
        assert client.get("/jobs").status_code == 403
        assert client.post("/jobs/greetings/run").status_code == 403


def test_job_log_page_lists_runs_and_catch_up(client, auth, recorder):
    jobs.run_job("test-recorder", local(date(2026, 7, 1)), trigger=jobs.Trigger.schedule)
    jobs.run_job("test-recorder", local(date(2026, 7, 4)), trigger=jobs.Trigger.schedule)
    auth.login("admin")
    html = client.get("/jobs").get_data(as_text=True)
    assert "政治生日贺卡" in html and "测试任务" in html
    assert "补跑 2 天：2026-07-02、2026-07-03" in html
    assert "handled 3" in html  # a job without Chinese count names shows the key


def test_job_log_names_counts_in_chinese_and_shortens_long_catch_up(client, auth, recorder):
    jobs.run_job("test-recorder", local(date(2026, 7, 1)), trigger=jobs.Trigger.schedule)
    jobs.run_job("test-recorder", local(date(2026, 7, 6)), trigger=jobs.Trigger.schedule)
    jobs.run_job("greetings", local(date(2026, 7, 6)))
    auth.login("admin")
    html = client.get("/jobs").get_data(as_text=True)
    assert "补跑 4 天：2026-07-02 至 2026-07-05<" in html
    assert "2026-07-02 至 2026-07-06（5 天）" in html
    assert "政治生日人数 0" in html and "found" not in html


def test_admin_runs_a_job_now(client, auth, runner):
    # "Run now" is queued for the scheduler process (issue 8), not run in the request.
    auth.login("admin")
    jobs.beat()  # a scheduler is running
    resp = client.post("/jobs/greetings/run", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "政治生日贺卡”已加入队列，后台任务进程将在几秒内运行它" in html
    assert 'data-testid="queued-runs"' in html and "排队中" in html
    assert db.session.scalar(sa.select(sa.func.count(jobs.JobRun.id))) == 0

    result = runner.invoke(args=["jobs", "work-once"])
    assert result.exit_code == 0 and "已处理后台任务 1 个" in result.output
    run = db.session.scalar(sa.select(jobs.JobRun).order_by(jobs.JobRun.id.desc()).limit(1))
    assert run.trigger == jobs.Trigger.web and run.outcome == jobs.Outcome.success
    html = client.get("/jobs").get_data(as_text=True)
    assert 'data-testid="queued-runs"' not in html and "手动（网页）" in html
    assert client.post("/jobs/no-such-job/run").status_code == 404


def test_cli_run_once_and_list(runner):
    result = runner.invoke(args=["jobs", "run-once", "greetings", "--date", "2026-07-01"])
    assert result.exit_code == 0, result.output
    assert "政治生日贺卡：成功" in result.output
    assert "greetings" in runner.invoke(args=["jobs", "list"]).output
    bad = runner.invoke(args=["jobs", "run-once", "nope"])
    assert bad.exit_code != 0 and "没有名为 nope 的任务" in bad.output


def test_cli_refuses_a_future_date(runner, make_member):
    """Cards for a day that has not come would go out early (and are never deleted)."""
    from partybuild.core.timeutil import local_today
    from partybuild.greetings.models import Greeting

    tomorrow = local_today() + timedelta(days=1)
    joined_on = tomorrow.replace(year=tomorrow.year - 4)  # a political birthday tomorrow
    make_member(joined_on=joined_on, birth_on=date(1970, 1, 1), full_member_on=None, full=False)
    result = runner.invoke(args=["jobs", "run-once", "greetings", "--date", tomorrow.isoformat()])
    assert result.exit_code != 0
    assert "不能为未来的日期" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Greeting.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(jobs.JobRun.id))) == 0


# --- other reminders on the same scheduler ------------------------------------------


def test_commitment_deadline_reminder_once_per_commitment_and_deadline(app, org, make_user):
    from partybuild.commitments.models import Commitment, CommitmentBatch, CommitmentState
    from partybuild.core.db import utcnow
    from partybuild.core.notifications import Notification

    assert "commitment-deadlines" in jobs.load_jobs()
    today = date(2026, 7, 1)
    batch = CommitmentBatch(
        branch_id=org.a.id, title="2026年度党员承诺", commit_start=date(2026, 1, 1),
        commit_end=date(2026, 3, 1), evaluation_start=date(2026, 6, 1),
        evaluation_end=date(2026, 12, 31),
    )  # fmt: skip
    db.session.add(batch)
    db.session.commit()
    owner = make_user("member")
    bystander = make_user("member")

    def commitment(deadline: date, state=CommitmentState.in_progress, member_id=None):
        c = Commitment(
            batch_id=batch.id, branch_id=org.a.id, member_id=member_id or owner.member_id,
            category="工作", content="每月接待群众来访不少于20批次", target="240批次",
            deadline=deadline, state=state, submitted_at=utcnow(),
            published_at=None if state == CommitmentState.submitted else utcnow(),
        )  # fmt: skip
        db.session.add(c)
        db.session.commit()
        return c

    due = commitment(today + timedelta(days=7))
    commitment(today + timedelta(days=8))  # not yet
    commitment(today - timedelta(days=1))  # already past: another reminder's business
    commitment(today + timedelta(days=3), state=CommitmentState.submitted)  # not published
    commitment(today + timedelta(days=2), member_id=bystander.member_id)

    def notes(user):
        return db.session.scalars(
            sa.select(Notification).where(
                Notification.user_id == user.id, Notification.kind == "commitment_deadline"
            )
        ).all()

    first = jobs.run_job("commitment-deadlines", local(today, 8))
    again = jobs.run_job("commitment-deadlines", local(today + timedelta(days=1), 8))
    assert first.counts == {"due_soon": 2, "reminded": 2}
    # Next day: the first two are not reminded again; the 8-day one now is.
    assert again.counts == {"due_soon": 3, "reminded": 1}
    by_title = sorted(n.title for n in notes(owner))
    assert by_title == ["承诺即将到期：还有 7 天", "承诺即将到期：还有 7 天"]
    [note] = [n for n in notes(owner) if n.dedupe_key.startswith(f"commitment-deadline:{due.id}:")]
    assert note.link.endswith(f"/{due.id}")
    assert len(notes(bystander)) == 1
    # A moved deadline is a new period: reminded again.
    due.deadline = today + timedelta(days=5)
    db.session.commit()
    jobs.run_job("commitment-deadlines", local(today + timedelta(days=1), 8))
    assert len(notes(owner)) == 3
