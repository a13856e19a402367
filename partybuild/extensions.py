"""Flask extensions, created unbound and bound in create_app with init_app."""

from typing import Any

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from partybuild.core.db import Base, Session

db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
login_manager = LoginManager()
csrf = CSRFProtect()


class LazyMigrate:
    """Flask-Migrate, bound only when migrations are used.

    Flask-Migrate imports alembic (and mako), a tenth of a second that every web
    worker and every ``flask`` command paid at start-up. This registers the same
    ``flask db`` group and ``app.extensions["migrate"]``, and imports Flask-Migrate on
    first use (``flask db …``, ``flask_migrate.upgrade()``, alembic's env.py).
    """

    def __init__(self, **alembic_kwargs: Any) -> None:
        self.alembic_kwargs = alembic_kwargs

    def init_app(self, app: Flask, database: SQLAlchemy, directory: str) -> None:
        app.extensions["migrate"] = _LazyMigrateConfig(app, self, database, directory)
        app.cli.add_command(_lazy_db_group, name="db")


class _LazyMigrateConfig:
    """Stands in for Flask-Migrate's config until an attribute is read."""

    def __init__(self, app: Flask, lazy: LazyMigrate, database: SQLAlchemy, directory: str):
        self._app, self._lazy, self._db, self._directory = app, lazy, database, directory

    def _real(self) -> Any:
        from flask_migrate import Migrate

        Migrate(**self._lazy.alembic_kwargs).init_app(
            self._app, self._db, directory=self._directory
        )
        return self._app.extensions["migrate"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)


class _LazyDbGroup(click.Group):
    """``flask db``: the help line without Flask-Migrate, the subcommands from it."""

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
def _lazy_db_group(directory: str | None, x_arg: tuple[str, ...]) -> None:
    """Perform database migrations."""
    # What Flask-Migrate's own group does; its commands read these from g.
    g.directory = directory
    g.x_arg = x_arg
    current_app.extensions["migrate"].directory  # noqa: B018 - binds Flask-Migrate now


migrate = LazyMigrate(render_as_batch=True, compare_type=True)
