"""Browser-test fixtures (a pytest plugin, so one Chromium serves every test): the app served on a free localhost port, driven by Playwright
through Debian's Chromium (never a downloaded browser).

Fixtures: ``live_server`` (base URL; app and data in ``live_server.app``),
``browser`` (one Chromium per session), ``page`` (desktop) and ``phone_page``
(a phone-sized viewport), ``login(page, username)``.
"""

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from partybuild import create_app
from partybuild.extensions import db
from tests.support import base_config

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "Browser-test-9"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        if os.environ.get("PARTYBUILD_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here: apt-get install -y chromium")
        pytest.skip("Chromium not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app: Any, url: str) -> None:
        self.app = app
        self.url = url

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_server(tmp_path: Any) -> Iterator[LiveServer]:
    config = base_config(tmp_path)
    config.pop("SERVER_NAME")
    config["TESTING"] = False
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'live.db'}"
    app = create_app(config)
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(live_server: LiveServer) -> Callable[[Any, str], None]:
    def do_login(page: Any, username: str, password: str = PASSWORD) -> None:
        page.goto(live_server("/auth/login"))
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/auth/login" not in url)

    return do_login


def make_account(app: Any, username: str, role: str, branch: Any = None, member: Any = None) -> Any:
    """Create a login for the browser tests (inside an app context)."""
    from partybuild.auth.models import User
    from partybuild.auth.passwords import hash_password
    from partybuild.core.permissions import Role

    user = User(
        username=username,
        role=Role(role),
        password_hash=hash_password(PASSWORD),
        branch_id=branch.id if branch else None,
        member_id=member.id if member else None,
    )
    db.session.add(user)
    db.session.commit()
    return user
