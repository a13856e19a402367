"""The greetings job works in batches: its statements do not grow with the number of
birthdays, and the audit log still names every member greeted."""

from datetime import date

import sqlalchemy as sa

from partybuild.core import audit
from partybuild.extensions import db
from partybuild.greetings import service

DAY = date(2026, 7, 1)


def _birthday_members(joined, make_user, count: int, prefix: str) -> list:
    members = []
    for i in range(count):
        m = joined(date(1980 + i % 40, 7, 1), name=f"{prefix}{i}")
        make_user("member", member=m)
        members.append(m)
    return members


def test_statements_do_not_grow_with_birthdays(app, joined, make_user, query_counter):
    _birthday_members(joined, make_user, 3, "甲")
    make_user("secretary")
    db.session.commit()
    with query_counter() as few:
        counts = service.greet_day(DAY)
    db.session.rollback()
    assert counts["greeted"] == 3

    _birthday_members(joined, make_user, 30, "乙")
    db.session.commit()
    with query_counter() as many:
        counts = service.greet_day(DAY)
    db.session.rollback()
    assert counts["greeted"] == 33
    assert len(many.statements) == len(few.statements), many.statements


def test_audit_names_everyone_greeted_and_the_chain_verifies(app, auth, joined, make_user):
    members = _birthday_members(joined, make_user, 4, "寿星")
    counts = service.greet_day(DAY)
    db.session.commit()
    assert counts["greeted"] == 4
    assert audit.verify_chain().ok

    auth.login("admin")
    page = auth._client.get("/audit?object_type=greeting").get_data(as_text=True)
    for m in members:
        assert m.name in page

    # A second run greets nobody and audits nothing more.
    entries = db.session.scalar(sa.select(sa.func.count(audit.AuditEntry.id)))
    again = service.greet_day(DAY)
    db.session.commit()
    assert again.get("greeted", 0) == 0 and again["already"] == 4
    assert db.session.scalar(sa.select(sa.func.count(audit.AuditEntry.id))) == entries
