"""Benchmark: the greetings job against a bulk-insert floor, on 100,000 members.

    python bench/bench_greetings.py [--members 100000] [--same-day 10000] [--repeat 5]

Builds a scratch bureau in bulk (50 branches, ``--members`` members each with a login,
one secretary per branch; ``--same-day`` of them joined on 1 July, the others on a
random other day), then times in the same run, on SQLite and (when
``PARTYBUILD_TEST_DATABASE_URL`` is set) on PostgreSQL:

* ``job``   - ``jobs.run_job("greetings", …)`` for one day: the run-lock, the run log,
  the greetings, member notifications, secretaries' digests, audit entries, commit;
* ``floor`` - the job's one unavoidable read (the day's birthdays, ``birthdays_on``) and
  the same greeting and notification rows written with plain ``INSERT`` executemany
  statements and committed (no dedupe, no audit, no links, no digests).

Both are measured for 1 July (``--same-day`` birthdays) and for 15 March (about
1/365 of the rest). Goal (issue 15): at most 3x the floor for the big day and 1.5x for
the ordinary one. Between measurements the rows written are deleted (untimed). Both
are run once untimed first (on 16 March): the scheduler is a long-lived process, so
its compiled-statement cache is warm when the day's run starts. Each is then timed
``--repeat`` times, floor and job in turn, and the medians are compared (the machine
may be shared: one measurement is too noisy for a ratio).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BIG_DAY = date(2026, 7, 1)
SMALL_DAY = date(2026, 3, 15)
WARM_DAY = date(2026, 3, 16)
BRANCHES = 50
CHUNK = 5000


def _chunks(rows: list[dict], size: int = CHUNK):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def build(members: int, same_day: int) -> None:
    """The bureau, in bulk (inside an app context)."""
    from partybuild.auth.models import User
    from partybuild.core.permissions import Role
    from partybuild.extensions import db
    from partybuild.greetings.service import ensure_default_templates
    from partybuild.org.models import Branch, Gender, Member, MemberStatus, Organization

    rng = random.Random(15)
    now = datetime.now(UTC)
    org = Organization(name="某市局机关委员会")
    db.session.add(org)
    db.session.flush()
    db.session.execute(
        sa.insert(Branch.__table__),
        [
            {
                "organization_id": org.id,
                "code": f"B{i:02d}",
                "name": f"第{i}党支部",
                "is_active": True,
            }
            for i in range(1, BRANCHES + 1)
        ],
    )
    branch_ids = list(db.session.scalars(sa.select(Branch.id).order_by(Branch.id)))
    rows = []
    for n in range(members):
        if n < same_day:
            joined = date(rng.randint(1960, 2025), 7, 1)
        else:
            while True:
                joined = date(rng.randint(1960, 2025), 1, 1) + timedelta(days=rng.randrange(365))
                if (joined.month, joined.day) != (7, 1):
                    break
        rows.append(
            {
                "branch_id": branch_ids[n % BRANCHES],
                "name": f"党员{n:06d}",
                "gender": Gender.male if n % 2 else Gender.female,
                "birth_on": date(joined.year - 25, 5, 5),
                "joined_on": joined,
                "full_member_on": joined + timedelta(days=366),
                "status": MemberStatus.full,
                "title": "",
                "is_leader": False,
                "phone": "",
                "is_active": True,
                "retired_reason": "",
                "created_at": now,
                "updated_at": now,
                "version_id": 1,
            }
        )
    for part in _chunks(rows):
        db.session.execute(sa.insert(Member.__table__), part)
    member_ids = list(db.session.scalars(sa.select(Member.id).order_by(Member.id)))
    user_rows = [
        {
            "username": f"m{mid}",
            "display_name": "",
            "password_hash": "!",
            "role": Role.member,
            "member_id": mid,
            "branch_id": branch_ids[i % BRANCHES],
            "is_active": True,
            "is_demo": False,
            "failed_logins": 0,
            "created_at": now,
            "version_id": 1,
        }
        for i, mid in enumerate(member_ids)
    ]
    user_rows += [
        {**user_rows[0], "username": f"s{bid}", "role": Role.secretary, "member_id": None,
         "branch_id": bid}
        for bid in branch_ids
    ]  # fmt: skip
    for part in _chunks(user_rows):
        db.session.execute(sa.insert(User.__table__), part)
    ensure_default_templates()
    db.session.commit()


def floor(day: date) -> tuple[float, int]:
    """The same rows as the job writes, in plain bulk INSERTs; (seconds, greetings)."""
    from partybuild.auth.models import User
    from partybuild.core.notifications import Notification
    from partybuild.extensions import db
    from partybuild.greetings.models import Greeting
    from partybuild.greetings.service import birthdays_on

    db.session.commit()
    # Who has a birthday (the one read the job cannot avoid) and the rows to write.
    started = time.perf_counter()
    found = birthdays_on(day)
    users = dict(
        db.session.execute(
            sa.select(User.member_id, User.id).where(
                User.member_id.in_([b.member.id for b in found])
            )
        ).all()
    )
    now = datetime.now(UTC)
    greetings = [
        {
            "member_id": b.member.id, "branch_id": b.member.branch_id, "anniversary_on": day,
            "years": b.years, "template_id": None, "title": "政治生日快乐",
            "card_text": "同志：今天是您的政治生日。" * 6, "created_at": now,
            "notified_user_id": users.get(b.member.id), "email_status": "none", "email_to": "",
            "gift_handed_by": "", "gift_note": "", "email_attempts": 0, "email_error": "",
            "version_id": 1,
        }
        for b in found
    ]  # fmt: skip
    notes = [
        {
            "user_id": users[b.member.id], "kind": "greeting", "title": "政治生日快乐！电子贺卡",
            "body": "祝您政治生日快乐。", "link": f"/greetings/{i}",
            "dedupe_key": f"greeting:{b.member.id}:{b.years}", "created_at": now,
        }
        for i, b in enumerate(found)
    ]  # fmt: skip
    for part in _chunks(greetings, 1000):
        db.session.execute(sa.insert(Greeting.__table__), part)
    for part in _chunks(notes, 1000):
        db.session.execute(sa.insert(Notification.__table__), part)
    db.session.commit()
    return time.perf_counter() - started, len(greetings)


def job(day: date) -> tuple[float, dict]:
    from partybuild.core import jobs
    from partybuild.core.timeutil import LOCAL_TZ
    from partybuild.extensions import db

    db.session.commit()
    started = time.perf_counter()
    run = jobs.run_job("greetings", datetime.combine(day, dtime(7, 30), LOCAL_TZ), day=day)
    elapsed = time.perf_counter() - started
    if run.error:
        raise RuntimeError(run.error)
    return elapsed, dict(run.counts)


def clear() -> None:
    from partybuild.core.notifications import Notification
    from partybuild.extensions import db
    from partybuild.greetings.models import Greeting

    db.session.execute(sa.delete(Notification))
    db.session.execute(sa.delete(Greeting))
    db.session.commit()


def run_backend(
    label: str, url: str, workdir: Path, members: int, same_day: int, repeat: int
) -> list[str]:
    from partybuild import create_app
    from partybuild.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir / f"instance-{label}"),
            "EXPORTS_DIR": str(workdir / "exports"),
        }
    )
    lines = []
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        build(members, same_day)
        lines.append(f"{label}: built {members:,} members in {time.perf_counter() - started:.1f} s")
        # Warm-up, untimed: the scheduler is a long-lived process, so SQLAlchemy's
        # statement cache is warm on the day that counts; the floor is warmed alike.
        floor(WARM_DAY)
        clear()
        job(WARM_DAY)
        clear()
        for day, goal in ((BIG_DAY, 3.0), (SMALL_DAY, 1.5)):
            floors, jobs_s = [], []
            for _ in range(repeat):
                floor_s, n = floor(day)
                clear()
                job_s, counts = job(day)
                clear()
                assert counts.get("greeted") == n, (counts, n)
                floors.append(floor_s)
                jobs_s.append(job_s)
            floor_s, job_s = statistics.median(floors), statistics.median(jobs_s)
            lines.append(
                f"{label}: {day}  {n:>6,} birthdays  job {job_s:7.3f} s  "
                f"floor {floor_s:6.3f} s  ratio {job_s / floor_s:5.2f}x  (goal <= {goal}x; "
                f"median of {repeat})"
            )
        db.session.remove()
        db.engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--same-day", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="timings per side (median)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    lines = []
    with tempfile.TemporaryDirectory(prefix="pb-greetings-") as tmp:
        workdir = Path(tmp)
        lines += run_backend(
            "sqlite",
            f"sqlite:///{workdir / 'bench.db'}",
            workdir,
            args.members,
            args.same_day,
            args.repeat,
        )
        pg = os.environ.get("PARTYBUILD_TEST_DATABASE_URL")
        if pg:
            name = f"pb_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            try:
                url = sa.make_url(pg).set(database=name).render_as_string(hide_password=False)
                lines += run_backend(
                    "postgresql", url, workdir, args.members, args.same_day, args.repeat
                )
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    print("Greetings job vs bulk-insert floor (same run)")
    for line in lines:
        print("  " + line)


if __name__ == "__main__":
    main()
