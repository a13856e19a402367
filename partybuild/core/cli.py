"""Flask CLI: init, seed-demo, audit verify, jobs, db.

Domains add their own commands (``create-admin``, ``reports``) through a ``cli.py``
module exposing ``register(app)``, and demo data through ``demo.py`` exposing
``seed() -> list[str]`` (idempotent; returns lines to print). The app factory finds
both and hands them over: core imports no domain.

The CLI modules import only click and Flask at the top; each command imports what it
runs in its body, so listing the commands (``flask --app wsgi --help``) needs neither
SQLAlchemy nor the models (see ``create_app(defer_setup=...)``).
"""

import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from types import ModuleType
from typing import Any

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup, with_appcontext

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
        from partybuild.extensions import db

        for module in demo_modules():
            for line in module.seed():
                click.echo(line)
        db.session.commit()

    return command


# --- flask jobs -------------------------------------------------------------------


def _configure_stdout_logging() -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_partybuild_jobs", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
        handler._partybuild_jobs = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.INFO)


jobs_cli = AppGroup("jobs", help="定时任务 / scheduled jobs")


@jobs_cli.command("run")
def run_command() -> None:
    """Run the scheduler in the foreground (blocks; logs to stdout)."""
    from partybuild.core import jobs

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _configure_stdout_logging()
    scheduler = jobs.build_scheduler(app)
    names = [j.id for j in scheduler.get_jobs()]
    jobs.logger.info("scheduler starting (Asia/Shanghai), jobs: %s", ", ".join(names))
    jobs.startup_catch_up(app)

    def stop(_signum: int, _frame: Any) -> None:
        jobs.logger.info("scheduler stopping")
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    jobs.logger.info("scheduler stopped")


@jobs_cli.command("run-once")
@click.argument("name")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="本地日期 YYYY-MM-DD")
@click.option(
    "--as-scheduled",
    is_flag=True,
    help="像调度器一样运行：补跑错过的日期（与 --date 互斥）",
)
@click.option("--wait", "wait_seconds", default=60.0, show_default=True, help="等待运行锁的秒数")
def run_once_command(
    name: str, day: datetime | None, as_scheduled: bool, wait_seconds: float
) -> None:
    """Run one job now, for today or for --date."""
    from partybuild.core.db import utcnow
    from partybuild.core.jobs import Outcome, Trigger, get_job, load_jobs, run_job
    from partybuild.core.timeutil import local_today

    if day is not None and as_scheduled:
        raise click.UsageError("--date 与 --as-scheduled 不能同时使用")
    try:
        job = get_job(name)
    except KeyError:
        raise click.ClickException(
            f"没有名为 {name} 的任务；可用：{', '.join(load_jobs()) or '无'}"
        ) from None
    the_day = day.date() if day else None
    if the_day is not None and the_day > local_today():
        # Greetings and reminders for a day that has not come would go out early.
        raise click.ClickException(
            f"不能为未来的日期 {the_day.isoformat()} 运行任务（今天是北京时间 "
            f"{local_today().isoformat()}），否则贺卡、提醒会提前发出。"
        )
    _configure_stdout_logging()
    now = job.moment_on(the_day) if the_day and the_day != local_today() else utcnow()
    run = run_job(
        name,
        now,
        trigger=Trigger.schedule if as_scheduled else Trigger.manual,
        day=the_day,
        wait_seconds=wait_seconds,
    )
    click.echo(
        f"{job.label}：{run.outcome.label}；日期 {', '.join(run.days) or '—'}"
        f"{'；补跑 ' + ', '.join(run.caught_up_days) if run.caught_up_days else ''}"
        f"；计数 {run.counts or {}}"
    )
    if run.outcome == Outcome.failed:
        click.echo(run.error, err=True)
        sys.exit(1)


@jobs_cli.command("work-once")
@click.option("--limit", type=int, default=None, help="最多处理的任务数（默认处理完为止）")
def work_once_command(limit: int | None) -> None:
    """Run the queued background tasks (large exports, "run now") now, then exit."""
    from partybuild.core import background

    _configure_stdout_logging()
    ran = background.work_once(limit=limit)
    click.echo(f"已处理后台任务 {ran} 个。")


@jobs_cli.command("list")
def list_command() -> None:
    """List registered jobs with their schedule and last run."""
    import sqlalchemy as sa

    from partybuild.core.jobs import JobRun, load_jobs
    from partybuild.core.timeutil import format_datetime
    from partybuild.extensions import db

    for job in load_jobs().values():
        last = db.session.scalar(
            sa.select(JobRun).where(JobRun.job == job.name).order_by(JobRun.id.desc()).limit(1)
        )
        last_text = (
            f"{format_datetime(last.started_at)} {last.outcome.label}" if last else "从未运行"
        )
        click.echo(f"{job.name:<24}{job.label}　{job.schedule_label}　上次：{last_text}")


# --- flask db ---------------------------------------------------------------------


class _LazyDbGroup(click.Group):
    """``flask db``: the help line without Flask-Migrate, the subcommands from it.

    Flask-Migrate imports alembic (and mako), a tenth of a second that every ``flask``
    command paid at start-up; ``extensions.LazyMigrate`` binds it on first use.
    """

    @staticmethod
    def _real() -> click.Group:
        from flask_migrate.cli import db as db_group

        return db_group

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._real().get_command(ctx, cmd_name)


@click.group(cls=_LazyDbGroup)
@click.option("-d", "--directory", default=None, help="Migration script directory")
@click.option(
    "-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts"
)
@with_appcontext
def db_cli(directory: str | None, x_arg: tuple[str, ...]) -> None:
    """Perform database migrations."""
    # What Flask-Migrate's own group does; its commands read these from g.
    g.directory = directory
    g.x_arg = x_arg
    current_app.extensions["migrate"].directory  # noqa: B018 - binds Flask-Migrate now


def init_app(app: Flask, demo_modules: Callable[[], Iterable[ModuleType]]) -> None:
    """Core's commands; ``demo_modules`` yields each domain's ``demo`` module in order."""
    for command in (init_command, seed_demo_command(demo_modules), audit_cli, jobs_cli):
        app.cli.add_command(command)
    app.cli.add_command(db_cli, name="db")
