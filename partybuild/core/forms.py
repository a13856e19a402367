"""Base form: CSRF from Flask-WTF, WTForms' built-in messages in Chinese, and the one
normalisation of submitted text (``core.text.clean_text``) for every form."""

import re
from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import PasswordField, TextAreaField, ValidationError

from partybuild.core.text import clean_formdata

# The largest id any table can hold (PostgreSQL INTEGER); larger ones name nothing.
MAX_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


class BaseForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        locales = ["zh"]

        def get_translations(self, form):  # noqa: ANN001 - WTForms signature
            # Flask-WTF's own i18n needs Flask-Babel; WTForms ships the zh catalogue.
            from wtforms.meta import DefaultMeta

            return DefaultMeta.get_translations(self, form)

        def wrap_formdata(self, form, formdata):  # noqa: ANN001 - WTForms signature
            # Every submitted text value is normalised before any field sees it, so
            # validators (DataRequired) judge what would be stored. Multi-line fields
            # keep tab and newline; passwords and files are left as sent.
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            fields = list(form._fields.values())
            return clean_formdata(
                formdata,
                multiline=[f.name for f in fields if isinstance(f, TextAreaField)],
                untouched=[
                    f.name
                    for f in fields
                    if isinstance(f, PasswordField | FileField | MultipleFileField)
                ],
            )


def parse_id(value: object) -> int | None:
    """An id typed as ASCII digits and within range, else None (never an exception)."""
    text = str(value) if value is not None else ""
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def coerce_id(value: object) -> int | None:
    """SelectField ``coerce`` for an optional id: nothing chosen is None; junk and ids
    beyond any table's range are refused (ValueError, shown as an invalid choice)
    instead of reaching the database."""
    if value is None or value in ("", "None", "0", 0):
        return None
    number = parse_id(value)
    if number is None:
        raise ValueError("not an id")
    return number


def bounded_int(value: object) -> int:
    """SelectField ``coerce`` for an id choice where 0 may mean "none": ``int``, but a
    number beyond any table's range is refused like junk (ValueError, a form error)
    instead of overflowing in the database."""
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if number is None:
        text = str(value) if value is not None else ""
        if not _ASCII_DIGITS.fullmatch(text):
            raise ValueError(f"not an id: {text[:20]!r}")
        number = int(text)
    if not 0 <= number <= MAX_ID:
        raise ValueError("id out of range")
    return number


def not_in_future(message: str = "日期不能晚于今天"):
    from partybuild.core.timeutil import local_today

    def check(_form: FlaskForm, field) -> None:  # noqa: ANN001
        if isinstance(field.data, date) and field.data > local_today():
            raise ValidationError(message)

    return check


def submitted_version(form: FlaskForm) -> int:
    """The version_id an edit form was rendered with (its hidden field).

    A missing or garbled version is 0, which no saved row has, so ``check_version``
    refuses the save like a stale one instead of silently overwriting. Only what was
    posted counts: a form built with ``obj=row`` would otherwise fill a missing field
    from the row itself."""
    raw = form.version_id.raw_data  # type: ignore[attr-defined]
    value = str(raw[0]) if raw else ""
    return int(value) if _ASCII_DIGITS.fullmatch(value) else 0
