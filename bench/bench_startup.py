"""Benchmark: CLI start-up, ``flask --app wsgi --help`` against a bare Flask app.

    python bench/bench_startup.py [--repeat 7]

Both are run as fresh processes in the same run, alternately, ``--repeat`` times; the
median wall time and peak RSS of each and their ratio are printed. The goal (issue 15)
is a ratio of at most 2: heavy libraries (openpyxl, python-docx, qrcode, PIL, boto3,
apscheduler) are imported where they are used, not when the app is created.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLASK = [sys.executable, "-m", "flask"]

BARE_APP = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
"""

HEAVY = ("openpyxl", "docx", "qrcode", "PIL", "apscheduler", "boto3", "alembic", "lxml")


def run_once(app_dir: Path, app: str, env: dict[str, str]) -> float:
    """Seconds of one ``flask --app APP --help`` process."""
    started = time.perf_counter()
    subprocess.run(
        [*FLASK, "--app", app, "--help"],
        cwd=app_dir,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def heavy_modules(env: dict[str, str]) -> list[str]:
    """Heavy libraries imported by creating the app (should be none)."""
    code = f"import sys, wsgi; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pb-startup-") as tmp:
        workdir = Path(tmp)
        (workdir / "bare.py").write_text(BARE_APP)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PARTYBUILD_INSTANCE_PATH": str(workdir / "instance"),
            "PARTYBUILD_SECRET_KEY": "bench",
            # Compiled bytecode as in production (a deployment has its .pyc files), kept
            # in a scratch prefix: the warm-up runs write it for both apps.
            "PYTHONPYCACHEPREFIX": str(workdir / "pycache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        # Warm the file cache and the instance directory once, untimed.
        run_once(workdir, "bare", env)
        run_once(ROOT, "wsgi", env)
        bare, app = [], []
        for _ in range(args.repeat):
            bare.append(run_once(workdir, "bare", env))
            app.append(run_once(ROOT, "wsgi", env))
        heavy = heavy_modules(env)
    b, a = statistics.median(bare), statistics.median(app)
    print(f"CLI start-up, median of {args.repeat} fresh processes each")
    print(f"  flask --app bare --help   {b * 1000:7.0f} ms  (floor)")
    print(f"  flask --app wsgi --help   {a * 1000:7.0f} ms")
    print(f"  ratio                     {a / b:7.2f}x   (goal <= 2.0x)")
    print(f"  heavy modules loaded by `import wsgi`: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
