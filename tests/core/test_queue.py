"""The background queue: rows the scheduler process claims, runs with a heartbeat, and
fails when the process running them died."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.orm import Session

from partybuild.core import background, jobs
from partybuild.core.background import BackgroundTask, TaskState
from partybuild.extensions import db

T0 = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def kinds(monkeypatch):
    """Test task kinds: one that records its payloads, one that fails."""
    seen: list[dict] = []
    failures: list[tuple[int, str]] = []

    def record(task: BackgroundTask) -> None:
        seen.append(dict(task.payload))

    def explode(task: BackgroundTask) -> None:
        raise RuntimeError("磁盘已满")

    def on_failed(task: BackgroundTask, message: str) -> None:
        failures.append((task.id, message))

    background.task_kinds()  # load the real kinds first
    for name, handler in (("test-record", record), ("test-explode", explode)):
        monkeypatch.setitem(
            background._KINDS,
            name,
            background.TaskKind(name, handler, "测试任务", on_failed),
        )
    return seen, failures


def _task(task_id: int) -> BackgroundTask:
    db.session.expire_all()
    return db.session.get(BackgroundTask, task_id)


def test_a_queued_task_runs_once(app, kinds):
    seen, _ = kinds
    task = background.enqueue("test-record", {"n": 1}, ref="test:1")
    db.session.commit()
    assert task.state == TaskState.queued

    assert background.work_once() == 1
    assert seen == [{"n": 1}]
    task = _task(task.id)
    assert task.state == TaskState.done and task.attempts == 1
    assert task.worker == background.this_worker()
    assert task.started_at and task.finished_at and task.error == ""
    assert background.work_once() == 0  # nothing left: never run twice
    assert seen == [{"n": 1}]


def test_a_failing_task_is_marked_failed_and_its_domain_told(app, kinds):
    _, failures = kinds
    task = background.enqueue("test-explode", {})
    db.session.commit()
    assert background.work_once() == 1
    task = _task(task.id)
    assert task.state == TaskState.failed and "磁盘已满" in task.error
    assert failures == [(task.id, background.CRASHED_MESSAGE)]


def test_unknown_kind_is_refused_when_queued(app):
    with pytest.raises(ValueError):
        background.enqueue("no-such-kind", {})


def test_the_database_refuses_an_unknown_state(app):
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text(
                "INSERT INTO background_tasks (kind, ref, payload, state, queued_at, worker, "
                "error, attempts) VALUES ('x', '', '{}', 'lost', :now, '', '', 0)"
            ),
            {"now": T0.replace(tzinfo=None)},
        )
        db.session.flush()
    db.session.rollback()


def test_a_claimed_row_is_not_claimed_again(app, kinds):
    task = background.enqueue("test-record", {})
    db.session.commit()
    assert background.claim_next("host-a:1") == task.id
    assert background.claim_next("host-b:2") is None
    assert _task(task.id).worker == "host-a:1"


def test_two_workers_racing_never_run_the_same_row(app, kinds):
    ids = [background.enqueue("test-record", {"n": n}).id for n in range(8)]
    db.session.commit()
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        with app.app_context():
            start.wait()
            while (task_id := background.claim_next(f"host-{name}:1")) is not None:
                claimed[name].append(task_id)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    together = claimed["a"] + claimed["b"]
    assert sorted(together) == ids  # every row claimed, none twice
    db.session.expire_all()
    states = db.session.scalars(sa.select(BackgroundTask.attempts)).all()
    assert states == [1] * len(ids)


def test_a_task_whose_worker_died_is_failed_within_a_minute(app, kinds):
    _, failures = kinds
    with time_machine.travel(T0, tick=False) as clock:
        dead = background.enqueue("test-record", {})
        alive = background.enqueue("test-record", {})
        db.session.commit()
        assert background.claim_next("gone:1") == dead.id
        clock.shift(timedelta(seconds=90))
        assert background.claim_next("here:2") == alive.id
        clock.shift(timedelta(seconds=30))  # dead: 2 minutes quiet; alive: 30 s
        assert background.fail_abandoned() == [dead.id]
        db.session.commit()
    dead, alive = _task(dead.id), _task(alive.id)
    assert dead.state == TaskState.failed and dead.error == "后台进程意外中断，请重新生成"
    assert alive.state == TaskState.running
    assert failures == [(dead.id, "后台进程意外中断，请重新生成")]


def test_the_heartbeat_keeps_a_long_task_alive(app, kinds, monkeypatch):
    app.config["BACKGROUND_HEARTBEAT_SECONDS"] = 0.05
    beats: list[datetime] = []

    def slow(task: BackgroundTask) -> None:
        for _ in range(2):
            time.sleep(0.3)
            with Session(db.engine) as session:
                beats.append(session.get(BackgroundTask, task.id).heartbeat_at)

    monkeypatch.setitem(
        background._KINDS, "test-slow", background.TaskKind("test-slow", slow, "慢")
    )
    task = background.enqueue("test-slow", {})
    db.session.commit()
    assert background.work_once() == 1
    assert beats[1] > beats[0] > _task(task.id).started_at
    assert _task(task.id).state == TaskState.done


def test_scheduler_running_follows_the_heartbeat(app):
    with time_machine.travel(T0, tick=False) as clock:
        assert not background.scheduler_running()
        jobs.beat()
        assert background.scheduler_running()
        clock.shift(timedelta(seconds=30))
        assert background.scheduler_running()
        clock.shift(timedelta(minutes=2))
        assert not background.scheduler_running()


def test_the_scheduler_tick_beats_and_works_the_queue(app, kinds):
    seen, _ = kinds
    background.enqueue("test-record", {"n": 7})
    db.session.commit()
    state: dict = {"id": None}
    assert jobs.tick(app, state) == 1
    assert state["id"] is not None and background.scheduler_running()
    assert seen == [{"n": 7}]
    scheduler = jobs.build_scheduler(app)
    assert "background" in {j.id for j in scheduler.get_jobs()}


def test_cli_work_once_drains_the_queue(app, runner, kinds):
    seen, _ = kinds
    for n in range(3):
        background.enqueue("test-record", {"n": n})
    db.session.commit()
    result = runner.invoke(args=["jobs", "work-once"])
    assert result.exit_code == 0, result.output
    assert "已处理后台任务 3 个" in result.output
    assert [p["n"] for p in seen] == [0, 1, 2]


# --- job runs whose process died --------------------------------------------------


def _running_run(host: str, pid: int, started: datetime) -> jobs.JobRun:
    run = jobs.JobRun(
        job="greetings", trigger=jobs.Trigger.schedule, started_at=started, host=host, pid=pid,
        days=[], caught_up_days=[], counts={},
    )  # fmt: skip
    db.session.add(run)
    db.session.commit()
    return run


def test_a_scheduled_run_whose_scheduler_died_is_failed(app):
    with time_machine.travel(T0, tick=False) as clock:
        db.session.add_all(
            [
                jobs.SchedulerHeartbeat(host="old", pid=10, started_at=T0, beat_at=T0),
                jobs.SchedulerHeartbeat(host="live", pid=11, started_at=T0, beat_at=T0),
            ]
        )
        db.session.commit()
        dead = _running_run("old", 10, T0)
        live = _running_run("live", 11, T0)
        cli = _running_run("shell", 99, T0)  # run-once from a shell: no heartbeat
        clock.shift(timedelta(minutes=2))
        db.session.execute(
            sa.update(jobs.SchedulerHeartbeat)
            .where(jobs.SchedulerHeartbeat.host == "live")
            .values(beat_at=T0 + timedelta(minutes=2))
        )
        assert jobs.fail_dead_runs() == 1
        db.session.commit()
    db.session.expire_all()
    assert dead.outcome == jobs.Outcome.failed and "调度进程意外中断" in dead.error
    assert live.outcome == jobs.Outcome.running and cli.outcome == jobs.Outcome.running


def test_run_now_without_a_scheduler_says_so(client, auth):
    auth.login("admin")
    html = client.post("/jobs/greetings/run", follow_redirects=True).get_data(as_text=True)
    assert "已加入队列" in html
    assert "后台任务进程" in html and "没有运行" in html and "flask --app wsgi jobs run" in html
    task = db.session.scalar(sa.select(BackgroundTask))
    assert task.kind == jobs.RUN_NOW_TASK and task.state == TaskState.queued


def test_run_now_whose_worker_died_shows_failed_in_the_run_log(client, auth):
    with time_machine.travel(T0, tick=False) as clock:
        auth.login("admin")
        client.post("/jobs/greetings/run")
        task_id = background.claim_next("gone-host:4242")
        _running_run("gone-host", 4242, T0).trigger = jobs.Trigger.web
        db.session.commit()
        clock.shift(timedelta(minutes=2))
        html = client.get("/jobs").get_data(as_text=True)
        assert "运行中" in html
        assert jobs.tick(app=client.application) == 0
        assert _task(task_id).state == TaskState.failed
        run = db.session.scalar(sa.select(jobs.JobRun))
        assert run.outcome == jobs.Outcome.failed and run.trigger == jobs.Trigger.web
        html = client.get("/jobs").get_data(as_text=True)
    assert "后台进程意外中断，本次运行未完成" in html
