"""Background tasks: rows in ``background_tasks`` that the scheduler process runs.

Web workers never run slow work in threads of their own. A view queues a task
(``enqueue`` adds the row; the view's commit publishes it) and the scheduler
process (``flask --app wsgi jobs run``) polls for queued rows every few seconds,
claims one atomically, runs it while a heartbeat thread keeps ``heartbeat_at``
fresh, and marks it done or failed. A running row whose heartbeat has gone quiet
belonged to a process that died: the poller (or a page looking at it) marks it
failed and tells its domain through ``on_failed``.

Domains register their task kinds in their ``tasks.py`` (imported with the jobs)::

    from partybuild.core import background

    def run_export(task: background.BackgroundTask) -> None:
        ...  # use db.session; commit your own work

    def export_failed(task: background.BackgroundTask, message: str) -> None:
        ...  # record the Chinese message on the domain's row; do not commit

    background.register_task("report-export", run_export, label="报告导出",
                             on_failed=export_failed)

Core imports no domain package: handlers are looked up by kind name.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from partybuild.core.db import LabelledEnum, str_enum, utcnow
from partybuild.core.settings import setting
from partybuild.extensions import db

logger = logging.getLogger(__name__)

# How often the scheduler looks for queued rows, and how often a running task
# proves it is alive; a running row quiet for STALE seconds is abandoned.

ABANDONED_MESSAGE = "后台进程意外中断，请重新生成"
CRASHED_MESSAGE = "后台任务出错，请稍后重试"
SCHEDULER_COMMAND = "flask --app wsgi jobs run"
SCHEDULER_DOWN_MESSAGE = (
    "后台任务进程（后台任务调度器）当前没有运行，任务已排队，将在它启动后自动开始。"
    f"请管理员在服务器上启动：{SCHEDULER_COMMAND}"
)


class TaskState(LabelledEnum):
    queued = "queued", "排队中"
    running = "running", "运行中"
    done = "done", "已完成"
    failed = "failed", "失败"


class BackgroundTask(db.Model):
    __tablename__ = "background_tasks"
    __table_args__ = (
        sa.CheckConstraint(
            "state NOT IN ('done', 'failed') OR finished_at IS NOT NULL",
            name="finished_has_time",
        ),
        sa.Index("ix_background_tasks_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    # What the task is about, for pages that follow it (e.g. "export:12").
    ref: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    state: Mapped[TaskState] = mapped_column(str_enum(TaskState, 16), default=TaskState.queued)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    worker: Mapped[str] = mapped_column(sa.String(160), default="")  # host:pid
    error: Mapped[str] = mapped_column(sa.Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<BackgroundTask {self.id} {self.kind} {self.state}>"

    @property
    def is_finished(self) -> bool:
        return self.state in (TaskState.done, TaskState.failed)


# --- registry --------------------------------------------------------------------


@dataclass(frozen=True)
class TaskKind:
    name: str
    handler: Callable[[BackgroundTask], None]
    label: str
    # Called (inside the caller's transaction) when a task failed or was abandoned.
    on_failed: Callable[[BackgroundTask, str], None] | None = None


_KINDS: dict[str, TaskKind] = {}


def register_task(
    name: str,
    handler: Callable[[BackgroundTask], None],
    *,
    label: str,
    on_failed: Callable[[BackgroundTask, str], None] | None = None,
) -> TaskKind:
    """Register a task kind (idempotent: re-importing a tasks module is harmless)."""
    kind = TaskKind(name, handler, label, on_failed)
    existing = _KINDS.get(name)
    if existing is not None and existing.handler.__qualname__ != handler.__qualname__:
        raise ValueError(f"task kind {name!r} is already registered by {existing.handler}")
    _KINDS[name] = kind
    return kind


def task_kinds() -> dict[str, TaskKind]:
    """Every registered kind (imports each domain's ``tasks`` module first)."""
    from partybuild.core import jobs

    jobs.load_jobs()
    return dict(_KINDS)


# --- configuration ---------------------------------------------------------------


def poll_seconds() -> float:
    return float(setting("BACKGROUND_POLL_SECONDS"))


def heartbeat_seconds() -> float:
    return float(setting("BACKGROUND_HEARTBEAT_SECONDS"))


def stale_after() -> timedelta:
    return timedelta(seconds=float(setting("BACKGROUND_STALE_SECONDS")))


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:160]


# --- queueing --------------------------------------------------------------------


def enqueue(kind: str, payload: dict[str, Any] | None = None, *, ref: str = "") -> BackgroundTask:
    """Add a queued task to the session (the caller's commit publishes it)."""
    if kind not in task_kinds():
        raise ValueError(f"unknown background task kind {kind!r}")
    task = BackgroundTask(
        kind=kind, ref=ref[:64], payload=dict(payload or {}), state=TaskState.queued,
        queued_at=utcnow(), worker="", error="", attempts=0,
    )  # fmt: skip
    db.session.add(task)
    db.session.flush()
    return task


def latest_for(ref: str) -> BackgroundTask | None:
    """The newest task about ``ref`` (e.g. "export:12")."""
    return db.session.scalar(
        sa.select(BackgroundTask)
        .where(BackgroundTask.ref == ref)
        .order_by(BackgroundTask.id.desc())
        .limit(1)
    )


def unfinished(kind: str | None = None) -> list[BackgroundTask]:
    """Queued and running tasks, oldest first (for pages that list them)."""
    stmt = sa.select(BackgroundTask).where(
        BackgroundTask.state.in_([TaskState.queued, TaskState.running])
    )
    if kind is not None:
        stmt = stmt.where(BackgroundTask.kind == kind)
    return list(db.session.scalars(stmt.order_by(BackgroundTask.id)))


def scheduler_running(now: datetime | None = None) -> bool:
    """Whether a scheduler process has beaten recently enough to pick up queued work.

    The scheduler beats on every poll (every few seconds) and while it runs a task,
    so a heartbeat older than the stale limit means no process is polling.
    """
    from partybuild.core import jobs

    beat_at = jobs.last_heartbeat()
    return beat_at is not None and (now or utcnow()) - beat_at <= stale_after()


# --- claiming and running --------------------------------------------------------


def claim_next(worker: str | None = None) -> int | None:
    """Atomically take the oldest queued task for ``worker``; its id, or None.

    On PostgreSQL the candidate row is locked with FOR UPDATE SKIP LOCKED, so two
    schedulers take different rows without waiting; on both backends the UPDATE
    only succeeds while the row is still queued, so a row is never claimed twice.
    """
    worker = worker or this_worker()
    engine = db.engine
    postgres = engine.dialect.name == "postgresql"
    with Session(engine) as session:
        stmt = (
            sa.select(BackgroundTask.id)
            .where(BackgroundTask.state == TaskState.queued)
            .order_by(BackgroundTask.id)
            .limit(1 if postgres else 20)
        )
        if postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        candidates = session.scalars(stmt).all()
        for task_id in candidates:
            now = utcnow()
            result = session.execute(
                sa.update(BackgroundTask)
                .where(BackgroundTask.id == task_id, BackgroundTask.state == TaskState.queued)
                .values(
                    state=TaskState.running,
                    started_at=now,
                    heartbeat_at=now,
                    worker=worker[:160],
                    attempts=BackgroundTask.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            session.commit()
            if result.rowcount == 1:
                return task_id
        return None


class _Heartbeat(threading.Thread):
    """Touches the task (and the scheduler's heartbeat row) every few seconds, from a
    connection of its own, until stopped."""

    def __init__(
        self, engine: sa.Engine, task_id: int, interval: float, scheduler_beat_id: int | None
    ) -> None:
        super().__init__(name=f"task-heartbeat-{task_id}", daemon=True)
        self.engine = engine
        self.task_id = task_id
        self.interval = interval
        self.scheduler_beat_id = scheduler_beat_id
        self.stopped = threading.Event()

    def run(self) -> None:
        from partybuild.core.jobs import SchedulerHeartbeat

        while not self.stopped.wait(self.interval):
            try:
                with Session(self.engine) as session:
                    now = utcnow()
                    session.execute(
                        sa.update(BackgroundTask)
                        .where(
                            BackgroundTask.id == self.task_id,
                            BackgroundTask.state == TaskState.running,
                        )
                        .values(heartbeat_at=now)
                    )
                    if self.scheduler_beat_id is not None:
                        session.execute(
                            sa.update(SchedulerHeartbeat)
                            .where(SchedulerHeartbeat.id == self.scheduler_beat_id)
                            .values(beat_at=now)
                        )
                    session.commit()
            except sa.exc.SQLAlchemyError:
                # A missed beat is harmless; many in a row make the task look dead.
                logger.warning("task %s: heartbeat not saved", self.task_id, exc_info=True)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=30)


def run_claimed(
    task_id: int, worker: str | None = None, scheduler_beat_id: int | None = None
) -> TaskState:
    """Run a task this worker has claimed and record how it ended."""
    worker = worker or this_worker()
    task = db.session.get(BackgroundTask, task_id)
    if task is None or task.state != TaskState.running:
        return task.state if task is not None else TaskState.failed
    kind_name = task.kind
    kind = task_kinds().get(kind_name)
    heartbeat = _Heartbeat(db.engine, task_id, heartbeat_seconds(), scheduler_beat_id)
    heartbeat.start()
    state, error = TaskState.done, ""
    try:
        if kind is None:
            raise LookupError(f"unknown background task kind {task.kind!r}")
        kind.handler(task)
        db.session.commit()
    except Exception as exc:  # the task row must record any failure
        db.session.rollback()
        logger.exception("background task %s (%s) failed", task_id, kind_name)
        state, error = TaskState.failed, f"{type(exc).__name__}: {exc}"[:4000]
    finally:
        heartbeat.stop()
    finished = db.session.execute(
        sa.update(BackgroundTask)
        .where(BackgroundTask.id == task_id, BackgroundTask.state == TaskState.running)
        .values(state=state, error=error, finished_at=utcnow(), heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if finished.rowcount and state == TaskState.failed and kind and kind.on_failed:
        task = db.session.get(BackgroundTask, task_id)
        db.session.refresh(task)
        try:
            kind.on_failed(task, CRASHED_MESSAGE)
        except Exception:
            logger.exception("background task %s: on_failed raised", task_id)
    db.session.commit()
    logger.info("background task %s (%s) %s", task_id, kind_name, state.value)
    return state


def fail_abandoned(now: datetime | None = None, ref: str | None = None) -> list[int]:
    """Mark running tasks whose heartbeat has gone quiet failed; tell their domains.

    Changes the session without committing (the poller, or the page that noticed,
    commits). The conditional UPDATE makes a race between two observers harmless.
    """
    now = now or utcnow()
    cutoff = now - stale_after()
    quiet = sa.or_(BackgroundTask.heartbeat_at.is_(None), BackgroundTask.heartbeat_at < cutoff)
    stmt = sa.select(BackgroundTask.id).where(BackgroundTask.state == TaskState.running, quiet)
    if ref is not None:
        stmt = stmt.where(BackgroundTask.ref == ref)
    failed = []
    for task_id in db.session.scalars(stmt).all():
        result = db.session.execute(
            sa.update(BackgroundTask)
            .where(BackgroundTask.id == task_id, BackgroundTask.state == TaskState.running, quiet)
            .values(state=TaskState.failed, finished_at=now, error=ABANDONED_MESSAGE)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        task = db.session.get(BackgroundTask, task_id)
        db.session.refresh(task)
        logger.warning("background task %s (%s) abandoned by %s", task_id, task.kind, task.worker)
        kind = task_kinds().get(task.kind)
        if kind is not None and kind.on_failed is not None:
            kind.on_failed(task, ABANDONED_MESSAGE)
        failed.append(task_id)
    db.session.flush()
    return failed


def work_once(
    limit: int | None = None, worker: str | None = None, scheduler_beat_id: int | None = None
) -> int:
    """Fail abandoned tasks, then run queued ones until none is left (or ``limit``).

    Returns how many tasks were run. Used by the scheduler's poll (``jobs.tick``)
    and by ``flask --app wsgi jobs work-once``.
    """
    fail_abandoned()
    db.session.commit()
    ran = 0
    while limit is None or ran < limit:
        task_id = claim_next(worker)
        if task_id is None:
            break
        run_claimed(task_id, worker, scheduler_beat_id)
        ran += 1
    return ran
