"""Load test: simulated secretaries, members and the public against gunicorn on PostgreSQL.

    python bench/load_public.py [--seconds 60] [--users 50] [--workers 4]
                                [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                [--keep-database]

What it does, bounded in time and count, and then stops by itself:

1. creates a throw-away PostgreSQL database next to ``--database-url`` (default
   ``PARTYBUILD_TEST_DATABASE_URL``), runs ``flask init`` and ``flask seed-demo`` on it;
2. starts gunicorn (``--workers`` sync workers) on 127.0.0.1 on a free port;
3. runs ``--users`` concurrent simulated users for ``--seconds`` seconds (at most
   ``--max-requests`` requests in all, each with a 30 s timeout):
   - the public (60 %): a fresh browser reads the board, opens a commitment, rates it
     (with a unique comment) and reads the page it is sent back to;
   - members (20 %): log in, open 我的承诺 and their commitment, add a fulfilment
     record (unique text). The demo has one member account with a few commitments,
     so simulated members share them: a record refused with 409 because another
     simulated user changed that commitment meanwhile is the app's optimistic lock
     at work; it is counted as a conflict, not an error, and must not be stored;
   - secretaries (20 %): log in, browse the review list and the roster, open a
     commitment and record a supervision note (unique text);
4. prints requests served, errors (must be 0), p50/p95 per page kind, and compares
   the ratings, records and notes in the database with the accepted responses (none
   lost, none duplicated); exits 1 on any error or mismatch;
5. stops gunicorn and drops the database (unless ``--keep-database``).

Rate limits: every simulated client comes from 127.0.0.1, so the load database is
started with the public rating limits raised through their settings' environment
variables (``PARTYBUILD_PUBLIC_RATE_LIMIT``, ``PARTYBUILD_PUBLIC_RATING_PER_IP_DAILY``);
the one-rating-per-browser-per-day rule is kept and respected (each public rating
comes from a new browser). Logins happen once per simulated user, one at a time
(the simulated users share the demo accounts).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
REQUEST_TIMEOUT = 30
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- database and server -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(base_url: str) -> tuple[str, str]:
    name = f"pb_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    return name, url


def drop_database(base_url: str, name: str) -> None:
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def app_env(url: str, instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PARTYBUILD_DATABASE_URL": url,
            "PARTYBUILD_INSTANCE_PATH": str(instance),
            "PARTYBUILD_EXPORTS_DIR": str(instance / "exports"),
            "PARTYBUILD_PUBLIC_BASE_URL": "http://127.0.0.1",
            # All simulated clients share 127.0.0.1: lift the per-address rating limits.
            "PARTYBUILD_PUBLIC_RATE_LIMIT": "1000000",
            "PARTYBUILD_PUBLIC_RATING_PER_IP_DAILY": "1000000",
        }
    )
    return env


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60",
             "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode}); see {log}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: gunicorn and its workers
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


# --- the simulated users ---------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None  # report the 302 itself: each request is timed on its own


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    accepted: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    conflicts: int = 0  # 409: two users changed one commitment at once (expected, not lost)
    requests: int = 0


class Stop(Exception):
    pass


class Browser:
    def __init__(self, base: str, stats: Stats, budget: Budget) -> None:
        self.base = base
        self.stats = stats
        self.budget = budget
        self.reset()

    def reset(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(
        self,
        kind: str,
        path: str,
        data: dict | None = None,
        expect: tuple[int, ...] = (200,),
        *,
        follow_up: bool = False,
    ) -> tuple[int, str, str]:
        """(status, body, Location); an unexpected status is counted as an error.
        A ``follow_up`` (the page an action redirects to) is let through at the end of
        the run, so every accepted action is checked."""
        if not follow_up:
            self.budget.take()
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        try:
            resp = self.opener.open(self.base + path, data=body, timeout=REQUEST_TIMEOUT)
            status, text, location = resp.status, resp.read().decode(), ""
        except urllib.error.HTTPError as exc:  # 3xx (not followed), 4xx, 5xx
            status, text = exc.code, exc.read().decode(errors="replace")
            location = exc.headers.get("Location", "")
        except OSError as exc:
            status, text, location = 0, str(exc), ""
        elapsed = (time.perf_counter() - started) * 1000
        with self.stats.lock:
            self.stats.requests += 1
            self.stats.times[kind].append(elapsed)
            if status not in expect:
                self.stats.errors.append(f"{kind} {path}: HTTP {status} {text[:120]!r}")
        if status not in expect:
            raise Stop
        return status, text, urllib.parse.urlsplit(location).path if location else ""

    def csrf(self, html: str) -> str:
        m = CSRF_RE.search(html)
        if not m:
            with self.stats.lock:
                self.stats.errors.append("no csrf_token on the page")
            raise Stop
        return m.group(1)

    def conflict(self, status: int) -> bool:
        """409: someone changed the commitment meanwhile; the app refused, nothing stored."""
        if status == 409:
            with self.stats.lock:
                self.stats.conflicts += 1
        return status == 409

    def accepted(self, what: str, token: str, kind: str, path: str, expected: str) -> None:
        """The action was answered with a redirect: count it as accepted, then check
        the page it leads to says so."""
        with self.stats.lock:
            self.stats.accepted[what].add(token)
        _, html, _ = self.request(kind, path, follow_up=True)
        if expected not in html:
            with self.stats.lock:
                self.stats.errors.append(f"{kind} {path}: no “{expected}” after the action")
            raise Stop

    # Simulated users share the demo accounts; their logins go one at a time (two
    # simultaneous logins of one account race on the account's version counter).
    login_lock = threading.Lock()

    def login(self, username: str, password: str) -> None:
        with self.login_lock:
            _, html, _ = self.request("login", "/auth/login")
            data = {"csrf_token": self.csrf(html), "username": username, "password": password}
            self.request("login", "/auth/login", data, expect=(302,))


class Budget:
    """The run's bounds: a deadline (set by ``start`` once everyone has logged in; a
    safety deadline until then) and a number of requests."""

    def __init__(self, seconds: float, max_requests: int) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds + 300
        self.left = max_requests
        self.lock = threading.Lock()

    def start(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def take(self) -> None:
        with self.lock:
            if self.left <= 0 or time.monotonic() >= self.deadline:
                raise Stop
            self.left -= 1


def public_user(b: Browser, plan: dict, ready: threading.Barrier) -> None:
    ready.wait()
    while True:
        b.reset()  # a new visitor: one rating per browser per commitment per day
        code = random.choice(list(plan["ratable"]))
        b.request("public board", f"/public/{code}")
        cid = random.choice(plan["ratable"][code])
        page = f"/public/{code}/c/{cid}"
        _, html, _ = b.request("public commitment", page)
        token = f"load-{uuid.uuid4().hex}"
        level = random.choice(["satisfied", "basic", "unsatisfied"])
        data = {"csrf_token": b.csrf(html), "level": level, "comment": token, "website": ""}
        _, _, back = b.request("public rate", page + "/rate", data, expect=(302,))
        b.accepted("rating", token, "public commitment", back, "感谢您的评价")


def member_user(b: Browser, plan: dict, ready: threading.Barrier) -> None:
    b.login(plan["member"], plan["password"])
    ready.wait()
    while True:
        b.request("member mine", "/commitments/mine")
        cid, progress = random.choice(plan["member_commitments"])
        _, html, _ = b.request("member detail", f"/commitments/{cid}")
        token = f"load-{uuid.uuid4().hex}"
        data = {
            "csrf_token": b.csrf(html),
            "recorded_on": date.today().isoformat(),
            "text": token,
            "progress": str(progress),
        }
        status, _, back = b.request(
            "member record", f"/commitments/{cid}/records", data, (302, 409)
        )
        if b.conflict(status):
            continue
        b.accepted("record", token, "member detail", back, "践诺记录已添加")


def secretary_user(b: Browser, plan: dict, ready: threading.Barrier) -> None:
    b.login(plan["secretary"], plan["password"])
    ready.wait()
    while True:
        b.request("secretary review", "/commitments/review")
        b.request("secretary roster", "/org/members")
        cid = random.choice(plan["supervisable"])
        _, html, _ = b.request("secretary detail", f"/commitments/{cid}")
        token = f"load-{uuid.uuid4().hex}"
        data = {"csrf_token": b.csrf(html), "text": token}
        status, _, back = b.request(
            "secretary note", f"/commitments/{cid}/supervise", data, (302, 409)
        )
        if b.conflict(status):
            continue
        b.accepted("note", token, "secretary detail", back, "督促意见已记录")


def run_users(base: str, plan: dict, args: argparse.Namespace) -> tuple[Stats, float]:
    """Log everyone in, then run for ``args.seconds``; returns the stats and the
    measured duration (logins excluded)."""
    stats = Stats()
    budget = Budget(args.seconds, args.max_requests)
    n_public = round(args.users * 0.6)
    n_member = round(args.users * 0.2)
    roles = (
        [public_user] * n_public
        + [member_user] * n_member
        + [secretary_user] * (args.users - n_public - n_member)
    )

    ready = threading.Barrier(len(roles) + 1, timeout=300)

    def worker(fn) -> None:  # noqa: ANN001
        try:
            fn(Browser(base, stats, budget), plan, ready)
        except (Stop, threading.BrokenBarrierError):
            ready.abort()  # a failed login: nobody waits for this user
        except Exception as exc:  # a bug in the script: counted, reported
            ready.abort()
            with stats.lock:
                stats.errors.append(f"{fn.__name__}: {exc!r}")

    threads = [threading.Thread(target=worker, args=(fn,), daemon=True) for fn in roles]
    for t in threads:
        t.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        stats.errors.append("not every simulated user could log in")
    logins = dict(stats.times)
    stats.times.clear()
    stats.times.update({f"{k} (before the run)": v for k, v in logins.items()})
    budget.start()
    started = time.monotonic()
    for t in threads:
        t.join(args.seconds + REQUEST_TIMEOUT + 30)
    return stats, time.monotonic() - started


# --- plan and checks -------------------------------------------------------------------


def make_plan(url: str) -> dict:
    """What the simulated users act on, read from the seeded database."""
    from partybuild.auth.passwords import DEMO_PASSWORD

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ratable = defaultdict(list)
        for code, cid in conn.execute(
            sa.text(
                "SELECT b.code, c.id FROM commitments c JOIN branches b ON b.id = c.branch_id"
                " WHERE c.state IN ('published', 'in_progress', 'awaiting_evaluation')"
                " AND NOT c.is_withdrawn ORDER BY c.id"
            )
        ):
            ratable[code].append(cid)
        member = conn.execute(
            sa.text(
                "SELECT c.id, c.progress FROM commitments c JOIN users u ON u.member_id = c.member_id"
                " WHERE u.username = 'member' AND c.state IN ('published', 'in_progress')"
                " AND NOT c.is_withdrawn"
            )
        ).all()
        supervisable = conn.scalars(
            sa.text(
                "SELECT c.id FROM commitments c JOIN users u ON u.branch_id = c.branch_id"
                " WHERE u.username = 'secretary' AND c.state IN ('published', 'in_progress')"
                " AND NOT c.is_withdrawn"
                # her own are supervised by her deputy (回避): she is refused there
                " AND c.member_id <> u.member_id"
            )
        ).all()
    engine.dispose()
    if not ratable or not member or not supervisable:
        raise SystemExit("the demo data has no commitments to act on")
    return {
        "ratable": dict(ratable),
        "member_commitments": [(cid, progress) for cid, progress in member],
        "supervisable": list(supervisable),
        "member": "member",
        "secretary": "secretary",
        "password": DEMO_PASSWORD,
    }


def stored(url: str) -> dict[str, list[str]]:
    engine = sa.create_engine(url)
    queries = {
        "rating": "SELECT comment FROM public_ratings WHERE comment LIKE 'load-%'",
        "record": "SELECT text FROM fulfilment_records WHERE text LIKE 'load-%'",
        "note": "SELECT text FROM supervision_notes WHERE text LIKE 'load-%'",
    }
    with engine.connect() as conn:
        found = {kind: list(conn.scalars(sa.text(q))) for kind, q in queries.items()}
    engine.dispose()
    return found


def report(stats: Stats, found: dict[str, list[str]], seconds: float) -> bool:
    ok = not stats.errors
    print(
        f"\nrequests served: {stats.requests} in {seconds:.1f} s ({stats.requests / seconds:.0f}/s)"
    )
    print(f"errors: {len(stats.errors)}")
    print(f"conflicts (409, a commitment changed by another user meanwhile): {stats.conflicts}")
    for line in stats.errors[:10]:
        print(f"  {line}")
    print(f"\n{'page kind':<22}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for kind in sorted(stats.times):
        t = sorted(stats.times[kind])
        p95 = t[max(0, round(len(t) * 0.95) - 1)]
        print(f"{kind:<22}{len(t):>9}{statistics.median(t):>9.1f}{p95:>9.1f}")
    print()
    for kind in ("rating", "record", "note"):
        accepted, rows = stats.accepted[kind], found[kind]
        lost = accepted - set(rows)
        duplicated = len(rows) - len(set(rows))
        unexpected = set(rows) - accepted
        fine = not lost and not duplicated and not unexpected
        ok = ok and fine
        print(
            f"{kind + 's':<8} accepted {len(accepted):>5}  in database {len(rows):>5}  "
            f"lost {len(lost)}  duplicated {duplicated}  unexplained {len(unexpected)}  "
            f"{'OK' if fine else 'MISMATCH'}"
        )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "PARTYBUILD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL URL whose server may create the load database",
    )
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    if args.users < 5 or args.seconds <= 0:
        parser.error("at least 5 users and a positive duration")

    sys.path.insert(0, str(ROOT))
    try:
        name, url = create_database(args.database_url)
    except sa.exc.OperationalError as exc:
        print(f"skipped: no PostgreSQL server at {args.database_url} ({exc.orig})")
        return
    instance = Path(tempfile.mkdtemp(prefix="pb-load-"))
    proc = None
    try:
        env = app_env(url, instance)
        flask(env, "init")
        flask(env, "seed-demo")
        plan = make_plan(url)
        port = free_port()
        proc = start_gunicorn(env, port, args.workers, instance / "gunicorn.log")
        print(
            f"gunicorn {args.workers} sync workers on 127.0.0.1:{port}, database {name}; "
            f"{args.users} users for {args.seconds:g} s"
        )
        stats, elapsed = run_users(f"http://127.0.0.1:{port}", plan, args)
        stop(proc)
        ok = report(stats, stored(url), elapsed)
        log = (instance / "gunicorn.log").read_text()
        if "Traceback" in log:
            print("\ngunicorn log has tracebacks:\n" + log[-3000:])
            ok = False
    finally:
        if proc is not None:
            stop(proc)
        if not args.keep_database:
            drop_database(args.database_url, name)
        shutil.rmtree(instance, ignore_errors=True)
    print("\nresult: " + ("PASS" if ok else "FAIL"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
