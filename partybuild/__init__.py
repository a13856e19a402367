"""partybuild: party-branch work records for a bureau's intranet."""

import copy
import importlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from partybuild.config import Config, instance_secret_key

logger = logging.getLogger(__name__)

# Domain packages, each with a ``views.bp`` blueprint named like the package.
# A package missing its views module is skipped, so domains land one at a time.
DOMAINS = [
    "core",
    "org",
    "auth",
    "meetings",
    "commitments",
    "integrity",
    "greetings",
    "ratings",
    "reports",
    "dashboard",
    "public",
]


def create_app(test_config: dict[str, Any] | None = None, *, defer_setup: bool = False) -> Flask:
    """The app, fully set up; or, with ``defer_setup``, configured and with its commands
    registered, the rest (extensions, models, blueprints, error pages, jobs) done on
    first use: a command run, a request, or a read of its URL map, view functions,
    extensions, blueprints or WSGI callable. ``flask --app wsgi`` uses it so that
    ``--help`` lists the commands without loading SQLAlchemy and the models; gunicorn
    gets a set-up app. Either way the commands' modules import their implementation
    only when a command runs."""
    root = Path(__file__).resolve().parent.parent
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "PARTYBUILD_INSTANCE_PATH"
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
    )
    app.config.from_object(Config)
    app.config.from_prefixed_env("PARTYBUILD")
    if test_config:
        app.config.update(test_config)
    _finish_config(app, root)

    if app.config.get("PROXY_FIX_X_FOR"):
        # Behind nginx: trust X-Forwarded-For/-Proto from that many proxies, so the
        # per-client rate limits see the real client address.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_X_FOR"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    if defer_setup:
        app.cli = _SetUpBeforeRunning(app)
        register_commands(app)
        app.__class__ = _DeferredSetup
    else:
        _set_up(app)
        register_commands(app)
    return app


def _set_up(app: Flask) -> None:
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_jobs()


# --- deferred set-up (``create_app(defer_setup=True)``) -----------------------------

_setup_lock = threading.RLock()


def finish_setup(app: Flask) -> None:
    """Set up an app created with ``defer_setup`` (once; a no-op for any other app).
    A second thread waits until the first has finished; reads made by the set-up itself
    go through."""
    if type(app) is not _DeferredSetup:
        return
    with _setup_lock:
        if type(app) is not _DeferredSetup or app.__dict__.get("_setting_up"):
            return
        app.__dict__["_setting_up"] = True
        try:
            _set_up(app)
        finally:
            del app.__dict__["_setting_up"]
            app.__class__ = Flask  # from here on a plain Flask app, as if set up eagerly


class _SetUpOnRead:
    """An attribute of a deferred app whose first read finishes the set-up."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, app: Flask | None, owner: type | None = None) -> Any:
        if app is None:
            return self
        finish_setup(app)
        if type(app) is not _DeferredSetup:  # set up: the plain attribute
            return getattr(app, self.name)
        # Read by the set-up itself, under way in this thread.
        if self.name in app.__dict__:
            return app.__dict__[self.name]
        return getattr(super(_DeferredSetup, app), self.name)

    def __set__(self, app: Flask, value: Any) -> None:
        app.__dict__[self.name] = value


class _DeferredSetup(Flask):
    """A Flask app whose set-up waits for its first use (see ``create_app``); once done,
    the instance's class is Flask again."""

    url_map = _SetUpOnRead()
    view_functions = _SetUpOnRead()
    extensions = _SetUpOnRead()
    blueprints = _SetUpOnRead()
    wsgi_app = _SetUpOnRead()

    def request_context(self, environ: Any) -> Any:
        finish_setup(self)
        return Flask.request_context(self, environ)

    def make_shell_context(self) -> dict[str, Any]:
        finish_setup(self)
        return Flask.make_shell_context(self)


class _SetUpBeforeRunning(AppGroup):
    """A deferred app's command group: a command is listed, and its ``--help`` shown,
    as it is; running it finishes the app's set-up first."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self._app = app

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            return None
        app, invoke = self._app, type(command).invoke
        running = copy.copy(command)  # the registered command stays as it is

        def set_up_then_invoke(ctx: click.Context) -> Any:
            finish_setup(app)
            return invoke(running, ctx)

        running.invoke = set_up_then_invoke  # type: ignore[method-assign]
        return running


def _finish_config(app: Flask, root: Path) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = app.config.get("DATABASE_URL") or (
            f"sqlite:///{Path(app.instance_path) / 'partybuild.db'}"
        )
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    if not app.config.get("AUDIT_KEY"):
        # Kept out of the database: whoever can write the tables cannot re-sign the audit chain.
        app.config["AUDIT_KEY"] = instance_secret_key(app.instance_path, "audit_key")
    if not app.config.get("EXPORTS_DIR"):
        app.config["EXPORTS_DIR"] = str(root / "exports")


def register_extensions(app: Flask) -> None:
    from partybuild.core import db as core_db
    from partybuild.core import permissions, security, settings, templating, urls
    from partybuild.extensions import csrf, db, login_manager, migrate

    urls.init_app(app)  # first: bounded <int:> ids, and NUL refused before CSRF or views
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    security.init_app(app)
    core_db.init_app(app)
    permissions.init_app(app)
    templating.init_app(app)
    _import_models()
    settings.init_app(app)
    _import_settings()


def domain_modules(submodule: str) -> Iterator[ModuleType]:
    """Each domain's ``<domain>.<submodule>`` that exists, in DOMAINS order."""
    for name in DOMAINS:
        qualified = f"partybuild.{name}.{submodule}"
        try:
            yield importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name not in (qualified, f"partybuild.{name}"):
                raise


def _import_models() -> None:
    """Import every domain's models so metadata is complete (migrations, create_all)."""
    for _module in domain_modules("models"):
        pass
    importlib.import_module("partybuild.core.audit")
    importlib.import_module("partybuild.core.imports")
    importlib.import_module("partybuild.core.notifications")
    importlib.import_module("partybuild.core.settings")


def _import_settings() -> None:
    """Import every domain's settings declarations (``<domain>/settings.py``)."""
    for _module in domain_modules("settings"):
        pass


def register_blueprints(app: Flask) -> None:
    for module in domain_modules("views"):
        app.register_blueprint(module.bp)


def register_errorhandlers(app: Flask) -> None:
    from partybuild.core import errors

    errors.init_app(app)


def register_jobs() -> None:
    """Import each domain's ``tasks`` module: it registers its jobs with core.jobs
    (importing is all; only ``flask jobs run`` ever schedules them)."""
    for _module in domain_modules("tasks"):
        pass


def register_commands(app: Flask) -> None:
    """Core's commands, then each domain's ``cli.register(app)``."""
    from partybuild.core import cli

    cli.init_app(app, demo_modules=lambda: domain_modules("demo"))
    for module in domain_modules("cli"):
        if module is not cli:
            module.register(app)
