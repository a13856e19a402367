"""The commitments panels of the workbench (工作台): the secretary's to-dos, the member's
next steps and the reviewer's branch table. Each builder runs a fixed number of queries
whatever the data size, scoped to ``user.branch_scope``; each count links to exactly the
list where the work is done."""

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import url_for

from partybuild.commitments import lists, rates
from partybuild.commitments.models import (
    CommentState,
    Commitment,
    CommitmentBatch,
    CommitmentState,
    flag_conditions,
)
from partybuild.core.permissions import Role
from partybuild.core.workbench import Item, Panel, PanelData, Ref
from partybuild.extensions import db

if TYPE_CHECKING:
    from partybuild.auth.models import User

TARGET_RATE = 0.9  # the 90% mark for 参评率 and 满意率


def secretary_panel(user: "User", today: date) -> PanelData:
    """The overview's figures (cached per data version of the user's branches)."""
    branches = list(db.session.scalars(lists.branches(user)))
    figures = lists.overview_figures(lists.OverviewFilters(), user, today, branches)
    states, flags, pending = figures.state_counts, figures.flag_counts, figures.pending_comments
    overview = "commitments.overview"
    return PanelData(
        items=[
            Item(
                "待审核的承诺",
                states.get(CommitmentState.submitted.value, 0),
                url_for("commitments.review"),
                tone="warning",
                hint="党员已提交，等待审核亮诺",
            ),
            Item(
                "申请评诺，待评议",
                states.get(CommitmentState.awaiting_evaluation.value, 0),
                url_for(overview, state=CommitmentState.awaiting_evaluation.value),
                tone="warning",
            ),
            Item(
                "待审核的群众留言",
                pending,
                url_for("commitments.moderation", state=CommentState.pending.value),
                tone="warning",
            ),
            Item("已逾期的承诺", flags["overdue"], url_for(overview, flag="overdue"), "danger"),
            Item("长期无进展的承诺", flags["stale"], url_for(overview, flag="stale"), "danger"),
        ]
    )


def member_panel(user: "User", today: date) -> PanelData | None:
    """Two queries: the member's live commitments (light columns) and the open batches."""
    if user.member_id is None:
        return None
    rows = db.session.execute(
        sa.select(
            Commitment.id,
            Commitment.batch_id,
            Commitment.state,
            Commitment.return_comment,
            Commitment.score,
            Commitment.grade,
            Commitment.content,
        )
        .where(Commitment.member_id == user.member_id, Commitment.is_withdrawn.is_(False))
        .order_by(Commitment.id)
    ).all()
    open_batches = db.session.execute(
        sa.select(CommitmentBatch.id, CommitmentBatch.title).where(
            CommitmentBatch.branch_id == user.branch_id,
            CommitmentBatch.status == "open",
            CommitmentBatch.entry_start <= today,
            CommitmentBatch.entry_end >= today,
        )
    ).all()
    mine = url_for("commitments.mine")
    items: list[Item] = []
    with_commitments = {r.batch_id for r in rows}
    for batch in open_batches:
        if batch.id not in with_commitments:
            items.append(Item(f"填写承诺：{batch.title}", None, mine, hint="本批次正在接受承诺"))

    def state(s: CommitmentState) -> list:
        return [r for r in rows if r.state == s]

    drafts = state(CommitmentState.draft)
    returned = [r for r in drafts if r.return_comment]
    if returned:
        items.append(
            Item("被退回、需修改的承诺", len(returned), mine, "danger", returned[0].return_comment)
        )
    if len(drafts) > len(returned):
        items.append(Item("待提交审核的承诺", len(drafts) - len(returned), mine, "warning"))
    keeping = state(CommitmentState.published) + state(CommitmentState.in_progress)
    if keeping:
        items.append(Item("践诺中：添加践诺记录", len(keeping), mine, "warning", "完成后申请评诺"))
    awaiting = state(CommitmentState.awaiting_evaluation)
    if awaiting:
        items.append(Item("待评诺：填写党员述（自评）", len(awaiting), mine, "warning"))
    for r in state(CommitmentState.evaluated)[-3:]:
        items.append(
            Item(
                f"评诺结果：{r.score:g} 分，等次“{r.grade}”",
                None,
                url_for("commitments.detail", commitment_id=r.id),
                hint=r.content[:40],
            )
        )
    if not items:
        items.append(Item("暂无待办事项", None, mine))
    return PanelData(items=items)


def stead_panel(user: "User", today: date) -> PanelData | None:  # noqa: ARG001
    """回避: what the deputy (or a granted reviewer) must do on the secretaries' own
    commitments. Two queries: the commitments waiting, and the comments waiting."""
    from partybuild.commitments.conflicts import stead_condition
    from partybuild.commitments.models import PublicRating
    from partybuild.org.models import Member

    condition = stead_condition(user)
    if condition is None:
        return None
    waiting = db.session.execute(
        sa.select(Commitment.id, Commitment.state, Member.name)
        .join(Member, Commitment.member_id == Member.id)
        .where(
            condition,
            Commitment.is_withdrawn.is_(False),
            Commitment.state.in_([CommitmentState.submitted, CommitmentState.awaiting_evaluation]),
        )
        .order_by(Commitment.id)
        .limit(8)
    ).all()
    comments = db.session.scalar(
        sa.select(sa.func.count(PublicRating.id))
        .join(Commitment, PublicRating.commitment_id == Commitment.id)
        .where(condition, PublicRating.comment_state == CommentState.pending)
    )
    verb = {CommitmentState.submitted: "待审核", CommitmentState.awaiting_evaluation: "待评诺"}
    items = [
        Item(
            f"{verb[CommitmentState(state)]}：{name}的承诺",
            None,
            url_for("commitments.detail", commitment_id=cid),
            hint="支部书记本人的承诺，由您代为办理",
        )
        for cid, state, name in waiting
    ]
    if comments:
        items.append(
            Item(
                "待审核的群众留言（书记本人的承诺）",
                comments,
                url_for("commitments.moderation", state=CommentState.pending.value),
                tone="warning",
            )
        )
    return PanelData(items=items)


@dataclass
class BranchRow:
    branch: Ref
    states: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    summary: rates.RateSummary | None = None

    @property
    def total(self) -> int:
        return sum(self.states.values())

    def below(self, rate: float | None) -> bool:
        return rate is not None and rate < TARGET_RATE


def branch_rows(user: "User", today: date) -> list[BranchRow]:
    """Three queries: the branches, commitments by branch and state (with overdue), and
    the public rates by branch."""
    scope = user.branch_scope
    branches = db.session.scalars(lists.branches(user)).all()

    def make() -> tuple[list, dict]:
        overdue = flag_conditions(today)["overdue"]
        stmt = (
            sa.select(
                Commitment.branch_id,
                Commitment.state,
                sa.func.count(Commitment.id),
                sa.func.sum(sa.case((overdue, 1), else_=0)),
            )
            .where(Commitment.is_withdrawn.is_(False))
            .group_by(Commitment.branch_id, Commitment.state)
        )
        if scope is not None:
            stmt = stmt.where(Commitment.branch_id.in_(scope))
        counted = [tuple(row) for row in db.session.execute(stmt)]
        return counted, rates.rates_by("branch", branch_ids=scope)

    # Plain figures are cached per data version, the rows are built on this request's
    # branches.
    scope_key = None if scope is None else tuple(sorted(scope))
    counted, by_branch = lists.versioned(
        "commitments.branch_rows", list(branches), make, scope_key, today
    )
    rows = {b.id: BranchRow(Ref(b.id, b.name)) for b in branches}
    for branch_id, state, n, late in counted:
        row = rows.get(branch_id)
        if row is not None:
            row.states[CommitmentState(state).value] = n
            row.overdue += int(late or 0)
    for branch_id, summary in by_branch.items():
        if branch_id in rows:
            rows[branch_id].summary = summary
    return list(rows.values())


def reviewer_panel(user: "User", today: date) -> PanelData:
    rows = branch_rows(user, today)
    chart = {
        "branches": [r.branch.name for r in rows],
        "participation": [_percent(r.summary and r.summary.participation_rate) for r in rows],
        "satisfaction": [_percent(r.summary and r.summary.satisfaction_rate) for r in rows],
        "target": round(TARGET_RATE * 100),
    }
    shown_states = [
        CommitmentState.submitted,
        CommitmentState.published,
        CommitmentState.in_progress,
        CommitmentState.awaiting_evaluation,
        CommitmentState.evaluated,
    ]
    return PanelData(
        template="commitments/_workbench_branches.html",
        context={
            "rows": rows,
            "chart": chart,
            "shown_states": shown_states,
            "target": TARGET_RATE,
        },
        scripts=("vendor/echarts/echarts.min.js", "js/workbench-chart.js"),
    )


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


PANELS = (
    Panel(
        "commitments.todo",
        "承诺践诺 · 待办",
        secretary_panel,
        roles=frozenset({Role.secretary, Role.admin}),
        order=20,
        link="commitments.overview",
        reads=("commitments", "org"),
    ),
    Panel(
        "commitments.mine",
        "我的承诺 · 下一步",
        member_panel,
        roles=frozenset({Role.member, Role.secretary}),
        order=25,  # a secretary's own to-dos after her branch's
        link="commitments.mine",
        reads=("commitments",),
    ),
    Panel(
        "commitments.stead",
        "回避代行 · 书记本人的承诺",
        stead_panel,
        roles=frozenset({Role.member, Role.reviewer}),
        order=15,
        reads=("commitments", "org", "accounts"),
    ),
    Panel(
        "commitments.branches",
        "各支部承诺践诺情况",
        reviewer_panel,
        roles=frozenset({Role.reviewer}),
        order=20,
        link="commitments.overview",
        wide=True,
        reads=("commitments", "org"),
    ),
)
