"""Meeting fixtures: branch A with members and a secretary, and helpers that put a
meeting or a key task into any state."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from partybuild.core.timeutil import LOCAL_TZ, local_today
from partybuild.extensions import db
from partybuild.meetings import service
from partybuild.meetings.models import KeyTask, Meeting, MeetingType
from partybuild.org.models import CommitteeMember


def local(y: int, mo: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LOCAL_TZ)


class World:
    def __init__(self, org: Any, make_user: Callable, make_member: Callable) -> None:
        self.org = org
        self.today = local_today()
        self.members = [make_member(branch=org.a, name=f"党员{n}") for n in range(1, 5)]
        self.probationary = make_member(branch=org.a, name="预备党员甲", full=False)
        self.leader = make_member(branch=org.a, name="李局长", title="局长", is_leader=True)
        self.other_branch_member = make_member(branch=org.b, name="乙支部党员")
        self.users = {
            "secretary": make_user("secretary", branch=org.a),
            "member": make_user("member", member=self.members[0]),
            "leader": make_user("member", member=self.leader),
            "admin": make_user("admin"),
            "reviewer": make_user("reviewer"),
            "other_secretary": make_user("secretary", branch=org.b),
        }
        self.secretary = self.users["secretary"]
        # Branch A's committee (支部委员会): the members a 支委会 expects.
        self.committee = self.members[:3]
        posts = ("secretary", "organization", "propaganda")
        for member, post in zip(self.committee, posts, strict=True):
            db.session.add(CommitteeMember(branch_id=org.a.id, member_id=member.id, post=post))
        db.session.commit()

    def meeting(
        self,
        mtype: MeetingType = MeetingType.general_assembly,
        starts_at: datetime | None = None,
        **kw: Any,
    ) -> Meeting:
        data = {
            "type": mtype.value,
            "title": kw.pop("title", f"{mtype.label}"),
            "starts_at": starts_at or datetime.now(LOCAL_TZ).replace(second=0, microsecond=0),
            "ends_at": kw.pop("ends_at", None),
            "place": "三楼会议室",
            "host": "书记",
            "recorder": "组织委员",
            "lecturer": kw.pop("lecturer", "李局长" if mtype == MeetingType.party_lecture else ""),
            "agenda": kw.pop("agenda", "学习传达上级精神\n研究下季度工作"),
            **kw,
        }
        m = service.plan_meeting(self.org.a, data, self.secretary)
        db.session.commit()
        return m

    def hold(
        self, m: Meeting, present: int | None = None, minutes: str = "与会同志逐一发言。"
    ) -> None:
        """Record attendance: the first ``present`` members present, the rest absent."""
        rows = list(m.attendance)
        present = len(rows) if present is None else present
        entries = [
            (a.member_id, "present" if i < present else "absent", "") for i, a in enumerate(rows)
        ]
        service.record_meeting(m, {"attendance": entries, "minutes": minutes}, self.secretary)
        db.session.commit()

    def approved(self, **kw: Any) -> Meeting:
        m = self.meeting(**kw)
        self.hold(m)
        service.approve_minutes(m, self.secretary)
        db.session.commit()
        return m

    def task(self, deadline: date | None = None, **kw: Any) -> KeyTask:
        data = {
            "title": kw.pop("title", "推进信访积案化解"),
            "description": "",
            "lead_member_id": self.leader.id,
            "department_id": self.org.department.id,
            "deadline": deadline or self.today + timedelta(days=30),
            **kw,
        }
        t = service.create_task(self.org.a, data, self.secretary)
        db.session.commit()
        return t


@pytest.fixture
def world(org: Any, make_user: Callable, make_member: Callable) -> World:
    return World(org, make_user, make_member)
