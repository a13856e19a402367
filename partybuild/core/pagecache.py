"""A small in-process cache for rendered public pages.

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

from flask import current_app

from partybuild.core.settings import setting

_lock = threading.Lock()
_regions: "dict[str, OrderedDict[Hashable, Any]]" = {}
_apps = itertools.count(1)
# Entries per region for each PAGE_CACHE_SIZE entry: a workbench entry is one panel's
# figures for one user, small and many.
_SCALE = {"pages": 1, "workbench": 8}


def _size(region: str) -> int:
    # A deployment setting (0 turns the cache off, e.g. to time a page's full cost).
    return int(setting("PAGE_CACHE_SIZE")) * _SCALE[region]


def get_or_make(key: Hashable, make: Callable[[], Any], region: str = "pages") -> Any:
    """The cached value for ``key`` (in ``region``), or ``make()`` stored under it."""
    size = _size(region)
    # One cache per app. Not id(app): a later app (the next test's) may reuse the id of
    # one gone, and its fresh database the same versions.
    app = current_app._get_current_object()
    if "pagecache" not in app.extensions:
        with _lock:
            app.extensions.setdefault("pagecache", next(_apps))
    full_key = (app.extensions["pagecache"], key)
    with _lock:
        entries = _regions.setdefault(region, OrderedDict())
    if size > 0:
        with _lock:
            if full_key in entries:
                entries.move_to_end(full_key)
                return entries[full_key]
    value = make()
    if size > 0:
        with _lock:
            entries[full_key] = value
            entries.move_to_end(full_key)
            while len(entries) > size:
                entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        for entries in _regions.values():
            entries.clear()
