"""Demo bureau shaped like the source article: a petition bureau's party committee."""

import random
from datetime import date, timedelta

import sqlalchemy as sa

from partybuild.core import audit
from partybuild.core.db import utcnow
from partybuild.core.timeutil import anniversary_of, local_today
from partybuild.extensions import db
from partybuild.org.models import (
    Branch,
    Department,
    Gender,
    Member,
    MemberStatus,
    Organization,
    PartyGroup,
    Post,
)

ORG_NAME = "市信访局机关党委"

# department -> posts
DEPARTMENTS = {
    "局领导": ["局领导岗"],
    "办公室": ["综合文秘岗", "财务管理岗", "机要保密岗"],
    "接访科": ["信访接待岗", "领导接访协调岗"],
    "办信科": ["来信办理岗", "信访登记岗"],
    "网上信访科": ["网上信访受理岗", "信息系统运维岗"],
    "督查督办科": ["督查督办岗", "积案化解岗"],
    "复查复核科": ["复查复核岗", "法律咨询岗"],
}

# branch code, name, departments whose staff belong to it, groups
BRANCHES = [
    ("B01", "机关第一党支部", ["办公室", "接访科"], ["第一党小组", "第二党小组"]),
    ("B02", "机关第二党支部", ["办信科", "网上信访科"], ["第一党小组", "第二党小组"]),
    ("B03", "机关第三党支部", ["督查督办科", "复查复核科"], ["第一党小组", "第二党小组"]),
    ("B04", "离退休干部党支部", [], ["离退休党小组"]),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN_MALE = [
    "建国",
    "志强",
    "海军",
    "永刚",
    "文博",
    "宏伟",
    "明辉",
    "国栋",
    "立新",
    "卫东",
    "晓东",
    "俊杰",
    "振华",
    "子涵",
    "浩然",
    "宇航",
    "嘉豪",
    "天佑",
    "鹏飞",
    "学文",
    "德胜",
    "广平",
    "忠诚",
    "长青",
    "兴旺",
    "福生",
    "少华",
    "家乐",
    "一鸣",
    "思远",
]
GIVEN_FEMALE = [
    "秀英",
    "桂兰",
    "丽华",
    "红梅",
    "玉兰",
    "晓燕",
    "海燕",
    "丽娟",
    "静怡",
    "雅琴",
    "佳慧",
    "梦瑶",
    "欣然",
    "婉清",
    "若曦",
    "春花",
    "美玲",
    "淑珍",
    "艳红",
    "翠萍",
    "雪梅",
    "慧敏",
    "文静",
    "晓琳",
    "思琪",
    "雨涵",
    "丹丹",
    "倩倩",
    "紫薇",
    "明月",
]

LEADER_TITLES = ["局长", "党组书记、副局长", "副局长", "副局长", "纪检组长"]


def _name(rng: random.Random, gender: Gender, used: set[str]) -> str:
    pool = GIVEN_MALE if gender == Gender.male else GIVEN_FEMALE
    while True:
        name = rng.choice(SURNAMES) + rng.choice(pool)
        if name not in used:
            used.add(name)
            return name


def _birthday_this_week(today: date, offset: int, years: int) -> date:
    day = today + timedelta(days=offset)
    return anniversary_of(day, day.year - years)


def _add_years(day: date, years: int) -> date:
    return anniversary_of(day, day.year + years)


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)


def seed() -> list[str]:
    if db.session.scalar(sa.select(Organization.id).where(Organization.name == ORG_NAME)):
        return ["组织与党员演示数据已存在，未重复加载。"]
    rng = random.Random(20261126)
    today = local_today()
    org = Organization(name=ORG_NAME)
    db.session.add(org)
    departments: dict[str, Department] = {}
    posts: dict[str, list[Post]] = {}
    for dname, post_names in DEPARTMENTS.items():
        dept = Department(organization=org, name=dname)
        departments[dname] = dept
        posts[dname] = [Post(department=dept, name=p) for p in post_names]
    db.session.add_all(departments.values())

    used: set[str] = set()
    members: list[Member] = []
    counts = {"B01": 34, "B02": 30, "B03": 32, "B04": 24}
    for code, bname, dept_names, group_names in BRANCHES:
        branch = Branch(organization=org, code=code, name=bname)
        groups = [PartyGroup(branch=branch, name=g) for g in group_names]
        db.session.add(branch)
        for i in range(counts[code]):
            retired = code == "B04"
            gender = Gender.male if rng.random() < 0.6 else Gender.female
            age = rng.randint(62, 85) if retired else rng.randint(24, 58)
            birth_on = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
            probationary = not retired and i % 15 == 14
            if probationary:  # admitted within the last year, probation not over
                joined_on = today - timedelta(days=rng.randint(60, 330))
            else:
                # Admitted at 18 or later, and at least a year ago so that the
                # full-membership date is not in the future.
                earliest = _add_years(birth_on, 18)
                latest = min(_add_years(birth_on, 45 if retired else 40), today - timedelta(400))
                joined_on = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
            dept_name = None if retired else dept_names[i % len(dept_names)]
            if code == "B01" and i < len(LEADER_TITLES):
                dept_name = "局领导"
            dept = departments[dept_name] if dept_name else None
            member = Member(
                branch=branch,
                party_group=groups[i % len(groups)],
                department=dept,
                post=rng.choice(posts[dept_name]) if dept_name else None,
                name=_name(rng, gender, used),
                gender=gender,
                birth_on=birth_on,
                joined_on=joined_on,
                full_member_on=None if probationary else _one_year_after(joined_on),
                status=MemberStatus.probationary if probationary else MemberStatus.full,
                title=LEADER_TITLES[i] if code == "B01" and i < len(LEADER_TITLES) else "",
                is_leader=code == "B01" and i < len(LEADER_TITLES),
                phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            )
            members.append(member)
        db.session.add_all(groups)
    db.session.add_all(members)

    # Visible features: a leap-day member and political birthdays this week.
    active = [m for m in members if m.branch.code != "B04" and m.status == MemberStatus.full]
    leap = active[7]
    leap.joined_on = date(1996, 2, 29)
    leap.full_member_on = date(1997, 3, 1)
    for k, m in enumerate(active[10:16]):
        years = (5, 10, 18, 20, 27, 30)[k]
        m.joined_on = _birthday_this_week(today, k - 1, years)
        m.full_member_on = _one_year_after(m.joined_on)
    for m in [leap, *active[10:16]]:
        # The moved join date must still find the member at least 18 years old.
        if _add_years(m.birth_on, 18) > m.joined_on:
            m.birth_on = _add_years(m.joined_on, -rng.randint(18, 30)) - timedelta(
                days=rng.randint(1, 300)
            )
    # Two members whose party relations moved elsewhere: retired, kept as history.
    for m in members[60:62]:
        m.is_active = False
        m.retired_at = utcnow()
        m.retired_reason = "组织关系转出"
    db.session.flush()
    audit.record(
        "seed_demo",
        "organization",
        org.id,
        actor="seed-demo",
        summary=f"演示数据：机关党委及 {len(members)} 名党员",
    )
    return [f"已创建演示组织：{ORG_NAME}，{len(BRANCHES)} 个党支部，{len(members)} 名党员。"]


COMMITTEE_POSTS = ("secretary", "organization", "propaganda", "discipline", "youth")


def seed_committees(secretary_member_ids: dict[int, int] | None = None) -> list[str]:
    """A 支部委员会 for every branch that has none (idempotent): the secretary's own
    member record (when her account is linked to one) as 书记, then active full members
    for the other posts. Called by the meetings demo, after the accounts exist."""
    from partybuild.org.models import CommitteeMember

    secretary_member_ids = secretary_member_ids or {}
    seated = set(db.session.scalars(sa.select(CommitteeMember.branch_id).distinct()))
    lines = []
    for branch in db.session.scalars(sa.select(Branch).order_by(Branch.code)):
        if branch.id in seated:
            continue
        people = db.session.scalars(
            sa.select(Member)
            .where(
                Member.branch_id == branch.id,
                Member.is_active.is_(True),
                Member.status == MemberStatus.full,
            )
            .order_by(Member.id)
            .limit(len(COMMITTEE_POSTS) + 1)
        ).all()
        first = secretary_member_ids.get(branch.id)
        people = sorted(people, key=lambda m: m.id != first)[: len(COMMITTEE_POSTS)]
        for member, post in zip(people, COMMITTEE_POSTS, strict=False):
            db.session.add(CommitteeMember(branch_id=branch.id, member_id=member.id, post=post))
        if people:
            lines.append(f"支部委员会：{branch.name} {len(people)} 名委员")
    db.session.flush()
    return lines
