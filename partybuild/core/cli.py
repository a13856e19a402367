"""Flask CLI: init, seed-demo, audit verify, jobs.

Domains add their own commands (``create-admin``, ``reports``) through a ``cli.py``
module exposing ``register(app)``, and demo data through ``demo.py`` exposing
``seed() -> list[str]`` (idempotent; returns lines to print). The app factory finds
both and hands them over: core imports no domain.
"""

import logging
import sys
from collections.abc import Callable, Iterable
from types import ModuleType

import click
from flask import Flask
from flask.cli import AppGroup

from partybuild.extensions import db

logger = logging.getLogger(__name__)

audit_cli = AppGroup("audit", help="审计日志 / audit trail")


@click.command("init")
def init_command() -> None:
    """Create or upgrade the database schema through the migrations."""
    from flask_migrate import upgrade

    upgrade()
    click.echo("数据库已初始化（迁移至最新版本）。")


@audit_cli.command("verify")
def audit_verify_command() -> None:
    """Check the hash chain; exit 1 at the first altered or missing entry."""
    from partybuild.core.audit import verify_chain

    result = verify_chain()
    if result.ok:
        click.echo(f"审计日志完整：已校验 {result.checked} 条记录。")
        return
    where = "" if result.first_bad_id is None else f"第一条异常记录 ID {result.first_bad_id}"
    click.echo(
        f"审计日志被篡改：{where}（{result.reason}），已校验 {result.checked} 条。",
        err=True,
    )
    sys.exit(1)


def seed_demo_command(demo_modules: Callable[[], Iterable[ModuleType]]) -> click.Command:
    """``seed-demo`` over the domains' ``demo`` modules, imported only when it runs."""

    @click.command("seed-demo")
    def command() -> None:
        """Load the demo bureau (idempotent) and print the demo accounts."""
        for module in demo_modules():
            for line in module.seed():
                click.echo(line)
        db.session.commit()

    return command


def init_app(app: Flask, demo_modules: Callable[[], Iterable[ModuleType]]) -> None:
    """Core's commands; ``demo_modules`` yields each domain's ``demo`` module in order."""
    from partybuild.core.jobs import jobs_cli  # also puts job_runs in the metadata

    for command in (init_command, seed_demo_command(demo_modules), audit_cli, jobs_cli):
        app.cli.add_command(command)
