"""CLI start-up: ``flask --app wsgi`` lists its commands without setting the app up.

``create_app(defer_setup=True)`` (what wsgi.py does under the flask command) registers
the commands and leaves extensions, models, blueprints, error pages and jobs for the
first use: a command run, a request, a read of the URL map. Listing must show the same
commands as a set-up app; every first use must find the app as a set-up app would be.
"""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import FlaskGroup

from partybuild import create_app, finish_setup
from partybuild.extensions import db
from tests.support import base_config

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path) -> dict[str, Any]:
    config = base_config(tmp_path)
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'test.db'}"
    # With a SERVER_NAME, pushing an app context binds the URL map (and so sets up).
    config["SERVER_NAME"] = None
    return config


def _is_set_up(app: Flask) -> bool:
    return type(app) is Flask


def _help_texts(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """``flask --help`` and each command's (and sub-command's) ``--help`` as printed."""
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "")  # FlaskGroup sets it; restored after
    group = FlaskGroup(create_app=lambda: app)
    runner = CliRunner()
    texts = {"": runner.invoke(group, ["--help"]).output}
    names = app.cli.list_commands(click.Context(app.cli))
    for name in names:
        texts[name] = runner.invoke(group, [name, "--help"]).output
        command = app.cli.commands[name]
        if isinstance(command, click.Group) and name != "db":  # db's come from Flask-Migrate
            for sub in command.list_commands(click.Context(command)):
                texts[f"{name} {sub}"] = command.commands[sub].get_help(click.Context(command))
    return texts


def test_deferred_app_lists_the_same_commands_without_setting_up(tmp_path, monkeypatch):
    eager = create_app(_config(tmp_path))
    deferred = create_app(_config(tmp_path), defer_setup=True)
    assert not _is_set_up(deferred)
    expected = _help_texts(eager, monkeypatch)
    assert _help_texts(deferred, monkeypatch) == expected
    assert {"init", "seed-demo", "create-admin", "audit", "jobs", "reports", "db"} <= set(
        deferred.cli.list_commands(click.Context(deferred.cli))
    )
    assert not _is_set_up(deferred)  # --help of the app and of each command


def test_running_a_command_sets_the_app_up_first(tmp_path):
    app = create_app(_config(tmp_path), defer_setup=True)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "--help"])
    assert result.exit_code == 0 and "run-once" in result.output
    assert not _is_set_up(app)
    result = runner.invoke(args=["reports", "kinds"])
    assert result.exit_code == 0, result.output
    assert "commitments" in result.output
    assert _is_set_up(app)
    with app.app_context():
        db.create_all()
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    assert "greetings" in result.output


def test_first_request_meets_a_set_up_app(tmp_path):
    eager = create_app(_config(tmp_path))
    deferred = create_app(_config(tmp_path), defer_setup=True)
    with eager.app_context():
        db.create_all()
    # The very first request goes through every hook the set-up registers.
    first = deferred.test_client().get("/auth/login")
    again = eager.test_client().get("/auth/login")
    assert _is_set_up(deferred)
    assert first.status_code == again.status_code == 200
    assert first.headers.get("Content-Security-Policy") == again.headers.get(
        "Content-Security-Policy"
    )
    assert "登录" in first.get_data(as_text=True)


def test_reading_the_url_map_or_extensions_sets_up(tmp_path):
    app = create_app(_config(tmp_path), defer_setup=True)
    assert "core.home" in {rule.endpoint for rule in app.url_map.iter_rules()}
    assert _is_set_up(app)
    app = create_app(_config(tmp_path), defer_setup=True)
    assert "sqlalchemy" in app.extensions
    app = create_app(_config(tmp_path), defer_setup=True)
    with app.test_request_context("/"):
        assert _is_set_up(app)
    finish_setup(app)  # a no-op once set up


def test_eager_and_deferred_apps_end_up_alike(tmp_path):
    eager = create_app(_config(tmp_path))
    deferred = create_app(_config(tmp_path), defer_setup=True)
    finish_setup(deferred)
    assert type(deferred) is type(eager) is Flask
    assert sorted(map(str, deferred.url_map.iter_rules())) == sorted(
        map(str, eager.url_map.iter_rules())
    )
    assert deferred.view_functions.keys() == eager.view_functions.keys()
    assert deferred.extensions.keys() == eager.extensions.keys()
    assert deferred.error_handler_spec.keys() == eager.error_handler_spec.keys()
    assert deferred.jinja_env.filters.keys() == eager.jinja_env.filters.keys()
    assert deferred.jinja_env.globals.keys() == eager.jinja_env.globals.keys()

    def names(hooks: Any) -> Any:
        if isinstance(hooks, dict):
            return {key: names(funcs) for key, funcs in hooks.items()}
        return [getattr(f, "__qualname__", repr(f)) for f in hooks]

    for hooks in (
        "before_request_funcs",
        "after_request_funcs",
        "teardown_request_funcs",
        "teardown_appcontext_funcs",
        "template_context_processors",
        "url_value_preprocessors",
        "url_default_functions",
        "shell_context_processors",
    ):
        assert names(getattr(deferred, hooks)) == names(getattr(eager, hooks)), hooks


def test_flask_help_under_the_cli_imports_no_sqlalchemy(tmp_path):
    """The real command line: ``flask --app wsgi --help`` in a fresh process."""
    code = (
        "import sys\n"
        "from flask.cli import main\n"
        "sys.argv = ['flask', '--app', 'wsgi', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('sqlalchemy', 'flask_sqlalchemy', 'wtforms', 'partybuild.extensions')\n"
        "print('LOADED:', *[m for m in heavy if m in sys.modules])\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PARTYBUILD_INSTANCE_PATH": str(tmp_path / "instance"),
        "PARTYBUILD_SECRET_KEY": "test",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "create-admin" in out and "reports" in out and "seed-demo" in out
    assert out.splitlines()[-1] == "LOADED:"
