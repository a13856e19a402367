"""Data versions: one counter per name, bumped in the same transaction as every change
to the models tracked under that name, so figures cached under the version they were
computed at can never be served stale.

A domain tracks its models once (beside them) and caches plain figures under the names
they read:

    dataversion.track("meetings", Meeting)
    totals = dataversion.cached("meetings.totals", ("meetings",), make, year, today)

Every ORM flush that inserts, deletes or really changes a tracked row (and every ORM
``insert()/update()/delete()`` statement on its table run through the session) bumps the
name's counter with an upsert as the transaction commits; until then that transaction
reads past the caches. The version is read before the figures are computed, so figures
cached under a version are never older than it.
Writes that bypass the session (``connection.execute`` on a tracked table) must call
:func:`bump` themselves.

A page that reads many cached figures (the workbench) reads every version it needs in
one query first with :func:`prefetch`; within that request :func:`current` then answers
from memory (a bump in the request forgets them, so a write is never hidden).
"""

from collections.abc import Callable, Hashable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Mapped, mapped_column

from partybuild.core import pagecache
from partybuild.core.db import really_changed
from partybuild.extensions import db


class DataVersion(db.Model):
    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


_TRACKED: dict[type, set[str]] = {}
_TABLES: dict[str, set[str]] = {}  # table name -> version names
_PENDING = "data_versions_pending"
_BOOKKEEPING = {"updated_at", "version_id"}
_MEMO = "_data_versions"  # on flask.g: versions read by prefetch() in this request


def track(name: str, *models: type) -> None:
    """Bump ``name`` whenever a row of one of ``models`` changes."""
    for model in models:
        _TRACKED.setdefault(model, set()).add(name)
        _TABLES.setdefault(model.__table__.name, set()).add(name)


def track_module(name: str, module: str, *tables: sa.Table) -> None:
    """Track every model defined in ``module`` (and plain association ``tables``)
    under ``name``: figures that read any of a domain's tables name the domain."""
    models = [m.class_ for m in db.Model.registry.mappers if m.class_.__module__ == module]
    track(name, *models)
    for table in tables:
        _TABLES.setdefault(table.name, set()).add(name)


def _names_of(obj: object) -> set[str]:
    found: set[str] = set()
    for cls in type(obj).__mro__:
        found |= _TRACKED.get(cls, set())
    return found


def bump(session: Any, names: Iterable[str]) -> None:
    """Count ``names`` as changed in the session's transaction. Their counters are raised
    when it commits, all together and in one order: two writers never deadlock on them,
    and each holds the rows only while committing. Until then the writer's own reads
    bypass the caches (``pagecache``), so it is never served figures older than its
    writes."""
    names = set(names)
    if not names:
        return
    session.info.setdefault(_PENDING, set()).update(names)
    pagecache.mark_written(session)
    _forget_memo()


def _write(session: Any, names: set[str]) -> None:
    table = DataVersion.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for name in sorted(names):  # one order: no deadlock between two writers
        stmt = insert(table).values(name=name, version=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.name], set_={"version": table.c.version + 1}
        )
        session.connection().execute(stmt)


@sa.event.listens_for(sa.orm.Session, "before_commit")
def _bump_on_commit(session: sa.orm.Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: counted when the whole transaction commits
    while True:
        session.flush()  # the last changes name themselves before the counters are raised
        pending = session.info.pop(_PENDING, None)
        if not pending:
            return
        _write(session, pending)
        _forget_memo()


@sa.event.listens_for(sa.orm.Session, "after_transaction_end")
def _forget_pending(session: sa.orm.Session, transaction) -> None:  # noqa: ANN001
    if transaction.parent is None:  # rolled back (or committed): nothing left to count
        session.info.pop(_PENDING, None)


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _collect(session: sa.orm.Session, flush_context, instances) -> None:  # noqa: ANN001
    if not _TRACKED:
        return
    names: set[str] = set()
    for obj in session.new:
        names |= _names_of(obj)
    for obj in session.deleted:
        names |= _names_of(obj)
    for obj in session.dirty:
        found = _names_of(obj)
        if found and really_changed(obj, _BOOKKEEPING):
            names |= found
    bump(session, names)


@sa.event.listens_for(sa.orm.Session, "do_orm_execute")
def _bump_on_statement(state) -> None:  # noqa: ANN001
    """Bulk ``insert()/update()/delete()`` of a tracked table through the session."""
    if not (_TABLES and (state.is_insert or state.is_update or state.is_delete)):
        return
    table = getattr(state.statement, "table", None)
    names = _TABLES.get(getattr(table, "name", None), set())
    if names:
        bump(state.session, names)


def _forget_memo() -> None:
    if has_request_context():
        g.pop(_MEMO, None)


def prefetch(names: Iterable[str], *extra: Any) -> tuple[dict[str, int], tuple]:
    """The versions of ``names`` and the values of the ``extra`` scalar columns (e.g.
    another store's version), in ONE query; the versions are kept for this request so
    that later :func:`current` calls for them cost no query."""
    wanted = sorted(set(names))
    columns = [
        sa.select(DataVersion.version).where(DataVersion.name == name).scalar_subquery()
        for name in wanted
    ]
    if not columns and not extra:
        return {}, ()
    row = tuple(db.session.execute(sa.select(*columns, *extra)).one())
    found = {name: int(v or 0) for name, v in zip(wanted, row, strict=False)}
    if has_request_context():
        memo = g.get(_MEMO)
        if memo is None:
            memo = {}
            setattr(g, _MEMO, memo)
        memo.update(found)
    return found, row[len(wanted) :]


def current(names: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """The versions of ``names`` now (0 for a name never bumped), in one query (none
    when this request prefetched them all)."""
    wanted = sorted(set(names))
    memo = g.get(_MEMO) if has_request_context() else None
    if memo is not None and all(name in memo for name in wanted):
        return tuple((name, memo[name]) for name in wanted)
    found = dict(
        db.session.execute(
            sa.select(DataVersion.name, DataVersion.version).where(DataVersion.name.in_(wanted))
        ).all()
    )
    return tuple((name, found.get(name, 0)) for name in wanted)


def prefetched(name: str) -> bool:
    """This request already read ``name``'s version (a cached figure costs no query)."""
    memo = g.get(_MEMO) if has_request_context() else None
    return memo is not None and name in memo


def cached(
    key: Hashable,
    names: Iterable[str],
    make: Callable[[], Any],
    *parts: Hashable,
    region: str = "pages",
) -> Any:
    """``make()`` cached under ``key``, ``parts`` and the versions of ``names`` (which must
    cover every row ``make`` reads). Cache plain values, never ORM rows. Per-user figures
    go to ``region="workbench"``."""
    return pagecache.get_or_make((key, *parts, current(names)), make, region=region)
