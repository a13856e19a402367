"""The public board (公示栏): no login, opened from a QR code on a phone.

Opening any page never records a vote; only the rating form's POST does, with
CSRF, a per-client rate limit, one rating per commitment per browser per day,
a honeypot field and a comment length limit. Comments appear only once the
branch secretary approves them.
"""

import logging
from collections import defaultdict

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import selectinload

from partybuild.commitments import rates, service
from partybuild.commitments.forms import RatingForm
from partybuild.commitments.models import (
    CommentState,
    Commitment,
    CommitmentBatch,
    CommitmentState,
    FulfilmentRecord,
    PublicRating,
)
from partybuild.core import public_rating
from partybuild.core.boundary import boundary
from partybuild.core.errors import error_response
from partybuild.core.permissions import public
from partybuild.core.settings import setting
from partybuild.extensions import db
from partybuild.org.models import Branch, Member

logger = logging.getLogger(__name__)

bp = Blueprint("public", __name__, url_prefix="/public")

COMMENTS_SHOWN = 20


@bp.after_request
def give_rater_cookie(response):  # noqa: ANN001, ANN201
    """A random browser id, so one browser rates an item once (core.public_rating)."""
    public_rating.give_rater_cookie(response)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _branch(code: str) -> Branch:
    branch = db.session.scalar(
        sa.select(Branch).where(Branch.code == code.upper(), Branch.is_active.is_(True))
    )
    if branch is None:
        abort(404)
    return branch


def _public_commitment(code: str, commitment_id: int) -> Commitment:
    branch = _branch(code)
    c = db.session.scalar(
        sa.select(Commitment)
        .where(
            Commitment.id == commitment_id,
            Commitment.branch_id == branch.id,
            Commitment.on_public_board(),
        )
        .options(
            selectinload(Commitment.member).selectinload(Member.post),
            selectinload(Commitment.member).selectinload(Member.department),
            selectinload(Commitment.batch),
            selectinload(Commitment.branch),
        )
    )
    if c is None:
        abort(404)
    return c


def board_query(branch_id: int, batch_id: int | None = None) -> sa.Select:
    """Commitments on a branch's board: leaders first (领导带头), then by name."""
    stmt = (
        sa.select(Commitment)
        .join(Member, Commitment.member_id == Member.id)
        .where(Commitment.branch_id == branch_id, Commitment.on_public_board())
        .options(
            selectinload(Commitment.member).selectinload(Member.post),
            selectinload(Commitment.member).selectinload(Member.department),
        )
        .order_by(Member.is_leader.desc(), Member.name, Commitment.id)
    )
    if batch_id is not None:
        stmt = stmt.where(Commitment.batch_id == batch_id)
    return stmt


def _latest_records(ids: list[int]) -> dict[int, FulfilmentRecord]:
    """Each commitment's most recent record, in one query."""
    if not ids:
        return {}
    ranked = (
        sa.select(
            FulfilmentRecord.id,
            sa.func.row_number()
            .over(
                partition_by=FulfilmentRecord.commitment_id,
                order_by=(FulfilmentRecord.recorded_on.desc(), FulfilmentRecord.id.desc()),
            )
            .label("rn"),
        )
        .where(FulfilmentRecord.commitment_id.in_(ids))
        .subquery()
    )
    records = db.session.scalars(
        sa.select(FulfilmentRecord)
        .join(ranked, ranked.c.id == FulfilmentRecord.id)
        .where(ranked.c.rn == 1)
    )
    return {r.commitment_id: r for r in records}


@bp.get("/<code>")
@public
def board(code: str):
    branch = _branch(code)
    batches = db.session.scalars(
        sa.select(CommitmentBatch)
        .where(
            CommitmentBatch.branch_id == branch.id,
            CommitmentBatch.id.in_(
                sa.select(Commitment.batch_id).where(
                    Commitment.branch_id == branch.id, Commitment.on_public_board()
                )
            ),
        )
        .order_by(CommitmentBatch.commit_start.desc(), CommitmentBatch.id.desc())
    ).all()
    batch_id = request.args.get("batch", "")
    batch = next((b for b in batches if str(b.id) == batch_id), batches[0] if batches else None)
    items = db.session.scalars(board_query(branch.id, batch.id)).all() if batch else []
    ids = [c.id for c in items]
    counts = rates.rating_counts(ids)
    latest = _latest_records(ids)
    by_member: dict[int, list[Commitment]] = defaultdict(list)
    for c in items:
        by_member[c.member_id].append(c)
    summary = rates.rates([branch.id], batch.id) if batch else None
    return render_template(
        "public/board.html",
        branch=branch,
        batches=batches,
        batch=batch,
        groups=list(by_member.values()),
        counts=counts,
        latest=latest,
        summary=summary,
        min_count=setting("PUBLIC_RATING_MIN_COUNT"),
    )


def _render_commitment(c: Commitment, form: RatingForm, status: int = 200):
    records = db.session.scalars(
        sa.select(FulfilmentRecord)
        .where(FulfilmentRecord.commitment_id == c.id)
        .order_by(FulfilmentRecord.recorded_on.desc(), FulfilmentRecord.id.desc())
    ).all()
    comments = db.session.scalars(
        sa.select(PublicRating)
        .where(
            PublicRating.commitment_id == c.id,
            PublicRating.comment_state == CommentState.approved,
        )
        .order_by(PublicRating.created_at.desc(), PublicRating.id.desc())
        .limit(COMMENTS_SHOWN)
    ).all()
    summary = rates.RateSummary(
        published=1,
        counts=rates.rating_counts([c.id])[c.id],
        min_count=setting("PUBLIC_RATING_MIN_COUNT"),
        participation_min=setting("PARTICIPATION_MIN_RATINGS"),
    )
    return render_template(
        "public/commitment.html",
        c=c,
        records=records,
        comments=comments,
        summary=summary,
        form=form,
        comment_max=setting("PUBLIC_RATING_COMMENT_MAX"),
        CommitmentState=CommitmentState,
    ), status


@bp.get("/<code>/c/<int:commitment_id>")
@public
def commitment(code: str, commitment_id: int):
    # Whatever the query string says, a GET only shows the page (link scanners must not vote).
    c = _public_commitment(code, commitment_id)
    return _render_commitment(c, RatingForm(formdata=None))


@bp.post("/<code>/c/<int:commitment_id>/rate")
@public
def rate(code: str, commitment_id: int):
    c = _public_commitment(code, commitment_id)
    if not public_rating.allow_submission():  # every attempt counts
        return error_response(429, public_rating.TOO_FAST)
    form = RatingForm()
    if not form.validate_on_submit():
        return _render_commitment(c, form, 400)
    back = redirect(url_for("public.commitment", code=code, commitment_id=c.id))
    if form.website.data:
        # Honeypot filled: a bot. Answer as if accepted, store nothing.
        logger.warning("honeypot rating discarded for commitment %s", c.id)
        flash("感谢您的评价！", "success")
        return back
    with boundary(form) as done:
        rating = service.add_public_rating(
            c,
            form.level.data,
            form.comment.data or "",
            browser_id=request.cookies.get(public_rating.RATER_COOKIE, ""),
            ip=public_rating.client_ip(),
        )
        done.success = (
            "感谢您的评价！您的留言将在审核后公开。" if rating.comment else "感谢您的评价！"
        )
    if done.redisplay:
        return _render_commitment(c, form, done.status)
    return back


# The model posts' public pages share this blueprint (and its browser cookie).
from partybuild.public import model_posts  # noqa: E402, F401
