"""Integrity fixtures: users around branch A's 信访接待岗, and points put in place."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.integrity import service
from partybuild.integrity.models import Rectification, RiskPoint


class World:
    def __init__(self, org: Any, make_user: Callable, make_member: Callable) -> None:
        self.org = org
        self.today = local_today()
        post = org.post
        self.owner_member = make_member(
            branch=org.a, name="李岗位", department_id=post.department_id, post_id=post.id
        )
        self.other_member = make_member(branch=org.a, name="王旁人")
        self.b_member = make_member(
            branch=org.b, name="赵二支", department_id=post.department_id, post_id=post.id
        )
        self.users = {
            "owner": make_user("member", member=self.owner_member),
            "secretary": make_user("secretary", branch=org.a),
            "deputy": make_user("secretary", branch=org.a),
            "admin": make_user("admin"),
            "reviewer": make_user("reviewer"),
            "other_secretary": make_user("secretary", branch=org.b),
            "other_member": make_user("member", member=self.other_member),
            "b_member": make_user("member", branch=org.b, member=self.b_member),
        }

    def point(self, branch=None, **data: Any) -> RiskPoint:
        branch = branch or self.org.a
        values = {
            "post_id": self.org.post.id,
            "category": "power",
            "title": "信访事项受理中优亲厚友",
            "manifestation": "对熟人反映的事项优先办理",
            "likelihood": 4,
            "impact": 4,
            "owner_id": self.owner_member.id if branch.id == self.org.a.id else None,
            "leader_name": "局长",
        } | data
        secretary = self.users["secretary" if branch.id == self.org.a.id else "other_secretary"]
        point = service.create_point(branch, values, secretary)
        service.add_control(point, {"text": "受理登记全程留痕"}, secretary)
        db.session.commit()
        return point

    def rectification(self, point: RiskPoint | None = None, **data: Any) -> Rectification:
        point = point or self.point()
        values = {
            "problem": "登记不全",
            "measure": "补录登记并每周抽查",
            "responsible_id": self.owner_member.id,
            "deadline": self.today + timedelta(days=10),
        } | data
        r = service.open_rectification(point, values, self.users["secretary"])
        db.session.commit()
        return r


@pytest.fixture
def world(org: Any, make_user: Callable, make_member: Callable) -> World:
    return World(org, make_user, make_member)
