"""Demo commitments: one published batch per branch, about 120 items in every state,
with records, evidence, evaluations and public ratings, so the board and the rates
show real figures. Idempotent: a second run changes nothing."""

import io
import logging
import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from partybuild.auth.models import User
from partybuild.commitments import service
from partybuild.commitments.models import (
    CommentState,
    Commitment,
    CommitmentBatch,
    CommitmentEvent,
    CommitmentState,
    Evaluation,
    EvaluationKind,
    FulfilmentRecord,
    PublicRating,
    RatingLevel,
    RecordEvidence,
)
from partybuild.core import audit, storage
from partybuild.core.timeutil import LOCAL_TZ, local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Member

logger = logging.getLogger(__name__)

S = CommitmentState
PER_BRANCH_MEMBERS = 15  # two items each: 4 branches x 30 = 120 commitments

ITEMS = {
    "学习": [
        (
            "系统学习《信访工作条例》，撰写学习笔记",
            "全年学习笔记不少于12篇",
            "每月自学不少于4小时，支部集中学习全勤",
        ),
        ("带头讲一次专题党课", "年内讲党课1次，课件存档", "结合信访工作实际备课，党小组内试讲"),
        ("参加“三会一课”不缺席", "全年出勤率100%", "因公请假事后补学并提交心得"),
    ],
    "工作": [
        (
            "每月参加群众来访接待",
            "每月接待不少于20批次，全年240批次以上",
            "落实首问负责制，当场登记、限时答复",
        ),
        ("信访事项按期办结", "按期办结率100%", "建立个人办件台账，每周清理一次"),
        ("网上信访件及时受理告知", "7日内受理告知率100%", "每日两次查看网上信访平台"),
        ("牵头化解信访积案", "年内化解积案3件", "逐案制定化解方案，每月跟踪一次"),
    ],
    "自律": [
        (
            "严守廉洁纪律，不收受群众礼品礼金",
            "全年零违纪、零投诉",
            "来访群众赠送物品一律婉拒并登记",
        ),
        ("遵守工作纪律，按时到岗", "全年无迟到早退", "接访日提前15分钟到岗"),
    ],
    "服务群众": [
        (
            "走访联系社区困难群众",
            "每季度走访不少于1次，全年4次以上",
            "建立困难群众联系卡，逐户回访",
        ),
        ("为来访群众提供法律咨询", "全年提供咨询50人次以上", "每周三下午在接待大厅设咨询台"),
        ("参加志愿服务活动", "全年参加志愿服务6次以上", "参加社区“红色物业”和文明交通志愿服务"),
    ],
}

# What a member writes down while keeping each commitment: every record is about its
# own commitment (a 信访 case record under "信访事项按期办结", never "学习笔记").
# Placeholders: {small} 1-5, {n} 3-12, {big} 15-60.
RECORDS = {
    "系统学习《信访工作条例》，撰写学习笔记": [
        "撰写《信访工作条例》学习笔记，累计完成{n}篇，已在党小组会上交流。",
        "本月自学《信访工作条例》{small}小时以上，完成学习笔记1篇。",
        "参加支部集中学习，就条例“依法分类处理信访诉求”一章作交流发言。",
    ],
    "带头讲一次专题党课": [
        "完成专题党课课件初稿，在党小组内试讲，根据意见修改{small}处。",
        "为支部讲授专题党课《新时代“枫桥经验”与信访工作》，{big}名党员参加，课件已存档。",
        "收集信访工作典型案例{n}个，充实党课素材。",
    ],
    "参加“三会一课”不缺席": [
        "参加支部党员大会和党小组会，本季度出勤{small}次，无缺席。",
        "因公出差缺席党小组会1次，已补学会议精神并提交心得体会。",
        "参加本月主题党日活动，签到记录已存档。",
    ],
    "每月参加群众来访接待": [
        "本月接待来访群众{big}批次，均当场登记，按时答复。",
        "参加领导接访日，协助接待来访群众{n}批次，落实首问负责制。",
        "本季度累计接待来访群众{big}批次，登记答复率100%。",
    ],
    "信访事项按期办结": [
        "办结信访事项{n}件，均在法定期限内答复，按期办结率100%。",
        "清理个人办件台账，在办信访事项{small}件均在办理期限内。",
        "对{small}件即将到期的信访事项提前督办，全部按期办结。",
    ],
    "网上信访件及时受理告知": [
        "受理网上信访件{big}件，均在7日内告知受理情况。",
        "每日两次查看网上信访平台，本月无超期未告知件。",
        "对{n}件网上信访件进行电话回访，群众对告知情况满意。",
    ],
    "牵头化解信访积案": [
        "化解信访积案1件，信访人签字息诉罢访。",
        "对牵头的{small}件积案逐案制定化解方案，本月走访信访人2次。",
        "召开积案会商会，协调相关部门解决{small}个具体问题。",
    ],
    "严守廉洁纪律，不收受群众礼品礼金": [
        "婉拒来访群众赠送的土特产{small}次，均已登记并向支部报告。",
        "参加廉政警示教育，撰写心得体会1篇。",
        "本季度自查无违纪问题，未收到群众投诉。",
    ],
    "遵守工作纪律，按时到岗": [
        "本月考勤无迟到早退，接访日均提前15分钟到岗。",
        "本季度考勤无迟到早退记录。",
        "接访日提前到岗做好接待准备{n}次。",
    ],
    "走访联系社区困难群众": [
        "走访社区困难群众{small}户，填写联系卡并逐户回访。",
        "回访困难群众，协调落实临时救助1件。",
        "本季度完成走访1次，帮助困难群众联系就业岗位1个。",
    ],
    "为来访群众提供法律咨询": [
        "周三下午在接待大厅咨询台为来访群众提供法律咨询{n}人次。",
        "本月提供法律咨询{n}人次，引导{small}人通过法律途径解决诉求。",
        "整理常见法律问题解答，放在接待大厅供群众取阅。",
    ],
    "参加志愿服务活动": [
        "参加社区“红色物业”志愿服务{small}次，照片已上传。",
        "参加文明交通志愿服务1次，服务时长{small}小时。",
        "参加志愿服务，年内累计{n}次。",
    ],
}
# What the public says, by the commitment's category.
COMMENTS = {
    "学习": ["党课讲得很接地气。", "学习认真，经常分享体会。", "开会从不缺席，值得学习。"],
    "工作": [
        "接待很耐心，问题讲得清楚。",
        "办事效率高，态度好。",
        "希望答复能再快一点。",
        "我的事按时办结了，谢谢。",
    ],
    "自律": ["为人正派，从不收东西。", "每次来都准时在岗。"],
    "服务群众": ["上门回访很及时，感谢！", "咨询后少跑了好几趟，谢谢。", "服务热情，值得表扬。"],
}
assert set(RECORDS) == {item[0] for items in ITEMS.values() for item in items}
assert set(COMMENTS) == set(ITEMS)


def record_text(content: str, rng: random.Random) -> str:
    """A fulfilment record that fits the commitment ``content``."""
    return rng.choice(RECORDS[content]).format(
        small=rng.randint(1, 5), n=rng.randint(3, 12), big=rng.randint(15, 60)
    )


# state, share of items
STATE_MIX = [
    (S.draft, 3),
    (S.submitted, 6),
    (S.published, 12),
    (S.in_progress, 46),
    (S.awaiting_evaluation, 13),
    (S.evaluated, 17),
    (S.not_fulfilled, 3),
]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), LOCAL_TZ).astimezone(UTC)


def _png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 160), (183, 28, 28))
    ImageDraw.Draw(img).rectangle((20, 20, 220, 140), outline=(255, 255, 255), width=4)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class _Seeder:
    def __init__(self) -> None:
        self.rng = random.Random(20260701)
        self.today = local_today()
        self.png = _png()
        # 领导点 is given by a bureau leader from the roster, never the member themself.
        self.leaders = db.session.execute(
            sa.select(Member.id, Member.name, Member.title)
            .where(Member.is_leader.is_(True), Member.is_active.is_(True))
            .order_by(Member.id)
            .limit(3)
        ).all()
        self.state_pool = [s for s, n in STATE_MIX for _ in range(n)]

    def event(self, c, action, before, after, who, when, comment="", record=None):  # noqa: ANN001
        db.session.add(
            CommitmentEvent(
                commitment=c,
                action=str(action),
                from_state=before,
                to_state=after,
                actor_id=getattr(who, "id", None),
                actor_name=who if isinstance(who, str) else who.label,
                comment=comment,
                record=record,
                created_at=when,
            )
        )

    def batch(self, branch: Branch, title: str, creator: User | None) -> CommitmentBatch:
        t = self.today
        batch = CommitmentBatch(
            branch_id=branch.id,
            title=title,
            commit_start=t - timedelta(days=200),
            commit_end=t - timedelta(days=170),
            evaluation_start=t - timedelta(days=30),
            evaluation_end=t + timedelta(days=35),
            created_by_id=creator.id if creator else None,
            created_at=_at(t - timedelta(days=205)),
        )
        db.session.add(batch)
        db.session.flush()
        return batch

    def commitment(
        self,
        batch: CommitmentBatch,
        member: Member,
        state: CommitmentState,
        secretary: User | str,
        owner: User | str,
        k: int,
    ) -> Commitment:
        rng, t = self.rng, self.today
        category = list(ITEMS)[k % len(ITEMS)]
        content, target, measures = rng.choice(ITEMS[category])
        created = t - timedelta(days=rng.randint(172, 198))
        late = rng.random() < 0.12
        deadline = t + timedelta(days=rng.randint(-25, -1) if late else rng.randint(3, 34))
        c = Commitment(
            batch_id=batch.id,
            branch_id=batch.branch_id,
            member_id=member.id,
            category=category,
            content=content,
            target=target,
            measures=measures,
            deadline=deadline,
            state=S.draft,
            progress=0,
            record_count=0,
            evidence_count=0,
            is_withdrawn=False,
            created_at=_at(created, 9),
        )
        db.session.add(c)
        self.event(c, "create", None, S.draft, owner, _at(created, 9))
        if state == S.draft:
            if k % 2 or owner_is_demo_member(owner):
                c.return_comment = "目标请量化到具体数量，并写明完成时间。"
                self.event(c, "submit", S.draft, S.submitted, owner, _at(created, 11))
                self.event(
                    c, "return_for_revision", S.submitted, S.draft, secretary,
                    _at(created + timedelta(days=1)), c.return_comment,
                )  # fmt: skip
            return c
        c.submitted_at = _at(created, 11)
        self.event(c, "submit", S.draft, S.submitted, owner, c.submitted_at)
        c.state = S.submitted
        if state == S.submitted:
            return c
        published_on = created + timedelta(days=rng.randint(1, 5))
        if state == S.published and rng.random() < 0.8:  # approved late, no record yet
            published_on = t - timedelta(days=rng.randint(10, 50))
        c.published_at = _at(published_on, 15)
        c.published_by_id = getattr(secretary, "id", None)
        c.state = S.published
        self.event(c, "publish", S.submitted, S.published, secretary, c.published_at)
        if state == S.published:
            return c
        self.records(c, published_on, owner, state)
        if state == S.not_fulfilled:
            closed_on = min(
                t, (c.last_record_on or published_on) + timedelta(days=rng.randint(1, 5))
            )
            c.closed_at = _at(closed_on, 20)
            c.closed_reason = "本人长期病休，该项承诺无法按期完成，经支部研究关闭。"
            self.event(
                c, "close_not_fulfilled", c.state, S.not_fulfilled, secretary, c.closed_at,
                c.closed_reason,
            )  # fmt: skip
            c.state = S.not_fulfilled
            return c
        if state == S.in_progress:
            return c
        requested = c.last_record_on or t - timedelta(days=10)
        c.evaluation_requested_at = _at(requested, 18)
        c.requested_days_left = (c.deadline - requested).days
        self.event(c, "request_evaluation", S.in_progress, S.awaiting_evaluation, owner,
                   c.evaluation_requested_at)  # fmt: skip
        c.state = S.awaiting_evaluation
        kinds = [EvaluationKind.self_]
        if state == S.evaluated or k % 3 == 0:
            kinds.append(EvaluationKind.branch)
        if state == S.evaluated:
            kinds.append(EvaluationKind.leader)
        for kind in kinds:
            score = rng.choice([88, 90, 92, 95, 96, 98, 100]) if rng.random() > 0.1 else 82
            who = owner if kind == EvaluationKind.self_ else secretary
            name = self.leader_for(c) if kind == EvaluationKind.leader else (
                who if isinstance(who, str) else who.label
            )  # fmt: skip
            comment = {
                EvaluationKind.self_: "按承诺完成各项任务，群众认可。",
                EvaluationKind.branch: "践诺扎实，记录完整，证明材料齐全。",
                EvaluationKind.leader: "带头示范作用明显，望继续保持。",
            }[kind]
            db.session.add(
                Evaluation(commitment=c, kind=kind, score=score, comment=comment,
                           evaluator_name=name, recorded_by_id=getattr(who, "id", None))
            )  # fmt: skip
            self.event(c, "record_evaluation", c.state, c.state, who,
                       _at(requested + timedelta(days=1), 10),
                       f"{kind.label}：{score} 分。{comment}")  # fmt: skip
        return c

    def leader_for(self, c: Commitment) -> str:
        for member_id, name, title in self.leaders:
            if member_id != c.member_id:
                return f"{name}（{title or '局领导'}）"
        return "分管局领导"

    def records(self, c: Commitment, published_on: date, owner: User | str, state) -> None:  # noqa: ANN001
        rng, t = self.rng, self.today
        count = rng.randint(1, 4)
        stale = state == S.in_progress and rng.random() < 0.08
        finished = state in (S.awaiting_evaluation, S.evaluated)
        if stale:
            last = t - timedelta(days=rng.randint(61, 90))
        elif finished:  # records end before the evaluation request
            last = t - timedelta(days=rng.randint(8, 30))
        else:
            last = t - timedelta(days=rng.randint(1, 20))
        span = max(1, (last - published_on).days)
        days = sorted({published_on + timedelta(days=rng.randint(1, span)) for _ in range(count)})
        days[-1] = last
        days = sorted(set(days))
        progress = 0
        no_evidence = state == S.in_progress and rng.random() < 0.03
        for i, day in enumerate(days):
            last_one = i == len(days) - 1
            progress = 100 if (finished and last_one) else min(95, progress + rng.randint(15, 35))
            text = record_text(c.content, rng)
            record = FulfilmentRecord(
                commitment=c, recorded_on=day, text=text, progress=progress,
                created_by_id=getattr(owner, "id", None), created_at=_at(day, 17),
            )  # fmt: skip
            db.session.add(record)
            files = 0
            if not no_evidence and (last_one or rng.random() < 0.5):
                upload = ("工作照片.png", self.png) if rng.random() < 0.7 else ("工作记录.pdf", PDF)
                stored = storage.save_upload(
                    upload,
                    domain="commitments",
                    actor=owner if not isinstance(owner, str) else None,
                )
                db.session.add(RecordEvidence(record=record, file=stored))
                files = 1
            self.event(c, "add_record", c.state, S.in_progress, owner, _at(day, 17), text, record)
            c.state = S.in_progress
            c.progress = progress
            c.record_count += 1
            c.evidence_count += files
            c.last_record_on = day
        if no_evidence:
            c.progress = max(c.progress, 85)

    def ratings(self, c: Commitment, k: int) -> None:
        rng = self.rng
        n = 0 if k % 37 == 0 else (2 if k % 29 == 0 else rng.randint(3, 9))
        start = c.published_at.astimezone(LOCAL_TZ).date()
        span = max(1, (self.today - start).days)
        for _ in range(n):
            roll = rng.random()
            level = (
                RatingLevel.satisfied if roll < 0.82
                else RatingLevel.basic if roll < 0.96 else RatingLevel.unsatisfied
            )  # fmt: skip
            comment = rng.choice(COMMENTS[c.category]) if rng.random() < 0.15 else ""
            state = CommentState.none
            if comment:
                state = CommentState.approved if rng.random() < 0.7 else CommentState.pending
            day = start + timedelta(days=rng.randint(1, span))
            db.session.add(
                PublicRating(
                    commitment=c, level=level, comment=comment, comment_state=state,
                    browser_hash=f"{rng.getrandbits(128):032x}", ip_hash=f"{rng.getrandbits(64):016x}",
                    rated_on=day, created_at=_at(day, rng.randint(8, 20)),
                )
            )  # fmt: skip

    def finalise(self, c: Commitment, secretary: User | str) -> None:
        db.session.flush()
        breakdown = service.score_breakdown(c)
        c.score, c.grade = breakdown.total, breakdown.grade
        c.evaluated_at = _at(self.today - timedelta(days=self.rng.randint(1, 6)), 15)
        c.evaluated_by_id = getattr(secretary, "id", None)
        self.event(c, "finalise", S.awaiting_evaluation, S.evaluated, secretary, c.evaluated_at,
                   f"综合得分 {c.score} 分，等次“{c.grade}”")  # fmt: skip
        c.state = S.evaluated


def owner_is_demo_member(owner: User | str) -> bool:
    return isinstance(owner, User) and owner.role.value == "member"


def seed() -> list[str]:
    title = f"{local_today().year}年度党员承诺"
    branches = db.session.scalars(sa.select(Branch).order_by(Branch.code)).all()
    if not branches:
        return ["承诺演示数据：没有党支部，已跳过。"]
    if db.session.scalar(sa.select(CommitmentBatch.id).where(CommitmentBatch.title == title)):
        return ["承诺演示数据已存在，未重复加载。"]
    users = db.session.scalars(sa.select(User).where(User.member_id.is_not(None))).all()
    user_by_member = {u.member_id: u for u in users}
    seeder = _Seeder()
    total = 0
    k = 0
    for branch in branches:
        secretary = next(
            (u for u in users if u.role.value == "secretary" and u.branch_id == branch.id), None
        )
        sec: User | str = secretary or f"{branch.name}书记"
        batch = seeder.batch(branch, title, secretary)
        members = db.session.scalars(
            sa.select(Member)
            .where(Member.branch_id == branch.id, Member.is_active.is_(True))
            .order_by(Member.is_leader.desc(), Member.id)
        ).all()
        # Demo accounts' members first, so logging in shows something to do.
        chosen = [m for m in members if m.id in user_by_member][:PER_BRANCH_MEMBERS]
        chosen += [m for m in members if m not in chosen][: PER_BRANCH_MEMBERS - len(chosen)]
        for member in chosen:
            account = user_by_member.get(member.id)
            owner: User | str = account or member.name
            for item in range(2):
                if account is not None and account.role.value == "member":
                    state = (S.in_progress, S.draft)[item]  # one to keep, one returned
                else:
                    state = seeder.rng.choice(seeder.state_pool)
                c = seeder.commitment(batch, member, state, sec, owner, k)
                if state in (S.evaluated, S.awaiting_evaluation, S.in_progress, S.published,
                             S.not_fulfilled):  # fmt: skip
                    seeder.ratings(c, k)
                if state == S.evaluated:
                    seeder.finalise(c, sec)
                k += 1
                total += 1
        # A couple of withdrawn items: the record stays, the board no longer shows them.
        if branch.code == "B02":
            db.session.flush()
            last = db.session.scalars(
                sa.select(Commitment)
                .where(Commitment.batch_id == batch.id, Commitment.state == S.published)
                .limit(1)
            ).first()
            if last is not None:
                last.is_withdrawn = True
                last.withdrawn_at = last.published_at + timedelta(days=30)
                last.withdrawn_reason = "组织关系转出，承诺撤回"
                seeder.event(last, "withdraw", last.state, last.state, sec, last.withdrawn_at,
                             last.withdrawn_reason)  # fmt: skip
        db.session.flush()
        audit.record(
            "seed_demo",
            "commitment_batch",
            batch.id,
            actor="seed-demo",
            branch_id=branch.id,
            summary=f"演示数据：{branch.name}的承诺",
        )
    from partybuild.commitments.rates import rates

    summary = rates()
    part, sat = summary.participation_rate, summary.satisfaction_rate
    return [
        f"已创建承诺演示数据：{len(branches)} 个批次“{title}”，共 {total} 项承诺，"
        f"群众评价 {summary.ratings} 条"
        + (
            f"，参评率 {part:.1%}，满意率 {sat:.1%}。"
            if part is not None and sat is not None
            else "。"
        ),
        f"公示栏示例：/public/{branches[0].code}",
    ]
