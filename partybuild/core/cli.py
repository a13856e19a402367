"""Flask CLI: init, create-admin, seed-demo, audit verify.

Domains add their own groups (``jobs``, ``reports``) through a ``cli.py`` module
exposing ``register(app)``, and demo data through ``demo.py`` exposing
``seed() -> list[str]`` (idempotent; returns lines to print).
"""

import getpass
import logging
import sys

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


@click.command("create-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--password", default=None, help="omit to be prompted")
def create_admin_command(username: str, password: str | None) -> None:
    """Create an administrator account."""
    import sqlalchemy as sa

    from partybuild.auth.models import User
    from partybuild.auth.passwords import hash_password, password_problem
    from partybuild.core import audit
    from partybuild.core.db import utcnow
    from partybuild.core.permissions import Role

    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise click.ClickException(f"用户名 {username} 已存在")
    if password is None:
        password = getpass.getpass("密码: ")
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    user = User(
        username=username,
        display_name="系统管理员",
        role=Role.admin,
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "create", "user", user.id, actor="cli", after={"username": username, "role": "admin"}
    )
    db.session.commit()
    click.echo(f"管理员账户 {username} 已创建。")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo bureau (idempotent) and print the demo accounts."""
    from partybuild import domain_modules

    for module in domain_modules("demo"):
        for line in module.seed():
            click.echo(line)
    db.session.commit()


@audit_cli.command("verify")
def audit_verify_command() -> None:
    """Check the hash chain; exit 1 at the first altered or missing entry."""
    from partybuild.core.audit import verify_chain

    result = verify_chain()
    if result.ok:
        click.echo(f"审计日志完整：已校验 {result.checked} 条记录。")
        return
    click.echo(
        f"审计日志被篡改：第一条异常记录 ID {result.first_bad_id}（{result.reason}），"
        f"已校验 {result.checked} 条。",
        err=True,
    )
    sys.exit(1)


def init_app(app: Flask) -> None:
    from partybuild.core.jobs import jobs_cli  # also puts job_runs in the metadata

    for command in (init_command, create_admin_command, seed_demo_command, audit_cli, jobs_cli):
        app.cli.add_command(command)
    from partybuild import domain_modules

    for module in domain_modules("cli"):
        if module.__name__ != __name__:
            module.register(app)
