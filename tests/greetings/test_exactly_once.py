"""Exactly once: four job processes at once, and concurrent runs without the lock."""

import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from partybuild.core import jobs
from partybuild.core.notifications import Notification
from partybuild.extensions import db
from partybuild.greetings import service
from partybuild.greetings.models import Greeting

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 7, 1)


def _members(joined, make_user, count: int) -> list:
    members = []
    for i in range(count):
        m = joined(date(1990 + i, 7, 1), name=f"同日党员{i}")
        make_user("member", member=m)
        members.append(m)
    return members


def _assert_one_each(members: list) -> None:
    db.session.expire_all()
    per_member = dict(
        db.session.execute(
            sa.select(Greeting.member_id, sa.func.count()).group_by(Greeting.member_id)
        ).all()
    )
    assert per_member == {m.id: 1 for m in members}
    notes = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.kind == "greeting")
    )
    assert notes == len(members)


def test_four_processes_greet_each_member_exactly_once(app, backend, joined, make_user):
    """Four `flask jobs run-once` processes start together against one database.

    On PostgreSQL (when PARTYBUILD_TEST_DATABASE_URL is set) the run-lock is an
    advisory lock; on SQLite it is a lock file in the shared instance folder.
    """
    members = _members(joined, make_user, 8)
    env = {
        **os.environ,
        "PARTYBUILD_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PARTYBUILD_INSTANCE_PATH": app.instance_path,
        "PARTYBUILD_SECRET_KEY": "test-secret",
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("PARTYBUILD_TEST_DATABASE_URL", None)
    command = [
        sys.executable, "-m", "flask", "--app", "wsgi",
        "jobs", "run-once", "greetings", "--date", DAY.isoformat(),
    ]  # fmt: skip
    procs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=180)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs

    _assert_one_each(members)
    runs = db.session.scalars(sa.select(jobs.JobRun).where(jobs.JobRun.job == "greetings")).all()
    assert len(runs) == 4
    assert all(r.outcome in (jobs.Outcome.success, jobs.Outcome.skipped) for r in runs)
    assert sum(r.counts.get("greeted", 0) for r in runs) == len(members)
    if backend == "postgresql":
        assert db.engine.dialect.name == "postgresql"


def test_concurrent_runs_without_the_lock_still_greet_once(app, backend, joined, make_user):
    """The unique constraints alone make overlapping runs harmless."""
    members = _members(joined, make_user, 6)
    errors: list[BaseException] = []
    results: list[dict] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                counts = service.greet_day(DAY)
                db.session.commit()
                results.append(counts)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(c.get("greeted", 0) for c in results) == len(members)
    _assert_one_each(members)
