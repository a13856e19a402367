"""The shared scheduler: job registry, run-lock, catch-up, run log and heartbeat.

Each domain's ``tasks.py`` registers its periodic jobs here (the app factory
imports it; nothing else to wire up)::

    from partybuild.core import jobs
    from partybuild.core.notifications import notify

    def remind_due_reviews(now: datetime) -> dict[str, int]:
        today = local_today(now)
        for review in due_on(today):  # poll due rows for the local day
            notify(user_id, "integrity_review", "……", link=jobs.url_path(...),
                   dedupe_key=f"review-due:{review.id}:{review.due_on}")  # idempotent
        db.session.commit()
        return {"reminded": n}

    jobs.register("integrity-reviews", remind_due_reviews, label="排查到期提醒", hour=8)

A job is a module-level function taking ``now`` (aware UTC) that handles one
local day and returns counts. ``run_job`` wraps it: a run-lock (PostgreSQL
advisory lock, or a lock file on SQLite) keeps two processes from running the
same job at once, days missed while the scheduler was down are processed one by
one (up to ``JOBS_CATCH_UP_DAYS``), and every run is logged in ``job_runs``.

APScheduler runs only in its own process, ``flask --app wsgi jobs run``; it is
never started by ``create_app``, web workers or tests. The same process works the
background queue (``core/background.py``): every few seconds it beats, fails
runs and tasks whose process died, and runs queued tasks (large exports, the
administrator's "run now").
"""

import contextlib
import hashlib
import logging
import os
import socket
import sys
import time as time_mod
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, url_for
from sqlalchemy.orm import Mapped, mapped_column

from partybuild.core import background, dataversion
from partybuild.core.db import LabelledEnum, commit_unsynced, str_enum, utcnow
from partybuild.core.settings import setting
from partybuild.core.timeutil import LOCAL_TZ, format_datetime, local_today
from partybuild.extensions import db

logger = logging.getLogger(__name__)

# A run still "running" after this long was most likely killed.
STALE_RUN_HOURS = 2


class Trigger(LabelledEnum):
    schedule = "schedule", "定时"  # the scheduler process (catches up missed days)
    manual = "manual", "命令行"  # `jobs run-once`
    web = "web", "手动（网页）"  # an administrator pressed "run now"


class Outcome(LabelledEnum):
    running = "running", "运行中"
    success = "success", "成功"
    failed = "failed", "失败"
    skipped = "skipped", "跳过（另一进程正在运行）"  # another process held the run-lock


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (
        sa.CheckConstraint(
            "outcome = 'running' OR finished_at IS NOT NULL", name="finished_unless_running"
        ),
        sa.Index("ix_job_runs_job_started_at", "job", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(64))
    trigger: Mapped[Trigger] = mapped_column(str_enum(Trigger, 16))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, 16), default=Outcome.running)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # Local days handled by this run; done_through is the last one completed.
    days: Mapped[list] = mapped_column(sa.JSON, default=list)
    caught_up_days: Mapped[list] = mapped_column(sa.JSON, default=list)
    days_beyond_limit: Mapped[int] = mapped_column(default=0)
    done_through: Mapped[date | None]
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    host: Mapped[str] = mapped_column(sa.String(120), default="")
    pid: Mapped[int] = mapped_column(default=0)

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def days_text(self) -> str:
        """The days handled, short: a long run of days reads as a range."""
        return _days_text(self.days or [])

    @property
    def caught_up_text(self) -> str:
        return _days_text(self.caught_up_days or [], with_count=False)

    @property
    def looks_stale(self) -> bool:
        return self.outcome == Outcome.running and utcnow() - self.started_at > timedelta(
            hours=STALE_RUN_HOURS
        )


def _days_text(days: list[str], with_count: bool = True) -> str:
    if len(days) <= 2:
        return "、".join(days)
    return f"{days[0]} 至 {days[-1]}" + (f"（{len(days)} 天）" if with_count else "")


class SchedulerHeartbeat(db.Model):
    """One row per scheduler process, touched every few minutes while it lives."""

    __tablename__ = "scheduler_heartbeats"
    __table_args__ = (sa.UniqueConstraint("host", "pid", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(120))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# The administrators' scheduler warnings read these through a cache keyed by this version.
dataversion.track("jobs", JobRun, SchedulerHeartbeat)


# --- registry --------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[datetime], dict[str, int] | None]
    label: str
    hour: int = 7
    minute: int = 0
    # Called once per run after every day is done (e.g. deliver mail after commit).
    after: Callable[[datetime], dict[str, int] | None] | None = None
    description: str = ""
    # Chinese names of the counts the job returns, for the run log.
    count_labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    # Whether ``after`` has anything to do (None: always). Asked before the last day
    # commits: a run without after-work is logged as finished in that same commit.
    after_needed: Callable[[], bool] | None = None

    def count_label(self, key: str) -> str:
        return self.count_labels.get(key, key)

    @property
    def schedule_label(self) -> str:
        return f"每天 {self.hour:02d}:{self.minute:02d}（北京时间）"

    def moment_on(self, day: date) -> datetime:
        """The scheduled moment on a local day, as aware UTC."""
        return datetime.combine(day, time(self.hour, self.minute), LOCAL_TZ).astimezone(UTC)


_REGISTRY: dict[str, Job] = {}


def register(
    name: str,
    func: Callable[[datetime], dict[str, int] | None],
    *,
    label: str,
    hour: int = 7,
    minute: int = 0,
    after: Callable[[datetime], dict[str, int] | None] | None = None,
    description: str = "",
    count_labels: dict[str, str] | None = None,
    after_needed: Callable[[], bool] | None = None,
) -> Job:
    """Register a daily job (idempotent: re-importing a tasks module is harmless)."""
    job = Job(
        name, func, label, hour, minute, after, description, dict(count_labels or {}),
        after_needed,
    )  # fmt: skip
    existing = _REGISTRY.get(name)
    if existing is not None and existing.func.__qualname__ != func.__qualname__:
        raise ValueError(f"job name {name!r} is already registered by {existing.func}")
    _REGISTRY[name] = job
    return job


def load_jobs() -> dict[str, Job]:
    """Every registered job, by name. The app factory imports each domain's ``tasks``
    module, which registers its jobs here: core knows no domain."""
    return dict(sorted(_REGISTRY.items()))


def get_job(name: str) -> Job:
    jobs = load_jobs()
    if name not in jobs:
        raise KeyError(name)
    return jobs[name]


def url_path(endpoint: str, **values: Any) -> str:
    """A site-relative link for a notification, also in the scheduler (no request)."""
    if has_request_context():
        return url_for(endpoint, **values)
    # Built from the URL map directly: no request context per link, so a job can
    # build ten thousand links cheaply.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind("localhost", script_name=app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


# --- run-lock --------------------------------------------------------------------


def _lock_key(name: str) -> int:
    digest = hashlib.sha256(f"partybuild.job:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def run_lock(name: str, wait_seconds: float = 0) -> Iterator[bool]:
    """Yield True while this process holds the job's lock, False if it could not get it."""
    if db.engine.dialect.name == "postgresql":
        with _pg_lock(name, wait_seconds) as acquired:
            yield acquired
    else:
        with _file_lock(name, wait_seconds) as acquired:
            yield acquired


def _poll(try_once: Callable[[], bool], wait_seconds: float) -> bool:
    deadline = time_mod.monotonic() + wait_seconds
    while True:
        if try_once():
            return True
        if time_mod.monotonic() >= deadline:
            return False
        time_mod.sleep(0.2)


@contextlib.contextmanager
def _pg_lock(name: str, wait_seconds: float) -> Iterator[bool]:
    # A session-level advisory lock on a connection of its own, held across the
    # job's several transactions; it goes away by itself if the process dies.
    key = _lock_key(name)
    conn = db.engine.connect()
    try:

        def try_once() -> bool:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            return bool(got)

        acquired = _poll(try_once, wait_seconds)
        try:
            yield acquired
        finally:
            if acquired:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
    finally:
        conn.close()


def lock_path(name: str) -> str:
    folder = setting("JOBS_LOCK_DIR") or current_app.instance_path
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, f"job-{name}.lock")


@contextlib.contextmanager
def _file_lock(name: str, wait_seconds: float) -> Iterator[bool]:
    # flock is released by the kernel when the process exits, so no stale locks.
    path = lock_path(name)
    fh = open(path, "a+")  # noqa: SIM115 - held for the whole block
    try:
        if sys.platform == "win32":  # pragma: no cover - the server runs Linux
            import msvcrt

            def try_once() -> bool:
                try:
                    msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                    return True
                except OSError:
                    return False

            def release() -> None:
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            def try_once() -> bool:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    return False

            def release() -> None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

        acquired = _poll(try_once, wait_seconds)
        try:
            yield acquired
        finally:
            if acquired:
                release()
    finally:
        fh.close()


# --- running a job ---------------------------------------------------------------


def catch_up_limit() -> int:
    return int(setting("JOBS_CATCH_UP_DAYS"))


def last_scheduled_day(name: str) -> date | None:
    """The last local day the scheduler completed for this job (manual runs do not count)."""
    return db.session.scalar(
        sa.select(sa.func.max(JobRun.done_through)).where(
            JobRun.job == name, JobRun.trigger == Trigger.schedule
        )
    )


def plan_days(name: str, today: date) -> tuple[list[date], list[date], int]:
    """(days to run, of which caught up, days dropped beyond the limit)."""
    last = last_scheduled_day(name)
    if last is None or last >= today - timedelta(days=1):
        return [today], [], 0
    missed = [last + timedelta(days=i) for i in range(1, (today - last).days)]
    limit = catch_up_limit()
    dropped = max(0, len(missed) - limit)
    missed = missed[dropped:]
    return [*missed, today], missed, dropped


def _merge(total: Counter, counts: dict[str, int] | None) -> None:
    for key, value in (counts or {}).items():
        total[key] += int(value)


def run_job(
    name: str,
    now: datetime | None = None,
    *,
    trigger: Trigger = Trigger.manual,
    day: date | None = None,
    wait_seconds: float = 0,
) -> JobRun:
    """Run a job under its lock and log the run.

    ``trigger=schedule`` processes every day missed since the last scheduled run
    (up to the limit) and then today; other triggers process ``day`` (default
    today) only. Each day is committed on its own, so a failure keeps the days
    already done and the next scheduled run resumes after them.

    Commits: the "running" row first (while the lock is held), then one per day with
    the day's progress; the last day's commit also finishes the run log unless an
    after-hook has work (then the finish is a commit of its own). A failure rolls
    back the day it happened in and is logged in a commit of its own.
    """
    job = get_job(name)
    now = now or utcnow()
    trigger = Trigger(trigger)
    started = utcnow()
    with run_lock(name, wait_seconds) as acquired:
        run = JobRun(
            job=name,
            trigger=trigger,
            started_at=started,
            host=socket.gethostname()[:120],
            pid=os.getpid(),
            days=[],
            caught_up_days=[],
            counts={},
        )
        if not acquired:
            run.outcome = Outcome.skipped
            run.finished_at = utcnow()
            run.error = "另一个进程正在运行此任务，本次跳过。"
            db.session.add(run)
            db.session.commit()
            logger.info("job %s skipped: lock held by another process", name)
            return run
        today = local_today(now)
        if trigger == Trigger.schedule:
            days, caught_up, dropped = plan_days(name, today)
        else:
            days, caught_up, dropped = [day or today], [], 0
        run.caught_up_days = [d.isoformat() for d in caught_up]
        run.days_beyond_limit = dropped
        # Others see the run as running from here; its row reaches the disk with the
        # first day's commit (a crash before then loses the row, and no work).
        with commit_unsynced(db.session):
            db.session.add(run)
            db.session.flush()
            run_id = run.id  # read before the commit expires it (no reload)
        if dropped:
            logger.warning(
                "job %s: %d missed days beyond the catch-up limit dropped", name, dropped
            )
        totals: Counter = Counter()
        done: list[str] = []
        outcome, error = Outcome.success, ""
        finished = False

        def log_run(**values: Any) -> None:
            db.session.execute(
                sa.update(JobRun)
                .where(JobRun.id == run_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

        try:
            after = job.after
            if after is not None and job.after_needed is not None and not job.after_needed():
                after = None
            for i, d in enumerate(days):
                moment = now if d == today else job.moment_on(d)
                _merge(totals, job.func(moment))
                done.append(d.isoformat())
                # The day's progress commits with the day's work: one commit, and the
                # log never says a day is done that was not.
                progress: dict[str, Any] = {"done_through": d, "days": list(done)}
                last = i == len(days) - 1 and after is None
                if last:  # and the run's end with it: still one commit
                    progress.update(outcome=outcome, counts=dict(totals), finished_at=utcnow())
                log_run(**progress)
                db.session.commit()
                finished = last
            if after is not None:
                _merge(totals, after(now))
                db.session.commit()
        except Exception as exc:  # the run log must record any failure
            db.session.rollback()
            logger.exception("job %s failed", name)
            outcome, error = Outcome.failed, f"{type(exc).__name__}: {exc}"[:4000]
            finished = False
        if not finished:
            log_run(outcome=outcome, error=error, counts=dict(totals), finished_at=utcnow())
            db.session.commit()
        logger.info(
            "job %s %s: days=%s caught_up=%s counts=%s",
            name,
            outcome.value,
            done,
            [d.isoformat() for d in caught_up],
            dict(totals),
        )
        return run  # expired by the commit: read back on first use


# --- "run now": a queued run, picked up by the scheduler process ---------------------

RUN_NOW_TASK = "job-run"


def queue_run(name: str) -> background.BackgroundTask:
    """Queue a run of ``name`` (trigger web) for the scheduler process; caller commits."""
    get_job(name)  # KeyError for an unknown job
    return background.enqueue(RUN_NOW_TASK, {"job": name}, ref=f"job:{name}")


def _run_queued(task: background.BackgroundTask) -> None:
    run_job(task.payload["job"], trigger=Trigger.web, wait_seconds=5)


def _queued_run_failed(task: background.BackgroundTask, message: str) -> None:
    """Fail the run the dead worker left running, or log one so the page shows it."""
    if message == background.ABANDONED_MESSAGE:
        message = "后台进程意外中断，本次运行未完成，可再次“立即运行”。"
    name = task.payload.get("job", "")
    host, _, pid = task.worker.rpartition(":")
    runs = db.session.scalars(
        sa.select(JobRun).where(
            JobRun.job == name,
            JobRun.outcome == Outcome.running,
            JobRun.trigger == Trigger.web,
            JobRun.host == host,
            JobRun.pid == (int(pid) if pid.isdigit() else -1),
        )
    ).all()
    for run in runs:
        _fail_run(run, message)
    if not runs:
        now = utcnow()
        db.session.add(
            JobRun(
                job=name,
                trigger=Trigger.web,
                outcome=Outcome.failed,
                started_at=task.started_at or now,
                finished_at=now,
                error=message,
                host=host[:120],
                pid=int(pid) if pid.isdigit() else 0,
                days=[],
                caught_up_days=[],
                counts={},
            )  # fmt: skip
        )


background.register_task(
    RUN_NOW_TASK, _run_queued, label="立即运行定时任务", on_failed=_queued_run_failed
)


# --- heartbeat -------------------------------------------------------------------


def beat(heartbeat_id: int | None = None) -> int:
    """Touch (or create) this scheduler process's heartbeat row; return its id."""
    row = db.session.get(SchedulerHeartbeat, heartbeat_id) if heartbeat_id else None
    if row is None:
        row = SchedulerHeartbeat(host=socket.gethostname()[:120], pid=os.getpid())
        db.session.add(row)
    row.beat_at = utcnow()
    db.session.commit()
    return row.id


def last_heartbeat() -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(SchedulerHeartbeat.beat_at)))


DEAD_RUN_MESSAGE = "调度进程意外中断，本次运行未完成。"


def fail_dead_runs(now: datetime | None = None) -> int:
    """Mark runs failed whose scheduler process has stopped beating.

    A scheduler beats every few seconds while it lives, so a running run whose
    process's heartbeat is older than the background stale limit was cut off.
    Runs started from the command line (no heartbeat row) are left alone.
    """
    now = now or utcnow()
    cutoff = now - background.stale_after()
    count = 0
    for run in db.session.scalars(sa.select(JobRun).where(JobRun.outcome == Outcome.running)):
        last_beat = db.session.scalar(
            sa.select(sa.func.max(SchedulerHeartbeat.beat_at)).where(
                SchedulerHeartbeat.host == run.host, SchedulerHeartbeat.pid == run.pid
            )
        )
        # The run must have started while that process was beating (a later
        # command-line run that happens to reuse the pid is not its run).
        if (
            last_beat is not None
            and last_beat < cutoff
            and run.started_at <= last_beat + background.stale_after()
        ):
            _fail_run(run, DEAD_RUN_MESSAGE, now)
            count += 1
    db.session.flush()
    return count


def _fail_run(run: JobRun, message: str, now: datetime | None = None) -> None:
    run.outcome = Outcome.failed
    run.error = message
    run.finished_at = now or utcnow()
    logger.warning("job run %s (%s) marked failed: %s", run.id, run.job, message)


def scheduler_warnings(now: datetime | None = None) -> list[str]:
    """Chinese warnings for administrators: a silent scheduler, a failed last run."""
    now = now or utcnow()
    warnings = []
    stale = timedelta(minutes=int(setting("JOBS_HEARTBEAT_STALE_MINUTES")))

    def figures() -> tuple[datetime | None, str | None]:
        last = db.session.execute(
            sa.select(JobRun.job, JobRun.outcome)
            .where(JobRun.outcome.in_([Outcome.success, Outcome.failed]))
            .order_by(JobRun.id.desc())
            .limit(1)
        ).first()
        failed = last.job if last is not None and last.outcome == Outcome.failed else None
        return last_heartbeat(), failed

    # Plain values per version of the runs and heartbeats; the staleness is judged now.
    beat_at, failed = dataversion.cached("jobs.warnings", ("jobs",), figures)
    if beat_at is None:
        warnings.append(
            "定时任务调度器尚未运行过：政治生日贺卡、到期提醒等不会自动发出。"
            "请在服务器上启动 flask --app wsgi jobs run。"
        )
    elif now - beat_at > stale:
        warnings.append(
            f"定时任务调度器已超过预期时间未运行（最后一次心跳：{format_datetime(beat_at)}），"
            "政治生日贺卡、到期提醒等可能未按时发出，请检查调度进程。"
        )
    if failed is not None:
        job = load_jobs().get(failed)
        warnings.append(f"最近一次定时任务“{job.label if job else failed}”运行失败。")
    return warnings


# --- the scheduler process -------------------------------------------------------


def build_scheduler(app: Flask) -> Any:
    """A BlockingScheduler (Asia/Shanghai) with every registered job and the heartbeat."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = BlockingScheduler(
        timezone=LOCAL_TZ,
        # One thread for the background queue, the others for daily jobs and the
        # heartbeat, so a long export never delays a job (the run-lock still keeps
        # one job from running twice).
        executors={"default": ThreadPoolExecutor(max_workers=3)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    with app.app_context():
        registry = load_jobs()
    for job in registry.values():
        scheduler.add_job(
            _fire,
            CronTrigger(hour=job.hour, minute=job.minute, timezone=LOCAL_TZ),
            args=[app, job.name],
            id=job.name,
            name=job.label,
        )
    state: dict[str, int | None] = {"id": None}

    def heartbeat() -> None:
        with app.app_context():
            try:
                state["id"] = beat(state["id"])
            except Exception:
                db.session.rollback()
                logger.exception("heartbeat failed")

    with app.app_context():
        seconds = int(setting("JOBS_HEARTBEAT_SECONDS"))
        poll = float(setting("BACKGROUND_POLL_SECONDS"))
    scheduler.add_job(
        heartbeat,
        IntervalTrigger(seconds=seconds, timezone=LOCAL_TZ),
        id="heartbeat",
        name="heartbeat",
        next_run_time=datetime.now(LOCAL_TZ),
    )
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=poll, timezone=LOCAL_TZ),
        args=[app, state],
        id="background",
        name="background queue",
        next_run_time=datetime.now(LOCAL_TZ),
        misfire_grace_time=None,
    )
    return scheduler


def tick(app: Flask, state: dict[str, int | None] | None = None) -> int:
    """One poll of the scheduler process: beat, fail what died, run queued tasks."""
    with app.app_context():
        try:
            beat_id = None
            if state is not None:
                state["id"] = beat_id = beat(state.get("id"))
            fail_dead_runs()
            db.session.commit()
            return background.work_once(scheduler_beat_id=beat_id)
        except Exception:
            db.session.rollback()
            logger.exception("background poll failed")
            return 0
        finally:
            db.session.remove()


def _fire(app: Flask, name: str) -> None:
    with app.app_context():
        try:
            run_job(name, trigger=Trigger.schedule)
        except Exception:
            db.session.rollback()
            logger.exception("job %s could not be run", name)
        finally:
            db.session.remove()


def startup_catch_up(app: Flask, now: datetime | None = None) -> list[str]:
    """On start, run each job whose time today has passed but whose day is not done."""
    ran = []
    with app.app_context():
        now = now or utcnow()
        today = local_today(now)
        for job in load_jobs().values():
            last = last_scheduled_day(job.name)
            if (last is None or last < today) and now >= job.moment_on(today):
                _fire(app, job.name)
                ran.append(job.name)
    return ran


# The ``flask jobs`` commands live in core/cli.py, which imports this module only when
# one of them runs: listing the commands (``flask --help``) loads no models.
