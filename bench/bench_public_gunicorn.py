"""Public pages under gunicorn: requests per second against a hello-world route.

    python bench/bench_public_gunicorn.py [--scale 1.0] [--seconds 4] [--clients 20]

Starts gunicorn (2 sync workers) on 127.0.0.1 against the large bureau
(bench/dataset.py), drives ``--clients`` concurrent anonymous clients (each a new
connection per request, as a phone opening a QR code) for a bounded time at the
hello-world route, the public board and a rating page, and prints req/s, p95 and the
ratios. Goals: board >= 50% of hello, rating page >= 40%. PostgreSQL is measured
instead of SQLite when PARTYBUILD_TEST_DATABASE_URL is set (both with --both).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from dataset import BuildInfo, bench_app, build, postgres_url, sqlite_url  # noqa: E402

GOALS = {"public board": 0.50, "public rating page": 0.40}
URL_ENV = "PB_BENCH_DATABASE_URL"


def make_app():  # noqa: ANN201 - gunicorn calls this: bench_public_gunicorn:make_app()
    """The app on the benchmark database, with the hello-world floor route."""
    from partybuild.core.permissions import public

    # CSRF on, as deployed: the rating page hands each new visitor a token.
    app = bench_app(os.environ[URL_ENV], WTF_CSRF_ENABLED=True)

    @public
    def hello() -> str:
        return "hello"

    app.add_url_rule("/bench/hello", "bench_hello", hello)
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client_process(port: int, path: str, threads: int, seconds: float, out) -> None:  # noqa: ANN001
    stop = time.perf_counter() + seconds
    lock = threading.Lock()
    done: list[float] = []
    errors = [0]

    def run() -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                conn.close()
                ok = response.status == 200
            except OSError:
                ok = False
            with lock:
                if ok:
                    done.append(time.perf_counter() - t0)
                else:
                    errors[0] += 1

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put((done, errors[0]))


def drive(port: int, path: str, clients: int, seconds: float) -> tuple[float, float, int]:
    """(requests per second, p95 ms, errors) for ``clients`` concurrent clients."""
    procs_n = min(4, clients)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    per = [clients // procs_n + (1 if i < clients % procs_n else 0) for i in range(procs_n)]
    procs = [
        multiprocessing.Process(target=_client_process, args=(port, path, n, seconds, queue))
        for n in per
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    times: list[float] = []
    errors = 0
    for _ in procs:
        done, errs = queue.get(timeout=seconds + 60)
        times += done
        errors += errs
    for p in procs:
        p.join()
    elapsed = max(time.perf_counter() - started, seconds)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] * 1000 if times else float("nan")
    return len(times) / elapsed, p95, errors


def _wait_up(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited early")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/hello")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def run(label: str, url: str, info: BuildInfo, clients: int, seconds: float) -> bool:
    port = _free_port()
    env = dict(os.environ, **{URL_ENV: url})
    cmd = [
        sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(HERE), "--log-level", "warning",
        "bench_public_gunicorn:make_app()",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    ok = True
    try:
        _wait_up(port, proc)
        targets = [
            ("hello world", "/bench/hello"),
            ("public board", f"/public/{info.branch_code}"),
            ("public rating page", f"/public/{info.branch_code}/c/{info.ratable_id}"),
        ]
        for _, path in targets:  # warm both workers (templates, caches)
            drive(port, path, 4, 0.5)
        results = {name: drive(port, path, clients, seconds) for name, path in targets}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    hello = results["hello world"][0]
    print(f"\n{label}: gunicorn 2 sync workers, {clients} clients, {seconds:g} s each")
    print(f"{'target':<22}{'req/s':>9}{'p95 ms':>9}{'errors':>8}{'x hello':>9}{'goal':>7}")
    for name, (rps, p95, errors) in results.items():
        goal = GOALS.get(name)
        ratio = rps / hello if hello else 0
        met = goal is None or ratio >= goal
        ok &= met and errors == 0
        goal_text = f">={goal:.0%}" if goal else ""
        print(
            f"{name:<22}{rps:>9.0f}{p95:>9.1f}{errors:>8}{ratio:>8.0%}{'' if met else '!'}"
            f"{goal_text:>7}"
        )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--both", action="store_true", help="SQLite and PostgreSQL")
    args = parser.parse_args()
    pg = postgres_url(args.scale)
    targets = []
    if args.both or not pg:
        targets.append(("SQLite", sqlite_url(args.scale)))
    if pg:
        targets.append(("PostgreSQL", pg))
    for label, url in targets:
        info = build(url, args.scale)
        run(f"{label}, scale {args.scale:g}", url, info, args.clients, args.seconds)


if __name__ == "__main__":
    main()
