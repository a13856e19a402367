"""Political-birthday pages: lists for secretaries, e-cards for members, admin templates."""

import logging
import re
from datetime import date

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
from flask_login import current_user
from sqlalchemy.orm import selectinload

from partybuild.core import navigation, workbench
from partybuild.core.boundary import boundary, form_status
from partybuild.core.downloads import send_bytes
from partybuild.core.forms import submitted_version
from partybuild.core.lists import int_arg
from partybuild.core.permissions import Role, access, authenticated, can_open
from partybuild.core.timeutil import cn_date, local_today
from partybuild.extensions import db
from partybuild.greetings import lists, service, tasks
from partybuild.greetings.forms import ContactForm, GiftForm, SettingsForm, TemplateForm
from partybuild.greetings.models import (
    Greeting,
    GreetingContact,
    GreetingTemplate,
    LeapDayRule,
)
from partybuild.org import lists as org_lists
from partybuild.org.models import Member

logger = logging.getLogger(__name__)

bp = Blueprint("greetings", __name__, url_prefix="/greetings")

navigation.register(
    navigation.Entry("greetings.index", "政治生日", "党员政治生日提醒与电子贺卡", order=60)
)


def _week_panel(user, today: date) -> workbench.PanelData:  # noqa: ANN001
    """Two queries: this week's political birthdays (light member columns of the
    week's month-days) and this month's greetings whose gift is not recorded."""
    from datetime import timedelta

    start = today - timedelta(days=today.weekday())
    days = [start + timedelta(days=i) for i in range(7)]
    rule = service.leap_day_rule()
    # Only members who joined on one of the week's month-days, or on 29 February (which
    # moves to 28 February or 1 March in common years): the rest cannot match.
    month, day = sa.extract("month", Member.joined_on), sa.extract("day", Member.joined_on)
    week_days: dict[int, list[int]] = {}
    for d in days:
        week_days.setdefault(d.month, []).append(d.day)
    stmt = sa.select(Member.joined_on).where(
        Member.is_active.is_(True),
        sa.or_(
            *[sa.and_(month == m, day.in_(ds)) for m, ds in sorted(week_days.items())],
            sa.and_(month == 2, day == 29),
        ),
    )
    scope = user.branch_scope
    if scope is not None:
        stmt = stmt.where(Member.branch_id.in_(scope))
    week = 0
    by_month: dict[int, list[date]] = {}
    for d in days:
        by_month.setdefault(d.month, []).append(d)
    for (joined,) in db.session.execute(stmt):
        # Only 29 February can move to another month; others keep month and day.
        leap = joined.month == 2 and joined.day == 29
        candidates = days if leap else by_month.get(joined.month, ())
        if any(service.years_on(joined, d, rule) for d in candidates):
            week += 1
    gifts = sa.select(sa.func.count(Greeting.id)).where(
        Greeting.gift_kind.is_(None),
        Greeting.anniversary_on >= today.replace(day=1),
        Greeting.anniversary_on <= today,
    )
    if scope is not None:
        gifts = gifts.where(Greeting.branch_id.in_(scope))
    month = url_for("greetings.index", month=f"{today:%Y-%m}")
    return workbench.PanelData(
        items=[
            workbench.Item(
                "本周的政治生日",
                week,
                month,
                tone="info",
                hint=f"{cn_date(days[0])}至{cn_date(days[-1])}",
            ),
            workbench.Item(
                "本月已过生日、尚未登记礼物的党员",
                db.session.scalar(gifts) or 0,
                month,
                tone="warning",
                hint="在本月名单中逐人“登记礼物”",
            ),
        ]
    )


workbench.register(
    workbench.Panel(
        "greetings.week",
        "政治生日",
        _week_panel,
        roles=frozenset({Role.secretary, Role.admin}),
        order=30,
        link="greetings.index",
        reads=("greetings", "org"),
    )
)

MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def _scope_branch_ids() -> list[int] | None:
    """Branches the current user may list: None means all."""
    branch = int_arg(request.args, "branch")
    if current_user.reads_all_branches and branch is not None:
        return [branch]
    return current_user.branch_scope


def _month_arg(today: date) -> tuple[int, int]:
    match = MONTH_RE.match(request.args.get("month", ""))
    if match and 1 <= int(match.group(2)) <= 12 and 1900 < int(match.group(1)) < 3000:
        return int(match.group(1)), int(match.group(2))
    return today.year, today.month


def _shift_month(year: int, month: int, delta: int) -> str:
    index = year * 12 + (month - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@bp.get("/")
@authenticated
def index():
    today = local_today()
    if current_user.role == Role.member:
        return _member_index(today)
    branch_ids = _scope_branch_ids()
    year, month = _month_arg(today)
    todays = service.birthdays_on(today, branch_ids)
    service.attach_greetings(todays)
    tree = org_lists.tree()
    branches = list(tree.branches) if current_user.reads_all_branches else []
    return render_template(
        "greetings/index.html",
        branch_names=tree.branch_names,
        today=today,
        todays=todays,
        month_page=lists.birthdays_in_month_page(
            year, month, branch_ids, int_arg(request.args, "page") or 1
        ),
        year=year,
        month=month,
        prev_month=_shift_month(year, month, -1),
        next_month=_shift_month(year, month, 1),
        branches=branches,
        rule=service.leap_day_rule(),
        can_write=can_open("greetings.contact"),
        mail_max_attempts=tasks.mail_max_attempts(),
    )


def _member_index(today: date):
    member = db.session.get(Member, current_user.member_id)
    greetings = db.session.scalars(
        sa.select(Greeting)
        .where(Greeting.member_id == current_user.member_id)
        .order_by(Greeting.anniversary_on.desc())
    ).all()
    upcoming = None
    if member is not None:
        upcoming = service.next_birthday(member.joined_on, today, service.leap_day_rule())
    return render_template(
        "greetings/mine.html", member=member, greetings=greetings, upcoming=upcoming, today=today
    )


# --- the card --------------------------------------------------------------------


def _card(title: str, text: str, name: str, years: int, branch: str, day: date) -> dict:
    lines = service.card_lines(text)
    return {
        "title": title,
        # Long titles shrink to fit the 480px band; short texts sit mid-card.
        "title_size": min(46, int(500 / max(service._text_width(title), 1))),
        "text_top": 326 + max(0, (12 - len(lines)) * 29 // 2),
        "lines": lines,
        "name": name,
        "years": years,
        "branch": branch,
        "date_text": cn_date(day),
        "milestone": years in service.MILESTONE_YEARS,
    }


def _greeting_card(greeting: Greeting) -> dict:
    return _card(
        greeting.title,
        greeting.card_text,
        greeting.member.name,
        greeting.years,
        greeting.branch.name,
        greeting.anniversary_on,
    )


def _load_greeting(greeting_id: int) -> Greeting:
    greeting = db.session.scalar(
        sa.select(Greeting)
        .options(selectinload(Greeting.member), selectinload(Greeting.branch))
        .where(Greeting.id == greeting_id)
    )
    if greeting is None or not greeting.can_view(current_user):
        abort(404)
    return greeting


@bp.get("/cards/<int:greeting_id>")
@authenticated
def card(greeting_id: int):
    greeting = _load_greeting(greeting_id)
    with boundary():
        service.mark_opened(greeting, current_user)
    return render_template(
        "greetings/card.html", card=_greeting_card(greeting), greeting=greeting, preview=False
    )


@bp.get("/cards/<int:greeting_id>/card.svg")
@authenticated
def card_svg(greeting_id: int):
    greeting = _load_greeting(greeting_id)
    svg = render_template("greetings/_card.svg", card=_greeting_card(greeting), standalone=True)
    filename = f"政治生日贺卡_{greeting.member.name}_{greeting.anniversary_on:%Y%m%d}.svg"
    return send_bytes(svg, filename, "image/svg+xml", fallback="card.svg")


@bp.get("/preview/<int:member_id>")
@access(Role.admin, Role.secretary)
def preview(member_id: int):
    member = db.get_or_404(Member, member_id)
    if not member.can_edit(current_user):
        abort(404)
    rule = service.leap_day_rule()
    try:
        on = date.fromisoformat(request.args.get("on", ""))
    except ValueError:
        on, years = service.next_birthday(member.joined_on, local_today(), rule)
    else:
        years = service.years_on(member.joined_on, on, rule)
        if years is None:
            flash(
                f"{cn_date(on)}不是{member.name}的政治生日，已显示下一个政治生日的贺卡。", "warning"
            )
            on, years = service.next_birthday(member.joined_on, local_today(), rule)
    title, text, template = service.render_card(member, on, years)
    existing = db.session.scalar(
        sa.select(Greeting.id).where(Greeting.member_id == member.id, Greeting.years == years)
    )
    return render_template(
        "greetings/card.html",
        card=_card(title, text, member.name, years, member.branch.name, on),
        greeting=None,
        preview=True,
        member=member,
        on=on,
        today=local_today(),
        template=template,
        existing_id=existing,
    )


# --- gift and e-mail -------------------------------------------------------------


@bp.route("/cards/<int:greeting_id>/gift", methods=["GET", "POST"])
@access(Role.admin, Role.secretary)
def record_gift(greeting_id: int):
    greeting = _load_greeting(greeting_id)
    if not greeting.can_record_gift(current_user):
        abort(403)
    form = GiftForm(obj=greeting if greeting.gift_recorded else None)
    if request.method == "GET":
        if greeting.gift_recorded:
            form.gift_kind.data = greeting.gift_kind.value
        else:
            form.gift_handed_on.data = local_today()
            form.gift_handed_by.data = current_user.label
    if form.validate_on_submit():
        with boundary(form) as done:
            service.record_gift(greeting, form.data, current_user)
            done.success = f"已登记：{greeting.member.name}的{greeting.gift_kind.phrase}已送达。"
        if done:
            return redirect(url_for("greetings.index", month=f"{greeting.anniversary_on:%Y-%m}"))
    return render_template("greetings/gift_form.html", form=form, greeting=greeting), form_status(
        form
    )


@bp.route("/members/<int:member_id>/email", methods=["GET", "POST"])
@access(Role.admin, Role.secretary)
def contact(member_id: int):
    member = db.get_or_404(Member, member_id)
    if not member.can_edit(current_user):
        abort(404)
    row = db.session.scalar(
        sa.select(GreetingContact).where(GreetingContact.member_id == member.id)
    )
    form = ContactForm(obj=row)
    if form.validate_on_submit():
        with boundary(form, success=f"已保存{member.name}的贺卡邮箱。") as done:
            service.set_contact_email(member, form.email.data, current_user)
        if done:
            return redirect(url_for("greetings.index"))
    from partybuild.core import mail

    return render_template(
        "greetings/contact_form.html", form=form, member=member, mail_enabled=mail.is_enabled()
    ), form_status(form)


# --- administration --------------------------------------------------------------


@bp.get("/templates")
@access(Role.admin)
def templates():
    rows = db.session.scalars(sa.select(GreetingTemplate).order_by(GreetingTemplate.years)).all()
    return render_template(
        "greetings/templates.html",
        rows=rows,
        placeholders=service.PLACEHOLDERS,
        settings_form=_settings_form(),
        rule=service.leap_day_rule(),
    )


def _settings_form() -> SettingsForm:
    form = SettingsForm()
    if not form.is_submitted():
        form.leap_day_rule.data = service.leap_day_rule().value
    return form


def _template_page(form: TemplateForm, row: GreetingTemplate | None):
    return render_template(
        "greetings/template_form.html", form=form, row=row, placeholders=service.PLACEHOLDERS
    ), form_status(form)


@bp.route("/templates/new", methods=["GET", "POST"])
@access(Role.admin)
def new_template():
    form = TemplateForm()
    if form.validate_on_submit():
        with boundary(form) as done:
            row = service.save_template(None, form.data, current_user)
            done.success = f"已添加{row.label}。"
        if done:
            return redirect(url_for("greetings.templates"))
    return _template_page(form, None)


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@access(Role.admin)
def edit_template(template_id: int):
    row = db.get_or_404(GreetingTemplate, template_id)
    form = TemplateForm(obj=row)
    if form.validate_on_submit():
        with boundary(form) as done:
            service.save_template(row, form.data, current_user, submitted_version(form))
            done.success = f"{row.label}已保存，之后发出的贺卡使用新内容。"
        if done:
            return redirect(url_for("greetings.templates"))
    return _template_page(form, row)


@bp.post("/settings")
@access(Role.admin)
def settings():
    form = SettingsForm()
    if not form.validate_on_submit():
        flash("请选择2月29日入党党员在平年的祝贺日期。", "error")
        return redirect(url_for("greetings.templates"))
    with boundary(success=f"设置已保存：{LeapDayRule(form.leap_day_rule.data).label}。"):
        service.update_settings(form.data, current_user)
    return redirect(url_for("greetings.templates"))
