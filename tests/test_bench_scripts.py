"""`make bench` keeps working: each benchmark script runs end to end at a tiny size and
prints its figures (the figures themselves are for people, at full size, not asserted)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("PARTYBUILD_TEST_DATABASE_URL", "")

SCRIPTS = {
    "bench_greetings.py": (["--members", "3000", "--same-day", "30", "--repeat", "1"], "ratio"),
    "bench_ledger_export.py": (["--rows", "60", "--no-annual"], "time / floor"),
    "bench_ledger_rows.py": (["--rows", "60"], "engine / baseline time"),
    "bench_pages.py": (["--scale", "0.01", "--repeat", "2", "--no-pg"], "floor: one SELECT"),
    "bench_public_gunicorn.py": (
        ["--scale", "0.01", "--seconds", "1", "--clients", "2"],
        "public rating page",
    ),
    "bench_startup.py": (["--repeat", "1"], "ratio"),
    "bench_verbs.py": (
        ["--commitments", "100", "--audit", "100", "--ratings", "100", "--repeat", "3"],
        "publish",
    ),
    "bench_work_report.py": (["--rows", "60"], "SQL"),
}


def _run(script: str, args: list[str], tmp_path: Path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "PARTYBUILD_TEST_DATABASE_URL"}
    environ.update(PARTYBUILD_BENCH_DIR=str(tmp_path), **env)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_benchmark_runs_at_a_tiny_size(script, tmp_path):
    args, expected = SCRIPTS[script]
    assert expected in _run(script, args, tmp_path)


def test_every_benchmark_script_is_smoke_tested():
    scripts = {p.name for p in (ROOT / "bench").glob("*.py")}
    # dataset.py is the shared builder (run by bench_pages); load_public needs PostgreSQL
    assert scripts - set(SCRIPTS) == {"dataset.py", "load_public.py"}


@pytest.mark.skipif(not PG_URL, reason="needs PARTYBUILD_TEST_DATABASE_URL")
def test_load_script_on_postgresql_loses_nothing(tmp_path):
    """The load script against gunicorn on PostgreSQL: every accepted write is in the
    database and no request failed (a refused one counts as an error)."""
    out = _run(
        "load_public.py",
        ["--seconds", "4", "--users", "8", "--workers", "2"],
        tmp_path,
        PARTYBUILD_TEST_DATABASE_URL=PG_URL,
    )
    assert "errors: 0" in out and "result: PASS" in out
