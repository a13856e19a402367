"""Demo meetings: a year of 三会一课 and 主题党日 for every branch, with a few realistic
gaps (a missed 支委会, a 党课 not yet given), and the bureau's 36 key tasks."""

import random
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from partybuild.core.timeutil import LOCAL_TZ, local_today
from partybuild.extensions import db
from partybuild.meetings import service
from partybuild.meetings.models import (
    KeyTask,
    Meeting,
    MeetingType,
    TaskState,
)
from partybuild.org.demo import seed_committees
from partybuild.org.models import Branch, Department, Member, PartyGroup

SYSTEM = "演示数据"

# 36 key tasks (重点任务) of a petition bureau: (title, lead department, party-building?)
KEY_TASKS = [
    ("落实“第一议题”制度，及时传达学习上级重要指示精神", "办公室", True),
    ("开展党建引领信访工作“双融双促”专项行动", "办公室", True),
    ("推进党员承诺践诺评诺全覆盖", "办公室", True),
    ("建设党员示范岗和人民满意窗口", "接访科", True),
    ("规范“三会一课”和主题党日活动", "办公室", True),
    ("开展廉政风险点排查和防控措施更新", "督查督办科", True),
    ("组织党员政治生日活动", "办公室", True),
    ("开展党支部书记抓党建述职评议", "办公室", True),
    ("推进模范机关创建", "办公室", True),
    ("开展党风廉政建设警示教育", "督查督办科", True),
    ("完善党员教育管理台账", "办公室", True),
    ("开展青年理论学习小组活动", "网上信访科", True),
    ("推进信访工作法治化建设", "复查复核科", False),
    ("深化领导干部接访下访制度", "接访科", False),
    ("开展信访积案化解攻坚行动", "督查督办科", False),
    ("推进网上信访“一网通办”", "网上信访科", False),
    ("提升来信办理及时受理率", "办信科", False),
    ("完善信访事项办理群众满意度评价", "办信科", False),
    ("开展重复信访治理专项行动", "督查督办科", False),
    ("规范复查复核工作程序", "复查复核科", False),
    ("推进矛盾纠纷多元化解", "接访科", False),
    ("建设信访信息系统安全保障体系", "网上信访科", False),
    ("开展信访干部业务能力培训", "办公室", False),
    ("完善重大节点信访维稳工作预案", "接访科", False),
    ("推进信访事项“最多访一次”改革", "接访科", False),
    ("健全信访督查督办通报制度", "督查督办科", False),
    ("开展初信初访首办责任制落实情况检查", "办信科", False),
    ("推进信访工作责任制考核", "督查督办科", False),
    ("建立领导包案化解长效机制", "督查督办科", False),
    ("提升网上信访按期办结率", "网上信访科", False),
    ("开展信访法律咨询进社区活动", "复查复核科", False),
    ("完善信访档案管理", "办信科", False),
    ("推进信访数据分析研判", "网上信访科", False),
    ("优化信访接待大厅便民服务", "接访科", False),
    ("开展基层信访工作调研", "办公室", False),
    ("编制年度信访工作报告", "办公室", False),
]
assert len(KEY_TASKS) == 36

# (type, months held, day, hour): the branch's year. Gaps are left on purpose.
MONTHLY = [MeetingType.committee_meeting, MeetingType.theme_day, MeetingType.group_meeting]
QUARTERLY = [MeetingType.general_assembly, MeetingType.party_lecture, MeetingType.topic_meeting]
TITLES = {
    MeetingType.general_assembly: "{q}支部党员大会",
    MeetingType.committee_meeting: "{m}月支部委员会",
    MeetingType.group_meeting: "{m}月党小组会",
    MeetingType.party_lecture: "{q}专题党课",
    MeetingType.topic_meeting: "{q}党建工作专题会议",
    MeetingType.theme_day: "{m}月主题党日",
    MeetingType.org_life_meeting: "{y}年度组织生活会",
}
THEMES = ["学习贯彻党的二十大精神", "重温入党誓词", "信访为民志愿服务", "廉政教育基地参观"]
# Each kind of meeting has its own agenda and minutes (a 党课 is not a work report).
AGENDAS = {
    MeetingType.committee_meeting: "传达学习上级文件精神\n研究本月重点工作",
    MeetingType.group_meeting: "学习上级文件精神\n交流本月承诺践诺情况",
    MeetingType.general_assembly: "听取本季度党建工作情况汇报\n研究下季度工作计划和责任清单",
    MeetingType.party_lecture: "专题党课：新时代“枫桥经验”与信访工作\n交流学习体会",
    MeetingType.topic_meeting: "听取党建引领信访工作重点任务推进情况\n部署下季度党建工作",
}
MINUTES = {
    MeetingType.committee_meeting: "会议由书记主持，传达学习上级文件精神，研究部署本月重点工作。",
    MeetingType.theme_day: "书记带领党员开展主题党日活动，党员结合岗位实际交流体会。",
    MeetingType.group_meeting: "党小组长主持，学习上级文件精神，党员逐一汇报承诺践诺情况。",
    MeetingType.general_assembly: "书记报告本季度党建工作，党员讨论通过下季度工作计划和责任清单。",
    MeetingType.party_lecture: "书记讲授专题党课，党员结合信访工作实际交流学习体会。",
    MeetingType.topic_meeting: "会议听取重点任务推进情况汇报，研究部署下季度党建工作。",
}


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 30), LOCAL_TZ)


def _secretary(branch: Branch):
    from partybuild.auth.models import User
    from partybuild.core.permissions import Role

    user = db.session.scalar(
        sa.select(User).where(User.role == Role.secretary, User.branch_id == branch.id).limit(1)
    )
    if user is None:
        user = db.session.scalar(sa.select(User).where(User.role == Role.admin).limit(1))
    return user


def seed() -> list[str]:
    branches = db.session.scalars(sa.select(Branch).order_by(Branch.code)).all()
    if not branches:
        return ["组织生活演示数据：没有党支部，已跳过。"]
    committees = seed_committees(
        {b.id: m for b in branches if (m := getattr(_secretary(b), "member_id", None))}
    )
    if db.session.scalar(sa.select(Meeting.id).limit(1)):
        return [*committees, "组织生活演示数据已存在，未重复加载。"]
    rng = random.Random(11)
    today = local_today()
    lines = list(committees)
    tasks = _seed_tasks(branches[0], today, rng)
    lines.append(f"重点任务：{branches[0].name} {tasks} 项")
    for b_index, branch in enumerate(branches):
        actor = _secretary(branch)
        if actor is None:
            lines.append(f"{branch.name}：没有书记或管理员账号，跳过会议演示数据。")
            continue
        n = _seed_branch(branch, actor, today, rng, b_index)
        lines.append(f"组织生活：{branch.name} {n} 次会议")
    return lines


def _meeting(
    branch: Branch, actor, mtype: MeetingType, when: datetime, title: str, **kw
) -> Meeting:
    group_id = None
    if mtype == MeetingType.group_meeting:
        group_id = db.session.scalar(
            sa.select(PartyGroup.id).where(PartyGroup.branch_id == branch.id).limit(1)
        )
        if group_id is None:
            return None  # type: ignore[return-value]
    data = {
        "type": mtype.value,
        "title": title,
        "starts_at": when,
        "ends_at": when + timedelta(hours=1, minutes=30),
        "place": "机关三楼党员活动室",
        "host": kw.get("host", ""),
        "recorder": kw.get("recorder", ""),
        "lecturer": kw.get("lecturer", ""),
        "party_group_id": group_id,
        "agenda": kw.get("agenda", ""),
    }
    return service.plan_meeting(branch, data, actor)


def _hold(m: Meeting, actor, rng: random.Random, approve: bool) -> None:
    entries = []
    for a in m.attendance:
        roll = rng.random()
        if roll < 0.86:
            entries.append((a.member_id, "present", ""))
        elif roll < 0.96:
            entries.append((a.member_id, "excused", rng.choice(["出差", "病假", "值班接访"])))
        else:
            entries.append((a.member_id, "absent", "未请假"))
    notes = {i.id: "与会同志结合岗位实际逐一发言，提出改进措施。" for i in m.agenda}
    service.record_meeting(
        m,
        {
            "attendance": entries,
            "minutes": MINUTES.get(m.type, "会议由书记主持，研究部署近期工作。"),
            "notes": notes,
        },
        actor,
    )
    if m.type in (MeetingType.committee_meeting, MeetingType.general_assembly) and m.quorum_met:
        voting = m.present_count
        service.add_resolution(
            m,
            {"text": "同意本期工作安排", "result": "passed", "votes_for": voting,
             "votes_against": 0, "votes_abstain": 0},
            actor,
        )  # fmt: skip
    if approve:
        service.approve_minutes(m, actor)


def _seed_branch(branch: Branch, actor, today: date, rng: random.Random, b_index: int) -> int:
    members = db.session.scalars(
        sa.select(Member.name).where(Member.branch_id == branch.id, Member.is_active.is_(True))
    ).all()
    host = members[0] if members else ""
    recorder = members[1] if len(members) > 1 else host
    year_start = (
        date(today.year, 1, 1) - timedelta(days=365) if today.month < 3 else date(today.year, 1, 1)
    )
    count = 0
    month = date(year_start.year, year_start.month, 1)
    while month <= today + timedelta(days=31):
        q = f"{month.year}年第{(month.month - 1) // 3 + 1}季度"
        for k, mtype in enumerate(MONTHLY):
            # Gaps: branch 2 skipped a 支委会 in March, branch 3 a 主题党日 in May.
            if (b_index, mtype, month.month) in {
                (1, MeetingType.committee_meeting, 3),
                (2, MeetingType.theme_day, 5),
            }:
                continue
            day = month + timedelta(days=4 + 6 * k + b_index)
            when = _at(day, 9 + k * 2)
            title = TITLES[mtype].format(m=month.month, q=q, y=month.year)
            agenda = AGENDAS.get(mtype, "")
            if mtype == MeetingType.theme_day:
                theme = THEMES[(month.month + b_index) % len(THEMES)]
                title += f"：{theme}"
                agenda = f"{theme}\n党员交流发言"
            m = _meeting(branch, actor, mtype, when, title, host=host, recorder=recorder,
                         agenda=agenda)  # fmt: skip
            if m is None:
                continue
            count += 1
            if day < today:
                _hold(m, actor, rng, approve=day < today - timedelta(days=14))
        if month.month in (3, 6, 9, 12):
            for k, mtype in enumerate(QUARTERLY):
                # Gap: the last branch has not given its 党课 this quarter yet.
                if b_index == 3 and mtype == MeetingType.party_lecture and month.month == 9:
                    continue
                day = month + timedelta(days=18 + 2 * k)
                m = _meeting(
                    branch, actor, mtype, _at(day, 14), TITLES[mtype].format(q=q, m=month.month, y=month.year),
                    host=host, recorder=recorder,
                    lecturer=host if mtype == MeetingType.party_lecture else "",
                    agenda=AGENDAS[mtype],
                )  # fmt: skip
                count += 1
                if day < today:
                    _hold(m, actor, rng, approve=True)
        month = (month + timedelta(days=32)).replace(day=1)
    return count


def _seed_tasks(branch: Branch, today: date, rng: random.Random) -> int:
    if db.session.scalar(sa.select(KeyTask.id).where(KeyTask.branch_id == branch.id).limit(1)):
        return 0
    actor = _secretary(branch)
    if actor is None:
        return 0
    departments = {
        d.name: d
        for d in db.session.scalars(
            sa.select(Department).where(Department.organization_id == branch.organization_id)
        )
    }
    leaders = db.session.scalars(
        sa.select(Member)
        .join(Branch, Branch.id == Member.branch_id)
        .where(Branch.organization_id == branch.organization_id, Member.is_active.is_(True))
        .order_by(Member.is_leader.desc(), Member.id)
        .limit(5)
    ).all()
    if not leaders or not departments:
        return 0
    fallback = next(iter(departments.values()))
    made = 0
    for n, (title, dept_name, party) in enumerate(KEY_TASKS):
        dept = departments.get(dept_name, fallback)
        deadline = date(today.year, 3 + (n * 9) % 10, 28)
        others = [d.id for d in departments.values() if d.id != dept.id]
        task = service.create_task(
            branch,
            {
                "title": title,
                "description": f"{title}，明确时间表、路线图，按季度报告进展。",
                "lead_member_id": leaders[n % len(leaders)].id,
                "department_id": dept.id,
                "supporter_ids": rng.sample(others, k=min(2, len(others))) if n % 3 == 0 else [],
                "deadline": deadline,
                "is_party_building": party,
                "year": today.year,
            },
            actor,
        )
        made += 1
        if deadline < today and n % 4 != 0:  # most past tasks done, some overdue
            service.add_progress(
                task, {"text": "已召开推进会，按计划推进。", "recorded_on": deadline - timedelta(days=20)},
                [], actor, today=today,
            )  # fmt: skip
            service.complete_task(task, deadline + timedelta(days=n % 3 * 4), actor, today=today)
        elif deadline >= today and n % 2 == 0:
            service.add_progress(
                task,
                {"text": "已制定工作方案，正在推进。", "recorded_on": today},
                [],
                actor,
                today=today,
            )
        if n == 35 and task.state != TaskState.done:
            service.postpone_task(task, deadline + timedelta(days=60), "上级部署调整", actor)
    return made
