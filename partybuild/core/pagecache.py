"""A small in-process cache for rendered public pages.

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

from flask import current_app

from partybuild.core.settings import setting

_lock = threading.Lock()
_entries: "OrderedDict[Hashable, Any]" = OrderedDict()
_apps = itertools.count(1)


def _size() -> int:
    # A deployment setting (0 turns the cache off, e.g. to time a page's full cost).
    return int(setting("PAGE_CACHE_SIZE"))


def get_or_make(key: Hashable, make: Callable[[], Any]) -> Any:
    """The cached value for ``key``, or ``make()`` stored under it."""
    size = _size()
    # One cache per app. Not id(app): a later app (the next test's) may reuse the id of
    # one gone, and its fresh database the same versions.
    app = current_app._get_current_object()
    if "pagecache" not in app.extensions:
        with _lock:
            app.extensions.setdefault("pagecache", next(_apps))
    full_key = (app.extensions["pagecache"], key)
    if size > 0:
        with _lock:
            if full_key in _entries:
                _entries.move_to_end(full_key)
                return _entries[full_key]
    value = make()
    if size > 0:
        with _lock:
            _entries[full_key] = value
            _entries.move_to_end(full_key)
            while len(_entries) > size:
                _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
