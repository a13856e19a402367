"""Where each domain shows itself: an entry in the navigation bar and a card on the
home page. A domain registers its entries in its ``views.py`` beside its blueprint;
pages show only the entries whose route the user may open (``can_open``)."""

from dataclasses import dataclass

from partybuild.core.permissions import can_open


@dataclass(frozen=True)
class Entry:
    endpoint: str
    label: str
    text: str = ""  # the home card's line; empty: no card
    order: int = 50
    in_nav: bool = True


_ENTRIES: dict[str, Entry] = {}


def register(*entries: Entry) -> None:
    for entry in entries:
        _ENTRIES[entry.endpoint] = entry


def nav_entries() -> list[Entry]:
    return [e for e in _sorted() if e.in_nav and can_open(e.endpoint)]


def home_cards() -> list[Entry]:
    return [e for e in _sorted() if e.text and can_open(e.endpoint)]


def _sorted() -> list[Entry]:
    return sorted(_ENTRIES.values(), key=lambda e: (e.order, e.endpoint))
