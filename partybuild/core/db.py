"""Declarative base, column types and small model helpers."""

import contextlib
import enum
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import DeclarativeBase, registry

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops tzinfo)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class LabelledEnum(enum.StrEnum):
    """A StrEnum whose members carry their Chinese label.

    Declare members as ``draft = "draft", "草稿"``; ``member.label`` is "草稿", and the
    member still is (and is stored as) the plain string "draft".
    """

    _label: str

    def __new__(cls, value: str, label: str) -> "LabelledEnum":
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        return self._label

    @classmethod
    def labels(cls) -> dict[Any, str]:
        """{member: label} in declaration order, for select boxes and templates."""
        return {member: member.label for member in cls}


# PostgreSQL truncates longer identifiers, which would make names collide silently.
MAX_NAME_LENGTH = 63


class CheckedEnum(sa.Enum):
    """An Enum whose CHECK constraint is named after its column: ``ck_<table>_<column>_enum``.

    The type's own name (by default the enum class) would give two columns of the same
    enum in one table the same constraint name.
    """

    def _set_table(self, column: sa.Column[Any], table: sa.Table) -> None:
        self.name = f"{column.name}_enum"
        full = NAMING_CONVENTION["ck"] % {"table_name": table.name, "constraint_name": self.name}
        if len(full) > MAX_NAME_LENGTH:
            raise ValueError(f"CHECK constraint name {full!r} is longer than {MAX_NAME_LENGTH}")
        super()._set_table(column, table)


def really_changed(obj: object, ignore: frozenset[str] | set[str] = frozenset()) -> bool:
    """A dirty object changed something besides the ``ignore`` attributes (a value set
    back to what it was is no change). Looks only at the attributes set since load."""
    state = sa.inspect(obj)
    attrs = state.attrs
    return any(
        attrs[key].history.has_changes() for key in state.committed_state if key not in ignore
    )


def str_enum(enum_cls: type[enum.StrEnum], length: int = 32) -> sa.Enum:
    """A StrEnum column stored as its value in a VARCHAR (no native enum type), with a
    CHECK constraint so that the database itself refuses any other value."""
    return CheckedEnum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()


# --- after-commit hooks ---------------------------------------------------------

_HOOKS = "partybuild_after_commit"


class Session(FlaskSession):
    """The app's session: work registered with ``after_commit`` runs once the
    transaction that registered it has committed, and is dropped on a rollback."""

    def commit(self) -> None:
        try:
            super().commit()
        except BaseException:
            self.info.pop(_HOOKS, None)
            raise
        # Popped first: a hook that commits its own work runs only the hooks it registers.
        for fn in self.info.pop(_HOOKS, []):
            try:
                fn()
            except Exception:
                # The user's change is saved; a failed mail or queue call must not turn
                # that into an error page. The hook records its own failure state.
                logger.exception("after-commit hook %r failed", fn)
                super().rollback()

    def rollback(self) -> None:
        self.info.pop(_HOOKS, None)
        super().rollback()

    def close(self) -> None:
        self.info.pop(_HOOKS, None)
        super().close()


def after_commit(fn: Callable[[], object]) -> None:
    """Run ``fn()`` after the current transaction commits; never after a rollback.

    For mail, background work and anything another process must only see once the
    data is committed. Hooks run in registration order, inside ``db.session.commit()``
    (in a view: the request boundary's commit; in a job or CLI command: its own).
    """
    from partybuild.extensions import db

    db.session().info.setdefault(_HOOKS, []).append(fn)


_SYNCHRONOUS = "pb_synchronous"  # pool record info: the SQLite level to put back


@contextlib.contextmanager
def commit_unsynced(session: Any) -> Iterator[None]:
    """Write in the block, then commit ``session`` without waiting for the disk.

    For a marker that an ordinary commit soon follows (a job run's "running" row):
    both backends write their log in order, so that next commit makes the marker
    durable with it. A power cut before then loses the marker and nothing else; an
    application crash loses nothing. PostgreSQL: ``synchronous_commit`` off for this
    transaction. SQLite (WAL only): ``synchronous=NORMAL``, set before the block's
    first write (SQLite refuses it inside a transaction) and put back when the
    connection returns to the pool. Otherwise an ordinary commit. No commit if the
    block raises.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
    elif conn.dialect.name == "sqlite" and _SYNCHRONOUS not in conn.info:
        raw = conn.connection.dbapi_connection
        # pysqlite begins the transaction at the first write: none yet, or no change.
        if not raw.in_transaction and raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            level = raw.execute("PRAGMA synchronous").fetchone()[0]
            if level > 1:
                raw.execute("PRAGMA synchronous=NORMAL")
                conn.info[_SYNCHRONOUS] = int(level)
    yield
    session.commit()


def _restore_synchronous(dbapi_connection: Any, record: Any) -> None:
    level = record.info.pop(_SYNCHRONOUS, None) if record is not None else None
    if level is not None and dbapi_connection is not None:
        dbapi_connection.execute(f"PRAGMA synchronous={int(level)}")


def init_app(app: Any) -> None:
    """Per-app engine hooks (the SQLite pragmas above apply to every connection)."""
    from partybuild.extensions import db

    with app.app_context():
        ping_when_idle(db.engine, float(app.config.get("DB_PING_IDLE_SECONDS", 10)))
        if db.engine.dialect.name == "sqlite":
            # Back to the usual durability before anyone else gets the connection.
            sa.event.listen(db.engine.pool, "checkin", _restore_synchronous)


_IDLE_SINCE = "pb_idle_since"


def ping_when_idle(engine: sa.Engine, idle_seconds: float) -> None:
    """Check a pooled connection on checkout only if it sat idle ``idle_seconds`` or more.

    ``pool_pre_ping`` costs a round trip on every checkout, i.e. on every request; a
    connection a busy worker handed back a moment ago is as good as it was then. An
    idle one (where a server restart or an idle timeout bites) is pinged, and a dead
    one replaced before the request uses it. A connection that dies while in steady
    use fails that one request; the pool then drops every older connection
    (SQLAlchemy invalidates on a disconnect error), so the next request gets a new one.
    """
    dialect = engine.dialect

    @sa.event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @sa.event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or back from a request a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            logger.info("pooled database connection found dead after idling; replacing it")
            raise sa.exc.DisconnectionError() from exc


def insert_ignoring_duplicates(entity: Any, dialect_name: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` (PostgreSQL) / ``INSERT OR IGNORE`` (SQLite).

    For bulk inserts guarded by a unique constraint: a row another transaction already
    wrote is skipped without an error or a savepoint per row. ``RETURNING`` gives back
    only the rows this statement inserted.
    """
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(entity).on_conflict_do_nothing()
    if dialect_name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(entity).on_conflict_do_nothing()
    raise NotImplementedError(f"insert_ignoring_duplicates: no support for {dialect_name}")


def insert_many_ignoring_duplicates(
    session: Any, entity: Any, rows: list[dict[str, Any]], returning: list[Any], chunk: int = 1000
) -> list[Any]:
    """Insert ``rows`` (dicts with the same keys), skipping those a unique constraint
    refuses; the ``returning`` columns of the rows inserted here.

    On PostgreSQL one statement with one array per column (``INSERT … SELECT
    unnest(…)``): a short query whatever the row count. A multi-row VALUES list would
    carry a placeholder per value, and the driver re-parses such a long query on every
    run (a tenth of a second for a few thousand rows).
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        table = entity.__table__
        names = list(rows[0])
        arrays = sa.select(
            *(
                sa.func.unnest(
                    sa.bindparam(f"many_{name}", [r[name] for r in rows], ARRAY(table.c[name].type))
                )
                for name in names
            )
        )
        stmt = pg_insert(table).from_select(names, arrays).on_conflict_do_nothing()
        return list(session.execute(stmt.returning(*returning)).all())
    # On the table, not the mapped class: the ORM's bulk path costs more than the
    # INSERT itself for a few hundred rows (column defaults apply all the same).
    stmt = insert_ignoring_duplicates(entity.__table__, dialect).returning(*returning)
    found: list[Any] = []
    for i in range(0, len(rows), chunk):
        found += session.execute(stmt, rows[i : i + chunk]).all()
    return found
