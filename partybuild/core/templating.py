"""Jinja filters and globals shared by every template."""

from typing import Any

from flask import Flask, current_app, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from partybuild.core import navigation
from partybuild.core.permissions import ROLE_LABELS, can_open
from partybuild.core.timeutil import cn_date, format_date, format_datetime


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def safe_url(endpoint: str, **values: Any) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        datetime=format_datetime,
        date=format_date,
        cn_date=cn_date,
    )
    app.jinja_env.globals.update(
        has_endpoint=has_endpoint,
        can_open=can_open,
        nav_entries=navigation.nav_entries,
        home_cards=navigation.home_cards,
        safe_url=safe_url,
        ROLE_LABELS=ROLE_LABELS,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def inject_unread() -> dict[str, Any]:
        from partybuild.core.notifications import unread_count

        if current_user.is_authenticated:
            return {"unread_notifications": unread_count(current_user.id)}
        return {"unread_notifications": 0}
