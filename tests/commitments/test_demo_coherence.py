"""Issue 10, point 10: demo records fit what they record (a record under "信访事项按期办结"
is about 信访 cases, not "完成学习笔记15篇"), and so do the public's comments and the
leaders' names."""

import re

import sqlalchemy as sa

from partybuild.auth import demo as auth_demo
from partybuild.commitments import demo
from partybuild.commitments.models import (
    Commitment,
    Evaluation,
    EvaluationKind,
    FulfilmentRecord,
    PublicRating,
)
from partybuild.extensions import db
from partybuild.org import demo as org_demo
from partybuild.org.models import Member


def _pattern(template: str) -> re.Pattern:
    return re.compile(
        re.sub(r"\\\{(small|n|big)\\\}", r"\\d+", re.escape(template)).join(("^", "$"))
    )


def test_every_demo_record_comment_and_leader_fits_its_commitment(app):
    org_demo.seed()
    auth_demo.seed()
    demo.seed()
    db.session.commit()

    records = db.session.execute(
        sa.select(Commitment.content, FulfilmentRecord.text).join(
            FulfilmentRecord, FulfilmentRecord.commitment_id == Commitment.id
        )
    ).all()
    assert len(records) > 100
    for content, text in records:
        assert any(_pattern(t).match(text) for t in demo.RECORDS[content]), (content, text)
    # The complaint from the issue cannot happen.
    assert not any("学习笔记" in t for c, t in records if c == "信访事项按期办结")

    comments = db.session.execute(
        sa.select(Commitment.category, PublicRating.comment)
        .join(PublicRating, PublicRating.commitment_id == Commitment.id)
        .where(PublicRating.comment != "")
    ).all()
    assert comments
    for category, comment in comments:
        assert comment in demo.COMMENTS[category], (category, comment)

    leaders = {
        f"{name}（{title}）"
        for name, title in db.session.execute(
            sa.select(Member.name, Member.title).where(Member.is_leader.is_(True))
        )
    }
    given = db.session.execute(
        sa.select(Evaluation.evaluator_name, Member.name)
        .join(Commitment, Commitment.id == Evaluation.commitment_id)
        .join(Member, Member.id == Commitment.member_id)
        .where(Evaluation.kind == EvaluationKind.leader)
    ).all()
    assert given
    for evaluator, member_name in given:
        assert evaluator in leaders and not evaluator.startswith(f"{member_name}（")


def test_demo_meetings_and_reminders_fit_their_kind(app):
    from partybuild.integrity import demo as integrity_demo
    from partybuild.integrity.models import Reminder, RiskPoint
    from partybuild.meetings import demo as meetings_demo
    from partybuild.meetings.models import Meeting, MeetingType

    org_demo.seed()
    auth_demo.seed()
    meetings_demo.seed()
    integrity_demo.seed()
    db.session.commit()
    lectures = db.session.scalars(
        sa.select(Meeting).where(Meeting.type == MeetingType.party_lecture)
    ).all()
    assert lectures
    for m in lectures:
        assert "党课" in " ".join(i.title for i in m.agenda)
        assert not m.minutes or "党课" in m.minutes
    talks = db.session.execute(
        sa.select(Reminder.reason, RiskPoint.title).join(
            RiskPoint, RiskPoint.id == Reminder.risk_point_id
        )
    ).all()
    topics = {reason: topic for reason, topic, _ in integrity_demo.REMINDERS}
    for reason, title in talks:
        assert topics[reason] in title, (reason, title)
