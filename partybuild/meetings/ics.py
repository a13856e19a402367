"""The branch's meeting calendar as iCalendar (RFC 5545): planned and held meetings only,
title, time, place and type — never minutes, attendance or resolutions."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from partybuild.core.db import utcnow
from partybuild.extensions import db
from partybuild.meetings.models import Meeting, MeetingState
from partybuild.org.models import Branch

FEED_STATES = (MeetingState.planned, MeetingState.held, MeetingState.approved)
DEFAULT_LENGTH = timedelta(hours=1)
FEED_HISTORY = timedelta(days=400)
FEED_LIMIT = 500


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma, newline."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    # Other control characters are not allowed in a content line.
    value = "".join(ch for ch in value if ch == "\n" or ch == "\t" or ord(ch) >= 0x20)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    out: list[str] = []
    current, size, limit = [], 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append("".join(current))
            current, size, limit = [], 0, 74  # continuation lines start with a space
        current.append(ch)
        size += n
    out.append("".join(current))
    return "\r\n ".join(out)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(m: Meeting, host: str, now: datetime) -> list[str]:
    ends = m.ends_at or m.starts_at + DEFAULT_LENGTH
    lines = [
        "BEGIN:VEVENT",
        f"UID:meeting-{m.id}@{host}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(m.starts_at)}",
        f"DTEND:{_stamp(ends)}",
        f"SUMMARY:{escape_text(m.title)}",
        f"CATEGORIES:{escape_text(m.type.label)}",
        f"SEQUENCE:{m.version_id}",
        "STATUS:CONFIRMED",
    ]
    if m.place:
        lines.append(f"LOCATION:{escape_text(m.place)}")
    lines.append(
        f"DESCRIPTION:{escape_text(f'{m.type.label}' + (f'，主持人：{m.host}' if m.host else ''))}"
    )
    lines.append("END:VEVENT")
    return lines


def feed_meetings(branch: Branch, now: datetime | None = None) -> Iterable[Meeting]:
    now = now or utcnow()
    return db.session.scalars(
        sa.select(Meeting)
        .where(
            Meeting.branch_id == branch.id,
            Meeting.state.in_(FEED_STATES),
            Meeting.starts_at >= now - FEED_HISTORY,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(FEED_LIMIT)
    )


def calendar(branch: Branch, host: str, now: datetime | None = None) -> str:
    now = now or utcnow()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//partybuild//meetings//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(branch.name + '组织生活')}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for m in feed_meetings(branch, now):
        lines += _event(m, host, now)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
