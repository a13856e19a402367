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
                             roles=frozenset({Role.secretary, Role.admin}), order=40))
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

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

    @property
    def is_empty(self) -> bool:
        return not self.items and self.template is None


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


_PANELS: dict[str, Panel] = {}


def register(*panels: Panel) -> None:
    for panel in panels:
        _PANELS[panel.key] = panel


def panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.key))


def panels_for(user: Any, today: date) -> list[tuple[Panel, PanelData]]:
    """The user's panels with their data, in order; empty panels are left out."""
    found = []
    for panel in panels():
        if user.role not in panel.roles:
            continue
        data = panel.build(user, today)
        if data is not None and not data.is_empty:
            found.append((panel, data))
    return found
