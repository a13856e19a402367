"""Helpers for greetings tests: members with a given joining date, runs on a local day."""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from partybuild.core import jobs
from partybuild.core.timeutil import LOCAL_TZ
from partybuild.extensions import db


def at_local(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """An aware datetime at a local (Asia/Shanghai) time."""
    return datetime.combine(day, time(hour, minute), LOCAL_TZ)


@pytest.fixture
def joined(make_member: Callable[..., Any]) -> Callable[..., Any]:
    """A full member who joined on ``on`` (full membership a year later)."""

    def make(on: date, **kw: Any) -> Any:
        kw.setdefault("birth_on", date(on.year - 25, 5, 5))
        if kw.get("full", True):
            kw.setdefault("full_member_on", on + timedelta(days=366))
        return make_member(joined_on=on, **kw)

    return make


@pytest.fixture
def greet() -> Callable[..., Any]:
    """Run the greetings job by hand for one local day; return the JobRun."""

    def run(day: date, **kw: Any) -> jobs.JobRun:
        kw.setdefault("trigger", jobs.Trigger.manual)
        return jobs.run_job("greetings", at_local(day), day=day, **kw)

    return run


def greetings_for(member: Any) -> list[Any]:
    from partybuild.greetings.models import Greeting

    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Greeting).where(Greeting.member_id == member.id).order_by(Greeting.id)
        )
    )
