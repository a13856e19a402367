"""Benchmark: the 党员承诺践诺台账 through the real export path, against its floor.

    python bench/bench_ledger_export.py [--rows 10000] [--no-annual] [--in-process] [--keep]

Two ledgers, each on SQLite and (when ``PARTYBUILD_TEST_DATABASE_URL`` is set) on
PostgreSQL:

* ``10k``    - a scratch database seeded here (4 branches, rows/5 members with 5
  commitments each, a fulfilment record per kept commitment, public ratings on a third
  of them): the all-branch 2026 ledger of ``--rows`` rows;
* ``annual`` - the reviewer's all-branch 2026 ledger of the large bureau
  (``bench/dataset.py``, built once and reused; ``PARTYBUILD_BENCH_DIR`` /
  ``PARTYBUILD_BENCH_PG_PREFIX`` keep parallel checkouts apart).

Measured in the same run, each in a fresh interpreter so ``ru_maxrss`` is its own:

* ``export``   - the web's background path: ``service.request_export`` (reviewer, all
  branches, period 2026), then ``service.queue_export`` and ``background.work_once`` -
  what the scheduler process does: claim the queued row, heartbeat, progress writes, the
  streamed ledger query, the document engine, the file stored under EXPORTS_DIR with its
  SHA-256, the Export record and audit entries;
* ``floor``    - ``bench/bench_ledger_rows.py``'s ``bench_baseline(rows)`` for the same
  row count: a bare python-docx document filled by deep-copying one lxml prototype row
  per row.

Each is timed three times (best shown), then run again under tracemalloc for the Python
heap peak (lxml's C allocations are not traced; ``ru_maxrss`` is the whole process,
the "peak memory" of the ratios).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import logging
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

logger = logging.getLogger(__name__)

PERIOD = "2026"


def _config(workdir: Path, url: str) -> dict:
    return {
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(workdir / "instance"),
        "EXPORTS_DIR": str(workdir / "exports"),
        "REPORTS_INLINE_MAX_ROWS": 0,
    }


def seed(workdir: Path, url: str, rows: int) -> None:
    """A scratch database with ``rows`` ledger rows for 2026 (bulk inserts)."""
    import sqlalchemy as sa

    from partybuild import create_app
    from partybuild.auth.models import User
    from partybuild.commitments.models import (
        Commitment,
        CommitmentBatch,
        CommitmentState,
        FulfilmentRecord,
        PublicRating,
        RatingLevel,
    )
    from partybuild.core.permissions import Role
    from partybuild.extensions import db
    from partybuild.org.models import (
        Branch,
        Department,
        Gender,
        Member,
        MemberStatus,
        Organization,
        Post,
    )

    rnd = random.Random(9704)
    app = create_app(_config(workdir, url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        org = Organization(name="市信访局机关党委")
        dept = Department(organization=org, name="接访科")
        post = Post(department=dept, name="信访接待岗")
        branches = [
            Branch(organization=org, code=f"B{i:02d}", name=f"机关第{i}党支部") for i in range(1, 5)
        ]
        db.session.add_all([org, dept, post, *branches])
        db.session.add(User(username="reviewer", role=Role.reviewer, password_hash="x"))
        db.session.flush()
        batches = []
        for b in branches:
            batch = CommitmentBatch(
                branch_id=b.id,
                title="2026年度党员承诺",
                commit_start=date(2026, 1, 1),
                commit_end=date(2026, 3, 31),
                evaluation_start=date(2026, 11, 1),
                evaluation_end=date(2026, 12, 31),
            )
            batches.append(batch)
        db.session.add_all(batches)
        db.session.flush()

        members = rows // 5
        db.session.execute(
            sa.insert(Member),
            [
                dict(
                    branch_id=branches[i % 4].id,
                    department_id=dept.id,
                    post_id=post.id,
                    name=f"党员{i:05d}",
                    gender=Gender.male if i % 2 else Gender.female,
                    birth_on=date(1980, 1, 1),
                    joined_on=date(2005, 7, 1),
                    full_member_on=date(2006, 7, 1),
                    status=MemberStatus.full,
                    phone=f"138{i:08d}",
                )
                for i in range(members)
            ],
        )
        member_ids = db.session.scalars(sa.select(Member.id).order_by(Member.id)).all()
        branch_of = {b.id: batches[k] for k, b in enumerate(branches)}
        member_branch = dict(db.session.execute(sa.select(Member.id, Member.branch_id)).all())

        states = [
            CommitmentState.published,
            CommitmentState.in_progress,
            CommitmentState.in_progress,
            CommitmentState.awaiting_evaluation,
            CommitmentState.evaluated,
        ]
        at = datetime(2026, 2, 1, 2, 0, tzinfo=UTC)
        commitments = []
        for i in range(rows):
            mid = member_ids[i // 5]
            batch = branch_of[member_branch[mid]]
            state = states[i % len(states)]
            c = dict(
                batch_id=batch.id,
                branch_id=batch.branch_id,
                member_id=mid,
                category=["学习", "工作", "自律", "服务群众"][i % 4],
                content=f"第{i}项承诺：每月接待群众来访不少于{rnd.randint(10, 40)}批次，"
                "做到件件有登记、事事有回音",
                target="全年接访240批次，群众满意率95%以上",
                measures="按时到岗，首问负责",
                deadline=date(2026, 12, 31) - timedelta(days=i % 200),
                state=state,
                submitted_at=at,
                published_at=at,
                progress=0 if state == CommitmentState.published else 60,
                record_count=0 if state == CommitmentState.published else 1,
                evidence_count=0 if state == CommitmentState.published else 2,
                is_withdrawn=False,
                evaluation_requested_at=None,
                evaluated_at=None,
                score=None,
                grade=None,
            )
            if state in (CommitmentState.awaiting_evaluation, CommitmentState.evaluated):
                c["evaluation_requested_at"] = at
            if state == CommitmentState.evaluated:
                c.update(evaluated_at=at, score=float(rnd.randint(75, 100)), grade="好")
            commitments.append(c)
        db.session.execute(sa.insert(Commitment), commitments)
        ids = db.session.scalars(sa.select(Commitment.id).order_by(Commitment.id)).all()
        db.session.execute(
            sa.insert(FulfilmentRecord),
            [
                dict(
                    commitment_id=cid,
                    recorded_on=date(2026, 6, 1) + timedelta(days=k % 90),
                    text=f"第{k}条践诺记录：本月接访{rnd.randint(10, 40)}批次，化解积案{k % 5}件",
                    progress=60,
                )
                for k, cid in enumerate(ids)
                if k % len(states)
            ],
        )
        levels = list(RatingLevel)
        db.session.execute(
            sa.insert(PublicRating),
            [
                dict(
                    commitment_id=cid,
                    level=levels[(k + j) % 3 if j else 0],
                    browser_hash=f"{k:032d}{j:032d}",
                    ip_hash=f"{k:032d}{j:032d}",
                    rated_on=date(2026, 9, 1),
                )
                for k, cid in enumerate(ids)
                if k % 3 == 0
                for j in range(3)
            ],
        )
        db.session.commit()
        db.engine.dispose()


def bench_export(workdir: Path, url: str, username: str, rows: int | None, repeat: int = 3) -> dict:
    """The background export of the all-branch 2026 ledger, as the web runs it."""
    import sqlalchemy as sa

    from partybuild import create_app
    from partybuild.auth.models import User
    from partybuild.core import background
    from partybuild.extensions import db
    from partybuild.reports import service
    from partybuild.reports.models import ExportStatus

    app = create_app(_config(workdir, url))
    queries = []

    def count(*_args: object) -> None:
        queries.append(1)

    def run() -> dict:
        with app.app_context():
            reviewer = db.session.scalar(sa.select(User).where(User.username == username))
            export = service.request_export(
                "commitments", {"branch": "all", "period": PERIOD}, reviewer
            )
            service.queue_export(export)
            db.session.commit()
            background.work_once()
            db.session.expire_all()
            assert export.status == ExportStatus.done, export.error
            return {"rows": export.row_count, "size": export.size_bytes, "id": export.id}

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    times = []
    for attempt in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
        if attempt == 0:
            first, query_count = result, len(queries)
    assert rows is None or first["rows"] == rows, first
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "name": "export",
        "rows": first["rows"],
        "seconds_first": round(times[0], 3),
        "seconds_best": round(min(times), 3),
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "docx_kb": round(first["size"] / 1024),
        "queries": query_count,
    }


def load_rows_bench() -> ModuleType:
    path = ROOT / "bench" / "bench_ledger_rows.py"
    spec = importlib.util.spec_from_file_location("bench_ledger_rows", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_ledger_rows"] = module
    spec.loader.exec_module(module)
    return module


def bench_baseline(rows: int) -> dict:
    result = load_rows_bench().bench_baseline(rows)
    result["queries"] = 0
    return result


def _run_isolated(name: str, workdir: Path, url: str, username: str, rows: int) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--rows",
            str(rows),
            "--only",
            name,
            "--workdir",
            str(workdir),
            "--url",
            url,
            "--user",
            username,
        ],  # fmt: skip
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _measure_one(name: str, workdir: Path, url: str, username: str, rows: int) -> dict:
    if name == "seed":
        seed(workdir, url, rows)
        return {}
    if name == "dataset":
        from bench.dataset import build

        return {"reused": build(url, 1.0, quiet=True).reused}
    if name == "export":
        return bench_export(workdir, url, username, rows or None)
    return bench_baseline(rows)


def _scratch_postgres(server_url: str, name: str) -> str:
    """A scratch database ``name`` on the test server (created if missing)."""
    import sqlalchemy as sa

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _targets(workdir: Path, rows: int, annual: bool) -> list[tuple[str, str, str, str]]:
    """(ledger, backend, url, reviewer username) for each measurement."""
    import os

    import sqlalchemy as sa

    server = os.environ.get("PARTYBUILD_TEST_DATABASE_URL")
    out = [(f"{rows // 1000}k", "sqlite", f"sqlite:///{workdir / 'bench.db'}", "reviewer")]
    if server:
        prefix = os.environ.get("PARTYBUILD_BENCH_PG_PREFIX", "pb_bench")
        out.append(
            (
                f"{rows // 1000}k",
                "postgres",
                _scratch_postgres(server, f"{prefix}_ledger"),
                "reviewer",
            )
        )
    for _, _, url, _ in out:
        started = time.perf_counter()
        # Seeding and building run in fresh interpreters too: on Linux a child's
        # ru_maxrss starts at its parent's, so this process must stay small.
        _run_isolated("seed", workdir, url, "", rows)
        where = sa.make_url(url).render_as_string(hide_password=True)
        print(f"seeded {rows} ledger rows in {time.perf_counter() - started:.1f} s ({where})")
    if annual:
        from bench.dataset import postgres_url, sqlite_url

        urls = [("sqlite", sqlite_url(1.0))]
        if server:
            urls.append(("postgres", postgres_url(1.0)))
        for backend, url in urls:
            reused = _run_isolated("dataset", workdir, url, "", 0)["reused"]
            print(f"large bureau on {backend}: {'reused' if reused else 'built'}")
            out.append(("annual", backend, url, "bench_reviewer"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--no-annual", action="store_true", help="skip the large bureau")
    parser.add_argument("--in-process", action="store_true", help="no fresh interpreters")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument(
        "--only", choices=["export", "baseline", "seed", "dataset"], help=argparse.SUPPRESS
    )
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--user", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    if args.only:
        print(json.dumps(_measure_one(args.only, args.workdir, args.url, args.user, args.rows)))
        return 0

    def measure(name: str, url: str, user: str, rows: int) -> dict:
        if args.in_process:
            return _measure_one(name, workdir, url, user, rows)
        return _run_isolated(name, workdir, url, user, rows)

    workdir = Path(tempfile.mkdtemp(prefix="pb-bench-"))
    lines = []
    try:
        for ledger, backend, url, user in _targets(workdir, args.rows, not args.no_annual):
            export = measure("export", url, user, args.rows if ledger != "annual" else 0)
            floor = measure("baseline", url, user, export["rows"])  # same row count
            lines.append((ledger, backend, export, floor))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"{'ledger':<8}{'backend':<10}{'bench':<9}{'rows':>7}{'first s':>9}{'best s':>8}"
        f"{'tracemalloc MB':>16}{'maxrss MB':>11}{'docx KB':>9}{'queries':>9}"
    )
    for ledger, backend, export, floor in lines:
        for name, r in (("floor", floor), ("export", export)):
            best = r.get("seconds_best", r.get("seconds"))
            first = r.get("seconds_first", best)
            print(
                f"{ledger:<8}{backend:<10}{name:<9}{r['rows']:>7}{first:>9.2f}{best:>8.2f}"
                f"{r['tracemalloc_peak_mb']:>16.1f}{r['ru_maxrss_mb']:>11.1f}{r['docx_kb']:>9}"
                f"{r['queries']:>9}"
            )
    print()
    print(f"{'ledger':<8}{'backend':<10}{'time / floor':>14}{'peak memory / floor':>21}")
    for ledger, backend, export, floor in lines:
        t = export["seconds_best"] / max(floor["seconds_best"], 1e-9)
        m = export["ru_maxrss_mb"] / max(floor["ru_maxrss_mb"], 1e-9)
        print(f"{ledger:<8}{backend:<10}{t:>13.2f}x{m:>20.2f}x")
    print("goals: time <= 1.5x, peak memory (maxrss) <= 1.3x the floor measured in this run")
    print("export: request + queued task (work_once) + query + document + store + records;")
    print("floor: bare python-docx, one lxml prototype row deep-copied per row, same row count;")
    print("queries: SQL statements of the first export, whatever the row count.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
