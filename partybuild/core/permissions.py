"""Route-level access rules (deny by default) and role names.

Every view declares who may use it with ``@access(...)``, ``@public`` or
``@authenticated``; a before_request hook refuses any endpoint that declares
nothing. Object rules (branch scope, state) live in ``can_*`` methods on models.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

from partybuild.core.db import LabelledEnum

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
AUTHENTICATED = "authenticated"


class Role(LabelledEnum):
    admin = "admin", "系统管理员"
    secretary = "secretary", "支部书记"
    member = "member", "党员"
    reviewer = "reviewer", "上级审阅"


ROLE_LABELS = Role.labels()

# Endpoints Flask itself adds.
_BUILTIN_PUBLIC = {"static"}


def access(*roles: Role) -> Callable[[F], F]:
    """Allow only users holding one of ``roles``."""
    if not roles:
        raise ValueError("access() needs at least one role")

    def decorate(view: F) -> F:
        view._access_rule = frozenset(Role(r) for r in roles)  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    """Open to anyone, including the anonymous public."""
    view._access_rule = PUBLIC  # type: ignore[attr-defined]
    return view


def authenticated(view: F) -> F:
    """Any logged-in user, whatever the role."""
    view._access_rule = AUTHENTICATED  # type: ignore[attr-defined]
    return view


def access_rule(app: Flask, endpoint: str) -> object | None:
    if endpoint in _BUILTIN_PUBLIC:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "_access_rule", None)


def init_app(app: Flask) -> None:
    @app.before_request
    def enforce_access_rule() -> Any:
        if request.endpoint is None:  # 404/405 are handled by Flask
            return None
        rule = access_rule(app, request.endpoint)
        if rule is None:
            logger.error("endpoint %s declares no access rule; denied", request.endpoint)
            abort(403)
        if rule == PUBLIC:
            return None
        if not current_user.is_authenticated:
            if request.method == "GET":
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            abort(401)
        if rule == AUTHENTICATED or current_user.role in rule:
            return None
        abort(403)


def has_role(user: Any, *roles: Role) -> bool:
    return bool(user and user.is_authenticated and user.role in roles)
