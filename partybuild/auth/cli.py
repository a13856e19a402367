"""``flask create-admin``: the first administrator account, from the command line.

flask --app wsgi create-admin --username NAME [--password ...]
"""

from __future__ import annotations

import getpass
import logging

import click
from flask import Flask

logger = logging.getLogger(__name__)


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
    from partybuild.extensions import db

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


def register(app: Flask) -> None:
    app.cli.add_command(create_admin_command)
