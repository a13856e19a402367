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


def test_each_greeting_notification_links_to_its_own_card(app, joined, make_user):
    from partybuild.core.notifications import Notification
    from partybuild.greetings.models import Greeting

    members = _birthday_members(joined, make_user, 3, "丙")
    service.greet_day(DAY)
    db.session.commit()
    greetings = {g.member_id: g for g in db.session.scalars(sa.select(Greeting))}
    notes = db.session.scalars(sa.select(Notification).where(Notification.kind == "greeting"))
    links = {n.dedupe_key: n.link for n in notes}
    assert len(links) == 3
    for m in members:
        g = greetings[m.id]
        assert links[f"greeting:{m.id}:{g.years}"] == service.card_path(g.id)
        assert service.card_path(g.id).endswith(f"/{g.id}")


def test_the_job_logs_a_day_done_with_its_greetings(app, joined, make_user):
    from datetime import datetime, time

    from partybuild.core import jobs
    from partybuild.core.timeutil import LOCAL_TZ
    from partybuild.greetings.models import Greeting

    _birthday_members(joined, make_user, 2, "丁")
    db.session.commit()
    run = jobs.run_job("greetings", datetime.combine(DAY, time(7, 30), LOCAL_TZ), day=DAY)
    assert run.error == "" and run.counts["greeted"] == 2
    assert run.done_through == DAY and run.days == [DAY.isoformat()]
    db.session.rollback()  # everything the run did is committed
    assert db.session.scalar(sa.select(sa.func.count(Greeting.id))) == 2


def test_a_run_commits_twice_and_a_failed_day_greets_nobody(
    app, joined, make_user, monkeypatch, commits_that_wrote
):
    from datetime import datetime, time

    from partybuild.core import jobs
    from partybuild.core.notifications import Notification
    from partybuild.core.timeutil import LOCAL_TZ
    from partybuild.greetings.models import Greeting

    _birthday_members(joined, make_user, 3, "戊")
    make_user("secretary")
    db.session.commit()
    entries = db.session.scalar(sa.select(sa.func.count(audit.AuditEntry.id)))
    moment = datetime.combine(DAY, time(7, 30), LOCAL_TZ)

    def unavailable(day, by_branch) -> None:  # noqa: ANN001
        raise RuntimeError("通知服务不可用")

    # The secretaries' digests fail after the greetings were written: the whole day
    # is rolled back, and the run log says why.
    monkeypatch.setattr(service, "_notify_secretaries", unavailable)
    run = jobs.run_job("greetings", moment, day=DAY)
    assert run.outcome == jobs.Outcome.failed and "RuntimeError: 通知服务不可用" in run.error
    assert run.done_through is None and run.counts == {}
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Greeting.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(audit.AuditEntry.id))) == entries

    # Once it works again: everyone greeted, the secretary told, in two commits (the
    # "running" row, then the day with the run's end; no mail server, no after-work).
    monkeypatch.undo()
    with commits_that_wrote() as commits:
        run = jobs.run_job("greetings", moment, day=DAY)
    assert commits == [False, True]
    assert run.outcome == jobs.Outcome.success and run.error == ""
    assert run.counts == {"found": 3, "greeted": 3, "notified": 3}
    kinds = db.session.scalars(sa.select(Notification.kind)).all()
    assert sorted(kinds) == ["greeting"] * 3 + ["greeting_digest"]
    assert audit.verify_chain().ok
