"""One module per document; each registers its ReportKind on import (see registry)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from partybuild.reports.registry import Progress, ReportParams

T = TypeVar("T")

# Progress is reported every this many rows (and once at the end).
PROGRESS_EVERY = 250


def tracked(rows: Iterable[T], total: int, progress: Progress) -> Iterator[T]:
    """Yield ``rows`` unchanged, calling ``progress(done, total)`` now and then."""
    done = 0
    for done, row in enumerate(rows, start=1):  # noqa: B007 - done is used after the loop
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
        yield row
    progress(done, max(total, done))


def percent(part: int, whole: int) -> str:
    """ "95.2%" (one decimal), or "—" when there is nothing to divide by."""
    if not whole:
        return "—"
    return f"{part * 100 / whole:.1f}%"


def rate_text(rate: float | None) -> str:
    """A rate already computed (0.952 → "95.2%"), or "—" when there is none."""
    if rate is None:
        return "—"
    return f"{rate * 100:.1f}%"


def signers(params: ReportParams) -> tuple[str, ...]:
    """Sign-off lines of a ledger: who filled it in, who checked it, and the branch
    secretary (the higher-level organisation's leader for every branch at once)."""
    head = "支部书记（签字）" if params.branch is not None else "负责人（签字）"
    return ("填报人", "审核人", head)
