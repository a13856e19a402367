"""Benchmark: the all-branch annual 党建工作情况报告 and inspection pack over the ledger
benchmark's dataset (``bench_ledger_export.seed``: 10,000 commitments by default).

    python bench/bench_work_report.py [--rows 10000]

Prints, for each, wall time (a run without tracing), the Python heap peak (a second run
under tracemalloc) and the process's ``ru_maxrss``, and the SQL statements of one build.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _ledger_bench():  # noqa: ANN202 - the sibling script as a module
    spec = importlib.util.spec_from_file_location(
        "bench_ledger_export", ROOT / "bench" / "bench_ledger_export.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(label: str, build) -> None:  # noqa: ANN001
    import sqlalchemy as sa

    from partybuild.extensions import db

    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    # Timed once as is, then again under tracemalloc (which slows it) for the heap peak.
    sa.event.listen(db.engine, "before_cursor_execute", count)
    started = time.perf_counter()
    size = build()
    elapsed = time.perf_counter() - started
    sa.event.remove(db.engine, "before_cursor_execute", count)
    tracemalloc.start()
    build()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label:<28} {elapsed:6.2f} s  heap peak {peak / 2**20:6.1f} MiB  "
        f"maxrss {rss:6.1f} MiB  {statements} SQL  {size / 1024:.0f} KiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    ledger = _ledger_bench()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'bench.db'}"
        ledger.seed(workdir, url, args.rows)
        from partybuild import create_app
        from partybuild.reports import registry

        app = create_app(ledger._config(workdir, url))
        with app.app_context():
            for key in ("summary", "pack"):
                kind = registry.get(key)
                params = registry.resolve(kind, {"branch": "all", "period": "2026"})

                def build(kind=kind, params=params) -> int:  # noqa: ANN001
                    out = io.BytesIO()
                    kind.build(params, registry.no_progress).document.save(out)
                    return out.tell()

                measure(f"{kind.label}（全部党支部，2026年）", build)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
