"""Base form: CSRF from Flask-WTF, WTForms' built-in messages in Chinese."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import ValidationError


class BaseForm(FlaskForm):
    class Meta:
        locales = ["zh"]

        def get_translations(self, form):  # noqa: ANN001 - WTForms signature
            # Flask-WTF's own i18n needs Flask-Babel; WTForms ships the zh catalogue.
            from wtforms.meta import DefaultMeta

            return DefaultMeta.get_translations(self, form)


def not_in_future(message: str = "日期不能晚于今天"):
    from partybuild.core.timeutil import local_today

    def check(_form: FlaskForm, field) -> None:  # noqa: ANN001
        if isinstance(field.data, date) and field.data > local_today():
            raise ValidationError(message)

    return check


def submitted_version(form: FlaskForm) -> int | None:
    """The version_id an edit form was rendered with (its hidden field), if any."""
    value = str(form.version_id.data or "")  # type: ignore[attr-defined]
    return int(value) if value.isdigit() else None
