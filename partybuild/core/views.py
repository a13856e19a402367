"""Home page, notifications, the audit log browser and the scheduled-job log."""

import logging

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user

from partybuild.core import audit, lists, navigation, workbench
from partybuild.core.boundary import boundary
from partybuild.core.db import utcnow
from partybuild.core.notifications import Notification, mark_read
from partybuild.core.permissions import Role, access, authenticated, public
from partybuild.core.security import safe_next, same_site_referrer
from partybuild.core.text import clean_formdata
from partybuild.core.timeutil import format_datetime, local_today
from partybuild.extensions import db

bp = Blueprint("core", __name__)

navigation.register(
    navigation.Entry("core.audit_log", "审计日志", "所有操作的留痕记录", order=92),
    navigation.Entry("core.job_runs", "定时任务", order=94),
    navigation.Entry(
        "core.system_settings",
        "系统设置",
        "承诺类别、评诺权重与等次、登录锁定等设置",
        order=96,
    ),
)
logger = logging.getLogger(__name__)


def _job_names(names: list[str]) -> dict[str, str]:
    from partybuild.core import jobs

    registry = jobs.load_jobs()
    return {n: registry[n].label for n in names if n in registry}


def _job_link(name: str) -> str | None:
    from partybuild.core.permissions import can_open

    return url_for("core.job_runs", job=name) if can_open("core.job_runs") else None


audit.register_object_type("job", "定时任务", names=_job_names, link=_job_link, order=94)


def _notifications_panel(user, today) -> workbench.PanelData:  # noqa: ANN001, ARG001
    """One query: the latest unread notifications (the count comes with them)."""
    rows = db.session.execute(
        sa.select(Notification.id, Notification.title, sa.func.count().over())
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(4)
    ).all()
    total = rows[0][2] if rows else 0
    items = [
        workbench.Item(title, None, url_for("core.open_notification", note_id=note_id))
        for note_id, title, _ in rows
    ]
    items.append(
        workbench.Item(
            "全部通知" if total else "没有未读通知",
            total,
            url_for("core.notifications"),
            tone="warning",
        )
    )
    return workbench.PanelData(items=items)


def _system_panel(user, today) -> workbench.PanelData:  # noqa: ANN001, ARG001
    from partybuild.core.jobs import scheduler_warnings

    warnings = scheduler_warnings()
    items = [
        workbench.Item(text, None, url_for("core.job_runs"), tone="danger") for text in warnings
    ]
    if not warnings:
        items.append(
            workbench.Item(
                "定时任务运行正常", None, url_for("core.job_runs"), hint="调度器按时运行"
            )
        )
    items.append(
        workbench.Item(
            "系统设置",
            None,
            url_for("core.system_settings"),
            hint="承诺类别、评诺权重与等次、登录锁定等",
        )
    )
    return workbench.PanelData(items=items)


workbench.register(
    workbench.Panel(
        "core.notifications",
        "未读通知",
        _notifications_panel,
        roles=frozenset(Role),
        order=90,
        link="core.notifications",
        reads=("notifications",),
    ),
    workbench.Panel(
        "core.system",
        "系统运行",
        _system_panel,
        roles=frozenset({Role.admin}),
        order=15,
        link="core.job_runs",
        reads=("jobs",),
        cache=False,  # the scheduler's staleness is judged now (its figures are cached)
    ),
)


@bp.get("/")
@authenticated
def home():
    panels = workbench.panels_for(current_user, local_today())
    scripts = list(dict.fromkeys(s for _, data in panels for s in data.scripts))
    return render_template("core/home.html", panels=panels, scripts=scripts)


@bp.get("/favicon.ico")
@public
def favicon():
    # Browsers ask for /favicon.ico on their own, pages without the <link> too.
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )


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
    with boundary():
        mark_read(note)
    return redirect(safe_next(note.link) or same_site_referrer() or "/notifications")


# As the other list pages (30 rows): each entry is presented with its changes in words,
# and 50 a page cost most of the page's time.
AUDIT_PER_PAGE = 30


@bp.get("/audit")
@access(Role.admin, Role.reviewer)
def audit_log():
    filters = lists.AuditFilters.from_args(request.args)
    # The log only grows: no full count of it per request, and the filter values come
    # from small tables (accounts, branches) and the registered kinds, never the log.
    page = lists.peek_page(lists.audit_entries(filters), request.args, per_page=AUDIT_PER_PAGE)
    people, branches = audit.OBJECT_TYPES.get("user"), audit.OBJECT_TYPES.get("branch")
    return render_template(
        "core/audit_log.html",
        page=page,
        rows=audit.present(page.items),
        filters=filters,
        actions=audit.action_choices(),
        object_types=audit.kind_choices(),
        people=people.choices() if people is not None and people.choices else [],
        branches=branches.choices() if branches is not None and branches.choices else [],
        verified=session.pop("audit_verified", None),
    )


@bp.post("/audit/verify")
@access(Role.admin)
def audit_verify():
    """The same check as `flask audit verify`, its result shown on the log page."""
    result = audit.verify_chain()
    head = audit.read_head()
    session["audit_verified"] = {
        "ok": result.ok,
        "checked": result.checked,
        "first_bad_id": result.first_bad_id,
        "reason": result.reason,
        "head_id": head.last_id if head is not None else None,
        "head_hash": head.last_hash if head is not None else audit.GENESIS,
        "at": format_datetime(utcnow()),
    }
    logger.info("audit chain verified by %s: %s", current_user.username, result)
    return redirect(url_for("core.audit_log"))


# --- scheduled jobs: run log, "run now", heartbeat banner -------------------------


@bp.get("/jobs")
@access(Role.admin)
def job_runs():
    from partybuild.core import background, jobs

    registry = jobs.load_jobs()
    stmt = sa.select(jobs.JobRun).order_by(jobs.JobRun.id.desc())
    if request.args.get("job") in registry:
        stmt = stmt.where(jobs.JobRun.job == request.args["job"])
    if request.args.get("outcome") in jobs.Outcome.__members__:
        stmt = stmt.where(jobs.JobRun.outcome == jobs.Outcome(request.args["outcome"]))
    page = db.paginate(stmt, per_page=50)
    last_success = dict(
        db.session.execute(
            sa.select(jobs.JobRun.job, sa.func.max(jobs.JobRun.finished_at))
            .where(jobs.JobRun.outcome == jobs.Outcome.success)
            .group_by(jobs.JobRun.job)
        ).all()
    )
    last_day = dict(
        db.session.execute(
            sa.select(jobs.JobRun.job, sa.func.max(jobs.JobRun.done_through))
            .where(jobs.JobRun.trigger == jobs.Trigger.schedule)
            .group_by(jobs.JobRun.job)
        ).all()
    )
    queued = background.unfinished(jobs.RUN_NOW_TASK)
    heartbeats = db.session.scalars(
        sa.select(jobs.SchedulerHeartbeat).order_by(jobs.SchedulerHeartbeat.beat_at.desc()).limit(5)
    ).all()
    return render_template(
        "core/job_runs.html",
        page=page,
        registry=registry,
        last_success=last_success,
        last_day=last_day,
        heartbeats=heartbeats,
        queued=queued,
        warnings=jobs.scheduler_warnings(),
        Outcome=jobs.Outcome,
        catch_up_limit=jobs.catch_up_limit(),
    )


@bp.post("/jobs/<name>/run")
@access(Role.admin)
def job_run_now(name: str):
    from partybuild.core import audit, background, jobs

    registry = jobs.load_jobs()
    if name not in registry:
        abort(404)
    # The run happens in the scheduler process, never inside this request.
    with boundary():
        audit.record(
            "run_job",
            "job",
            name,
            actor=current_user,
            summary=f"手动运行定时任务：{registry[name].label}",
        )
        jobs.queue_run(name)
    if background.scheduler_running():
        flash(f"任务“{registry[name].label}”已加入队列，后台任务进程将在几秒内运行它。", "info")
    else:
        flash(
            f"任务“{registry[name].label}”已加入队列。{background.SCHEDULER_DOWN_MESSAGE}",
            "warning",
        )
    return redirect(url_for("core.job_runs"))


@bp.app_context_processor
def inject_scheduler_warnings() -> dict:
    """Banner for administrators when the scheduler has gone quiet (evaluated lazily)."""

    def scheduler_warnings() -> list[str]:
        from partybuild.core import jobs

        if not (current_user.is_authenticated and current_user.is_admin):
            return []
        try:
            return jobs.scheduler_warnings()
        except sa.exc.SQLAlchemyError:
            logger.exception("could not check the scheduler heartbeat")
            db.session.rollback()
            return []

    return {"scheduler_warnings": scheduler_warnings}


# --- 系统设置: every declared setting, its value and where it comes from --------------


def _setting_or_404(key: str):  # noqa: ANN202
    from partybuild.core import settings

    s = settings.REGISTRY.get(key)
    if s is None or not s.editable:
        abort(404)
    return s


@bp.get("/admin/settings")
@access(Role.admin)
def system_settings():
    from partybuild.core import settings

    groups = settings.groups()
    rows = {
        s.key: (s.display(settings.setting(s.key)), settings.source_of(s.key))
        for grp in groups
        for s in grp.settings
    }
    return render_template(
        "core/settings.html", groups=groups, rows=rows, env_name=settings.env_name
    )


def _setting_page(s, fields: dict, errors: dict, status: int = 200):  # noqa: ANN001, ANN202
    from partybuild.core import settings

    value = settings.setting(s.key)
    return (
        render_template(
            "core/setting_edit.html",
            s=s,
            current=s.display(value),
            default=s.display(s.default),
            source=settings.source_of(s.key),
            fields=fields,
            errors=errors,
            band_rows=s.type.row_count(value) if s.type.kind == "bands" else 0,
        ),
        status,
    )


@bp.route("/admin/settings/<key>", methods=["GET", "POST"])
@access(Role.admin)
def edit_setting(key: str):
    from partybuild.core import settings

    s = _setting_or_404(key)
    if request.method == "GET":
        return _setting_page(s, s.type.form_fields(settings.setting(key)), {})
    errors: dict[str, str] = {}
    # Not a WTForm: the same text normalisation as every form (values may be multi-line).
    submitted = clean_formdata(request.form, multiline=request.form.keys())
    with boundary(errors, success=f"“{s.label}”已保存，立即生效。") as done:
        settings.change_setting(key, s.type.from_form(submitted), current_user)
    if not done:
        return _setting_page(s, submitted.to_dict(), errors, done.status)
    return redirect(url_for("core.system_settings", _anchor=f"setting-{key}"))


@bp.post("/admin/settings/<key>/reset")
@access(Role.admin)
def reset_setting(key: str):
    from partybuild.core import settings

    s = _setting_or_404(key)
    with boundary() as done:
        changed = settings.reset_setting(key, current_user)
    if done and changed:
        flash(f"“{s.label}”已恢复默认：{s.display(settings.setting(key))}。", "success")
    elif done:
        flash(f"“{s.label}”未曾修改，无需恢复。", "info")
    return redirect(url_for("core.system_settings", _anchor=f"setting-{key}"))
