"""A small in-process cache for rendered pages and the figures behind them.

Keys carry a version (e.g. a branch's ``public_version``) that the data's owner bumps
in the same transaction as every change, so an entry can never be served stale: a
change makes a new key and the old entry simply ages out of the LRU. Each worker
process has its own cache; nothing here is shared between processes.

Entries live in regions, each its own LRU: the per-user figures of the workbench
(region ``"workbench"``) cannot push the public board's rendered pages out.
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
_regions: "dict[str, OrderedDict[Hashable, Any]]" = {}
_apps = itertools.count(1)
# Entries per region for each PAGE_CACHE_SIZE entry: a workbench entry is one panel's
# figures for one user, small and many.
_SCALE = {"pages": 1, "workbench": 8}


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
    """Nothing is stored from, nor served to, a transaction with uncommitted writes."""
    from partybuild.extensions import db

    return not db.session.info.get(_WROTE)


def _size(region: str) -> int:
    # A deployment setting (0 turns the cache off, e.g. to time a page's full cost).
    return int(setting("PAGE_CACHE_SIZE")) * _SCALE[region]


def get_or_make(key: Hashable, make: Callable[[], Any], region: str = "pages") -> Any:
    """The cached value for ``key`` (in ``region``), or ``make()`` stored under it."""
    found = get_many([key], region)
    if key in found:
        return found[key]
    value = make()
    put(key, value, region)
    return value


def _app_key() -> int:
    # One cache per app. Not id(app): a later app (the next test's) may reuse the id of
    # one gone, and its fresh database the same versions.
    app = current_app._get_current_object()
    if "pagecache" not in app.extensions:
        with _lock:
            app.extensions.setdefault("pagecache", next(_apps))
    return app.extensions["pagecache"]


def get_many(keys: "list[Hashable]", region: str = "pages") -> dict:
    """The cached values of those ``keys`` that are cached (for making the rest at once)."""
    if _size(region) <= 0 or not _storable():
        return {}  # a transaction that has written reads its own rows, not the cache
    app = _app_key()
    found = {}
    with _lock:
        entries = _regions.setdefault(region, OrderedDict())
        for key in keys:
            full_key = (app, key)
            if full_key in entries:
                entries.move_to_end(full_key)
                found[key] = entries[full_key]
    return found


def put(key: Hashable, value: Any, region: str = "pages") -> None:
    """Store ``value`` under ``key`` (made from data at least as new as the key says)."""
    size = _size(region)
    if size <= 0 or not _storable():
        return
    full_key = (_app_key(), key)
    with _lock:
        entries = _regions.setdefault(region, OrderedDict())
        entries[full_key] = value
        entries.move_to_end(full_key)
        while len(entries) > size:
            entries.popitem(last=False)


def clear() -> None:
    with _lock:
        for entries in _regions.values():
            entries.clear()


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
