"""Ratings fixtures: branch A with designated model posts, raters, and a round."""

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.ratings import service
from partybuild.ratings.models import ModelPost


class RatingWorld:
    def __init__(self, org: Any, make_user: Callable, make_member: Callable) -> None:
        self.org = org
        self._browsers = itertools.count()
        self.today = local_today()
        self.make_user, self.make_member = make_user, make_member
        self.secretary = make_user("secretary", branch=org.a)
        self.admin = make_user("admin")
        self.reviewer = make_user("reviewer")
        self.other_secretary = make_user("secretary", branch=org.b)
        self.holders = [make_member(branch=org.a, name=f"示范{i}") for i in range(3)]
        self.holder_users = [make_user("member", member=m) for m in self.holders]
        self.peers = [make_member(branch=org.a, name=f"同事{i}") for i in range(4)]
        self.peer_users = [make_user("member", member=m) for m in self.peers]
        self.leaders = [
            make_member(branch=org.b, name=f"领导{i}", is_leader=True) for i in range(3)
        ]
        self.leader_users = [make_user("member", member=m, branch=org.b) for m in self.leaders]
        self.posts = [self.designated(m, f"信访接待示范岗{i}") for i, m in enumerate(self.holders)]
        db.session.commit()
        self.sets = service.ensure_default_sets()
        db.session.commit()
        self.five = next(s for s in self.sets if s.code == "five")

    def post(self, holder: Any, title: str = "示范岗") -> ModelPost:
        post = service.nominate_post(
            self.org.a,
            {
                "title": title,
                "kind": "individual",
                "duties": "接待来访群众",
                "promises": "热情服务",
            },
            [holder.id],
            self.secretary,
        )
        db.session.commit()
        return post

    def designated(self, holder: Any, title: str = "示范岗") -> ModelPost:
        post = self.post(holder, title)
        service.approve_post(post, self.secretary)
        service.announce_post(post, self.secretary, today=self.today - timedelta(days=30))
        service.designate_post(post, self.secretary)
        db.session.commit()
        return post

    def round(self, *, weights=(40, 30, 30), open_=True, posts=None, title="2026年上半年测评"):
        data = {
            "title": title,
            "criterion_set_id": self.five.id,
            "leader_weight": weights[0],
            "peer_weight": weights[1],
            "public_weight": weights[2],
            "opens_on": self.today - timedelta(days=1),
            "closes_on": self.today + timedelta(days=10),
        }
        rnd = service.create_round(
            self.org.a, data, [p.id for p in (posts or self.posts)], self.secretary
        )
        service.assign_raters(rnd, "leader", [m.id for m in self.leaders], self.secretary)
        service.assign_raters(
            rnd, "peer", [m.id for m in self.peers + self.holders], self.secretary
        )
        if open_:
            service.open_round(rnd, self.secretary)
        db.session.commit()
        return rnd

    def scores(self, rnd, value: int) -> dict[str, int]:
        return {f"c{c.id}": value for c in rnd.criterion_set.criteria}

    def rate(self, rnd, post, user, value: int) -> None:
        service.submit_rating(rnd, post, user, {c.id: value for c in rnd.criterion_set.criteria})
        db.session.commit()

    def public(self, rnd, post, value: int, n: int, ip: str = "10.0.0.{i}") -> None:
        for i in range(n):
            service.add_public_rating(
                rnd, post, {c.id: value for c in rnd.criterion_set.criteria}, "",
                browser_id=f"browser-{next(self._browsers)}", ip=ip.format(i=i),
            )  # fmt: skip
        db.session.commit()


@pytest.fixture
def rw(org: Any, make_user: Callable, make_member: Callable) -> RatingWorld:
    return RatingWorld(org, make_user, make_member)
