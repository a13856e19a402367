"""What every service function shares: its error types."""


class ServiceError(Exception):
    """A refused action; the message is Chinese and shown to the user as is."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class PermissionDenied(ServiceError):
    """The acting user may not do this to this object."""

    code = "forbidden"

    def __init__(self, message: str = "您没有权限执行此操作", code: str | None = None) -> None:
        super().__init__(message, code)


class ValidationFailed(ServiceError):
    """Field-level problems: {field name: Chinese message}."""

    code = "validation_failed"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors

    def apply_to(self, form: object) -> None:
        """Show each message under its form field (or at the top if there is none)."""
        for name, message in self.errors.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, message]
            else:
                form.form_errors.append(message)  # type: ignore[attr-defined]


def check_version(obj: object, submitted: int | None, what: str) -> None:
    """Optimistic locking for edit forms: refuse a save made from an outdated page.

    Views pass ``core.forms.submitted_version(form)``, which is 0 (never a saved
    version) when the form came without its version, so that is refused too; None
    is for callers that are not a form (jobs, tests)."""
    if submitted is not None and submitted != obj.version_id:  # type: ignore[attr-defined]
        raise ServiceError(f"{what}已被他人修改，请刷新页面后重新编辑", code="conflict")
