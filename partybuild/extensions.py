"""Flask extensions, created unbound and bound in create_app with init_app."""

from typing import Any

from flask import Flask
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
    ``app.extensions["migrate"]``, and imports Flask-Migrate on first use (``flask db
    …``, ``flask_migrate.upgrade()``, alembic's env.py). The ``flask db`` group, which
    needs no SQLAlchemy to be listed, is ``core.cli.db_cli``.
    """

    def __init__(self, **alembic_kwargs: Any) -> None:
        self.alembic_kwargs = alembic_kwargs

    def init_app(self, app: Flask, database: SQLAlchemy, directory: str) -> None:
        app.extensions["migrate"] = _LazyMigrateConfig(app, self, database, directory)


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


migrate = LazyMigrate(render_as_batch=True, compare_type=True)
