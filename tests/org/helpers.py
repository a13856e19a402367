"""Small helpers shared by the org tests (form payloads, page text)."""

import re
from typing import Any

import sqlalchemy as sa

from partybuild.core.audit import AuditEntry
from partybuild.extensions import db


def member_form(org: Any, **overrides: Any) -> dict[str, str]:
    """A valid member form post for branch A; override any field."""
    data = {
        "name": "张建国",
        "gender": "male",
        "birth_on": "1985-03-01",
        "joined_on": "2008-07-01",
        "full_member_on": "2009-07-01",
        "status": "full",
        "branch_id": str(org.a.id),
        "party_group_id": str(org.group_a.id),
        "department_id": str(org.department.id),
        "post_id": str(org.post.id),
        "title": "科员",
        "phone": "13912345678",
    }
    data.update({k: ("" if v is None else str(v)) for k, v in overrides.items()})
    return data


def text(resp: Any) -> str:
    return resp.get_data(as_text=True)


def entries(**filters: Any) -> list[AuditEntry]:
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id)
    for key, value in filters.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(stmt))


def hidden_value(html: str, name: str) -> str | None:
    m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    return m.group(1) if m else None
