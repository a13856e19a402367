"""Configuration: secret key handling, cookie flags, environment overrides."""

import os
import stat

from partybuild import create_app


def test_secret_key_is_generated_once_into_instance_folder(tmp_path):
    cfg = {"INSTANCE_PATH": str(tmp_path / "inst"), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(cfg).config["SECRET_KEY"]
    second = create_app(cfg).config["SECRET_KEY"]
    key_file = tmp_path / "inst" / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_environment_overrides_config(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTYBUILD_SECRET_KEY", "from-env")
    monkeypatch.setenv("PARTYBUILD_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("PARTYBUILD_SESSION_COOKIE_SECURE", "true")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.db")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "inst" / "secret_key").exists()


def test_session_cookie_is_httponly_and_samesite(app, client, make_user):
    make_user("admin", username="boss", password="Correct-horse-9")
    resp = client.post("/auth/login", data={"username": "boss", "password": "Correct-horse-9"})
    assert resp.status_code == 302
    cookie = next(v for k, v in resp.headers.items() if k == "Set-Cookie" and "session=" in v)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_default_database_is_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PARTYBUILD_DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "SECRET_KEY": "x"})
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'partybuild.db'}"
    )


def test_sqlite_uses_wal_and_foreign_keys(tmp_path):
    from partybuild.extensions import db

    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_proxy_fix_uses_forwarded_client_address(tmp_path):
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "PROXY_FIX_X_FOR": 1, "TESTING": True}
    )
    from flask import request

    from partybuild.core.permissions import public

    @app.get("/whoami-probe")
    @public
    def whoami_probe():
        return request.remote_addr or ""

    resp = app.test_client().get("/whoami-probe", headers={"X-Forwarded-For": "10.1.2.3"})
    assert resp.get_data(as_text=True) == "10.1.2.3"
