"""Export centre form. Choices are filled per user in the view; the service does the
real checks (scope, period format), so a tampered value ends in a clear refusal."""

from markupsafe import Markup, escape
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import Select, html_params

from partybuild.core.forms import BaseForm


class PlainSelect(Select):
    """wtforms' ``Select`` with the same markup, each plain option written as one string:
    a reviewer's branch and batch lists (hundreds of options) render several times
    faster than through ``render_option``/``html_params`` per option."""

    def __call__(self, field, **kwargs) -> Markup:  # noqa: ANN001, ANN003
        kwargs.setdefault("id", field.id)
        if "required" not in kwargs and "required" in getattr(field, "flags", []):
            kwargs["required"] = True
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for value, label, selected, render_kw in field.iter_choices():
            if render_kw:
                html.append(self.render_option(value, label, selected, **render_kw))
            else:
                chosen = "selected " if selected else ""
                html.append(f'<option {chosen}value="{escape(value)}">{escape(label)}</option>')
        html.append("</select>")
        return Markup("".join(html))


class ExportForm(BaseForm):
    kind = SelectField(
        "文档", validators=[DataRequired(message="请选择要导出的文档")], validate_choice=False
    )
    branch = SelectField("党支部", validate_choice=False, widget=PlainSelect())
    period = StringField(
        "期间",
        validators=[Optional(), Length(max=20)],
        render_kw={"placeholder": "如 2026、2026Q3 或 2026-07", "autocomplete": "off"},
    )
    member = SelectField("党员", validate_choice=False)
    batch = SelectField("承诺批次", validate_choice=False, widget=PlainSelect())
    meeting = HiddenField()  # set by the meeting page's "导出会议记录" button


class PdfForm(BaseForm):
    """ "转换为 PDF" on an export's page: the CSRF token only."""
