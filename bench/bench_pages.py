"""Every page a user opens, timed against two floors measured in the same run.

    python bench/bench_pages.py [--scale 1.0] [--repeat 30] [--only NAME] [--no-pg]

On the large bureau (bench/dataset.py) this prints, per backend, each page's test-client
p50/p95, its ratio to the one-SELECT floor (a route that runs one SELECT), the number
of SQL statements it issues and its size. The floors are a hello-world route and a
one-SELECT route added to the same app. PostgreSQL is measured too when
PARTYBUILD_TEST_DATABASE_URL is set. Goal: every page's p50 <= 10x the one-SELECT floor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import BuildInfo, bench_app, build, postgres_url, sqlite_url  # noqa: E402

GOAL = 10.0
FLOOR_URL = "/bench/one-select"


@dataclass
class Page:
    name: str
    role: str | None  # None: not signed in
    url: Callable[[BuildInfo], str]
    headers: Callable[[Any, BuildInfo], dict] | None = None
    config: dict | None = None  # app config for this page only (e.g. cache off)


def _etag_of(client: Any, url: str) -> dict:
    etag = client.get(url).headers.get("ETag", "")
    return {"If-None-Match": etag}


PAGES = [
    Page("floor: hello world", None, lambda i: "/bench/hello"),
    Page("floor: one SELECT", None, lambda i: "/bench/one-select"),
    Page("home", "secretary", lambda i: "/"),
    Page("home", "reviewer", lambda i: "/"),
    Page("home", "member", lambda i: "/"),
    Page("home", "admin", lambda i: "/"),
    Page("notifications", "secretary", lambda i: "/notifications"),
    Page("commitments overview", "reviewer", lambda i: "/commitments/overview"),
    Page("commitments overview", "secretary", lambda i: "/commitments/overview"),
    Page("commitments overview, flagged", "reviewer", lambda i: "/commitments/overview?flag=any"),
    Page("batches", "reviewer", lambda i: "/commitments/batches"),
    Page("batches", "secretary", lambda i: "/commitments/batches"),
    Page("review queue", "secretary", lambda i: "/commitments/review"),
    Page("moderation", "secretary", lambda i: "/commitments/moderation"),
    Page("commitment detail", "secretary", lambda i: f"/commitments/{i.commitment_id}"),
    Page("my commitments", "member", lambda i: "/commitments/mine"),
    Page("QR sheet", "secretary", lambda i: "/commitments/qr"),
    Page("public board (cached)", None, lambda i: f"/public/{i.branch_code}"),
    Page(
        "public board (cache off)",
        None,
        lambda i: f"/public/{i.branch_code}",
        config={"PAGE_CACHE_SIZE": 0},
    ),
    Page(
        "public board, 304",
        None,
        lambda i: f"/public/{i.branch_code}",
        headers=lambda c, i: _etag_of(c, f"/public/{i.branch_code}"),
    ),
    Page("public board page 3", None, lambda i: f"/public/{i.branch_code}?page=3"),
    Page("public rating page", None, lambda i: f"/public/{i.branch_code}/c/{i.ratable_id}"),
    Page(
        "public rating page (cache off)",
        None,
        lambda i: f"/public/{i.branch_code}/c/{i.ratable_id}",
        config={"PAGE_CACHE_SIZE": 0},
    ),
    Page("org members", "secretary", lambda i: "/org/members"),
    Page("org member detail", "secretary", lambda i: f"/org/members/{i.member_id}"),
    Page("org structure", "reviewer", lambda i: "/org/structure"),
    Page("users", "admin", lambda i: "/auth/users"),
    Page("org members", "reviewer", lambda i: "/org/members"),
    Page("export centre", "reviewer", lambda i: "/reports/"),
    Page("export centre", "secretary", lambda i: "/reports/"),
    Page("member search (JSON)", "reviewer", lambda i: "/reports/members.json?q=王"),
    Page("greetings month list", "reviewer", lambda i: "/greetings/"),
    Page("greetings month list", "secretary", lambda i: "/greetings/"),
    Page("greeting templates", "admin", lambda i: "/greetings/templates"),  # @access(admin)
    Page("meetings", "secretary", lambda i: "/meetings/"),
    Page("meetings", "reviewer", lambda i: "/meetings/"),
    Page("meetings calendar", "reviewer", lambda i: "/meetings/calendar"),
    Page("meeting tasks", "secretary", lambda i: "/meetings/tasks"),
    Page("my meetings", "member", lambda i: "/meetings/mine"),
    Page("integrity points", "secretary", lambda i: "/integrity/"),
    Page("integrity points", "reviewer", lambda i: "/integrity/"),
    Page("integrity heatmap", "reviewer", lambda i: "/integrity/heatmap"),
    Page("rectifications", "reviewer", lambda i: "/integrity/rectifications"),
    Page("integrity reminders", "secretary", lambda i: "/integrity/reminders"),
    Page("my integrity", "member", lambda i: "/integrity/mine"),
    Page("model posts", "secretary", lambda i: "/ratings/"),
    Page("model posts", "reviewer", lambda i: "/ratings/"),
    Page("rating rounds", "reviewer", lambda i: "/ratings/rounds"),
    Page("plaques", "secretary", lambda i: "/ratings/plaques"),
    Page("ratings moderation", "secretary", lambda i: "/ratings/moderation"),
    Page("rating criteria", "admin", lambda i: "/ratings/criteria"),
    Page("audit log", "admin", lambda i: "/audit"),
    Page("audit log, filtered", "admin", lambda i: "/audit?object_type=commitment"),
    Page("jobs", "admin", lambda i: "/jobs"),
    Page("settings", "admin", lambda i: "/admin/settings"),
]


def _add_floor_routes(app: Any) -> None:
    from partybuild.core.permissions import public
    from partybuild.extensions import db
    from partybuild.org.models import Branch

    @public
    def hello() -> str:
        return "hello"

    @public
    def one_select() -> str:
        branch = db.session.scalars(sa.select(Branch).limit(1)).first()
        return branch.name if branch else ""

    app.add_url_rule("/bench/hello", "bench_hello", hello)
    app.add_url_rule("/bench/one-select", "bench_one_select", one_select)


@dataclass
class Result:
    page: Page
    status: int
    p50: float
    p95: float
    queries: int
    size: int
    floor: float  # the one-SELECT floor's p50, timed interleaved with this page


def _client(app: Any, info: BuildInfo, role: str | None) -> Any:
    client = app.test_client()
    if role:
        with client.session_transaction() as sess:
            sess["_user_id"] = info.logins[role]
            sess["_fresh"] = True
    return client


def _time_page(app: Any, info: BuildInfo, page: Page, repeat: int) -> Result:
    from partybuild.extensions import db

    missing = object()
    old = {k: app.config.get(k, missing) for k in (page.config or {})}
    app.config.update(page.config or {})
    try:
        client = _client(app, info, page.role)
        url = page.url(info)
        headers = page.headers(client, info) if page.headers else {}
        for _ in range(2):  # warm-up: templates compiled, caches filled
            response = client.get(url, headers=headers)
        statements: list[str] = []

        def count(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get(url, headers=headers)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        # The floor is timed interleaved with the page: on a shared machine the load
        # changes over a run, and each page's ratio is taken against its own floor.
        floor_client = app.test_client()
        times, floor_times = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            floor_client.get(FLOOR_URL)
            floor_times.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            client.get(url, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        for key, value in old.items():
            if value is missing:
                app.config.pop(key, None)
            else:
                app.config[key] = value
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return Result(
        page, response.status_code, statistics.median(times), p95, len(statements),
        len(response.data), statistics.median(floor_times),
    )  # fmt: skip


def run_backend(url: str, scale: float, repeat: int, only: str | None) -> list[Result]:
    info = build(url, scale)
    app = bench_app(url)
    _add_floor_routes(app)
    pages = [p for p in PAGES if not only or p.name.startswith("floor") or only in p.name]
    results = []
    for page in pages:
        try:
            results.append(_time_page(app, info, page, repeat))
        except Exception as exc:  # noqa: BLE001 - one broken page must not hide the others
            print(f"   {page.name} ({page.role}): failed: {exc!r}")
    with app.app_context():
        from partybuild.extensions import db

        db.engine.dispose()
    return results


def print_table(title: str, results: list[Result]) -> bool:
    floor = next(r.p50 for r in results if r.page.name == "floor: one SELECT")
    hello = next(r.p50 for r in results if r.page.name == "floor: hello world")
    print(
        f"\n{title}   (hello {hello:.2f} ms, one SELECT {floor:.2f} ms; goal p50 <= {GOAL:g}x;"
        " x SELECT is against the floor timed alongside each page)"
    )
    head = f"{'page':<34}{'role':<11}{'code':>5}{'p50 ms':>9}{'p95 ms':>9}{'x SELECT':>10}{'x hello':>9}{'queries':>9}{'KiB':>8}"
    print(head)
    print("-" * len(head))
    ok = True
    for r in results:
        ratio = r.p50 / r.floor
        within = r.page.name.startswith("floor") or ratio <= GOAL
        ok &= within and r.status in (200, 304) and not (r.page.role and r.status == 302)
        print(
            f"{r.page.name:<34}{r.page.role or '-':<11}{r.status:>5}{r.p50:>9.2f}{r.p95:>9.2f}"
            f"{ratio:>9.1f}{'' if within else '!'}{r.p50 / hello:>9.1f}{r.queries:>9}{r.size / 1024:>8.1f}"
        )
    print("all pages within the goal" if ok else "SOME PAGES MISS THE GOAL (marked !)")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", help="only pages whose name contains this")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    targets = [("SQLite", sqlite_url(args.scale))]
    pg = None if args.no_pg else postgres_url(args.scale)
    if pg:
        targets.append(("PostgreSQL", pg))
    for label, url in targets:
        results = run_backend(url, args.scale, args.repeat, args.only)
        print_table(f"{label}, scale {args.scale:g}", results)


if __name__ == "__main__":
    main()
