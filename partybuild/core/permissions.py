"""Route-level access rules (deny by default) and role names.

Every view declares who may use it with ``@access(...)``, ``@public`` or
``@authenticated``; a before_request hook refuses any endpoint that declares
nothing. Object rules (branch scope, state) live in ``can_*`` methods on models.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, has_request_context, redirect, request, url_for
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


def allows(rule: object | None, user: Any) -> bool:
    """Whether ``user`` passes a route rule. A missing rule allows nobody."""
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    if user is None or not user.is_authenticated:
        return False
    return rule == AUTHENTICATED or user.role in rule  # type: ignore[operator]


def can_open(endpoint: str, user: Any = None) -> bool:
    """True if the endpoint exists and ``user`` (default: the current user) passes its
    route rule. Templates use this to show a link or button only to those it serves."""
    if user is not None or not has_request_context():
        return allows(access_rule(current_app, endpoint), current_user if user is None else user)
    # Pages ask about the same few endpoints for every row: answered once per request.
    # (Keyed by user and role too: a request that signs someone in asks afresh.)
    user = current_user._get_current_object()
    key = (id(user), getattr(user, "role", None), endpoint)
    answers = g.setdefault("_can_open", {})
    if key not in answers:
        answers[key] = allows(access_rule(current_app, endpoint), user)
    return answers[key]


def init_app(app: Flask) -> None:
    @app.before_request
    def enforce_access_rule() -> Any:
        if request.endpoint is None:  # 404/405 are handled by Flask
            return None
        rule = access_rule(app, request.endpoint)
        if rule is None:
            logger.error("endpoint %s declares no access rule; denied", request.endpoint)
            abort(403)
        if allows(rule, current_user):
            return None
        if not current_user.is_authenticated:
            if request.method == "GET":
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            abort(401)
        abort(403)
