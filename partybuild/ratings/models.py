"""Model posts (党员示范岗) and their rating rounds (测评).

Two lifecycles, both tables for ``core.states.Lifecycle``:

- a model post: nominated → approved → announced (公示, objections recorded) →
  designated (plaque issued) → renewed or revoked (收回牌子); rejected at any step
  before designation;
- a rating round: draft → open → closed (results frozen).

Ratings are stored so that nobody can read who rated what: a ``RatingSheet`` holds a
group's scores for a post and no rater; a ``RatingReceipt`` records only that an
assigned rater has rated a post (for progress and "once only").
"""

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partybuild.core import audit, dataversion
from partybuild.core.db import LabelledEnum, str_enum, utcnow
from partybuild.core.states import Lifecycle, Stateful, Transition
from partybuild.extensions import db
from partybuild.org.models import Branch, Member, Post

if TYPE_CHECKING:
    from partybuild.auth.models import User


# --- model posts ----------------------------------------------------------------------


class PostState(LabelledEnum):
    nominated = "nominated", "已提名"
    approved = "approved", "已审批"
    announced = "announced", "公示中"
    designated = "designated", "已挂牌"
    rejected = "rejected", "未通过"
    revoked = "revoked", "已收回牌子"


class PostKind(LabelledEnum):
    individual = "individual", "个人示范岗"
    collective = "collective", "集体示范岗"


class Nomination(LabelledEnum):
    self_ = "self", "个人自荐"
    branch = "branch", "支部推荐"


class PostAction(LabelledEnum):
    edit = "edit", "修改示范岗信息"
    approve = "approve", "审批通过"
    announce = "announce", "公示"
    record_objection = "record_objection", "登记公示异议"
    designate = "designate", "授牌"
    reject = "reject", "不予通过"
    renew = "renew", "续期"
    revoke = "revoke", "收回牌子"
    log_service = "log_service", "登记服务群众事项"


class PostActor(LabelledEnum):
    holder = "holder", "示范岗党员本人"
    secretary = "secretary", "本支部书记"


S, A = PostState, PostAction
HOLDER, SECRETARY = frozenset({PostActor.holder}), frozenset({PostActor.secretary})
BOTH = HOLDER | SECRETARY


def _objections_settled(post: "ModelPost", _user: Any) -> str | None:
    from partybuild.core.timeutil import local_today

    if post.objection_end_on is not None and local_today() <= post.objection_end_on:
        return f"公示期至 {post.objection_end_on:%Y-%m-%d}，公示期结束后才能授牌"
    if post.open_objections:
        return f"还有 {post.open_objections} 条公示异议未处理，处理后才能授牌"
    return None


T = Transition
POST_TRANSITIONS: dict[tuple[PostState, PostAction], Transition] = {
    (S.nominated, A.edit): T(S.nominated, BOTH),
    (S.nominated, A.approve): T(S.approved, SECRETARY),
    (S.nominated, A.reject): T(S.rejected, SECRETARY),
    (S.approved, A.edit): T(S.approved, SECRETARY),
    (S.approved, A.announce): T(S.announced, SECRETARY),
    (S.approved, A.reject): T(S.rejected, SECRETARY),
    (S.announced, A.record_objection): T(S.announced, SECRETARY),
    (S.announced, A.designate): T(S.designated, SECRETARY, guard=_objections_settled),
    (S.announced, A.reject): T(S.rejected, SECRETARY),
    (S.designated, A.edit): T(S.designated, SECRETARY),
    (S.designated, A.renew): T(S.designated, SECRETARY),
    (S.designated, A.revoke): T(S.revoked, SECRETARY),
    (S.designated, A.log_service): T(S.designated, BOTH),
    # rejected and revoked are final: a new nomination starts a new record.
}
del S, A, T

POST_LIFECYCLE = Lifecycle(POST_TRANSITIONS, actions=PostAction, noun="示范岗")


class ModelPost(Stateful, db.Model):
    """党员示范岗 / 先锋岗: a post held by one member, or a collective post."""

    __tablename__ = "model_posts"
    __table_args__ = (
        sa.CheckConstraint(
            "state NOT IN ('approved', 'announced', 'designated', 'revoked')"
            " OR approved_at IS NOT NULL",
            name="approved_has_time",
        ),
        sa.CheckConstraint(
            "state NOT IN ('announced', 'designated', 'revoked')"
            " OR (announced_on IS NOT NULL AND objection_end_on >= announced_on)",
            name="announced_has_period",
        ),
        sa.CheckConstraint(
            "state NOT IN ('designated', 'revoked') OR (plaque_no IS NOT NULL"
            " AND designated_on IS NOT NULL AND term_end_on > designated_on)",
            name="designated_has_plaque",
        ),
        sa.CheckConstraint(
            "(state = 'revoked') = (revoked_at IS NOT NULL AND revoke_reason != '')",
            name="revoked_has_reason",
        ),
        sa.CheckConstraint("service_count >= 0", name="service_count_positive"),
        sa.Index("ix_model_posts_branch_state", "branch_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(80))  # e.g. 信访接待党员示范岗
    kind: Mapped[PostKind] = mapped_column(str_enum(PostKind, 16), default=PostKind.individual)
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"), index=True)
    duties: Mapped[str] = mapped_column(sa.Text, default="")  # 岗位职责
    promises: Mapped[str] = mapped_column(sa.Text, default="")  # 服务承诺
    nomination: Mapped[Nomination] = mapped_column(str_enum(Nomination, 16))
    state: Mapped[PostState] = mapped_column(
        str_enum(PostState), default=PostState.nominated, index=True
    )
    nominated_at: Mapped[datetime] = mapped_column(default=utcnow)
    nominated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    announced_on: Mapped[date | None]
    objection_end_on: Mapped[date | None]
    open_objections: Mapped[int] = mapped_column(default=0)
    plaque_no: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    designated_on: Mapped[date | None]
    term_end_on: Mapped[date | None]
    renewed_count: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    rejected_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    # Kept with each service-log entry, so the public page needs no count query.
    service_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}
    lifecycle = POST_LIFECYCLE

    branch: Mapped[Branch] = relationship()
    post: Mapped[Post | None] = relationship()
    holders: Mapped[list["ModelPostHolder"]] = relationship(
        back_populates="model_post", order_by="ModelPostHolder.id", cascade="all"
    )

    AUDIT_FIELDS = (
        "title", "kind", "post_id", "duties", "promises", "state", "plaque_no",
        "designated_on", "term_end_on", "revoke_reason",
    )  # fmt: skip

    def __repr__(self) -> str:
        return f"<ModelPost {self.id} {self.state}>"

    @property
    def holder_ids(self) -> set[int]:
        return {h.member_id for h in self.holders}

    @property
    def holder_names(self) -> str:
        return "、".join(h.member.name for h in self.holders)

    @property
    def is_public(self) -> bool:
        return self.state == PostState.designated and self.plaque_no is not None

    def actors(self, user: "User | None") -> set[PostActor]:
        if user is None or not user.is_authenticated:
            return set()
        found = set()
        holds = user.member_id is not None and user.member_id in self.holder_ids
        if holds:
            found.add(PostActor.holder)
        # 回避: a secretary never approves, designates or revokes their own post; an
        # admin (or the higher organisation) acts instead.
        if user.manages_branch(self.branch_id) and (user.is_admin or not holds):
            found.add(PostActor.secretary)
        return found

    def can_view(self, user: "User | None") -> bool:
        if user is None or not user.is_authenticated:
            return False
        return user.reads_branch(self.branch_id)

    @classmethod
    def public(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.state == PostState.designated, cls.plaque_no.is_not(None))


class ModelPostHolder(db.Model):
    __tablename__ = "model_post_holders"
    __table_args__ = (sa.UniqueConstraint("model_post_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_post_id: Mapped[int] = mapped_column(sa.ForeignKey("model_posts.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)

    model_post: Mapped[ModelPost] = relationship(back_populates="holders")
    member: Mapped[Member] = relationship()


class Objection(db.Model):
    """An objection received during 公示, and how the branch settled it."""

    __tablename__ = "model_post_objections"
    __table_args__ = (
        sa.CheckConstraint(
            "(resolved_at IS NULL) = (resolution = '')", name="resolved_has_resolution"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_post_id: Mapped[int] = mapped_column(sa.ForeignKey("model_posts.id"), index=True)
    received_on: Mapped[date]
    text: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolution: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    model_post: Mapped[ModelPost] = relationship()


class ServiceEntry(db.Model):
    """服务群众台账: one public demand handled at the model post. Retired, never deleted."""

    __tablename__ = "model_post_services"
    __table_args__ = (
        sa.CheckConstraint(
            "(is_retired AND retired_at IS NOT NULL) OR (NOT is_retired AND retired_at IS NULL)",
            name="retired_has_time",
        ),
        sa.Index("ix_model_post_services_post_day", "model_post_id", "handled_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_post_id: Mapped[int] = mapped_column(sa.ForeignKey("model_posts.id"))
    handled_on: Mapped[date]
    demand: Mapped[str] = mapped_column(sa.Text)  # 群众诉求
    outcome: Mapped[str] = mapped_column(sa.Text)  # 办理结果
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    is_retired: Mapped[bool] = mapped_column(default=False)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    model_post: Mapped[ModelPost] = relationship()


# --- criteria ---------------------------------------------------------------------------


class CriterionSet(db.Model):
    """A set of rating criteria (五项标准, "4+5" 标准, or one an admin defines)."""

    __tablename__ = "rating_criterion_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    is_builtin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    criteria: Mapped[list["RatingCriterion"]] = relationship(
        back_populates="criterion_set", order_by="RatingCriterion.position", cascade="all"
    )

    @property
    def total_weight(self) -> int:
        return sum(c.weight for c in self.criteria)


class RatingCriterion(db.Model):
    __tablename__ = "rating_criteria"
    __table_args__ = (
        sa.UniqueConstraint("set_id", "name"),
        sa.CheckConstraint("weight > 0 AND weight <= 100", name="weight_range"),
        sa.CheckConstraint("scale_min >= 0 AND scale_max > scale_min", name="scale_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(sa.ForeignKey("rating_criterion_sets.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    weight: Mapped[int]
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=10)

    criterion_set: Mapped[CriterionSet] = relationship(back_populates="criteria")

    def to_percent(self, score: float) -> float:
        """A score on this criterion's scale as 0–100."""
        return (score - self.scale_min) * 100 / (self.scale_max - self.scale_min)


# --- rating rounds ----------------------------------------------------------------------


class RoundState(LabelledEnum):
    draft = "draft", "准备中"
    open = "open", "测评中"
    closed = "closed", "已结束"


class RoundAction(LabelledEnum):
    edit = "edit", "修改测评"
    open = "open", "开始测评"
    close = "close", "结束测评并固定结果"


class RoundActor(LabelledEnum):
    secretary = "secretary", "本支部书记"


class RaterGroup(LabelledEnum):
    leader = "leader", "领导测评"
    peer = "peer", "党员互评"
    public = "public", "群众测评"


R = RoundState
RS = frozenset({RoundActor.secretary})
ROUND_TRANSITIONS: dict[tuple[RoundState, RoundAction], Transition] = {
    (R.draft, RoundAction.edit): Transition(R.draft, RS),
    (R.draft, RoundAction.open): Transition(R.open, RS, guard=lambda r, _u: r.open_problem()),
    (R.open, RoundAction.close): Transition(R.closed, RS),
    # closed is final: its results are frozen.
}
del R, RS

ROUND_LIFECYCLE = Lifecycle(ROUND_TRANSITIONS, actions=RoundAction, noun="测评")


class RatingRound(Stateful, db.Model):
    """测评: one round over some model posts of a branch."""

    __tablename__ = "rating_rounds"
    __table_args__ = (
        sa.UniqueConstraint("branch_id", "title"),
        sa.CheckConstraint("closes_on >= opens_on", name="dates_order"),
        sa.CheckConstraint(
            "leader_weight >= 0 AND peer_weight >= 0 AND public_weight >= 0"
            " AND leader_weight + peer_weight + public_weight = 100",
            name="weights_sum_100",
        ),
        sa.CheckConstraint("min_raters >= 1", name="min_raters_positive"),
        sa.CheckConstraint("state = 'draft' OR opened_at IS NOT NULL", name="opened_has_time"),
        sa.CheckConstraint("(state = 'closed') = (closed_at IS NOT NULL)", name="closed_has_time"),
        sa.Index("ix_rating_rounds_branch_state", "branch_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(80))
    criterion_set_id: Mapped[int] = mapped_column(sa.ForeignKey("rating_criterion_sets.id"))
    leader_weight: Mapped[int]
    peer_weight: Mapped[int]
    public_weight: Mapped[int]
    # Snapshotted when the round is created, so later setting changes do not move it.
    min_raters: Mapped[int]
    opens_on: Mapped[date]
    closes_on: Mapped[date] = mapped_column(index=True)
    state: Mapped[RoundState] = mapped_column(
        str_enum(RoundState, 16), default=RoundState.draft, index=True
    )
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}
    lifecycle = ROUND_LIFECYCLE

    branch: Mapped[Branch] = relationship()
    criterion_set: Mapped[CriterionSet] = relationship()
    entries: Mapped[list["RoundPost"]] = relationship(
        back_populates="round", order_by="RoundPost.id", cascade="all"
    )
    raters: Mapped[list["RoundRater"]] = relationship(
        back_populates="round", order_by="RoundRater.id", cascade="all"
    )

    AUDIT_FIELDS = (
        "title", "criterion_set_id", "leader_weight", "peer_weight", "public_weight",
        "min_raters", "opens_on", "closes_on", "state",
    )  # fmt: skip

    @property
    def weights(self) -> dict[RaterGroup, int]:
        return {
            RaterGroup.leader: self.leader_weight,
            RaterGroup.peer: self.peer_weight,
            RaterGroup.public: self.public_weight,
        }

    @property
    def post_ids(self) -> list[int]:
        return [e.model_post_id for e in self.entries]

    def open_problem(self) -> str | None:
        if not self.entries:
            return "请先选择参加测评的示范岗"
        return None

    def accepts_ratings(self, today: date) -> bool:
        return self.state == RoundState.open and self.opens_on <= today <= self.closes_on

    def actors(self, user: "User | None") -> set[RoundActor]:
        if user is None or not user.is_authenticated:
            return set()
        return {RoundActor.secretary} if user.manages_branch(self.branch_id) else set()

    def can_view(self, user: "User | None") -> bool:
        return bool(
            user is not None and user.is_authenticated and user.reads_branch(self.branch_id)
        )


class RoundPost(db.Model):
    """A model post rated in a round; frozen figures are written here when it closes."""

    __tablename__ = "rating_round_posts"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "model_post_id"),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rating_rounds.id"), index=True)
    model_post_id: Mapped[int] = mapped_column(sa.ForeignKey("model_posts.id"), index=True)
    # Frozen on close: overall score, grade, rank in the branch, and the detail
    # ({"criteria": {...}, "groups": {...}, "left_out": [...]}) the pages show.
    score: Mapped[float | None]
    grade: Mapped[str | None] = mapped_column(sa.String(10))
    rank: Mapped[int | None]
    flagged: Mapped[bool] = mapped_column(default=False)
    detail: Mapped[dict | None] = mapped_column(sa.JSON)

    round: Mapped[RatingRound] = relationship(back_populates="entries")
    model_post: Mapped[ModelPost] = relationship()


class RoundRater(db.Model):
    """A leader or peer assigned to rate in a round (the public need no assignment)."""

    __tablename__ = "rating_round_raters"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "member_id"),
        sa.CheckConstraint("rater_group IN ('leader', 'peer')", name="assigned_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rating_rounds.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    rater_group: Mapped[RaterGroup] = mapped_column(str_enum(RaterGroup, 16))
    # Posts rated so far (kept with each receipt, for progress without counting).
    rated_count: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[datetime | None]

    round: Mapped[RatingRound] = relationship(back_populates="raters")
    member: Mapped[Member] = relationship()


class RatingReceipt(db.Model):
    """That an assigned rater has rated a post in a round, and nothing about how."""

    __tablename__ = "rating_receipts"
    __table_args__ = (sa.UniqueConstraint("rater_id", "model_post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rater_id: Mapped[int] = mapped_column(sa.ForeignKey("rating_round_raters.id"))
    model_post_id: Mapped[int] = mapped_column(sa.ForeignKey("model_posts.id"))
    rated_on: Mapped[date]


class CommentState(LabelledEnum):
    none = "none", "无留言"
    pending = "pending", "待审核"
    approved = "approved", "已公开"
    hidden = "hidden", "不公开"


class RatingSheet(db.Model):
    """One rater's scores for one post in one round, without the rater.

    Public sheets carry the hashed browser and network (one per browser per post per
    round) and an optional comment, shown only once the secretary approves it.
    """

    __tablename__ = "rating_sheets"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "model_post_id", "browser_hash"),
        sa.CheckConstraint(
            "(rater_group = 'public') = (browser_hash IS NOT NULL AND ip_hash IS NOT NULL)",
            name="public_has_browser",
        ),
        sa.CheckConstraint("(comment = '') = (comment_state = 'none')", name="comment_has_state"),
        sa.Index("ix_rating_sheets_round_post", "round_id", "model_post_id", "rater_group"),
        sa.Index("ix_rating_sheets_ip", "model_post_id", "ip_hash", "rated_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rating_rounds.id"))
    model_post_id: Mapped[int] = mapped_column(sa.ForeignKey("model_posts.id"))
    rater_group: Mapped[RaterGroup] = mapped_column(str_enum(RaterGroup, 16))
    rated_on: Mapped[date]
    browser_hash: Mapped[str | None] = mapped_column(sa.String(64))
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    comment: Mapped[str] = mapped_column(sa.String(500), default="")
    comment_state: Mapped[CommentState] = mapped_column(
        str_enum(CommentState, 16), default=CommentState.none, index=True
    )
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    scores: Mapped[list["RatingScore"]] = relationship(back_populates="sheet", cascade="all")
    model_post: Mapped[ModelPost] = relationship()
    round: Mapped[RatingRound] = relationship()


class RatingScore(db.Model):
    __tablename__ = "rating_scores"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("rating_sheets.id"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("rating_criteria.id"))
    score: Mapped[int]

    sheet: Mapped[RatingSheet] = relationship(back_populates="scores")


class AppealState(LabelledEnum):
    open = "open", "待答复"
    answered = "answered", "已答复"


class Appeal(db.Model):
    """申诉: a rated member disputes a round's result; the secretary answers on the record."""

    __tablename__ = "rating_appeals"
    __table_args__ = (
        sa.CheckConstraint(
            "(state = 'answered') = (answered_at IS NOT NULL AND answer != '')",
            name="answered_has_answer",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("rating_rounds.id"), index=True)
    model_post_id: Mapped[int] = mapped_column(sa.ForeignKey("model_posts.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[AppealState] = mapped_column(str_enum(AppealState, 16), default=AppealState.open)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    round: Mapped[RatingRound] = relationship()
    model_post: Mapped[ModelPost] = relationship()
    member: Mapped[Member] = relationship()


# Audit action names are global: ours carry a prefix.
ACTION_LABELS = {
    **{f"model_post_{a.value}": a.label for a in PostAction},
    **{f"rating_round_{a.value}": a.label for a in RoundAction},
    "nominate_model_post": "提名示范岗",
    "resolve_objection": "处理公示异议",
    "retire_service": "停用服务台账记录",
    "create_round": "新建测评",
    "assign_raters": "指定测评人",
    "remove_rater": "移除测评人",
    "moderate_rating_comment": "审核群众测评留言",
    "file_appeal": "提出申诉",
    "answer_appeal": "答复申诉",
    "save_criterion_set": "保存测评标准",
    "criteria_defaults": "载入默认测评标准",
}
audit.register_action_labels(ACTION_LABELS)


def _register_audit_labels() -> None:
    """How model posts and rating rounds read on the audit page."""
    audit.register_object_type(
        "model_post",
        "党员示范岗",
        fields={
            "title": "示范岗名称", "kind": "类型", "duties": "岗位职责", "promises": "服务承诺",
            "state": "状态", "plaque_no": "牌号", "designated_on": "挂牌日期",
            "term_end_on": "届满日期", "revoke_reason": "收回原因",
        },
        values={"kind": PostKind, "state": PostState},
        names=audit.names_from(ModelPost.id, ModelPost.title),
        link=("ratings.post_detail", "post_id"),
        order=50,
    )  # fmt: skip
    audit.register_object_type(
        "criterion_set",
        "测评标准",
        fields={
            "name": "标准名称",
            "criteria": "测评项目",
            "description": "说明",
            "weight": "权重",
            "scale_min": "最低分",
            "scale_max": "最高分",
            "codes": "标准代码",
        },  # fmt: skip
        names=audit.names_from(CriterionSet.id, CriterionSet.name),
        link=("ratings.criterion_set_form", "set_id"),
        order=51,
    )
    audit.register_object_type(
        "rating_round",
        "示范岗测评",
        fields={
            "title": "测评名称", "criterion_set_id": "测评标准", "leader_weight": "领导测评权重",
            "peer_weight": "党员互评权重", "public_weight": "群众测评权重",
            "min_raters": "最少测评人数", "opens_on": "开始日期", "closes_on": "截止日期",
            "state": "状态", "model_post_id": "示范岗",
        },
        values={"state": RoundState},
        actions={"rate_model_post": "测评示范岗"},
        refs={"criterion_set_id": "criterion_set", "model_post_id": "model_post"},
        names=audit.names_from(RatingRound.id, RatingRound.title),
        link=("ratings.round_detail", "round_id"),
        order=52,
    )  # fmt: skip


_register_audit_labels()


# Figures cached across requests (the workbench panels) are keyed by this version:
# every change to a model of this module bumps it in the same transaction.
dataversion.track_module("ratings", __name__)
