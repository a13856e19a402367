"""Political birthdays: who has one when, card text from templates, gifts, settings."""

import calendar
import logging
import re
import string
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from partybuild.core import audit, jobs, mail
from partybuild.core.db import insert_many_ignoring_duplicates, utcnow
from partybuild.core.notifications import Notification, mark_read, notify_many
from partybuild.core.permissions import Role
from partybuild.core.service import (
    PermissionDenied,
    ValidationFailed,
    check_version,
)
from partybuild.core.settings import change_setting, setting
from partybuild.core.timeutil import anniversary_of, cn_date, local_today
from partybuild.extensions import db
from partybuild.greetings.models import (
    EmailStatus,
    GiftKind,
    Greeting,
    GreetingContact,
    GreetingTemplate,
    LeapDayRule,
)
from partybuild.org.models import Member, by_name

logger = logging.getLogger(__name__)

MILESTONE_YEARS = (10, 20, 30, 40, 50)
TITLE_MAX = 60  # Greeting.title and GreetingTemplate.title

# Named placeholders a template may use, with what they stand for (shown in the UI).
PLACEHOLDERS: dict[str, str] = {
    "姓名": "党员姓名",
    "入党周年": "入党周年数（今年是入党第几周年）",
    "党龄": "党龄：自转正之日起计算的整年数",
    "党支部": "所在党支部名称",
    "入党日期": "入党日期，如“2005年7月1日”",
    "日期": "政治生日当天，如“2026年7月1日”",
}

DEFAULT_TEMPLATES: dict[int, tuple[str, str]] = {
    0: (
        "政治生日快乐",
        "{姓名}同志：\n"
        "今天是您的政治生日。{入党日期}，您在党旗下庄严宣誓，至今已走过{入党周年}年光辉历程。"
        "感谢您在{党支部}的辛勤付出！愿您不忘初心、牢记使命，永葆共产党员的先进本色。",
    ),
    **{
        years: (
            "光荣在党{入党周年}年",
            "{姓名}同志：\n"
            "今天是您入党{入党周年}周年的纪念日。{入党日期}至今，您始终坚守信念、忠诚履职，"
            "为人民群众排忧解难。{党支部}全体党员向您致以崇高的敬意和诚挚的祝福！",
        )
        for years in MILESTONE_YEARS
    },
}

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- who has a political birthday when -----------------------------------------


def leap_day_rule() -> LeapDayRule:
    """The 29 February rule: the admin's setting, else app config (default 28 Feb)."""
    value = setting("GREETINGS_LEAP_DAY_RULE") or LeapDayRule.feb28.value
    try:
        return LeapDayRule(str(value).lower())
    except ValueError:
        logger.warning("GREETINGS_LEAP_DAY_RULE=%r is not feb28/mar1; using feb28", value)
        return LeapDayRule.feb28


def anniversary_in(joined: date, year: int, rule: LeapDayRule) -> date:
    """The day in ``year`` on which the political birthday is observed (org's rule, with
    the admin's choice for 29 February; see ``Member.political_birthday_in``)."""
    return anniversary_of(joined, year, leap_day_to_march=rule == LeapDayRule.mar1)


def years_on(joined: date, day: date, rule: LeapDayRule) -> int | None:
    """Years since joining if ``day`` is the political birthday (never the joining day itself)."""
    years = day.year - joined.year
    if years >= 1 and anniversary_in(joined, day.year, rule) == day:
        return years
    return None


def next_birthday(joined: date, today: date, rule: LeapDayRule) -> tuple[date, int]:
    for year in (today.year, today.year + 1):
        on = anniversary_in(joined, year, rule)
        if on >= today and year - joined.year >= 1:
            return on, year - joined.year
    on = anniversary_in(joined, joined.year + 1, rule)
    return on, 1


@dataclass
class Birthday:
    member: Member
    on: date
    years: int
    greeting: Greeting | None = None

    @property
    def is_milestone(self) -> bool:
        return self.years in MILESTONE_YEARS


def _candidates(
    months: set[int],
    branch_ids: list[int] | None,
    joined_on: list[date] | None = None,
) -> list[Member]:
    """Active members who joined in one of ``months`` (or, if given, on one of the
    ``joined_on`` dates, an indexed lookup): a superset of the birthdays, narrowed by
    the caller."""
    stmt = (
        sa.select(Member)
        .options(selectinload(Member.branch))
        .order_by(Member.branch_id, *by_name())
    )
    if joined_on is not None:
        # Active members are picked below: with is_active in the WHERE clause, SQLite
        # (without ANALYZE statistics) walks the is_active index over every member
        # instead of looking the dates up in the joined_on index.
        stmt = stmt.where(Member.joined_on.in_(joined_on))
    else:
        stmt = stmt.where(
            Member.is_active.is_(True),
            sa.extract("month", Member.joined_on).in_(sorted(months)),
        )
    if branch_ids is not None:
        stmt = stmt.where(Member.branch_id.in_(branch_ids))
    return [m for m in db.session.scalars(stmt) if m.is_active]


def _joining_dates(day: date) -> list[date]:
    """Every date whose political birthday can fall on ``day``: the same calendar day in
    each earlier year, and 29 February when ``day`` is 28 February or 1 March (the
    leap-day rule picks one; ``years_on`` applies it exactly)."""
    first = db.session.scalar(sa.select(sa.func.min(Member.joined_on)))
    if first is None:
        return []
    leap_day_joiners = (day.month, day.day) in ((2, 28), (2, 29), (3, 1))
    dates = set()
    for year in range(first.year, day.year):
        if (day.month, day.day) != (2, 29):
            dates.add(date(year, day.month, day.day))
        if leap_day_joiners and calendar.isleap(year):
            dates.add(date(year, 2, 29))
    return sorted(dates)


def birthdays_on(day: date, branch_ids: list[int] | None = None) -> list[Birthday]:
    """Active members whose political birthday is ``day`` (local date)."""
    rule = leap_day_rule()
    result = []
    for member in _candidates(set(), branch_ids, _joining_dates(day)):
        years = years_on(member.joined_on, day, rule)
        if years is not None:
            result.append(Birthday(member, day, years))
    return result


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def birthdays_in_month(
    year: int, month: int, branch_ids: list[int] | None = None
) -> list[Birthday]:
    """The month's political birthdays (for the monthly collective event), with greetings."""
    rule = leap_day_rule()
    months = {month, 2} if month == 3 else {month}
    result = []
    for member in _candidates(months, branch_ids):
        on = member.political_birthday_in(year, leap_day_to_march=rule == LeapDayRule.mar1)
        if on.month == month and year - member.joined_on.year >= 1:
            result.append(Birthday(member, on, year - member.joined_on.year))
    attach_greetings(result)
    result.sort(
        key=lambda b: (b.on, b.member.branch_id, b.member.name_pinyin, b.member.name, b.member.id)
    )
    return result


def attach_greetings(birthdays: list[Birthday]) -> None:
    """Fill ``greeting`` for each birthday in one query (keyed by member and years)."""
    if not birthdays:
        return
    ids = {b.member.id for b in birthdays}
    rows = db.session.scalars(
        sa.select(Greeting).where(
            Greeting.member_id.in_(ids), Greeting.years.in_({b.years for b in birthdays})
        )
    )
    by_key = {(g.member_id, g.years): g for g in rows}
    for b in birthdays:
        b.greeting = by_key.get((b.member.id, b.years))


# --- templates -------------------------------------------------------------------


def placeholder_help() -> str:
    return "、".join(f"{{{name}}}" for name in PLACEHOLDERS)


def template_problem(text: str) -> str | None:
    """Why a template text cannot be used, or None. Unknown placeholders are refused."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return "花括号不配对：占位符应写成 {姓名} 这样的形式；如需显示花括号本身，请写成 {{ 或 }}。"
    unknown: list[str] = []
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field == "":
            return "占位符不能为空：{} 中应填写占位符名称，如 {姓名}。"
        if spec or conversion:
            return f"占位符 {{{field}}} 中不能包含“:”或“!”等格式说明。"
        if field not in PLACEHOLDERS and field not in unknown:
            unknown.append(field)
    if unknown:
        names = "、".join(f"{{{u}}}" for u in unknown)
        return f"未知的占位符：{names}。可用的占位符：{placeholder_help()}。"
    return None


def placeholder_values(member: Member, day: date, years: int) -> dict[str, str]:
    return {
        "姓名": member.name,
        "入党周年": str(years),
        # A probationary member has no 党龄 yet; cards have always said 0 then.
        "党龄": str(member.party_standing_on(day) or 0),
        "党支部": member.branch.name,
        "入党日期": cn_date(member.joined_on),
        "日期": cn_date(day),
    }


def _active_templates() -> dict[int, GreetingTemplate]:
    """The active templates by years (0 = the default), in one query."""
    rows = db.session.scalars(
        sa.select(GreetingTemplate).where(GreetingTemplate.is_active.is_(True))
    )
    return {t.years: t for t in rows}


def pick_template(
    years: int, templates: dict[int, GreetingTemplate] | None = None
) -> GreetingTemplate | None:
    """The active milestone template for these years, else the active default one.

    ``templates`` (from ``_active_templates``) saves the query when rendering many cards."""
    by_years = _active_templates() if templates is None else templates
    return by_years.get(years) or by_years.get(0)


def render_card(
    member: Member,
    day: date,
    years: int,
    templates: dict[int, GreetingTemplate] | None = None,
) -> tuple[str, str, GreetingTemplate | None]:
    """(title, text, template) for a member's card; built-in text if no template exists."""
    template = pick_template(years, templates)
    if template is not None:
        title, body = template.title, template.body
    else:
        title, body = DEFAULT_TEMPLATES[years if years in MILESTONE_YEARS else 0]
    values = placeholder_values(member, day, years)
    # Placeholders can make a title longer than it was typed; the column holds 60.
    title = title.format_map(values)
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    return title, body.format_map(values), template


def _clean_template_data(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    clean = {
        "years": int(data.get("years") or 0),
        "title": (data.get("title") or "").strip(),
        "body": (data.get("body") or "").strip().replace("\r\n", "\n"),
        "is_active": bool(data.get("is_active")),
    }
    errors: dict[str, str] = {}
    if clean["years"] not in (0, *MILESTONE_YEARS):
        errors["years"] = "适用范围应为通用模板或10、20、30、40、50周年"
    if not clean["title"]:
        errors["title"] = "标题不能为空"
    elif len(clean["title"]) > 60:
        errors["title"] = "标题不能超过60个字"
    if not clean["body"]:
        errors["body"] = "贺卡正文不能为空"
    elif len(clean["body"]) > 600:
        errors["body"] = "贺卡正文不能超过600个字（贺卡版面有限）"
    for field in ("title", "body"):
        if field not in errors:
            problem = template_problem(clean[field])
            if problem:
                errors[field] = problem
    return clean, errors


def save_template(
    template: GreetingTemplate | None,
    data: dict[str, Any],
    actor: Any,
    version_id: int | None = None,
) -> GreetingTemplate:
    if not actor.is_admin:
        raise PermissionDenied("只有系统管理员可以修改贺卡模板")
    clean, errors = _clean_template_data(data)
    if template is not None:
        check_version(template, version_id, "该模板")
    if "years" not in errors:
        clash = db.session.scalar(
            sa.select(GreetingTemplate.id).where(GreetingTemplate.years == clean["years"])
        )
        if clash and (template is None or clash != template.id):
            errors["years"] = "该适用范围已有模板，请直接编辑原模板"
    if template is not None and template.years == 0 and not clean["is_active"]:
        errors["is_active"] = "通用模板不能停用（其他模板不适用时使用它）"
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(template, GreetingTemplate.AUDIT_FIELDS) if template else None
    if template is None:
        template = GreetingTemplate(**clean, updated_by_id=actor.id)
        db.session.add(template)
    else:
        for key, value in clean.items():
            setattr(template, key, value)
        template.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        "update" if before else "create",
        "greeting_template",
        template.id,
        actor=actor,
        before=before,
        after=audit.snapshot(template, GreetingTemplate.AUDIT_FIELDS),
        summary=template.label,
    )
    return template


def ensure_default_templates() -> int:
    """Add the built-in templates that are missing; return how many were added."""
    have = set(db.session.scalars(sa.select(GreetingTemplate.years)))
    added = 0
    for years, (title, body) in DEFAULT_TEMPLATES.items():
        if years not in have:
            db.session.add(GreetingTemplate(years=years, title=title, body=body))
            added += 1
    db.session.flush()
    return added


# --- settings --------------------------------------------------------------------


def update_settings(data: dict[str, Any], actor: Any) -> LeapDayRule:
    if not actor.is_admin:
        raise PermissionDenied("只有系统管理员可以修改政治生日设置")
    try:
        rule = LeapDayRule(data.get("leap_day_rule"))
    except ValueError:
        raise ValidationFailed({"leap_day_rule": "请选择2月29日入党党员的祝贺日期"}) from None
    change_setting("GREETINGS_LEAP_DAY_RULE", rule.value, actor)
    return rule


# --- greetings -------------------------------------------------------------------


def card_path(greeting_id: int) -> str:
    """Site-relative link to a card, also outside a request (scheduler process)."""
    return jobs.url_path("greetings.card", greeting_id=greeting_id)


_SAMPLE_ID = 987654321


def _card_paths() -> Callable[[int], str]:
    """``card_path`` for many cards: the URL map is asked once, not once per card."""
    sample = card_path(_SAMPLE_ID)
    head, sep, tail = sample.rpartition(str(_SAMPLE_ID))
    if not sep:  # not built from the id as expected: ask each time
        return card_path
    return lambda greeting_id: f"{head}{greeting_id}{tail}"


def _member_users(member_ids: set[int]) -> dict[int, int]:
    from partybuild.auth.models import User

    if not member_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.member_id, User.id).where(
            User.member_id.in_(member_ids), User.is_active_account.is_(True)
        )
    )
    return {member_id: user_id for member_id, user_id in rows}


def _contacts(member_ids: set[int]) -> dict[int, str]:
    if not member_ids:
        return {}
    rows = db.session.execute(
        sa.select(GreetingContact.member_id, GreetingContact.email).where(
            GreetingContact.member_id.in_(member_ids)
        )
    )
    return dict(rows.all())


# Greetings listed in one audit entry (per branch): the audit page shows them all.
AUDIT_BATCH = 500
# Rows per INSERT statement (SQLite allows 32,766 bound parameters per statement).
INSERT_CHUNK = 1000


def greet_day(day: date) -> dict[str, int]:
    """Create the day's greetings and notify members and secretaries (flush only).

    Safe to run any number of times, from any number of processes: greetings and
    notifications are inserted in bulk with "skip on conflict" against their unique
    constraints ((member, anniversary), (member, years), (user, dedupe key)), and
    only the rows this run inserted are notified and audited. Templates are loaded
    once; one audit entry per branch and batch lists the members greeted.
    """
    found = birthdays_on(day)
    counts: Counter = Counter(found=len(found))
    # Members already greeted for this day (a re-run) are skipped before rendering. Any
    # other clash (the same anniversary greeted on another day, as after a change of the
    # leap-day rule, or by a concurrent run) is skipped by the insert's unique constraints.
    greeted_today = set(
        db.session.scalars(sa.select(Greeting.member_id).where(Greeting.anniversary_on == day))
    )
    todo = [b for b in found if b.member.id not in greeted_today]
    counts["already"] += len(found) - len(todo)
    if not todo:
        return _nonzero(counts)
    ids = {b.member.id for b in todo}
    users = _member_users(ids)
    contacts = _contacts(ids) if mail.is_enabled() else {}
    templates = _active_templates()
    now = utcnow()

    rows = []
    for b in todo:
        title, text, template = render_card(b.member, day, b.years, templates)
        email = contacts.get(b.member.id, "")
        rows.append(
            {
                "member_id": b.member.id,
                "branch_id": b.member.branch_id,
                "anniversary_on": day,
                "years": b.years,
                "template_id": template.id if template else None,
                "title": title,
                "card_text": text,
                "created_at": now,
                "notified_user_id": users.get(b.member.id),
                "email_status": EmailStatus.pending if email else EmailStatus.none,
                "email_to": email,
            }
        )
    inserted = _insert_greetings(rows)
    counts["already"] += len(todo) - len(inserted)
    greeted = [(b, inserted[b.member.id]) for b in todo if b.member.id in inserted]
    counts["greeted"] += len(greeted)
    counts["mail_queued"] += sum(1 for b, _ in greeted if contacts.get(b.member.id))
    if not greeted:
        return _nonzero(counts)

    link = _card_paths()
    counts["notified"] += notify_many(
        {
            "user_id": users[b.member.id],
            "kind": "greeting",
            "title": f"政治生日快乐！您的入党{b.years}周年电子贺卡",
            "body": f"{cn_date(day)}，{b.member.branch.name}祝您政治生日快乐。",
            "link": link(greeting_id),
            "dedupe_key": f"greeting:{b.member.id}:{b.years}",
        }
        for b, greeting_id in greeted
        if b.member.id in users
    )
    greeted_by_branch: dict[int, list[tuple[Birthday, int]]] = defaultdict(list)
    for b, greeting_id in greeted:
        greeted_by_branch[b.member.branch_id].append((b, greeting_id))
    _audit_greeted(day, greeted_by_branch)
    _notify_secretaries(day, greeted_by_branch)
    return _nonzero(counts)


def _nonzero(counts: Counter) -> dict[str, int]:
    """The run's counts for the run log: "found" always, the others when they happened."""
    return {k: v for k, v in counts.items() if v or k == "found"}


def _insert_greetings(rows: list[dict[str, Any]]) -> dict[int, int]:
    """Insert greetings in bulk, skipping members another run greeted first;
    return {member id: greeting id} for the rows inserted here."""
    found = insert_many_ignoring_duplicates(
        db.session, Greeting, rows, [Greeting.member_id, Greeting.id], chunk=INSERT_CHUNK
    )
    return dict(found)


def _audit_greeted(day: date, by_branch: dict[int, list[tuple[Birthday, int]]]) -> None:
    """One audit entry per AUDIT_BATCH greetings (branch by branch), naming everyone."""
    greeted = [item for items in by_branch.values() for item in items]
    for i in range(0, len(greeted), AUDIT_BATCH):
        part = greeted[i : i + AUDIT_BATCH]
        branches = {b.member.branch_id for b, _ in part}
        names = "、".join(b.member.name for b, _ in part[:5])
        more = f"等{len(part)}人" if len(part) > 5 else ""
        audit.record(
            "create",
            "greeting",
            part[0][1] if len(part) == 1 else None,
            actor="scheduler",
            branch_id=part[0][0].member.branch_id if len(branches) == 1 else None,
            after={
                "on": day,
                "count": len(part),
                "greeted": "、".join(
                    f"{b.member.name}（党员#{b.member.id}，{b.member.branch.name}，"
                    f"入党{b.years}周年，贺卡#{gid}）"
                    for b, gid in part
                ),
                "greeting_ids": [gid for _, gid in part],
            },
            summary=f"{cn_date(day)}政治生日贺卡{len(part)}张：{names}{more}",
        )


def _notify_secretaries(day: date, by_branch: dict[int, list[tuple[Birthday, int]]]) -> None:
    from partybuild.auth.models import User

    # Every secretary (one or two per branch), their branch picked here: with
    # "branch_id IN (…)" in SQL, SQLite walks the branch index over every user.
    secretaries = [
        (user_id, branch_id)
        for user_id, branch_id in db.session.execute(
            sa.select(User.id, User.branch_id).where(
                User.role == Role.secretary, User.is_active_account.is_(True)
            )
        )
        if branch_id in by_branch
    ]
    index_link = jobs.url_path("greetings.index")

    def digest(user_id: int, branch_id: int) -> dict[str, Any]:
        people = [b for b, _ in by_branch[branch_id]]
        names = "、".join(f"{b.member.name}（入党{b.years}周年）" for b in people[:10])
        more = f"等{len(people)}人" if len(people) > 10 else ""
        return {
            "user_id": user_id,
            "kind": "greeting_digest",
            "title": f"{cn_date(day)}政治生日：{len(people)}名党员",
            "body": f"已向{names}{more}发送电子贺卡，请安排政治生日蛋糕或纪念品。",
            "link": index_link,
            "dedupe_key": f"greeting-digest:{branch_id}:{day.isoformat()}",
        }

    notify_many(digest(user_id, branch_id) for user_id, branch_id in secretaries)


def mark_opened(greeting: Greeting, user: Any) -> bool:
    """The member opened their own card: stamp it and clear its notification."""
    if user.member_id != greeting.member_id:
        return False
    changed = False
    if greeting.opened_at is None:
        greeting.opened_at = utcnow()
        changed = True
    note = db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == user.id,
            Notification.dedupe_key == f"greeting:{greeting.member_id}:{greeting.years}",
        )
    )
    if note is not None and note.read_at is None:
        mark_read(note)
        changed = True
    db.session.flush()
    return changed


def record_gift(greeting: Greeting, data: dict[str, Any], actor: Any) -> Greeting:
    if not greeting.can_record_gift(actor):
        raise PermissionDenied("您只能登记本支部党员的政治生日礼物")
    errors: dict[str, str] = {}
    try:
        kind = GiftKind(data.get("gift_kind"))
    except ValueError:
        errors["gift_kind"] = "请选择礼物类型"
    handed_by = (data.get("gift_handed_by") or "").strip()
    if not handed_by:
        errors["gift_handed_by"] = "请填写送达人"
    elif len(handed_by) > 60:
        errors["gift_handed_by"] = "送达人不能超过60个字"
    handed_on = data.get("gift_handed_on")
    if not isinstance(handed_on, date):
        errors["gift_handed_on"] = "请填写送达日期"
    elif handed_on > local_today():
        errors["gift_handed_on"] = "送达日期不能晚于今天"
    elif handed_on < greeting.anniversary_on - timedelta(days=62):
        errors["gift_handed_on"] = "送达日期距政治生日过远，请核对"
    note = (data.get("gift_note") or "").strip()
    if len(note) > 255:
        errors["gift_note"] = "备注不能超过255个字"
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(greeting, Greeting.GIFT_FIELDS)
    greeting.gift_kind = kind
    greeting.gift_handed_by = handed_by
    greeting.gift_handed_on = handed_on
    greeting.gift_note = note
    greeting.gift_recorded_by_id = actor.id
    greeting.gift_recorded_at = utcnow()
    db.session.flush()
    audit.record(
        "record_gift",
        "greeting",
        greeting.id,
        actor=actor,
        branch_id=greeting.branch_id,
        before=before,
        after=audit.snapshot(greeting, Greeting.GIFT_FIELDS),
        summary=f"{greeting.member.name} {kind.phrase}已送达",
    )
    return greeting


def set_contact_email(member: Member, email: str, actor: Any) -> GreetingContact | None:
    """Set or clear the address a member's cards are e-mailed to."""
    if not member.can_edit(actor):
        raise PermissionDenied("您只能维护本支部党员的贺卡邮箱")
    email = (email or "").strip()
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        raise ValidationFailed({"email": "邮箱地址格式不正确"})
    row = db.session.scalar(
        sa.select(GreetingContact).where(GreetingContact.member_id == member.id)
    )
    before = {"email": row.email if row else ""}
    if not email:
        if row is not None:
            db.session.delete(row)  # an address is contact data, not evidence
        row = None
    elif row is None:
        row = GreetingContact(member_id=member.id, email=email, updated_by_id=actor.id)
        db.session.add(row)
    else:
        row.email = email
        row.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        "update",
        "greeting_contact",
        member.id,
        actor=actor,
        branch_id=member.branch_id,
        before=before,
        after={"email": email},
        summary=f"{member.name} 贺卡邮箱",
    )
    return row


def _text_width(text: str) -> float:
    """Rendered width in em: CJK characters are square, Latin letters and digits narrower."""
    return sum(0.55 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def card_lines(text: str, width: float = 18.5, max_lines: int = 14) -> list[str]:
    """Wrap card text for the SVG card (CJK text has no spaces to break at)."""
    lines: list[str] = []
    for raw in text.split("\n"):
        raw = raw.strip()
        # The salutation ("……同志：") stays flush left; paragraphs are indented.
        paragraph = raw if (not lines and raw.endswith(("：", ":"))) else "\u3000\u3000" + raw
        line = ""
        for ch in paragraph:
            # Closing punctuation may hang past the margin rather than start a line.
            if _text_width(line + ch) > width and ch not in "，。、；：！？”）》,.;:!?)":
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines
