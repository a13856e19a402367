"""Shared fixtures: app per database backend, clients, login helper, factories.

Every test that uses ``app`` runs on SQLite and, when PARTYBUILD_TEST_DATABASE_URL
is set, on PostgreSQL too. Each test run gets its own PostgreSQL database, so
parallel runs on one server do not collide.
"""

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient

from partybuild import create_app
from partybuild.extensions import db
from tests.support import base_config

pytest_plugins = ["tests.browser_fixtures"]

PG_URL = os.environ.get("PARTYBUILD_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str | None]:
    """A throw-away PostgreSQL database for this test session."""
    if not PG_URL:
        yield None
        return
    name = f"pb_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


_pg_schema_ready: set[str] = set()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    """Override in a test module to change the config before the app is built."""
    return {}


@pytest.fixture
def app(backend: str, tmp_path: Any, pg_database_url: str | None, app_config: dict) -> Iterator:
    config = base_config(tmp_path)
    if backend == "sqlite":
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        config["SQLALCHEMY_DATABASE_URI"] = pg_database_url
    config.update(app_config)
    app = create_app(config)
    with app.app_context():
        if backend == "sqlite":
            db.create_all()
        else:
            if pg_database_url not in _pg_schema_ready:
                db.drop_all()
                db.create_all()
                _pg_schema_ready.add(pg_database_url)
            _truncate_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def _truncate_all() -> None:
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


class FreshUserClient(FlaskClient):
    """The test's app context outlives requests, so ``g`` would keep Flask-Login's
    cached user between requests; forget it so each request loads its own user."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Any) -> Any:
    app.test_client_class = FreshUserClient
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


# --- factories -------------------------------------------------------------------


@pytest.fixture
def org(app: Any) -> Any:
    """An organisation with two branches (A, B), groups, departments and posts."""
    from partybuild.org.models import Branch, Department, Organization, PartyGroup, Post

    organization = Organization(name="测试局机关党委")
    a = Branch(organization=organization, code="A", name="第一党支部")
    b = Branch(organization=organization, code="B", name="第二党支部")
    ga = PartyGroup(branch=a, name="第一党小组")
    gb = PartyGroup(branch=b, name="第一党小组")
    dept = Department(organization=organization, name="接访科")
    post = Post(department=dept, name="信访接待岗")
    db.session.add_all([organization, a, b, ga, gb, dept, post])
    db.session.commit()

    class Org:
        pass

    o = Org()
    o.organization, o.a, o.b, o.group_a, o.group_b, o.department, o.post = (
        organization,
        a,
        b,
        ga,
        gb,
        dept,
        post,
    )
    return o


@pytest.fixture
def make_member(org: Any) -> Callable[..., Any]:
    from partybuild.org.models import Gender, Member, MemberStatus

    counter = iter(range(1, 100_000))

    def make(**kw: Any) -> Member:
        n = next(counter)
        kw.setdefault("branch", org.a)
        full = kw.pop("full", True)
        defaults = dict(
            name=f"党员{n}",
            gender=Gender.male,
            birth_on=date(1980, 1, 1),
            joined_on=date(2005, 7, 1),
            phone=f"138{n:08d}",
            status=MemberStatus.full if full else MemberStatus.probationary,
            full_member_on=date(2006, 7, 1) if full else None,
        )
        defaults.update(kw)
        member = Member(**defaults)
        db.session.add(member)
        db.session.commit()
        return member

    return make


@pytest.fixture
def make_user(org: Any, make_member: Callable[..., Any]) -> Callable[..., Any]:
    from partybuild.auth.models import User
    from partybuild.auth.passwords import hash_password
    from partybuild.core.permissions import Role

    def make(
        role: str = "member",
        *,
        branch: Any = None,
        member: Any = None,
        username: str | None = None,
        password: str = "Correct-horse-9",
    ) -> User:
        role = Role(role)
        if role in (Role.secretary, Role.member):
            branch = branch or org.a
            if member is None and role == Role.member:
                member = make_member(branch=branch)
        user = User(
            username=username or f"{role.value}_{uuid.uuid4().hex[:6]}",
            role=role,
            branch_id=branch.id if branch else None,
            member_id=member.id if member else None,
            password_hash=hash_password(password),
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


class AuthActions:
    def __init__(self, client: Any, make_user: Callable[..., Any]) -> None:
        self._client = client
        self._make_user = make_user
        self.user: Any = None

    def login(self, user_or_role: Any = "secretary", **kw: Any) -> Any:
        """Log in as an existing user, or a new user of the given role."""
        user = (
            self._make_user(user_or_role, **kw) if isinstance(user_or_role, str) else user_or_role
        )
        with self._client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()  # "<id>:<session_version>"
            sess["_fresh"] = True
        self.user = user
        return user

    def logout(self) -> None:
        with self._client.session_transaction() as sess:
            sess.clear()


@pytest.fixture
def auth(client: Any, make_user: Callable[..., Any]) -> AuthActions:
    return AuthActions(client, make_user)


# --- query counting --------------------------------------------------------------


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextlib.contextmanager
def count_queries() -> Iterator[QueryCounter]:
    """Count SQL statements issued inside the block (on the app's engine)."""
    counter = QueryCounter()

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
            counter.statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@contextlib.contextmanager
def count_commits() -> Iterator[list[bool]]:
    """Each commit of a transaction that wrote, on the app's engine, in order: True when
    it waited for the disk (SQLite: synchronous above NORMAL; PostgreSQL:
    synchronous_commit not off). Read-only commits (the PostgreSQL lock's) are left out."""
    seen: list[bool] = []

    def on_commit(conn: sa.Connection) -> None:
        raw = conn.connection.dbapi_connection
        if conn.dialect.name == "sqlite":
            if raw.in_transaction:  # pysqlite begins a transaction at the first write
                seen.append(raw.execute("PRAGMA synchronous").fetchone()[0] > 1)
            return
        with raw.cursor() as cur:
            cur.execute(
                "SELECT pg_current_xact_id_if_assigned() IS NOT NULL,"
                " current_setting('synchronous_commit')"
            )
            wrote, synchronous = cur.fetchone()
        if wrote:
            seen.append(synchronous != "off")

    sa.event.listen(db.engine, "commit", on_commit)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "commit", on_commit)


@pytest.fixture
def commits_that_wrote() -> Callable[[], contextlib.AbstractContextManager[list[bool]]]:
    return count_commits


@pytest.fixture
def query_counter() -> Callable[[], contextlib.AbstractContextManager[QueryCounter]]:
    return count_queries
