"""The public board (公示栏): no login, opened from a QR code on a phone.

Opening any page never records a vote; only the rating form's POST does, with
CSRF, a per-client rate limit, one rating per commitment per browser per day,
a honeypot field and a comment length limit. Comments appear only once the
branch secretary approves them.
"""

import functools
import hashlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import contains_eager

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
from partybuild.core import pagecache, public_rating
from partybuild.core import settings as settings_store
from partybuild.core.boundary import boundary
from partybuild.core.errors import error_response
from partybuild.core.permissions import public
from partybuild.core.settings import setting
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Member, by_name

logger = logging.getLogger(__name__)

bp = Blueprint("public", __name__, url_prefix="/public")

COMMENTS_SHOWN = 20
# Members (with all their commitments) per board page: a phone screenful or two, and a
# page renders in a few milliseconds even when the cache is cold.
BOARD_MEMBERS_PER_PAGE = 10


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


@dataclass(frozen=True)
class BranchState:
    """What a public page's cache key needs of its branch (no ORM object)."""

    id: int
    public_version: int
    public_changed_at: datetime | None


@functools.cache
def _branch_state_query() -> sa.Select:
    # Built once: constructing it per request cost more than running it.
    count, latest = settings_store.version_columns()
    return sa.select(
        Branch.id, Branch.public_version, Branch.public_changed_at, count, latest
    ).where(Branch.code == sa.bindparam("code"), Branch.is_active.is_(True))


def _branch_state(code: str) -> BranchState:
    """The branch's public version and the settings' version in ONE query.

    A cached hit needs nothing else from the database. On PostgreSQL the query runs
    outside any transaction (autocommit: no BEGIN/ROLLBACK round trips) unless this
    request's session already holds one, whose view of the data then counts.
    """
    stmt, params = _branch_state_query(), {"code": code.upper()}
    if db.engine.dialect.name == "postgresql" and not db.session().in_transaction():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(stmt, params).first()
    else:
        row = db.session.execute(stmt, params).first()
    if row is None:
        abort(404)
    settings_store.use_version((row[3], row[4]))
    return BranchState(row[0], row[1], row[2])


def _public_commitment(code: str, commitment_id: int) -> Commitment:
    branch = _branch(code)
    c = db.session.scalar(
        sa.select(Commitment).where(
            Commitment.id == commitment_id,
            Commitment.branch_id == branch.id,
            Commitment.on_public_board(),
        )
    )
    if c is None:
        abort(404)
    # What the page shows of the member is loaded only when the page is rendered
    # (a cached page needs none of it).
    return c


def board_query(branch_id: int, batch_id: int | None = None) -> sa.Select:
    """Commitments on a branch's board: leaders first (领导带头), then by name."""
    stmt = (
        sa.select(Commitment)
        .join(Member, Commitment.member_id == Member.id)
        .where(Commitment.branch_id == branch_id, Commitment.on_public_board())
        .options(  # many-to-one: joined into the one query, not a query each
            contains_eager(Commitment.member).joinedload(Member.post),
            contains_eager(Commitment.member).joinedload(Member.department),
        )
        .order_by(Member.is_leader.desc(), *by_name(), Commitment.id)
    )
    if batch_id is not None:
        stmt = stmt.where(Commitment.batch_id == batch_id)
    return stmt


@functools.cache
def _latest_records_query() -> sa.Select:
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
        .where(FulfilmentRecord.commitment_id.in_(sa.bindparam("ids", expanding=True)))
        .subquery()
    )
    return (
        sa.select(FulfilmentRecord)
        .join(ranked, ranked.c.id == FulfilmentRecord.id)
        .where(ranked.c.rn == 1)
    )


def _latest_records(ids: list[int]) -> dict[int, FulfilmentRecord]:
    """Each commitment's most recent record, in one query."""
    if not ids:
        return {}
    records = db.session.scalars(_latest_records_query(), {"ids": ids})
    return {r.commitment_id: r for r in records}


def _page_arg() -> int:
    value = request.args.get("page", "")
    return max(int(value), 1) if value.isdigit() and len(value) < 7 else 1


def _page_state(branch: Branch | BranchState, *extra: object) -> tuple:
    """What a public page's content depends on besides its URL: the branch's version
    (bumped by every change to what the board shows), the day, and the settings the
    page reads. It keys the rendered-page cache and makes the ETag."""
    return (
        branch.id,
        branch.public_version,
        local_today().isoformat(),
        setting("PUBLIC_RATING_MIN_COUNT"),
        setting("PARTICIPATION_MIN_RATINGS"),
        *extra,
    )


def _etag(state: tuple) -> str:
    return hashlib.sha256(repr(state).encode()).hexdigest()[:24]


def _anonymous_and_quiet() -> bool:
    """The page is the same for everyone: no signed-in user, no message to flash."""
    return "_user_id" not in session and not session.get("_flashes")


def _conditional(body: str | None, etag: str, branch: Branch | BranchState, render=None):  # noqa: ANN001
    """304 when the browser already holds this version, else the page with validators.
    Browsers revalidate every time (no-cache), so a change shows on the next visit."""
    if request.if_none_match.contains_weak(etag):
        response = make_response("", 304)
    else:
        response = make_response(body if body is not None else render())
    response.set_etag(etag, weak=True)
    if branch.public_changed_at is not None:
        response.last_modified = branch.public_changed_at
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    return response


@functools.cache
def _board_queries() -> tuple[sa.Select, sa.Select, sa.Select]:
    """The board's statements, put together once (building them per request cost more
    than running them): its batches, a page of its members, their commitments."""
    branch_id, batch_id = sa.bindparam("branch_id"), sa.bindparam("batch_id")
    batches = (
        sa.select(CommitmentBatch)
        .where(
            CommitmentBatch.branch_id == branch_id,
            CommitmentBatch.id.in_(
                sa.select(Commitment.batch_id).where(
                    Commitment.branch_id == branch_id, Commitment.on_public_board()
                )
            ),
        )
        .order_by(CommitmentBatch.commit_start.desc(), CommitmentBatch.id.desc())
    )
    members = (
        sa.select(Member.id)
        .join(Commitment, Commitment.member_id == Member.id)
        .where(
            Commitment.branch_id == branch_id,
            Commitment.batch_id == batch_id,
            Commitment.on_public_board(),
        )
        .group_by(Member.id, Member.is_leader, Member.name, Member.name_pinyin)
        .order_by(Member.is_leader.desc(), *by_name())
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .offset(sa.bindparam("offset", type_=sa.Integer))
    )
    items = board_query(branch_id, batch_id).where(  # type: ignore[arg-type]
        Commitment.member_id.in_(sa.bindparam("member_ids", expanding=True))
    )
    return batches, members, items


def _board_page(branch: Branch, batch_arg: str, page: int) -> str:
    batches_query, members_query, items_query = _board_queries()
    batches = db.session.scalars(batches_query, {"branch_id": branch.id}).all()
    batch = next((b for b in batches if str(b.id) == batch_arg), batches[0] if batches else None)
    items: list[Commitment] = []
    has_next = False
    if batch is not None:
        # A page of members (leaders first), then their commitments: the board of a
        # large branch is read page by page, never rendered whole.
        member_ids = db.session.scalars(
            members_query,
            {
                "branch_id": branch.id,
                "batch_id": batch.id,
                "limit": BOARD_MEMBERS_PER_PAGE + 1,
                "offset": (page - 1) * BOARD_MEMBERS_PER_PAGE,
            },
        ).all()
        has_next = len(member_ids) > BOARD_MEMBERS_PER_PAGE
        member_ids = member_ids[:BOARD_MEMBERS_PER_PAGE]
        if member_ids:
            items = db.session.scalars(
                items_query,
                {"branch_id": branch.id, "batch_id": batch.id, "member_ids": member_ids},
            ).all()
    latest = _latest_records([c.id for c in items])
    by_member: dict[int, list[Commitment]] = defaultdict(list)
    for c in items:
        by_member[c.member_id].append(c)
    summary = rates.branch_batch(branch.id, batch.id) if batch else None
    return render_template(
        "public/board.html",
        # Each item links to <board>/c/<id>: one url_for for the page, not one per item.
        item_url=url_for("public.board", code=branch.code) + "/c/",
        branch=branch,
        batches=batches,
        batch=batch,
        groups=list(by_member.values()),
        latest=latest,
        summary=summary,
        page=page,
        has_next=has_next,
        min_count=setting("PUBLIC_RATING_MIN_COUNT"),
    )


@bp.get("/<code>")
@public
def board(code: str):
    branch = _branch_state(code)
    batch_arg, page = request.args.get("batch", ""), _page_arg()
    state = _page_state(branch, "board", batch_arg, page)
    etag = _etag(state)
    if request.if_none_match.contains_weak(etag):
        return _conditional("", etag, branch)

    def render() -> str:
        # Loaded now, so possibly newer than ``state``: a page is never older than its key.
        return _board_page(db.session.get(Branch, branch.id), batch_arg, page)

    if not _anonymous_and_quiet():
        return _conditional(None, etag, branch, render)
    return _conditional(pagecache.get_or_make(state, render), etag, branch)


def _commitment_parts(c: Commitment) -> dict[str, Markup]:
    """The rating page without its form: the same for every visitor of this version."""
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
        counts=c.rating_counts,
        min_count=setting("PUBLIC_RATING_MIN_COUNT"),
        participation_min=setting("PARTICIPATION_MIN_RATINGS"),
    )
    context = dict(c=c, records=records, comments=comments, summary=summary)
    return {
        "title": f"{c.member.name}的承诺",
        "top": Markup(render_template("public/_commitment_top.html", **context)),
        "comments": Markup(render_template("public/_commitment_comments.html", **context)),
    }


def _csrf_state() -> tuple:
    """The part of the rating form that differs per visitor: the session's CSRF secret,
    and the age of the token (a page revalidated later must not carry an expired one)."""
    secret = session.get("csrf_token")
    if not secret:
        return ()
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT") or 0
    bucket = int(time.time() // max(limit // 2, 1)) if limit else 0
    return (hashlib.sha256(str(secret).encode()).hexdigest()[:16], bucket)


def _render_commitment(c: Commitment, form: RatingForm, status: int = 200):
    parts = pagecache.get_or_make(
        _page_state(c.branch, "commitment", c.id), lambda: _commitment_parts(c)
    )
    return render_template(
        "public/commitment.html",
        c=c,
        parts=parts,
        form=form,
        comment_max=setting("PUBLIC_RATING_COMMENT_MAX"),
        CommitmentState=CommitmentState,
    ), status


# Stands for the visitor's CSRF token in a cached rating page (never a real token).
_TOKEN_SLOT = "\x00csrf-token\x00"


def _cached_commitment_page(code: str, commitment_id: int):  # noqa: ANN201
    """An anonymous visitor's rating page: the whole page cached for the branch's
    version with a slot for the CSRF token, filled in per visitor. A hit costs the one
    version query."""
    branch = _branch_state(code)
    state = _page_state(
        branch, "commitment-page", commitment_id, setting("PUBLIC_RATING_COMMENT_MAX")
    )
    csrf = _csrf_state()
    if csrf and request.if_none_match.contains_weak(_etag((*state, *csrf))):
        return _conditional("", _etag((*state, *csrf)), branch)

    def render() -> str:
        c = _public_commitment(code, commitment_id)
        form = RatingForm(formdata=None)
        body, _status = _render_commitment(c, form)
        token = getattr(getattr(form, "csrf_token", None), "current_token", None)
        return body.replace(token, _TOKEN_SLOT) if token else body

    page = pagecache.get_or_make(state, render)
    if _TOKEN_SLOT in page:
        page = page.replace(_TOKEN_SLOT, generate_csrf())
    # The token may have just created the session's secret: the ETag follows it.
    return _conditional(page, _etag((*state, *_csrf_state())), branch)


@bp.get("/<code>/c/<int:commitment_id>")
@public
def commitment(code: str, commitment_id: int):
    # Whatever the query string says, a GET only shows the page (link scanners must not vote).
    if _anonymous_and_quiet():
        return _cached_commitment_page(code, commitment_id)
    c = _public_commitment(code, commitment_id)
    quiet = not session.get("_flashes")
    csrf = _csrf_state()
    if quiet and csrf:
        etag = _etag(_page_state(c.branch, "commitment", c.id, *csrf))
        if request.if_none_match.contains_weak(etag):
            return _conditional("", etag, c.branch)
    body, _status = _render_commitment(c, RatingForm(formdata=None))
    if not quiet:  # a message shown once: never "not modified"
        return body
    etag = _etag(_page_state(c.branch, "commitment", c.id, *_csrf_state()))
    return _conditional(body, etag, c.branch)


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


@bp.get("/meetings/<token>.ics")
@public
def meeting_feed(token: str):
    """A branch's meeting calendar for calendar apps: token-protected (the token is the
    secret, stored hashed, revocable by the secretary); no minutes, no attendance."""
    from partybuild.meetings import ics
    from partybuild.meetings.service import branch_for_feed

    branch = branch_for_feed(token)
    if branch is None:
        abort(404)
    body = ics.calendar(branch, request.host.split(":")[0] or "partybuild")
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="meetings.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# The model posts' public pages share this blueprint (and its browser cookie).
from partybuild.public import model_posts  # noqa: E402, F401
