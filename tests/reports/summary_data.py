"""Data for the work report and the pack: every domain, with rows on both sides of the
2026Q3 / 2026Q4 edge (30 September / 1 October, Asia/Shanghai)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from partybuild.commitments.models import (
    CommitmentEvent,
    CommitmentState,
    FulfilmentRecord,
    RatingLevel,
)
from partybuild.core.timeutil import LOCAL_TZ
from partybuild.extensions import db
from partybuild.greetings.models import Greeting
from partybuild.integrity.models import (
    Rectification,
    RectificationState,
    Reminder,
    RiskLevel,
    RiskPoint,
    RiskReview,
)
from partybuild.meetings.models import (
    KeyTask,
    Meeting,
    MeetingState,
    MeetingType,
    TaskSource,
    TaskState,
)
from partybuild.ratings import service as ratings_service
from partybuild.ratings.models import (
    ModelPost,
    Nomination,
    PostState,
    RatingRound,
    RoundPost,
    RoundState,
)
from tests.reports.conftest import add_commitment, add_ratings, at

S = CommitmentState


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


def meeting(
    branch: Any, mtype: MeetingType, starts: datetime, entitled: int, present: int
) -> Meeting:
    m = Meeting(
        branch_id=branch.id,
        type=mtype,
        title=f"{mtype.label}（{starts.astimezone(LOCAL_TZ):%m月%d日}）",
        state=MeetingState.held,
        starts_at=starts,
        place="三楼会议室",
        host="张承诺",
        recorder="李践诺",
        minutes="传达学习上级文件精神，研究部署下阶段工作。",
        entitled_count=entitled,
        present_count=present,
        quorum_met=present * 2 > entitled,
        held_at=starts + timedelta(hours=2),
    )
    db.session.add(m)
    return m


def build(ledger: SimpleNamespace, make_member: Callable) -> SimpleNamespace:
    """On top of the ledger fixture (branch A "第一党支部", branch B)."""
    org = ledger.org
    a = org.a
    q3_last, q4_first = date(2026, 9, 30), date(2026, 10, 1)

    # Meetings: committee July and August (September missing), a general assembly at
    # 23:30 on 30 September (Q3) and one at 00:30 on 1 October (Q4), a party lecture.
    meetings = [
        meeting(a, MeetingType.committee_meeting, local(date(2026, 7, 10), 9), 5, 5),
        meeting(a, MeetingType.committee_meeting, local(date(2026, 8, 12), 9), 5, 4),
        meeting(a, MeetingType.general_assembly, local(q3_last, 23, 30), 10, 8),
        meeting(a, MeetingType.general_assembly, local(q4_first, 0, 30), 10, 4),
        meeting(a, MeetingType.party_lecture, local(date(2026, 8, 20), 15), 10, 9),
    ]

    # Key tasks: one done in August, one due 15 September and done only on 5 October.
    late = KeyTask(
        branch_id=a.id, year=2026, title="完成信访积案化解专项行动", source=TaskSource.annual_plan,
        lead_member_id=ledger.a1.id, department_id=org.department.id,
        deadline=date(2026, 9, 15), original_deadline=date(2026, 9, 15),
        state=TaskState.done, completed_on=date(2026, 10, 5), days_late=20,
    )  # fmt: skip
    on_time = KeyTask(
        branch_id=a.id, year=2026, title="组织党员开展主题教育", source=TaskSource.annual_plan,
        lead_member_id=ledger.a1.id, department_id=org.department.id,
        deadline=date(2026, 8, 31), original_deadline=date(2026, 8, 31),
        state=TaskState.done, completed_on=date(2026, 8, 30),
    )  # fmt: skip
    db.session.add_all([late, on_time])

    # A commitment evaluated on 3 October after asking on 25 September, with a record
    # in August and a timeline; and a rating given on 2 October to c1.
    g1 = add_commitment(
        ledger.batch_a, ledger.a1, S.evaluated, submitted=date(2026, 7, 5),
        deadline=date(2026, 9, 20), score=97.0, grade="好", progress=100,
        content="三季度完成来信办理提速",
    )  # fmt: skip
    g1.evaluation_requested_at = at(date(2026, 9, 25))
    g1.evaluated_at = at(date(2026, 10, 3))
    db.session.add(
        FulfilmentRecord(
            commitment_id=g1.id, recorded_on=date(2026, 8, 1), text="办理提速", progress=50
        )
    )
    for state, day in (
        (S.submitted, date(2026, 7, 5)),
        (S.published, date(2026, 7, 5)),
        (S.in_progress, date(2026, 8, 1)),
        (S.awaiting_evaluation, date(2026, 9, 25)),
        (S.evaluated, date(2026, 10, 3)),
    ):
        db.session.add(
            CommitmentEvent(
                commitment_id=g1.id,
                action="x",
                to_state=state,
                actor_name="测试",
                created_at=at(day),
            )
        )
    add_ratings(ledger.c["c1"], RatingLevel.unsatisfied)
    db.session.flush()
    from partybuild.commitments.models import PublicRating

    late_rating = db.session.query(PublicRating).order_by(PublicRating.id.desc()).first()
    late_rating.rated_on = date(2026, 10, 2)

    # Integrity: a point (中) reviewed 20 September (高) and 10 October (低); a
    # rectification opened 21 September, due 28 September, verified 5 October;
    # reminders on 30 September and 1 October.
    point = RiskPoint(
        branch_id=a.id, post_id=org.post.id, category="power", title="信访事项受理不规范",
        level=RiskLevel.medium, next_review_on=date(2027, 1, 10), owner_name="张承诺",
        created_at=at(date(2026, 6, 1)),
    )  # fmt: skip
    db.session.add(point)
    db.session.flush()
    db.session.add_all(
        [
            RiskReview(risk_point_id=point.id, branch_id=a.id, reviewed_on=date(2026, 9, 20),
                       level=RiskLevel.high, next_review_on=date(2026, 10, 10)),
            RiskReview(risk_point_id=point.id, branch_id=a.id, reviewed_on=date(2026, 10, 10),
                       level=RiskLevel.low, next_review_on=date(2027, 1, 10)),
        ]
    )  # fmt: skip
    db.session.add(
        Rectification(
            risk_point_id=point.id, branch_id=a.id, problem="登记不全", measure="补登记",
            responsible_id=ledger.a1.id, opened_on=date(2026, 9, 21), deadline=date(2026, 9, 28),
            state=RectificationState.verified, done_at=at(date(2026, 10, 4)),
            verified_at=at(date(2026, 10, 5)), verified_by_id=ledger.users.secretary.id,
        )
    )  # fmt: skip
    for day in (q3_last, q4_first):
        db.session.add(
            Reminder(branch_id=a.id, member_id=ledger.a2.id, talked_on=day, reminder_name="张承诺",
                     reason="节前廉政提醒")
        )  # fmt: skip

    # Greetings: one member's political birthday on 30 September (greeted, cake), another's
    # on 1 October. a1 and a2 (joined 1 July 2005) have theirs on 1 July, not greeted.
    sept = make_member(branch=a, name="秋党员", joined_on=date(2005, 9, 30))
    octo = make_member(branch=a, name="国党员", joined_on=date(2005, 10, 1))
    db.session.add_all(
        [
            Greeting(member_id=sept.id, branch_id=a.id, anniversary_on=q3_last, years=21,
                     title="政治生日快乐", card_text="祝贺", gift_kind="cake",
                     gift_handed_on=q3_last, gift_handed_by="张承诺"),
            Greeting(member_id=octo.id, branch_id=a.id, anniversary_on=q4_first, years=21,
                     title="政治生日快乐", card_text="祝贺"),
        ]
    )  # fmt: skip

    # Model posts: one designated in 2025; a round closing 28 September (closed then)
    # and one closing 5 October.
    post = ModelPost(
        branch_id=a.id, title="信访接待党员示范岗", nomination=Nomination.branch,
        state=PostState.designated, approved_at=at(date(2025, 3, 1)),
        announced_on=date(2025, 3, 2), objection_end_on=date(2025, 3, 9), plaque_no="SF-001",
        designated_on=date(2025, 3, 10), term_end_on=date(2027, 3, 10),
    )  # fmt: skip
    db.session.add(post)
    db.session.flush()
    five = next(s for s in ratings_service.ensure_default_sets() if s.code == "five")
    rounds = []
    for title, closes, closed_at in (
        ("三季度测评", date(2026, 9, 28), at(date(2026, 9, 28))),
        ("国庆测评", date(2026, 10, 5), at(date(2026, 10, 5))),
    ):
        rnd = RatingRound(
            branch_id=a.id, title=title, criterion_set_id=five.id, leader_weight=40,
            peer_weight=30, public_weight=30, min_raters=1, opens_on=closes - timedelta(days=10),
            closes_on=closes, state=RoundState.closed, opened_at=at(closes - timedelta(days=10)),
            closed_at=closed_at,
        )  # fmt: skip
        db.session.add(rnd)
        db.session.flush()
        criteria = {str(c.id): 92.5 for c in five.criteria}
        detail = {
            "groups": [
                {"group": g, "weight": w, "count": 3, "shown": True, "score": 92.5,
                 "criteria": criteria}
                for g, w in (("leader", 40), ("peer", 30), ("public", 30))
            ],
            "criteria": criteria,
        }  # fmt: skip
        db.session.add(
            RoundPost(round_id=rnd.id, model_post_id=post.id, score=92.5, grade="优秀", rank=1,
                      detail=detail)
        )  # fmt: skip
        rounds.append(rnd)
    db.session.commit()
    return SimpleNamespace(
        ledger=ledger, meetings=meetings, late=late, on_time=on_time, g1=g1, point=point,
        sept=sept, octo=octo, post=post, rounds=rounds,
    )  # fmt: skip
