"""Benchmark: each commitment service verb on a large SQLite database, against floors.

    python bench/bench_verbs.py [--commitments 20000] [--audit 100000] [--ratings 50000]
                                [--repeat 40] [--keep DIR]

Builds (in bulk, about a minute) a SQLite database with 50 branches, 5,000 members,
``--commitments`` commitments, ``--ratings`` public ratings and a keyed audit chain of
``--audit`` entries, then times in one process, each followed by its commit:

* floors: ``select`` (one primary-key SELECT) and ``write`` (one-row UPDATE + commit,
  what any change costs on this disk: SQLite syncs the WAL on commit);
* ``audit`` (one ``audit.record`` append) and each verb: ``create`` (a member's draft),
  ``submit``, ``publish`` (secretary), ``record`` (a fulfilment record), ``rate`` (a
  public rating).

Prints per operation the service call's p50 / p95 (before the commit) against the
one-SELECT floor, and call + commit against the write floor. The goal is each verb's
call ≤ 5 ms; the audit append must not grow with the chain (no scan of it).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

logger = logging.getLogger(__name__)

BRANCHES = 50
MEMBERS = 5000


def build(app, n_commitments: int, n_audit: int, n_ratings: int, repeat: int) -> dict:
    """The large bureau, inserted in bulk; returns the ids the timed verbs use."""
    import sqlalchemy as sa

    from partybuild.auth.models import User
    from partybuild.commitments.models import (
        Commitment,
        CommitmentBatch,
        CommitmentState,
        PublicRating,
    )
    from partybuild.core import audit
    from partybuild.core.audit import GENESIS, AuditEntry, AuditHead
    from partybuild.core.permissions import Role
    from partybuild.extensions import db
    from partybuild.org.models import Branch, Member, Organization

    db.create_all()
    today = date.today()
    now = datetime.now(UTC)
    s = db.session
    s.add(Organization(id=1, name="测试局机关党委"))
    s.execute(
        sa.insert(Branch),
        [
            {"id": b, "organization_id": 1, "code": f"B{b:02d}", "name": f"第{b}党支部"}
            for b in range(1, BRANCHES + 1)
        ],
    )
    s.execute(
        sa.insert(Member),
        [
            {
                "id": m,
                "branch_id": (m - 1) % BRANCHES + 1,
                "name": f"党员{m}",
                "gender": "male" if m % 2 else "female",
                "birth_on": date(1970 + m % 30, 1 + m % 12, 1 + m % 28),
                "joined_on": date(2000 + m % 20, 7, 1),
                "full_member_on": date(2001 + m % 20, 7, 1),
                "status": "full",
            }
            for m in range(1, MEMBERS + 1)
        ],
    )
    # Branch 1's members with logins: ``repeat`` fresh ones for create/submit.
    branch1 = [m for m in range(1, MEMBERS + 1) if (m - 1) % BRANCHES == 0]
    fresh = branch1[: repeat + 1]
    users = [
        {"id": 1, "username": "secretary", "password_hash": "x", "role": Role.secretary.value,
         "branch_id": 1, "member_id": branch1[-1]},
    ] + [
        {"id": i + 2, "username": f"m{m}", "password_hash": "x", "role": Role.member.value,
         "branch_id": 1, "member_id": m}
        for i, m in enumerate(fresh)
    ]  # fmt: skip
    s.execute(sa.insert(User), users)
    batches = [
        {
            "id": b,
            "branch_id": b,
            "title": f"{today.year}年度承诺",
            "commit_start": today - timedelta(days=30),
            "commit_end": today + timedelta(days=30),
            # the entry window: the model's default (its own period)
            "entry_start": today - timedelta(days=30),
            "entry_end": today + timedelta(days=30),
            "evaluation_start": today + timedelta(days=200),
            "evaluation_end": today + timedelta(days=300),
            "status": "open",
        }
        for b in range(1, BRANCHES + 1)
    ]
    s.execute(sa.insert(CommitmentBatch), batches)
    members_busy = [m for m in range(1, MEMBERS + 1) if m not in set(fresh)]
    rows = []
    for i in range(n_commitments):
        m = members_busy[i % len(members_busy)]
        branch = (m - 1) % BRANCHES + 1
        rows.append(
            {
                "batch_id": branch,
                "branch_id": branch,
                "member_id": m,
                "category": "工作",
                "content": f"承诺内容{i}",
                "target": "目标",
                "deadline": today + timedelta(days=100),
                "state": CommitmentState.in_progress.value,
                "published_at": now,
                "submitted_at": now,
            }
        )
    for start in range(0, len(rows), 5000):
        s.execute(sa.insert(Commitment), rows[start : start + 5000])
    ratings = [
        {
            "commitment_id": 1 + i % n_commitments,
            "level": "satisfied",
            "browser_hash": f"{i:064x}",
            "ip_hash": f"{i % 997:064x}",
            "rated_on": today - timedelta(days=i % 60),
        }
        for i in range(n_ratings)
    ]
    for start in range(0, len(ratings), 10000):
        s.execute(sa.insert(PublicRating), ratings[start : start + 10000])
    # The audit chain, hashed as audit.record would.
    ring = audit.keyring()
    prev, entries = GENESIS, []
    for i in range(n_audit):
        e = AuditEntry(
            created_at=now - timedelta(seconds=n_audit - i),
            actor_id=None,
            actor_name="系统",
            action="update",
            object_type="member",
            object_id=str(i % MEMBERS + 1),
            branch_id=i % BRANCHES + 1,
            summary=f"批量{i}",
            before=None,
            after={"n": i},
            ip=None,
            prev_hash=prev,
            key_id=ring.current_id,
        )
        e.hash = prev = e.compute_hash(ring.current)
        entries.append(
            {
                k: getattr(e, k)
                for k in (
                    "created_at",
                    "actor_id",
                    "actor_name",
                    "action",
                    "object_type",
                    "object_id",
                    "branch_id",
                    "summary",
                    "before",
                    "after",
                    "ip",
                    "prev_hash",
                    "hash",
                    "key_id",
                )
            }  # fmt: skip
        )
    for start in range(0, len(entries), 10000):
        s.execute(sa.insert(AuditEntry), entries[start : start + 10000])
    last_id = s.scalar(sa.select(sa.func.max(AuditEntry.id)))
    head = AuditHead(id=1, entries=n_audit, last_id=last_id, last_hash=prev)
    head.sign(ring)
    s.add(head)
    s.commit()
    s.execute(sa.text("ANALYZE"))
    s.commit()
    return {"fresh_users": [u["id"] for u in users[1:]], "secretary": 1}


def _hmac_check(app) -> None:
    """Sanity: the bulk chain verifies like one written by audit.record (first/last)."""
    from partybuild.core.audit import verify_chain

    started = time.perf_counter()
    result = verify_chain()
    logger.info("verify_chain: %s in %.1f s", result, time.perf_counter() - started)
    if not result.ok:
        raise SystemExit(f"bulk audit chain does not verify: {result}")


def timed(fn: Callable[[int], None], repeat: int, commit: Callable[[], None]) -> list[tuple]:
    """(call ms, call + commit ms) per run."""
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        fn(i)
        called = time.perf_counter()
        commit()
        done = time.perf_counter()
        times.append(((called - started) * 1000, (done - started) * 1000))
    return times


def run(args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from partybuild import create_app
    from partybuild.auth.models import User
    from partybuild.auth.views import load_user
    from partybuild.commitments import service
    from partybuild.commitments.models import Commitment, CommitmentBatch
    from partybuild.core import audit
    from partybuild.extensions import db
    from partybuild.org.models import Member

    workdir = Path(args.keep or tempfile.mkdtemp(prefix="pb-verbs-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "large.db"
    db_path.unlink(missing_ok=True)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "INSTANCE_PATH": str(workdir / "instance"),
            "SECRET_KEY": "bench",
            "SERVER_NAME": "localhost",
            "COMMITMENT_MIN_ITEMS": 1,
            "PUBLIC_RATING_PER_IP_DAILY": 1_000_000,
        }
    )
    repeat = args.repeat
    try:
        with app.app_context():
            started = time.perf_counter()
            ids = build(app, args.commitments, args.audit, args.ratings, repeat)
            print(
                f"built {args.commitments:,} commitments, {args.ratings:,} ratings, "
                f"{args.audit:,} audit entries in {time.perf_counter() - started:.1f} s "
                f"({db_path.stat().st_size / 2**20:.0f} MiB)"
            )
            s = db.session
            # Each call loads its actor as a request does (``load_user``: one query with
            # branch and member), not by lazy refreshes of an object expired by the
            # previous commit.
            fresh = [s.get(User, i).get_id() for i in ids["fresh_users"]]
            secretary = s.get(User, ids["secretary"]).get_id()
            data = {
                "category": "工作",
                "content": "认真学习",
                "target": "每月一次",
                "measures": "",
                "deadline": date.today() + timedelta(days=60),
            }
            made: list[int] = []
            results: dict[str, list[float]] = {}

            def select(i):
                s.execute(sa.select(Member.id).where(Member.id == 1 + i)).scalar_one()

            def write(i):
                s.execute(sa.update(Member).where(Member.id == 1 + i).values(phone=str(i)))

            def append(i):
                audit.record("update", "member", i, actor="bench", summary="bench")

            def create(i):
                user = load_user(fresh[i])
                c = service.create_commitment(s.get(CommitmentBatch, 1), user.member, data, user)
                made.append(c.id)

            def submit(i):
                service.submit_commitment(s.get(Commitment, made[i]), load_user(fresh[i]))

            def publish(i):
                service.publish_commitment(s.get(Commitment, made[i]), load_user(secretary))

            def record(i):
                c = s.get(Commitment, made[i])
                record = {"text": "已完成", "recorded_on": date.today(), "progress": 50}
                service.add_fulfilment_record(c, record, [], load_user(fresh[i]))

            def rate(i):
                service.add_public_rating(
                    s.get(Commitment, made[i]), "satisfied", "", browser_id=f"b{i}", ip="10.0.0.1"
                )

            for name, fn in [
                ("select", select), ("write", write), ("audit", append), ("create", create),
                ("submit", submit), ("publish", publish), ("record", record), ("rate", rate),
            ]:  # fmt: skip
                s.expire_all()
                results[name] = timed(fn, repeat, s.commit)
            _hmac_check(app)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    def p(values: list[float], q: float) -> float:
        return sorted(values)[max(0, round(len(values) * q) - 1)]

    floor_select = statistics.median(t[0] for t in results["select"])
    floor_write = statistics.median(t[1] for t in results["write"])
    print(
        f"\nfloors: one SELECT {floor_select:.2f} ms (call), "
        f"one-row UPDATE + commit {floor_write:.2f} ms"
    )
    print(
        f"{'operation':<10}{'call p50':>10}{'call p95':>10}{'× select':>10}"
        f"{'+commit p50':>13}{'× write':>9}"
    )
    for name, times in results.items():
        calls, totals = [t[0] for t in times], [t[1] for t in times]
        c50, t50 = statistics.median(calls), statistics.median(totals)
        print(
            f"{name:<10}{c50:>10.2f}{p(calls, 0.95):>10.2f}{c50 / floor_select:>10.1f}"
            f"{t50:>13.2f}{t50 / floor_write:>9.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commitments", type=int, default=20_000)
    parser.add_argument("--audit", type=int, default=100_000)
    parser.add_argument("--ratings", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", help="build the database in this directory and keep it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logger.setLevel(logging.INFO)
    run(args)


if __name__ == "__main__":
    main()
