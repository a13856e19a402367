"""A model post's public page (opened from the QR code on its plaque) and its rating form.

The same abuse resistance as the commitments board (core.public_rating): a GET only
shows the page, a submission is rate-limited per network, one rating per browser per
post per round, a honeypot, and comments shown only once the secretary approves them.
"""

import logging

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload

from partybuild.core import public_rating
from partybuild.core.boundary import boundary
from partybuild.core.errors import error_response
from partybuild.core.permissions import public
from partybuild.core.settings import setting
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Member
from partybuild.public.views import bp
from partybuild.ratings import service
from partybuild.ratings.forms import ScoreForm
from partybuild.ratings.models import (
    CommentState,
    CriterionSet,
    ModelPost,
    ModelPostHolder,
    RatingRound,
    RatingSheet,
    RoundPost,
    RoundState,
    ServiceEntry,
)

logger = logging.getLogger(__name__)

SHOWN = 20


def _post(plaque_no: str) -> ModelPost:
    post = db.session.scalar(
        sa.select(ModelPost)
        .where(ModelPost.plaque_no == plaque_no[:20], ModelPost.public())
        .options(
            selectinload(ModelPost.holders)
            .selectinload(ModelPostHolder.member)
            .selectinload(Member.post),
            selectinload(ModelPost.branch),
            selectinload(ModelPost.post),
        )
    )
    if post is None:
        abort(404)  # unknown, or revoked: the plaque was taken back
    return post


def _open_round(post: ModelPost) -> RatingRound | None:
    """The round the public may rate this post in today, if any."""
    today = local_today()
    return db.session.scalar(
        sa.select(RatingRound)
        .join(RoundPost, RoundPost.round_id == RatingRound.id)
        .where(
            RoundPost.model_post_id == post.id,
            RatingRound.state == RoundState.open,
            RatingRound.opens_on <= today,
            RatingRound.closes_on >= today,
            RatingRound.public_weight > 0,
        )
        .options(selectinload(RatingRound.criterion_set).selectinload(CriterionSet.criteria))
        .order_by(RatingRound.closes_on)
        .limit(1)
    )


def _render(post: ModelPost, form: ScoreForm, status: int = 200, errors: dict | None = None):
    services = db.session.scalars(
        sa.select(ServiceEntry)
        .where(ServiceEntry.model_post_id == post.id, ServiceEntry.is_retired.is_(False))
        .order_by(ServiceEntry.handled_on.desc(), ServiceEntry.id.desc())
        .limit(SHOWN)
    ).all()
    comments = db.session.scalars(
        sa.select(RatingSheet)
        .where(
            RatingSheet.model_post_id == post.id,
            RatingSheet.comment_state == CommentState.approved,
        )
        .order_by(RatingSheet.id.desc())
        .limit(SHOWN)
    ).all()
    return render_template(
        "public/model_post.html",
        post=post,
        rnd=_open_round(post),
        services=services,
        comments=comments,
        form=form,
        errors=errors or {},
        scores=request.form if request.method == "POST" else {},
        comment_max=setting("PUBLIC_RATING_COMMENT_MAX"),
    ), status


@bp.get("/p/<plaque_no>")
@public
def model_post(plaque_no: str):
    # Whatever the query string says, a GET only shows the page.
    return _render(_post(plaque_no), ScoreForm(formdata=None))


@bp.post("/p/<plaque_no>/rate")
@public
def rate_model_post(plaque_no: str):
    post = _post(plaque_no)
    if not public_rating.allow_submission():  # every attempt counts
        return error_response(429, public_rating.TOO_FAST)
    form = ScoreForm()
    if not form.validate_on_submit():
        return _render(post, form, 400)
    back = redirect(url_for("public.model_post", plaque_no=post.plaque_no))
    if form.website.data:
        logger.warning("honeypot rating discarded for model post %s", post.id)
        flash("感谢您的评价！", "success")
        return back
    rnd = _open_round(post)
    if rnd is None:
        flash("该示范岗当前不在群众测评期内。", "error")
        return back
    errors: dict[str, str] = {}
    with boundary(errors) as done:
        sheet = service.add_public_rating(
            rnd,
            post,
            request.form,
            form.comment.data or "",
            browser_id=request.cookies.get(public_rating.RATER_COOKIE, ""),
            ip=public_rating.client_ip(),
        )
        done.success = (
            "感谢您的评价！您的留言将在审核后公开。" if sheet.comment else "感谢您的评价！"
        )
    if errors:
        return _render(post, form, 400, errors)
    return back
