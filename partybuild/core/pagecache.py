"""A small in-process cache for rendered pages and the figures behind them.

Keys carry a version (e.g. a branch's ``public_version``) that the data's owner bumps
in the same transaction as every change, so an entry can never be served stale: a
change makes a new key and the old entry simply ages out of the LRU. Each worker
process has its own cache; nothing here is shared between processes.
"""

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from partybuild.core.settings import setting

_lock = threading.Lock()
_entries: "OrderedDict[Hashable, Any]" = OrderedDict()
_apps = itertools.count(1)


# Set on a session whose open transaction has written anything: what is read in it may
# still be rolled back, and a version it saw could then be reused by another commit.
_WROTE = "pagecache_uncommitted_writes"


def mark_written(session: sa.orm.Session) -> None:
    session.info[_WROTE] = True


@sa.event.listens_for(sa.orm.Session, "after_flush")
def _wrote_on_flush(session: sa.orm.Session, flush_context) -> None:  # noqa: ANN001
    mark_written(session)


@sa.event.listens_for(sa.orm.Session, "do_orm_execute")
def _wrote_on_statement(state) -> None:  # noqa: ANN001
    if state.is_insert or state.is_update or state.is_delete:
        mark_written(state.session)


@sa.event.listens_for(sa.orm.Session, "after_transaction_end")
def _transaction_over(session: sa.orm.Session, transaction) -> None:  # noqa: ANN001
    if transaction.parent is None:  # committed or rolled back as a whole
        session.info.pop(_WROTE, None)


def _storable() -> bool:
    """Nothing is stored from a transaction with uncommitted writes (it is still served
    its own fresh values)."""
    from partybuild.extensions import db

    return not db.session.info.get(_WROTE)


def _size() -> int:
    # A deployment setting (0 turns the cache off, e.g. to time a page's full cost).
    return int(setting("PAGE_CACHE_SIZE"))


def get_or_make(key: Hashable, make: Callable[[], Any]) -> Any:
    """The cached value for ``key``, or ``make()`` stored under it."""
    found = get_many([key])
    if key in found:
        return found[key]
    value = make()
    put(key, value)
    return value


def _app_key() -> int:
    # One cache per app. Not id(app): a later app (the next test's) may reuse the id of
    # one gone, and its fresh database the same versions.
    app = current_app._get_current_object()
    if "pagecache" not in app.extensions:
        with _lock:
            app.extensions.setdefault("pagecache", next(_apps))
    return app.extensions["pagecache"]


def get_many(keys: "list[Hashable]") -> dict:
    """The cached values of those ``keys`` that are cached (for making the rest at once)."""
    if _size() <= 0:
        return {}
    app = _app_key()
    found = {}
    with _lock:
        for key in keys:
            full_key = (app, key)
            if full_key in _entries:
                _entries.move_to_end(full_key)
                found[key] = _entries[full_key]
    return found


def put(key: Hashable, value: Any) -> None:
    """Store ``value`` under ``key`` (made from data at least as new as the key says)."""
    size = _size()
    if size <= 0 or not _storable():
        return
    full_key = (_app_key(), key)
    with _lock:
        _entries[full_key] = value
        _entries.move_to_end(full_key)
        while len(_entries) > size:
            _entries.popitem(last=False)


def clear() -> None:
    with _lock:
        _entries.clear()


# --- rendered parts of signed-in pages -------------------------------------------------
# A page's body rendered once per data version and shared by every user whose view of it
# is the same (the key says who: role, branch scope). A CSRF token the render put in is
# stored as a slot and filled with this visitor's token on every hit.

_TOKEN_SLOT = "\x00csrf-token\x00"


def html(key: Hashable, render: Callable[[], str]) -> Markup:
    """``render()`` (a template's output) cached under ``key``, with this request's CSRF
    token in place of the one the render used. ``key`` must carry the version of every
    row the render reads and everything else it depends on (role, scope, arguments)."""
    from flask import g
    from flask_wtf.csrf import generate_csrf

    def make() -> str:
        field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        body = str(render())
        token = g.get(field)
        return body.replace(token, _TOKEN_SLOT) if token else body

    body = get_or_make(key, make)
    if _TOKEN_SLOT in body:
        body = body.replace(_TOKEN_SLOT, generate_csrf())
    return Markup(body)
