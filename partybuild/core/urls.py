"""Request-line hygiene for every route: ids in the URL are bounded, and a NUL byte in
the path or query string is a bad request (400) before any view or query sees it."""

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Rule

from partybuild.core.forms import MAX_ID


class IdConverter(IntegerConverter):
    """``<int:...>`` for the whole app: an id above what a table can hold matches no
    route (404) instead of reaching the database (an overflow there is a 500)."""

    def __init__(
        self,
        map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:  # noqa: A002, ANN001, E501 - werkzeug's signature
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def has_nul_in_request_line() -> bool:
    if "\x00" in request.path or b"\x00" in request.query_string:
        return True
    return any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True))


class LazyBuilderRule(Rule):
    """A rule whose URL builders are compiled on first ``url_for``, not when added.

    Werkzeug compiles two Python functions per rule as it is added (about a third of
    the app's start-up for ~170 rules); a CLI command or a worker that never builds a
    given URL need not pay for it. Matching is unchanged."""

    def _compile_builder(self, append_unknown: bool = True):  # noqa: ANN202, FBT001, FBT002
        name = "_build_unknown" if append_unknown else "_build"

        def build(rule: Rule, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, name, compiled)  # later calls go straight to it
            return compiled(*args, **kwargs)

        return build


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: rules pick their converter when added."""
    app.url_map.converters["int"] = IdConverter
    app.url_rule_class = LazyBuilderRule

    @app.before_request
    def refuse_nul() -> None:
        if has_nul_in_request_line():
            abort(400)
