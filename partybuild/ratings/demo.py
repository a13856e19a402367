"""Demo model posts: three designated posts per branch with service logs (175 public
demands handled in all, as in the source article), a closed rating round with frozen
results and an open one, rated by leaders, peers and the public. Idempotent."""

import itertools
import logging
import random
from datetime import timedelta

import sqlalchemy as sa

from partybuild.auth.models import User
from partybuild.core.permissions import Role
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Member
from partybuild.ratings import service
from partybuild.ratings.models import (
    ModelPost,
    RaterGroup,
    RatingReceipt,
    RatingRound,
    RatingScore,
    RatingSheet,
    RoundRater,
)

logger = logging.getLogger(__name__)

POSTS = [
    ("信访接待党员示范岗", "负责来访群众登记、接谈、分流和答复", "首问负责、热情接待、限时答复"),
    ("网上信访党员先锋岗", "受理网上信访事项，按期告知和回复", "7日内受理告知，件件有回音"),
    ("积案化解党员示范岗", "牵头化解疑难信访积案，跟踪督办", "一案一策，案结事了"),
]
DEMANDS = [
    ("讨要农民工欠薪", "协调用工单位当场支付"),
    ("反映小区供暖不达标", "转办供热公司，三日内整改到位"),
    ("咨询信访复查程序", "当面讲解并发放告知书"),
    ("反映征地补偿未到位", "协调乡镇核实，补偿款已发放"),
    ("反映道路积水", "转办住建部门，已疏通"),
]
TOTAL_DEMANDS = 175
_SHEETS = itertools.count()


def _actor() -> User | None:
    return db.session.scalar(
        sa.select(User).where(User.role == Role.admin).order_by(User.id).limit(1)
    )


def _rate(rnd: RatingRound, post: ModelPost, group: RaterGroup, value: int, rater=None) -> None:
    """A sheet as the rating form would write it (demo raters may have no account)."""
    n = next(_SHEETS)
    rng = random.Random(f"{rnd.id}-{post.id}-{group.value}-{n}")
    scores = [
        RatingScore(
            criterion_id=c.id,
            score=max(c.scale_min, min(c.scale_max, value + rng.choice((-1, 0, 0, 1)))),
        )
        for c in rnd.criterion_set.criteria
    ]
    sheet = RatingSheet(
        round_id=rnd.id, model_post_id=post.id, rater_group=group, rated_on=rnd.opens_on,
        scores=scores,
    )  # fmt: skip
    if group == RaterGroup.public:
        sheet.browser_hash = f"demo-{n}"
        sheet.ip_hash = "demo"
    else:
        db.session.add(
            RatingReceipt(rater_id=rater.id, model_post_id=post.id, rated_on=rnd.opens_on)
        )
        rater.rated_count += 1
    db.session.add(sheet)


def _round(branch, posts, leaders, peers, actor, title, opens_on, closes_on, base, full):
    rnd = service.create_round(
        branch,
        {
            "title": title, "criterion_set_id": service.ensure_default_sets()[0].id,
            "leader_weight": 40, "peer_weight": 30, "public_weight": 30,
            "opens_on": opens_on, "closes_on": closes_on,
        },
        [p.id for p in posts],
        actor,
    )  # fmt: skip
    service.assign_raters(rnd, "leader", [m.id for m in leaders], actor)
    service.assign_raters(rnd, "peer", [m.id for m in peers], actor)
    service.open_round(rnd, actor)
    raters = db.session.scalars(sa.select(RoundRater).where(RoundRater.round_id == rnd.id)).all()
    for i, post in enumerate(posts):
        value = base[i % len(base)]
        for rater in raters if full else raters[: len(raters) // 2]:
            if rater.member_id not in post.holder_ids:
                _rate(rnd, post, rater.rater_group, value, rater)
        for _ in range(6 if full else 2):
            _rate(rnd, post, RaterGroup.public, value)
    db.session.flush()
    if full:
        service.close_round(rnd, actor)
    return rnd


def seed() -> list[str]:
    actor = _actor()
    if actor is None:
        return ["示范岗演示数据：没有系统管理员账户，已跳过。"]
    if db.session.scalar(sa.select(ModelPost.id).limit(1)):
        return ["示范岗演示数据已存在，未重复加载。"]
    today = local_today()
    branches = db.session.scalars(sa.select(Branch).order_by(Branch.code)).all()
    leaders = db.session.scalars(
        sa.select(Member).where(Member.is_leader.is_(True), Member.is_active.is_(True)).limit(8)
    ).all()
    account_members = set(db.session.scalars(sa.select(User.member_id)))
    all_posts: list[ModelPost] = []
    rounds = 0
    for branch in branches:
        members = db.session.scalars(
            sa.select(Member)
            .where(Member.branch_id == branch.id, Member.is_active.is_(True))
            .order_by(Member.is_leader.desc(), Member.id)
        ).all()
        if len(members) < 6:
            continue
        # Members with demo accounts hold posts, so logging in shows one.
        holders = sorted(members, key=lambda m: m.id not in account_members)[:3]
        posts = []
        for (title, duties, promises), holder in zip(POSTS, holders, strict=False):
            post = service.nominate_post(
                branch, {"title": title, "kind": "individual", "duties": duties,
                         "promises": promises}, [holder.id], actor,
            )  # fmt: skip
            service.approve_post(post, actor)
            service.announce_post(post, actor, today=today - timedelta(days=400))
            service.designate_post(post, actor, today=today - timedelta(days=390))
            posts.append(post)
        all_posts += posts
        peers = [m for m in members if not m.is_leader][:8]
        branch_leaders = [m for m in leaders if m not in peers][:4]
        year = today.year
        _round(branch, posts, branch_leaders, peers, actor, f"{year - 1}年下半年测评",
               today - timedelta(days=60), today - timedelta(days=45), (9, 8, 5), True)  # fmt: skip
        _round(branch, posts, branch_leaders, peers, actor, f"{year}年上半年测评",
               today - timedelta(days=3), today + timedelta(days=12), (8, 9, 7), False)  # fmt: skip
        rounds += 2
    for i in range(TOTAL_DEMANDS):
        if not all_posts:
            break
        post = all_posts[i % len(all_posts)]
        demand, outcome = DEMANDS[i % len(DEMANDS)]
        service.log_service(
            post, {"handled_on": today - timedelta(days=1 + i * 2 % 360), "demand": demand,
                   "outcome": outcome}, actor,
        )  # fmt: skip
    db.session.commit()
    return [
        f"示范岗演示数据：{len(all_posts)} 个示范岗，{rounds} 次测评（每支部一次已结束、一次进行中），"
        f"服务群众台账 {TOTAL_DEMANDS} 件。"
    ]
