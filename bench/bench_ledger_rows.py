"""Benchmark: a 13-column landscape ledger table, document engine vs bare lxml row cloning.

    python bench/bench_ledger_rows.py [--rows 10000] [--in-process]

Prints, for the same row data:

* ``engine``   - ``partybuild.reports.document.OfficialDocument.table`` in a landscape
  section (styles, footers, sections included), built and saved to bytes;
* ``baseline`` - a bare python-docx document, one prototype row deep-copied per data row
  with lxml, texts set, saved.

Each is built three times untraced (first and best time are shown: the first run in a
fresh process also pays for faulting in new memory), then once more under tracemalloc
for the Python heap peak (lxml's C allocations are not traced; ``ru_maxrss`` covers the
whole process). By default each measurement runs in a fresh interpreter so its
``ru_maxrss`` is its own; ``--in-process`` runs both here (``ru_maxrss`` is then the
high-water mark of both).

The engine module is loaded from its file, not through the ``partybuild`` package, whose
``__init__`` imports Flask: this benchmark never imports Flask.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import io
import json
import logging
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from copy import deepcopy
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
ENGINE_PATH = ROOT / "partybuild" / "reports" / "document.py"
ENGINE_MODULE = "partybuild_document_engine_bench"
REPEAT = 3

# 13 columns, 225 mm: the landscape text width.
COLUMNS: list[tuple[str, float]] = [
    ("序号", 12),
    ("姓名", 18),
    ("性别", 10),
    ("出生日期", 22),
    ("民族", 12),
    ("学历", 14),
    ("入党日期", 22),
    ("转正日期", 22),
    ("所在支部", 26),
    ("职务", 18),
    ("联系电话", 24),
    ("状态", 12),
    ("备注", 13),
]


def ledger_rows(count: int) -> Iterator[tuple[object, ...]]:
    """Deterministic member-ledger-like rows (a generator, as real exports are)."""
    start = date(1960, 1, 1)
    for i in range(count):
        born = start + timedelta(days=(i * 37) % 15000)
        yield (
            i + 1,
            f"党员{i:05d}",
            "男" if i % 2 else "女",
            born,
            "汉族",
            "本科" if i % 3 else "研究生",
            born + timedelta(days=9000),
            born + timedelta(days=9365),
            f"第{i % 12 + 1}党支部",
            "党员" if i % 7 else "支部书记",
            f"138{i:08d}",
            "正式党员",
            None if i % 5 else "流动党员\n已报到",
        )


def load_engine() -> ModuleType:
    """Import document.py by path (the package __init__ would pull in Flask)."""
    if ENGINE_MODULE in sys.modules:
        return sys.modules[ENGINE_MODULE]
    spec = importlib.util.spec_from_file_location(ENGINE_MODULE, ENGINE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[ENGINE_MODULE] = module
    spec.loader.exec_module(module)
    return module


def _measure(name: str, rows: int, build: Callable[[], bytes], repeat: int = REPEAT) -> dict:
    """Time ``repeat`` untraced builds (the first one pays for fresh memory pages), then
    one more under tracemalloc for the Python heap peak."""
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        data = build()
        times.append(time.perf_counter() - started)
        del data
    gc.collect()
    tracemalloc.start()
    size = len(build())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "name": name,
        "rows": rows,
        "seconds_first": round(times[0], 3),
        "seconds_best": round(min(times), 3),
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "docx_kb": round(size / 1024),
        "flask_imported": "flask" in sys.modules,
    }


def bench_engine(rows: int) -> dict:
    """Build and save a landscape ledger of ``rows`` x 13 with the document engine."""
    engine = load_engine()

    def build() -> bytes:
        doc = engine.OfficialDocument("党员信息台账", issuer="中共某某局机关委员会")
        doc.paragraph("本台账由系统导出。")
        written = doc.table(COLUMNS, ledger_rows(rows), landscape_section=True, font_size_pt=10.5)
        assert written == rows
        return doc.to_bytes()

    return _measure("engine", rows, build)


def bench_baseline(rows: int) -> dict:
    """Bare python-docx + lxml: one prototype row deep-copied per row, then saved."""
    from docx import Document
    from docx.oxml.ns import qn

    w_t = qn("w:t")

    def build() -> bytes:
        doc = Document()
        table = doc.add_table(rows=1, cols=len(COLUMNS))
        proto = table.rows[0]._tr
        for cell in table.rows[0].cells:
            cell.paragraphs[0].add_run("-")  # gives the run its w:t
        tbl = table._tbl
        tbl.remove(proto)
        for values in ledger_rows(rows):
            tr = deepcopy(proto)
            for t, value in zip(tr.iter(w_t), values, strict=True):
                t.text = "" if value is None else str(value)
            tbl.append(tr)
        buf = io.BytesIO()
        doc.save(buf)
        return buf.getvalue()

    return _measure("baseline", rows, build)


BENCHES: dict[str, Callable[[int], dict]] = {
    "baseline": bench_baseline,
    "engine": bench_engine,
}


def _run_isolated(name: str, rows: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--rows", str(rows), "--only", name, "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="measure here instead of one fresh interpreter per bench",
    )
    parser.add_argument("--only", choices=sorted(BENCHES), help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.only:
        result = BENCHES[args.only](args.rows)
        print(json.dumps(result) if args.json else result)
        return 0

    results = [
        bench(args.rows) if args.in_process else _run_isolated(name, args.rows)
        for name, bench in BENCHES.items()
    ]
    print(
        f"{'bench':<10}{'rows':>8}{'first s':>9}{'best s':>8}{'tracemalloc MB':>16}"
        f"{'maxrss MB':>11}{'docx KB':>9}"
    )
    for r in results:
        print(
            f"{r['name']:<10}{r['rows']:>8}{r['seconds_first']:>9.2f}{r['seconds_best']:>8.2f}"
            f"{r['tracemalloc_peak_mb']:>16.1f}{r['ru_maxrss_mb']:>11.1f}{r['docx_kb']:>9}"
        )
    by_name = {r["name"]: r for r in results}
    best = by_name["engine"]["seconds_best"] / max(by_name["baseline"]["seconds_best"], 1e-9)
    first = by_name["engine"]["seconds_first"] / max(by_name["baseline"]["seconds_first"], 1e-9)
    print(f"engine / baseline time: best {best:.2f}x, first run {first:.2f}x")
    if any(r["flask_imported"] for r in results):
        print("warning: Flask was imported", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
