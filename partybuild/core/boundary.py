"""The one request boundary: every data-changing view runs its service call in it.

    form = CommitmentForm()
    if form.validate_on_submit():
        with boundary(form, success="承诺已保存为草稿。") as done:
            c = service.create_commitment(batch, member, form.data, current_user)
        if done:
            return redirect(url_for("commitments.detail", commitment_id=c.id))
    return render_template("commitments/form.html", form=form), form_status(form)

On leaving the block the boundary commits once (after-commit hooks then run) and
flashes the success message, or rolls back and maps the error the same way in
every domain:

- ``ValidationFailed``: each problem under its form field (the rest at the top of
  the form); the page shows the form again with status 400. A page without a
  WTForm passes a dict, which collects ``{field: message}``. Without a form the
  message is flashed.
- ``ServiceError`` (a refused action): its Chinese message is flashed; the view
  redirects back (button actions) or shows the form again with status 400.
- a stale version (``ServiceError`` code ``conflict``, or SQLAlchemy's
  ``StaleDataError`` at flush or commit): the "已被他人修改" message is flashed and
  the form is shown again with status 409, keeping what the user typed.
- ``PermissionDenied`` propagates to the 403 error page (or JSON error);
  ``ServiceError`` code ``not_found`` becomes a 404.
- anything else propagates (after the rollback) to the 500 handler.

Jobs and CLI commands do not use the boundary; they commit their own work.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from flask import abort, flash
from sqlalchemy.orm.exc import StaleDataError

from partybuild.core.db import after_commit
from partybuild.core.errors import MESSAGES
from partybuild.core.service import PermissionDenied, ServiceError, ValidationFailed
from partybuild.extensions import db

__all__ = ["Outcome", "after_commit", "boundary", "form_status"]

OK, INVALID, REFUSED, CONFLICT = "ok", "invalid", "refused", "conflict"
STATUS = {OK: 200, INVALID: 400, REFUSED: 400, CONFLICT: 409}


class Outcome:
    """What came of a boundary: truthy when the change was committed."""

    def __init__(self, form: Any, success: str | None) -> None:
        self.form = form
        #: Flashed after the commit; may be set inside the block once the result is known.
        self.success = success
        self.kind: str | None = None
        self.error: Exception | None = None

    def __bool__(self) -> bool:
        return self.kind == OK

    @property
    def status(self) -> int:
        return STATUS.get(self.kind or OK, 200)

    @property
    def redisplay(self) -> bool:
        """Show the form again (with ``status``): its fields have problems or the record
        changed meanwhile. A plainly refused action redirects back instead."""
        return self.form is not None and self.kind in (INVALID, CONFLICT)


class boundary:  # noqa: N801 - used like a function: ``with boundary(form) as done``
    def __init__(self, form: Any = None, *, success: str | None = None) -> None:
        self.outcome = Outcome(form, success)

    def __enter__(self) -> Outcome:
        return self.outcome

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        outcome = self.outcome
        if exc is None:
            try:
                db.session.commit()  # runs the after-commit hooks
            except StaleDataError as stale:
                db.session.rollback()
                self._refuse(CONFLICT, stale, MESSAGES[409][1])
                return False
            outcome.kind = OK
            if outcome.success:
                flash(outcome.success, "success")
            return False
        db.session.rollback()
        if isinstance(exc, StaleDataError):
            self._refuse(CONFLICT, exc, MESSAGES[409][1])
        elif isinstance(exc, PermissionDenied):
            return False  # the 403 handler answers
        elif isinstance(exc, ValidationFailed):
            if isinstance(outcome.form, dict):
                outcome.form.update(exc.errors)
                self._refuse(INVALID, exc, None)
            elif outcome.form is not None:
                exc.apply_to(outcome.form)
                self._refuse(INVALID, exc, None)
            else:
                self._refuse(INVALID, exc, exc.message)
        elif isinstance(exc, ServiceError):
            if exc.code == "not_found":
                abort(404)
            if exc.code == "conflict":
                self._refuse(CONFLICT, exc, exc.message)
            else:
                self._refuse(REFUSED, exc, exc.message)
        else:
            return False
        return True  # handled: the view goes on to redirect or show the form again

    def _refuse(self, kind: str, exc: Exception, message: str | None) -> None:
        self.outcome.kind = kind
        self.outcome.error = exc
        if self.outcome.form is not None and not isinstance(self.outcome.form, dict):
            self.outcome.form.boundary_status = self.outcome.status  # for form_status()
        if message:
            flash(message, "warning" if kind == CONFLICT else "error")


def form_status(form: Any) -> int:
    """The status of a page showing ``form``: 200 on GET, 400 when the submitted form
    has problems or the action was refused, 409 when the record changed meanwhile."""
    status = getattr(form, "boundary_status", None)
    if status:
        return status
    return 400 if form.is_submitted() and form.errors else 200
