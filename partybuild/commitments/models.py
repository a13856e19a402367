"""Commitments (承诺践诺评诺): batches, commitments, their records, evaluations and public ratings.

The lifecycle is the explicit ``TRANSITIONS`` table below: (state, action) ->
(new state, who may do it), read by the core lifecycle engine (core/states.py).
Service functions consult it through ``check_transition``; templates ask
``Commitment.can(action, user)``.
"""

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partybuild.core import audit, dataversion
from partybuild.core.db import LabelledEnum, really_changed, str_enum, utcnow
from partybuild.core.permissions import Role
from partybuild.core.settings import setting
from partybuild.core.states import Lifecycle, Stateful, Transition
from partybuild.core.storage import StoredFile
from partybuild.extensions import db
from partybuild.org.models import Branch, Member

if TYPE_CHECKING:
    from partybuild.auth.models import User


class BatchStatus(LabelledEnum):
    open = "open", "进行中"
    closed = "closed", "已结束"


class CommitmentState(LabelledEnum):
    draft = "draft", "草稿"
    submitted = "submitted", "待审核"
    published = "published", "已亮诺"
    in_progress = "in_progress", "践诺中"
    awaiting_evaluation = "awaiting_evaluation", "待评诺"
    evaluated = "evaluated", "已评诺"
    not_fulfilled = "not_fulfilled", "未践诺（已关闭）"


STATE_LABELS = CommitmentState.labels()

# States that appear on the public board (when not withdrawn).
PUBLIC_STATES = (
    CommitmentState.published,
    CommitmentState.in_progress,
    CommitmentState.awaiting_evaluation,
    CommitmentState.evaluated,
    CommitmentState.not_fulfilled,
)
# The public may rate while the commitment is being kept.
RATABLE_STATES = (
    CommitmentState.published,
    CommitmentState.in_progress,
    CommitmentState.awaiting_evaluation,
)
LOCKED_STATES = (CommitmentState.evaluated, CommitmentState.not_fulfilled)
# States past the draft in which the member has steps of their own (代填 for them).
PROXY_STATES = (
    CommitmentState.published,
    CommitmentState.in_progress,
    CommitmentState.awaiting_evaluation,
)


class Action(LabelledEnum):
    edit = "edit", "修改承诺"
    submit = "submit", "提交审核"
    return_for_revision = "return_for_revision", "退回修改"
    publish = "publish", "审核通过并亮诺"
    add_record = "add_record", "添加践诺记录"
    supervise = "supervise", "督促"
    request_evaluation = "request_evaluation", "申请评诺"
    reopen = "reopen", "退回继续践诺"
    close_not_fulfilled = "close_not_fulfilled", "关闭为未践诺"
    record_evaluation = "record_evaluation", "评价"
    finalise = "finalise", "确定评诺结果"
    withdraw = "withdraw", "撤回承诺"
    retire_evidence = "retire_evidence", "停用证明材料"


ACTION_LABELS = Action.labels()
audit.register_action_labels(ACTION_LABELS)


class Actor(LabelledEnum):
    """How the acting user relates to a commitment."""

    owner = "owner", "承诺党员本人"  # the member who made it
    secretary = "secretary", "本支部书记"  # the branch's secretary, or an admin
    # 代填: the branch secretary doing the member's own steps on a commitment she entered
    # for them (a draft), or on every step for a member without an account.
    proxy = "proxy", "代填的本支部书记"


def _batch_open(commitment: "Commitment", user: "User | None") -> str | None:  # noqa: ARG001
    """Ending a batch (结束) ends writing and keeping: what BATCH_END_RULES says."""
    batch = commitment.batch
    if batch is None or batch.status == BatchStatus.open:
        return None
    return f"“{batch.title}”已结束：不能再新增、修改、提交或审核承诺，不能再添加践诺记录或督促"


S, A = CommitmentState, Action
OWNER, SECRETARY = frozenset({Actor.owner}), frozenset({Actor.secretary})
PROXY = frozenset({Actor.proxy})
BOTH = OWNER | SECRETARY
KEEPING = _batch_open  # guard: only while the batch has not been ended

T = Transition
TRANSITIONS: dict[tuple[CommitmentState, Action], Transition] = {
    (S.draft, A.edit): T(S.draft, OWNER | PROXY, KEEPING),
    (S.draft, A.submit): T(S.submitted, OWNER | PROXY, KEEPING),
    (S.draft, A.withdraw): T(S.draft, BOTH),
    (S.submitted, A.return_for_revision): T(S.draft, SECRETARY, KEEPING),
    (S.submitted, A.publish): T(S.published, SECRETARY, KEEPING),
    (S.submitted, A.withdraw): T(S.submitted, BOTH),
    (S.published, A.add_record): T(S.in_progress, OWNER | PROXY, KEEPING),
    (S.published, A.supervise): T(S.published, SECRETARY, KEEPING),
    (S.published, A.close_not_fulfilled): T(S.not_fulfilled, SECRETARY),
    (S.published, A.withdraw): T(S.published, SECRETARY),
    (S.in_progress, A.add_record): T(S.in_progress, OWNER | PROXY, KEEPING),
    (S.in_progress, A.supervise): T(S.in_progress, SECRETARY, KEEPING),
    # After the batch ends a member may still declare done on the records already kept.
    (S.in_progress, A.request_evaluation): T(S.awaiting_evaluation, OWNER | PROXY),
    (S.in_progress, A.close_not_fulfilled): T(S.not_fulfilled, SECRETARY),
    (S.in_progress, A.withdraw): T(S.in_progress, SECRETARY),
    # A file uploaded by mistake is retired (kept, hidden) while the record is still open.
    (S.in_progress, A.retire_evidence): T(S.in_progress, BOTH),
    (S.awaiting_evaluation, A.supervise): T(S.awaiting_evaluation, SECRETARY, KEEPING),
    (S.awaiting_evaluation, A.record_evaluation): T(S.awaiting_evaluation, BOTH | PROXY),
    (S.awaiting_evaluation, A.reopen): T(S.in_progress, SECRETARY, KEEPING),
    (S.awaiting_evaluation, A.close_not_fulfilled): T(S.not_fulfilled, SECRETARY),
    (S.awaiting_evaluation, A.finalise): T(S.evaluated, SECRETARY),
    (S.awaiting_evaluation, A.retire_evidence): T(S.awaiting_evaluation, BOTH),
    # evaluated and not_fulfilled are final: nothing may change them.
}
del S, A, T


def _refuse(commitment: "Commitment") -> str | None:
    """Withdrawn and finished commitments refuse every action."""
    if commitment.is_withdrawn:
        return "该承诺已撤回，不能再进行任何操作"
    if commitment.state in LOCKED_STATES:
        return f"该承诺{commitment.state.label}，记录已锁定，不能再修改"
    return None


LIFECYCLE = Lifecycle(TRANSITIONS, actions=Action, noun="承诺", refuse=_refuse)


class EvaluationKind(LabelledEnum):
    self_ = "self", "党员述（自评）"
    branch = "branch", "支部讲（支部评）"
    leader = "leader", "领导点（领导点评）"


# Who records each kind: the member describes their own (the secretary enters it for a
# member without an account, 代填); the secretary records the branch's verdict and the
# leader's comment (given at the evaluation meeting).
EVALUATION_KIND_ACTOR = {
    EvaluationKind.self_: Actor.owner,
    EvaluationKind.branch: Actor.secretary,
    EvaluationKind.leader: Actor.secretary,
}
EVALUATION_KIND_ACTORS = {
    EvaluationKind.self_: OWNER | PROXY,
    EvaluationKind.branch: SECRETARY,
    EvaluationKind.leader: SECRETARY,
}


class RatingLevel(LabelledEnum):
    satisfied = "satisfied", "满意"
    basic = "basic", "基本满意"
    unsatisfied = "unsatisfied", "不满意"


class CommentState(LabelledEnum):
    none = "none", "无留言"
    pending = "pending", "待审核"
    approved = "approved", "已公开"
    hidden = "hidden", "不公开"


class CommitmentBatch(db.Model):
    __tablename__ = "commitment_batches"
    __table_args__ = (
        sa.UniqueConstraint("branch_id", "title"),
        sa.CheckConstraint("commit_end >= commit_start", name="commit_window_order"),
        sa.CheckConstraint("evaluation_end >= evaluation_start", name="evaluation_window_order"),
        sa.CheckConstraint("evaluation_start >= commit_start", name="evaluation_after_commit"),
        sa.CheckConstraint("entry_end >= entry_start", name="entry_window_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    # 承诺期: the period in which commitments are kept (deadlines, records fall in it).
    commit_start: Mapped[date]
    commit_end: Mapped[date]
    # 开放填报: the window in which new commitments may be written (late joiners too);
    # separate from the period above, by default the same dates.
    entry_start: Mapped[date]
    entry_end: Mapped[date]
    evaluation_start: Mapped[date]
    evaluation_end: Mapped[date]
    status: Mapped[BatchStatus] = mapped_column(str_enum(BatchStatus, 16), default=BatchStatus.open)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    branch: Mapped[Branch] = relationship()

    AUDIT_FIELDS = (
        "branch_id", "title", "commit_start", "commit_end", "entry_start", "entry_end",
        "evaluation_start", "evaluation_end", "status",
    )  # fmt: skip

    def __init__(self, **kw: object) -> None:
        # The entry window defaults to the batch's own period (as the migration fills it).
        kw.setdefault("entry_start", kw.get("commit_start"))
        kw.setdefault("entry_end", kw.get("commit_end"))
        super().__init__(**kw)

    def accepts_commitments(self, today: date) -> bool:
        return self.entry_refusal(today) is None

    def entry_refusal(self, today: date) -> str | None:
        """Why no new commitment can be written today, naming the date that applies."""
        if self.status != BatchStatus.open:
            return f"“{self.title}”已结束，不能再新增承诺"
        if today < self.entry_start:
            return f"本批次承诺填报将于 {self.entry_start:%Y-%m-%d} 开放"
        if today > self.entry_end:
            return f"本批次承诺填报已于 {self.entry_end:%Y-%m-%d} 截止"
        return None

    def end_rules(self) -> list[str]:
        """What ending the batch (结束) changes, as enforced by the lifecycle guard
        (``_batch_open``), ``entry_refusal`` and ``Commitment.is_ratable``."""
        return [
            "不能再新增承诺（包括代填），已有草稿不能再修改或提交；待审核的承诺不能再审核亮诺或退回。",
            "不能再添加践诺记录，也不能再督促。",
            "践诺中的承诺仍可凭已有的践诺记录申请评诺；党员述、支部讲、领导点和确定评诺结果"
            f"照常进行（评诺期 {self.evaluation_start:%Y-%m-%d} 至 {self.evaluation_end:%Y-%m-%d}）。",
            f"群众评价继续接受，至评诺截止日期 {self.evaluation_end:%Y-%m-%d} 为止。",
            "仍可关闭为未践诺或撤回承诺；已有记录全部保留。结束后可以重新开放。",
        ]

    def evaluation_phase(self, today: date) -> str:
        """Where today falls: "before", "open" or "after" the evaluation window (评诺期)."""
        if today < self.evaluation_start:
            return "before"
        return "after" if today > self.evaluation_end else "open"

    def can_manage(self, user: "User") -> bool:
        return user.is_authenticated and user.manages_branch(self.branch_id)


class Commitment(Stateful, db.Model):
    __tablename__ = "commitments"
    __table_args__ = (
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        sa.CheckConstraint(
            "(state IN ('published', 'in_progress', 'awaiting_evaluation', 'evaluated',"
            " 'not_fulfilled')) = (published_at IS NOT NULL)",
            name="published_has_time",
        ),
        sa.CheckConstraint(
            "(state = 'evaluated') = (score IS NOT NULL AND grade IS NOT NULL"
            " AND evaluated_at IS NOT NULL)",
            name="evaluated_has_score",
        ),
        sa.CheckConstraint(
            "state != 'not_fulfilled' OR (closed_at IS NOT NULL AND closed_reason != '')",
            name="closed_has_reason",
        ),
        sa.CheckConstraint(
            "state NOT IN ('awaiting_evaluation', 'evaluated') OR evaluation_requested_at IS NOT NULL",
            name="evaluation_was_requested",
        ),
        sa.CheckConstraint(
            "(is_withdrawn AND withdrawn_at IS NOT NULL) OR (NOT is_withdrawn AND withdrawn_at IS NULL)",
            name="withdrawn_has_time",
        ),
        sa.CheckConstraint("entered_by_id IS NULL OR entered_by_name != ''", name="proxy_has_name"),
        sa.Index("ix_commitments_branch_state", "branch_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("commitment_batches.id"), index=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branches.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(20))
    content: Mapped[str] = mapped_column(sa.Text)
    target: Mapped[str] = mapped_column(sa.Text)
    measures: Mapped[str] = mapped_column(sa.Text, default="")
    deadline: Mapped[date] = mapped_column(index=True)
    state: Mapped[CommitmentState] = mapped_column(
        str_enum(CommitmentState), default=CommitmentState.draft, index=True
    )
    return_comment: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    evaluation_requested_at: Mapped[datetime | None]
    # Days left before the deadline when evaluation was requested (negative: late).
    requested_days_left: Mapped[int | None]
    evaluated_at: Mapped[datetime | None]
    evaluated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str] = mapped_column(sa.Text, default="")  # shown publicly
    is_withdrawn: Mapped[bool] = mapped_column(default=False, index=True)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    withdrawn_reason: Mapped[str] = mapped_column(sa.String(255), default="")
    # Kept in step by add_fulfilment_record so lists and flags need no per-row queries.
    progress: Mapped[int] = mapped_column(default=0)
    record_count: Mapped[int] = mapped_column(default=0)
    evidence_count: Mapped[int] = mapped_column(default=0)
    last_record_on: Mapped[date | None]
    # Public ratings by level, kept in step by add_public_rating (same transaction), so
    # boards and rates read them from this row instead of counting the ratings table.
    ratings_satisfied: Mapped[int] = mapped_column(default=0, server_default="0")
    ratings_basic: Mapped[int] = mapped_column(default=0, server_default="0")
    ratings_unsatisfied: Mapped[int] = mapped_column(default=0, server_default="0")
    score: Mapped[float | None]
    grade: Mapped[str | None] = mapped_column(sa.String(10))
    # 代填: the secretary who entered it for the member (None: the member wrote it).
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    entered_by_name: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}
    lifecycle = LIFECYCLE  # can(action, user), allowed_actions(user)

    batch: Mapped[CommitmentBatch] = relationship()
    branch: Mapped[Branch] = relationship()
    member: Mapped[Member] = relationship()
    records: Mapped[list["FulfilmentRecord"]] = relationship(
        back_populates="commitment",
        order_by=lambda: (FulfilmentRecord.recorded_on.desc(), FulfilmentRecord.id.desc()),
    )
    notes: Mapped[list["SupervisionNote"]] = relationship(
        back_populates="commitment", order_by="SupervisionNote.id"
    )
    evaluations: Mapped[list["Evaluation"]] = relationship(
        back_populates="commitment", order_by="Evaluation.id"
    )
    events: Mapped[list["CommitmentEvent"]] = relationship(
        back_populates="commitment", order_by="CommitmentEvent.id"
    )

    AUDIT_FIELDS = (
        "category", "content", "target", "measures", "deadline", "state", "is_withdrawn",
        "progress", "score", "grade",
    )  # fmt: skip

    def __repr__(self) -> str:
        return f"<Commitment {self.id} {self.state}>"

    @classmethod
    def on_public_board(cls) -> sa.ColumnElement[bool]:
        """SQL condition: this commitment is shown on the public board."""
        return sa.and_(
            cls.published_at.is_not(None),
            cls.is_withdrawn.is_(False),
            cls.state.in_(PUBLIC_STATES),
        )

    @property
    def rating_counts(self) -> dict[str, int]:
        """{level: count} of public ratings, from the counters on this row."""
        return {
            RatingLevel.satisfied.value: self.ratings_satisfied,
            RatingLevel.basic.value: self.ratings_basic,
            RatingLevel.unsatisfied.value: self.ratings_unsatisfied,
        }

    @classmethod
    def rating_column(cls, level: "RatingLevel | str") -> sa.orm.InstrumentedAttribute[int]:
        return getattr(cls, f"ratings_{RatingLevel(level).value}")

    @property
    def is_public(self) -> bool:
        return (
            self.published_at is not None and not self.is_withdrawn and self.state in PUBLIC_STATES
        )

    @property
    def is_ratable(self) -> bool:
        if not (self.is_public and self.state in RATABLE_STATES):
            return False
        batch = self.batch
        if batch is not None and batch.status == BatchStatus.closed:
            # An ended batch takes ratings until its evaluation deadline (end_rules).
            from partybuild.core.timeutil import local_today

            return local_today() <= batch.evaluation_end
        return True

    @property
    def is_proxy(self) -> bool:
        """Entered by the branch secretary on the member's behalf (代填)."""
        return self.entered_by_id is not None

    @property
    def proxy_label(self) -> str:
        return f"由 {self.entered_by_name} 代填" if self.is_proxy else ""

    @property
    def member_has_account(self) -> bool:
        """The member can sign in (an active account). Asked once per loaded row."""
        cached = getattr(self, "_has_account", None)
        if cached is None:
            from partybuild.auth.models import User

            cached = bool(
                db.session.scalar(
                    sa.select(
                        sa.exists().where(
                            User.member_id == self.member_id, User.is_active_account.is_(True)
                        )
                    )
                )
            )
            self._has_account = cached
        return cached

    def proxy_allowed(self) -> bool:
        """The secretary may do the member's steps (代填): on a draft she entered, and on
        every step for a member without an account (members who have one do their own)."""
        if self.entered_by_id is None:
            return False
        if self.state == CommitmentState.draft:
            return True
        if self.state not in PROXY_STATES:
            return False
        return not self.member_has_account

    @property
    def is_locked(self) -> bool:
        return self.is_withdrawn or self.state in LOCKED_STATES

    def flags(self, today: date) -> list[str]:
        """Same rules as ``flag_conditions``, on a loaded row (no queries)."""
        from datetime import timedelta

        from partybuild.core.timeutil import local_today

        if self.is_withdrawn:
            return []
        found = []
        keeping = self.state in (CommitmentState.published, CommitmentState.in_progress)
        if keeping and self.deadline < today:
            found.append("overdue")
        stale_cut = today - timedelta(days=setting("COMMITMENT_STALE_DAYS"))
        if keeping and (
            (self.last_record_on is not None and self.last_record_on < stale_cut)
            or (
                self.last_record_on is None
                and self.published_at is not None
                and local_today(self.published_at) < stale_cut
            )
        ):
            found.append("stale")
        if (
            self.published_at is not None
            and self.progress >= setting("COMMITMENT_HIGH_PROGRESS")
            and self.evidence_count == 0
        ):
            found.append("no_evidence")
        if (
            self.requested_days_left is not None
            and self.requested_days_left <= setting("COMMITMENT_RUSH_DAYS")
            and self.record_count <= setting("COMMITMENT_RUSH_MAX_RECORDS")
        ):
            found.append("rushed")
        return found

    def actors(self, user: "User | None") -> set[Actor]:
        if user is None or not user.is_authenticated:
            return set()
        from partybuild.commitments import conflicts

        found = set()
        own = user.member_id is not None and user.member_id == self.member_id
        if own and user.role in (Role.member, Role.secretary, Role.admin):
            found.add(Actor.owner)
        # 回避: nobody acts as the secretary on their own commitment; on the secretary's
        # own, her deputy (or the higher-level organisation) acts in her stead.
        if own:
            return found
        if user.manages_branch(self.branch_id) or conflicts.stead_role(self, user):
            found.add(Actor.secretary)
        if (
            user.role == Role.secretary
            and user.manages_branch(self.branch_id)
            and self.proxy_allowed()
        ):
            found.add(Actor.proxy)
        return found

    def in_stead(self, user: "User | None") -> str:
        """ "由副书记 王五 代为…" when ``user`` acts for the secretary on her own
        commitment, else "" (for the timeline)."""
        from partybuild.commitments import conflicts

        if user is None or not getattr(user, "is_authenticated", False):
            return ""
        role = conflicts.stead_role(self, user)
        return f"由{role} {user.label} 代为" if role else ""

    def can_view(self, user: "User | None") -> bool:
        if user is None or not user.is_authenticated:
            return False
        return user.reads_all_branches or bool(self.actors(user))

    def can_inspect_retired(self, user: "User | None") -> bool:
        """A retired evidence file stays open to the branch secretary and to inspectors
        (kept as the record of what was replaced), not to the member or the public."""
        if user is None or not user.is_authenticated:
            return False
        return user.reads_all_branches or user.manages_branch(self.branch_id)


def check_transition(
    commitment: Commitment, action: Action, user: "User | None"
) -> CommitmentState:
    """The new state for ``action``, or TransitionRefused / PermissionDenied saying why not."""
    return LIFECYCLE.check(commitment, action, user)


FLAG_LABELS = {
    "overdue": "已逾期",
    "stale": "长期无进展",
    "no_evidence": "进度高但无证明材料",
    "rushed": "临近时限突击申请评诺",
}


def flag_conditions(today: date) -> dict[str, sa.ColumnElement[bool]]:
    """Contradiction flags as SQL conditions, for filtering and counting in bulk.

    ``Commitment.flags`` computes the same on loaded rows; a test keeps them equal.
    """
    from datetime import UTC, time, timedelta

    from partybuild.core.timeutil import LOCAL_TZ

    keeping = Commitment.state.in_([CommitmentState.published, CommitmentState.in_progress])
    stale_cut = today - timedelta(days=setting("COMMITMENT_STALE_DAYS"))
    stale_cut_at = datetime.combine(stale_cut, time(), LOCAL_TZ).astimezone(UTC)
    live = Commitment.is_withdrawn.is_(False)
    return {
        "overdue": sa.and_(live, keeping, Commitment.deadline < today),
        "stale": sa.and_(
            live,
            keeping,
            sa.or_(
                Commitment.last_record_on < stale_cut,
                sa.and_(
                    Commitment.last_record_on.is_(None), Commitment.published_at < stale_cut_at
                ),
            ),
        ),
        "no_evidence": sa.and_(
            live,
            Commitment.published_at.is_not(None),
            Commitment.progress >= setting("COMMITMENT_HIGH_PROGRESS"),
            Commitment.evidence_count == 0,
        ),
        "rushed": sa.and_(
            live,
            Commitment.requested_days_left.is_not(None),
            Commitment.requested_days_left <= setting("COMMITMENT_RUSH_DAYS"),
            Commitment.record_count <= setting("COMMITMENT_RUSH_MAX_RECORDS"),
        ),
    }


class CommitmentEvent(db.Model):
    """One entry in a commitment's timeline (the thread an inspector follows)."""

    __tablename__ = "commitment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(sa.ForeignKey("commitments.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    from_state: Mapped[CommitmentState | None] = mapped_column(str_enum(CommitmentState))
    to_state: Mapped[CommitmentState | None] = mapped_column(str_enum(CommitmentState))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(80), default="")
    # 回避: "由副书记 王五 代为审核" when someone acted in the secretary's stead.
    in_stead: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    # 代填: the actor did the member's step on the member's behalf ("由 X 代填").
    by_proxy: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fulfilment_records.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="events")
    record: Mapped["FulfilmentRecord | None"] = relationship()

    @property
    def action_label(self) -> str:
        extra = {"create": "创建承诺", "rating_comment": "审核群众留言"}
        if self.action in extra:
            return extra[self.action]
        try:
            return Action(self.action).label
        except ValueError:
            return self.action


class FulfilmentRecord(db.Model):
    """践诺记录: what was done on a day, the progress reached, and its evidence."""

    __tablename__ = "fulfilment_records"
    __table_args__ = (
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(sa.ForeignKey("commitments.id"), index=True)
    recorded_on: Mapped[date]
    text: Mapped[str] = mapped_column(sa.Text)
    progress: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    commitment: Mapped[Commitment] = relationship(back_populates="records")
    evidence: Mapped[list["RecordEvidence"]] = relationship(
        back_populates="record", order_by="RecordEvidence.id"
    )


class RecordEvidence(db.Model):
    __tablename__ = "fulfilment_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("fulfilment_records.id"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_files.id"), unique=True)

    record: Mapped[FulfilmentRecord] = relationship(back_populates="evidence")
    file: Mapped[StoredFile] = relationship()


class SupervisionNote(db.Model):
    """督促: the secretary's note pressing a member to keep a commitment."""

    __tablename__ = "supervision_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(sa.ForeignKey("commitments.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(sa.String(80), default="")

    commitment: Mapped[Commitment] = relationship(back_populates="notes")


class Evaluation(db.Model):
    """One part of 评诺; recorded again replaces the score, the audit keeps the old one."""

    __tablename__ = "commitment_evaluations"
    __table_args__ = (
        sa.UniqueConstraint("commitment_id", "kind"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(sa.ForeignKey("commitments.id"), index=True)
    kind: Mapped[EvaluationKind] = mapped_column(str_enum(EvaluationKind, 16))
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    evaluator_name: Mapped[str] = mapped_column(sa.String(80), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="evaluations")


class PublicRating(db.Model):
    """群众评: one satisfaction rating from one browser on one day."""

    __tablename__ = "public_ratings"
    __table_args__ = (
        sa.UniqueConstraint("commitment_id", "browser_hash", "rated_on"),
        sa.CheckConstraint("(comment = '') = (comment_state = 'none')", name="comment_has_state"),
        sa.Index("ix_public_ratings_ip", "commitment_id", "ip_hash", "rated_on"),
        # The moderation queue and its count: a branch's commitments, then their
        # comments in one state (not every comment in that state, then the branch).
        sa.Index("ix_public_ratings_commitment_state", "commitment_id", "comment_state"),
        # The ledger totals a period's ratings by level without reading the rows.
        sa.Index("ix_public_ratings_commitment_day_level", "commitment_id", "rated_on", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(sa.ForeignKey("commitments.id"), index=True)
    level: Mapped[RatingLevel] = mapped_column(str_enum(RatingLevel, 16))
    comment: Mapped[str] = mapped_column(sa.String(500), default="")
    comment_state: Mapped[CommentState] = mapped_column(
        str_enum(CommentState, 16), default=CommentState.none, index=True
    )
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    browser_hash: Mapped[str] = mapped_column(sa.String(64))
    ip_hash: Mapped[str] = mapped_column(sa.String(64))
    rated_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    commitment: Mapped[Commitment] = relationship()

    @property
    def comment_approved(self) -> bool:
        return self.comment_state == CommentState.approved


# --- the public board's version -------------------------------------------------------
# Every flush that changes something a branch's public pages show bumps that branch's
# ``public_version`` in the same transaction. Public pages take their ETag and the key
# of their rendered-page cache from it, so a cached board can never outlive a change.

_PENDING_KEY = "public_version_branches"
_EXPIRE_KEY = "public_version_expire"
_RATINGS_KEY = "public_rating_counts"
_RATED_KEY = "public_rating_rated"
_ALL_BRANCHES = -1  # a post or department renamed: every branch may show it


def _branch_ids_of(session: sa.orm.Session, obj: object) -> set[int]:
    if isinstance(obj, Commitment | CommitmentBatch):
        return {obj.branch_id} if obj.branch_id else set()
    if isinstance(obj, FulfilmentRecord | PublicRating):
        c = obj.__dict__.get("commitment") or session.get(Commitment, obj.commitment_id)
        return {c.branch_id} if c is not None else set()
    if isinstance(obj, RecordEvidence):
        record = obj.__dict__.get("record") or session.get(FulfilmentRecord, obj.record_id)
        return _branch_ids_of(session, record) if record is not None else set()
    if isinstance(obj, Member):
        # A member moved between branches changes both boards.
        history = sa.orm.attributes.get_history(obj, "branch_id")
        return {b for b in (*history.deleted, obj.branch_id) if b}
    if isinstance(obj, Branch):
        return {obj.id} if obj.id else set()
    from partybuild.org.models import Department, Post

    if isinstance(obj, Post | Department):
        return {_ALL_BRANCHES}
    return set()


_BOOKKEEPING = {"public_version", "public_changed_at", "updated_at", "version_id"}


def _ids(values: set) -> set[int]:
    # A form may have set an id as text before the flush converts it.
    return {int(v) for v in values if str(v).lstrip("-").isdigit()}


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _collect_public_changes(session: sa.orm.Session, flush_context, instances) -> None:  # noqa: ANN001
    pending: set[int] = session.info.setdefault(_PENDING_KEY, set())
    ratings: list[tuple[PublicRating, int]] = session.info.setdefault(_RATINGS_KEY, [])
    with session.no_autoflush:
        for obj in session.new:
            pending |= _ids(_branch_ids_of(session, obj))
            if isinstance(obj, PublicRating):
                ratings.append((obj, 1))
        for obj in session.deleted:
            pending |= _ids(_branch_ids_of(session, obj))
            if isinstance(obj, PublicRating):
                ratings.append((obj, -1))
        for obj in session.dirty:
            if really_changed(obj, _BOOKKEEPING):
                pending |= _ids(_branch_ids_of(session, obj))


@sa.event.listens_for(sa.orm.Session, "after_flush")
def _bump_public_versions(session: sa.orm.Session, flush_context) -> None:  # noqa: ANN001
    # Ratings by level are counted on the commitment row, in the rating's transaction.
    # A plain UPDATE: it must not touch version_id (raters do not edit the commitment).
    # (Resolved after the flush: a commitment made in the same flush has its id only now.)
    changes: dict[tuple[int, str], int] = {}
    for rating, sign in session.info.pop(_RATINGS_KEY, []):
        key = (rating.commitment_id, RatingLevel(rating.level).value)
        changes[key] = changes.get(key, 0) + sign
    ratings = {key: n for key, n in changes.items() if n}
    table = Commitment.__table__
    for (commitment_id, level), n in sorted(ratings.items()):
        column = table.c[f"ratings_{level}"]
        session.connection().execute(
            sa.update(table).where(table.c.id == commitment_id).values({column: column + n})
        )
    if ratings:
        session.info[_RATED_KEY] = {cid for cid, _ in ratings}
    pending: set[int] = session.info.pop(_PENDING_KEY, set())
    if not pending:
        return
    branches = Branch.__table__
    stmt = sa.update(branches).values(
        public_version=branches.c.public_version + 1, public_changed_at=utcnow()
    )
    if _ALL_BRANCHES not in pending:
        stmt = stmt.where(branches.c.id.in_(sorted(pending)))
    session.connection().execute(stmt)
    session.info[_EXPIRE_KEY] = pending


@sa.event.listens_for(sa.orm.Session, "after_flush_postexec")
def _expire_branch_versions(session: sa.orm.Session, flush_context) -> None:  # noqa: ANN001
    """Loaded Branch rows now hold an old version: read it again when next asked."""
    bumped: set[int] = session.info.pop(_EXPIRE_KEY, set())
    rated: set[int] = session.info.pop(_RATED_KEY, set())
    if not (bumped or rated):
        return
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Branch) and (_ALL_BRANCHES in bumped or obj.id in bumped):
            session.expire(obj, ["public_version", "public_changed_at"])
        elif isinstance(obj, Commitment) and obj.id in rated:
            session.expire(obj, [f"ratings_{level.value}" for level in RatingLevel])


def _commitment_names(ids: list[str]) -> dict[str, str]:
    """“姓名：承诺内容（前 20 字）” for the audit page, one query."""
    from partybuild.core.forms import parse_id

    wanted = [i for i in (parse_id(v) for v in ids) if i is not None]
    rows = db.session.execute(
        sa.select(Commitment.id, Member.name, sa.func.substr(Commitment.content, 1, 21))
        .join(Member, Member.id == Commitment.member_id)
        .where(Commitment.id.in_(wanted))
    )
    return {
        str(cid): f"{name}：{text[:20]}{'…' if len(text) > 20 else ''}" for cid, name, text in rows
    }


def _rating_names(ids: list[str]) -> dict[str, str]:
    from partybuild.core.forms import parse_id

    wanted = [i for i in (parse_id(v) for v in ids) if i is not None]
    rows = db.session.execute(
        sa.select(PublicRating.id, Member.name, PublicRating.level)
        .join(Commitment, Commitment.id == PublicRating.commitment_id)
        .join(Member, Member.id == Commitment.member_id)
        .where(PublicRating.id.in_(wanted))
    )
    return {
        str(rid): f"对{name}承诺的评价（{RatingLevel(level).label}）" for rid, name, level in rows
    }


audit.register_object_type(
    "commitment",
    "党员承诺",
    fields={
        "category": "承诺类别", "content": "承诺内容", "target": "目标", "measures": "措施",
        "deadline": "完成时限", "state": "状态", "is_withdrawn": "已撤回", "progress": "进度（%）",
        "score": "评诺得分", "grade": "评诺等次", "proxy_for": "代填对象",
        "entered_by_name": "代填人", "note": "说明",
    },
    values={"state": CommitmentState},
    names=_commitment_names,
    link=("commitments.detail", "commitment_id"),
    order=20,
)  # fmt: skip
audit.register_object_type(
    "commitment_batch",
    "承诺批次",
    fields={
        "title": "批次名称", "commit_start": "承诺开始", "commit_end": "承诺截止",
        "evaluation_start": "评诺开始", "evaluation_end": "评诺截止", "status": "状态",
        "entry_start": "开放填报开始", "entry_end": "开放填报截止", "note": "说明",
    },
    values={"status": BatchStatus},
    names=audit.names_from(CommitmentBatch.id, CommitmentBatch.title),
    actions={"reopen": "重新开放批次", "close": "结束批次"},
    order=21,
)  # fmt: skip
audit.register_object_type(
    "public_rating",
    "群众评价",
    fields={"comment_state": "留言状态", "level": "满意度"},
    values={"comment_state": CommentState, "level": RatingLevel},
    names=_rating_names,
    order=22,
)


# Figures cached across requests (the workbench panels) are keyed by this version:
# every change to a model of this module bumps it in the same transaction.
dataversion.track_module("commitments", __name__)
