"""Home page, notifications and the audit log browser."""

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request
from flask_login import current_user

from partybuild.core.audit import AuditEntry
from partybuild.core.notifications import Notification, mark_read
from partybuild.core.permissions import Role, access, authenticated
from partybuild.core.timeutil import LOCAL_TZ
from partybuild.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
@authenticated
def home():
    return render_template("core/home.html")


@bp.get("/notifications")
@authenticated
def notifications():
    page = db.paginate(
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc()),
        per_page=30,
    )
    return render_template("core/notifications.html", page=page)


@bp.get("/notifications/<int:note_id>")
@authenticated
def open_notification(note_id: int):
    note = db.get_or_404(Notification, note_id)
    if note.user_id != current_user.id:
        abort(404)
    mark_read(note)
    db.session.commit()
    return redirect(note.link or request.referrer or "/notifications")


def _parse_day(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d") if value else None
    except ValueError:
        return None


@bp.get("/audit")
@access(Role.admin, Role.reviewer)
def audit_log():
    args = request.args
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if args.get("actor"):
        stmt = stmt.where(AuditEntry.actor_name.contains(args["actor"].strip()))
    if args.get("action"):
        stmt = stmt.where(AuditEntry.action == args["action"])
    if args.get("object_type"):
        stmt = stmt.where(AuditEntry.object_type == args["object_type"])
    if args.get("object_id"):
        stmt = stmt.where(AuditEntry.object_id == args["object_id"].strip())
    start, end = _parse_day(args.get("start")), _parse_day(args.get("end"))
    if start:
        stmt = stmt.where(AuditEntry.created_at >= start.replace(tzinfo=LOCAL_TZ))
    if end:
        stmt = stmt.where(
            AuditEntry.created_at
            < datetime.combine(end.date() + timedelta(days=1), time(), LOCAL_TZ)
        )
    page = db.paginate(stmt, per_page=50)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    )
    types = db.session.scalars(
        sa.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    )
    return render_template(
        "core/audit_log.html", page=page, actions=list(actions), object_types=list(types)
    )
