"""Demo data: the article's 71 integrity-risk checkpoints across the demo bureau's posts,
in the three categories, with a year of reviews, a few open rectifications and
reminder conversations. Idempotent: nothing is added when risk points exist."""

import random
from datetime import timedelta

import sqlalchemy as sa

from partybuild.core import audit
from partybuild.core.db import utcnow
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.integrity.models import (
    ControlMeasure,
    ControlResult,
    Rectification,
    RectificationState,
    Reminder,
    ReviewResult,
    RiskPoint,
    RiskReview,
    add_months,
    matrix_level,
    review_cycle_months,
)
from partybuild.org.models import Branch, Member, Post

TOTAL = 71  # the source article's count

# (category, risk, how it shows, controls)
CATALOGUE = [
    ("power", "信访事项受理、登记不规范", "对来访事项选择性登记，或不按规定转送交办",
     ["来访事项一律录入信访信息系统", "科长每周抽查登记情况"]),
    ("power", "信访事项办理中优亲厚友", "为亲友、熟人反映的事项开“绿灯”、提前办理",
     ["实行回避制度", "办理结果集体研究"]),
    ("power", "违规泄露信访人信息", "将举报人、信访人信息透露给被反映人",
     ["信访件专人管理、限定查阅权限", "信息系统操作全程留痕"]),
    ("power", "督办事项避重就轻", "对责任单位督办不力，以文件代替落实",
     ["督办事项清单化、台账化管理", "督办结果向局务会报告"]),
    ("power", "复查复核意见失之公正", "受人情干扰作出有失公允的复查复核意见",
     ["复查复核意见集体审议", "重大案件听证"]),
    ("power", "经费报销、物资采购不规范", "虚列开支、拆分采购规避程序",
     ["执行财务审批“一支笔”制度", "政府采购按规定公开"]),
    ("institution", "首问负责制落实不到位", "推诿扯皮，群众来访“踢皮球”",
     ["首问负责登记", "每月通报落实情况"]),
    ("institution", "信访事项办理超期", "不按规定时限受理、告知、答复",
     ["办理时限系统自动预警", "超期事项纳入绩效考核"]),
    ("institution", "内部监督制度执行不严", "“三重一大”事项未经集体决策",
     ["落实“三重一大”集体决策制度", "纪检组全程监督"]),
    ("institution", "保密制度执行不严", "涉密文件未按规定保管、传阅",
     ["涉密载体登记管理", "每季度保密自查"]),
    ("institution", "网上信访系统权限管理不严", "账号混用、越权查询信访件",
     ["一人一账号、定期更换密码", "系统日志每月审计"]),
    ("ideology", "宗旨意识淡化", "对群众态度生硬、冷硬横推",
     ["开展群众满意度评价", "党员示范岗挂牌亮身份"]),
    ("ideology", "接受吃请和礼品礼金", "接受信访人或利害关系人宴请、礼品",
     ["签订廉洁承诺书", "节假日前开展廉洁提醒"]),
    ("ideology", "“四风”问题反弹", "违规公款吃喝、公车私用",
     ["公务接待清单制", "公车使用登记"]),
    ("ideology", "八小时以外监督缺位", "交友不慎、出入不当场所",
     ["家访谈心", "签订家庭助廉承诺"]),
    ("ideology", "工作作风漂浮", "调查核实走过场，以会议落实会议",
     ["领导干部下访接访", "重点信访事项实地核查"]),
]  # fmt: skip
FREQUENCIES = ["每件", "每周", "每月", "每季度"]
# (reason, a word of the risk it concerns or "" for any, what was said): each talk is
# about a risk point it names.
REMINDERS = [
    ("新入职干部廉政谈话，扣好第一粒扣子", "",
     "讲解本岗位廉政风险点和防控措施，本人表示严守纪律。"),
    ("节前廉洁提醒：严禁接受信访人宴请和礼品", "吃请",
     "重申不得接受信访人及利害关系人宴请、礼品，本人签订廉洁承诺。"),
    ("群众反映接待态度生硬，提醒改进作风", "宗旨",
     "指出接待中态度生硬的问题，本人表示改进接待方式，主动向群众致歉。"),
    ("岗位调整前廉政提醒", "",
     "提醒做好工作交接，经手信访件逐件移交登记，本人表示认识到位。"),
    ("复查复核案件较多，提醒严格执行回避制度", "复查复核",
     "提醒复查复核中严格执行回避制度，意见须集体审议，本人表示认识到位。"),
]  # fmt: skip


def _branch_posts() -> list[tuple[Branch, Post, list[Member]]]:
    """(branch, post, the branch's members at that post) for every post held in a branch."""
    rows = db.session.execute(
        sa.select(Member, Branch, Post)
        .join(Branch, Member.branch_id == Branch.id)
        .join(Post, Member.post_id == Post.id)
        .where(Member.is_active.is_(True))
        .order_by(Branch.code, Post.department_id, Post.id, Member.id)
    ).all()
    found: dict[tuple[int, int], tuple[Branch, Post, list[Member]]] = {}
    for member, branch, post in rows:
        found.setdefault((branch.id, post.id), (branch, post, []))[2].append(member)
    return list(found.values())


def seed() -> list[str]:
    if db.session.scalar(sa.select(RiskPoint.id).limit(1)):
        return ["廉政风险演示数据已存在，未重复加载。"]
    slots = _branch_posts()
    if not slots:
        return ["廉政风险演示数据：没有在岗党员，已跳过。"]
    rng = random.Random(71)
    today = local_today()
    start = today - timedelta(days=400)  # the ledger was drawn up a little over a year ago
    leader = db.session.scalar(
        sa.select(Member.name).where(Member.is_leader.is_(True)).order_by(Member.id).limit(1)
    )
    points: list[RiskPoint] = []
    for n in range(TOTAL):
        branch, post, holders = slots[n % len(slots)]
        category, title, shows, controls = CATALOGUE[(n * 5) % len(CATALOGUE)]
        likelihood, impact = rng.randint(1, 5), rng.randint(1, 5)
        level = matrix_level(likelihood, impact)
        owner = rng.choice(holders)
        point = RiskPoint(
            branch_id=branch.id,
            post_id=post.id,
            category=category,
            title=f"{post.name}：{title}",
            manifestation=shows,
            basis="《中国共产党纪律处分条例》《信访工作条例》及本局相关制度",
            likelihood=likelihood,
            impact=impact,
            level=level,
            owner_id=owner.id,
            owner_name=owner.name,
            leader_name=leader or "分管局领导",
            next_review_on=add_months(start, review_cycle_months(level)),
        )
        # Controls lower the likelihood; the residual level never rises above the inherent.
        r_likelihood = max(1, likelihood - rng.randint(1, 2))
        point.residual_likelihood, point.residual_impact = r_likelihood, impact
        point.residual_level = matrix_level(r_likelihood, impact)
        point.controls = [
            ControlMeasure(text=text, owner_name=owner.name, frequency=rng.choice(FREQUENCIES),
                           evidence="工作台账、检查记录")
            for text in controls
        ]  # fmt: skip
        db.session.add(point)
        points.append(point)
    db.session.flush()

    reviews = rectifications = 0
    for n, point in enumerate(points):
        cycle = point.cycle_months
        day = add_months(start, cycle)
        # Every seventh point missed its last review: it shows as overdue.
        while day <= today and not (n % 7 == 3 and add_months(day, cycle) > today):
            results = [
                ControlResult.done if rng.random() < 0.85 else ControlResult.partial
                for _ in point.controls
            ]
            lacking = ControlResult.partial in results
            review = RiskReview(
                risk_point_id=point.id, branch_id=point.branch_id, reviewed_on=day,
                reviewer_name="支部书记", level=point.level, residual_level=point.residual_level,
                likelihood=point.residual_likelihood, impact=point.residual_impact,
                findings="措施执行记录不完整，部分事项未留痕" if lacking else "",
                next_review_on=add_months(day, cycle),
            )  # fmt: skip
            review.results = [
                ReviewResult(control_id=c.id, result=res)
                for c, res in zip(point.controls, results, strict=True)
            ]
            db.session.add(review)
            reviews += 1
            point.last_reviewed_on, point.next_review_on = day, review.next_review_on
            if lacking:
                db.session.flush()
                deadline = day + timedelta(days=30)
                finished = deadline < today - timedelta(days=20) or rectifications % 3 == 0
                r = Rectification(
                    risk_point_id=point.id, review_id=review.id, branch_id=point.branch_id,
                    problem=review.findings, measure="补齐工作台账，科室负责人每周检查",
                    responsible_id=point.owner_id, opened_on=day, deadline=deadline,
                )  # fmt: skip
                if finished and deadline < today:
                    done_at = utcnow() - timedelta(days=(today - deadline).days + 3)
                    r.state, r.done_at, r.done_note = RectificationState.done, done_at, "已补齐台账"
                    r.state, r.verified_at = RectificationState.verified, done_at
                    r.verified_by_name, r.verified_by_id = "支部书记", _any_user_id()
                    if r.verified_by_id is None:  # no accounts yet: leave it for acceptance
                        r.state, r.verified_at, r.verified_by_name = (
                            RectificationState.done,
                            None,
                            "",
                        )
                if r.state != RectificationState.verified:
                    point.open_rectifications += 1
                db.session.add(r)
                rectifications += 1
            day = add_months(day, cycle)

    for k, (reason, topic, said) in enumerate(REMINDERS):
        fallback = points[k * 13 % len(points)]
        point = next((p for p in points if topic and topic in p.title), fallback)
        db.session.add(
            Reminder(
                branch_id=point.branch_id,
                member_id=point.owner_id,
                risk_point_id=point.id,
                talked_on=today - timedelta(days=20 + k * 40),
                reminder_name="支部书记",
                reason=reason,
                content=said,
                follow_up="一个月后回访，已按要求整改" if k % 2 else "",
            )  # fmt: skip
        )
    db.session.flush()
    audit.record(
        "seed_demo", "risk_point", None, actor="seed-demo",
        summary=f"演示数据：廉政风险点 {len(points)} 个，排查 {reviews} 次",
    )  # fmt: skip
    open_n = sum(p.open_rectifications for p in points)
    return [
        f"已创建廉政风险演示数据：{len(points)} 个风险点，{reviews} 次排查，"
        f"{rectifications} 项整改（{open_n} 项未销号），{len(REMINDERS)} 次提醒谈话。"
    ]


def _any_user_id() -> int | None:
    from partybuild.auth.models import User

    return db.session.scalar(sa.select(User.id).order_by(User.id).limit(1))
