"""The workbench (工作台): each role's home page is built from panels that the domains
contribute. A domain registers its panels in its ``views.py`` (beside its navigation
entries); the home page shows the panels whose ``roles`` include the user's role and
whose builder returns something.

A builder takes the user and the local day and returns a :class:`PanelData`: counts
that each link to exactly the filtered list where the work is done, optional lines
(e.g. "next meeting: …") and optionally a template partial with extra context for
richer content (the reviewer's branch table, a chart). Builders run a fixed number of
queries whatever the data size, scoped to ``user.branch_scope``.

    def secretary_panel(user, today):
        counts = ...one grouped query...
        return PanelData(items=[
            Item("待审核的承诺", counts.submitted,
                 url_for("commitments.overview", state="submitted"), tone="warning"),
        ])

    workbench.register(Panel("commitments.todo", "承诺践诺", secretary_panel,
                             roles=frozenset({Role.secretary, Role.admin}), order=40,
                             reads=("commitments", "org")))

A panel that names the data versions it ``reads`` (see core/dataversion.py) is cached:
its PanelData is kept per user, local day, settings and the versions of those names, so
a warm home page runs no panel query at all. Such a builder must read nothing beyond
those names' tables, and return plain values only (no ORM rows: the entry outlives the
session; :class:`Ref` stands for a row the template names and links). A panel that
depends on the time of day sets ``cache=False``: its names are still read in the home
page's one version query, and the builder caches its own figures with
``dataversion.cached``. Every version the page needs is read in ONE query.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from partybuild.core import dataversion, pagecache
from partybuild.core import settings as settings_store
from partybuild.core.permissions import Role

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    label: str
    count: int | None  # None: a line without a number
    url: str | None = None
    tone: str = "secondary"  # Bootstrap tone: danger (overdue), warning (to do), success …
    hint: str = ""


@dataclass
class PanelData:
    items: list[Item] = field(default_factory=list)
    template: str | None = None  # a partial rendered inside the panel, with ``context``
    context: dict[str, Any] = field(default_factory=dict)
    scripts: tuple[str, ...] = ()  # static paths the page loads once (e.g. a chart)
    html: str = ""  # the panel drawn once, kept with a cached panel's data

    @property
    def is_empty(self) -> bool:
        return not self.items and self.template is None


@dataclass(frozen=True)
class Ref:
    """A row named and linked by a panel's template (a branch, a round): plain values,
    safe to cache."""

    id: int
    name: str


Builder = Callable[[Any, date], PanelData | None]


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    build: Builder
    roles: frozenset[Role]
    order: int = 50
    link: str | None = None  # endpoint of the domain's main page, for the panel's title
    wide: bool = False  # the full width (a table, a chart) instead of half
    reads: tuple[str, ...] = ()  # data version names covering every row the builder reads
    cache: bool = True  # with ``reads``: keep the PanelData (False: the builder caches)


_PANELS: dict[str, Panel] = {}


def register(*panels: Panel) -> None:
    for panel in panels:
        _PANELS[panel.key] = panel


def panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.key))


def _drawn(panel: Panel, data: PanelData | None) -> PanelData | None:
    """A cached panel is drawn once with its data: a branch table of a whole bureau costs
    more to render than to read from the cache."""
    if data is not None and not data.is_empty:
        from flask import render_template
        from markupsafe import Markup

        data.html = Markup(render_template("core/_panel.html", panel=panel, data=data))
    return data


def _user_key(user: Any) -> tuple:
    """Everything about the user a builder may depend on (an edited account, a new
    role or branch, makes a new key)."""
    scope = user.branch_scope
    return (
        user.id,
        str(user.role),
        None if scope is None else tuple(scope),
        user.branch_id,
        user.member_id,
        bool(getattr(user, "acts_for_secretaries", False)),
    )


def panels_for(user: Any, today: date, *also: str) -> list[tuple[Panel, PanelData]]:
    """The user's panels with their data, in order; empty panels are left out.

    The data versions of every panel (and ``also``: names the rest of the page reads)
    and the stored settings' version are read in one query; a cached panel is then
    built only when one of its names changed since, or the day or a setting did."""
    mine = [panel for panel in panels() if user.role in panel.roles]
    names = {name for panel in mine for name in panel.reads} | set(also)
    versions, stored = dataversion.prefetch(names, *settings_store.version_columns())
    settings_store.use_version(tuple(stored))
    common = (_user_key(user), today, tuple(stored), settings_store.config_key())
    found = []
    for panel in mine:
        if panel.reads and panel.cache:
            key = ("workbench", panel.key, common, tuple(versions[n] for n in panel.reads))
            data = pagecache.get_or_make(
                key, lambda panel=panel: _drawn(panel, panel.build(user, today)), "workbench"
            )
        else:
            data = panel.build(user, today)
        if data is not None and not data.is_empty:
            found.append((panel, data))
    return found
