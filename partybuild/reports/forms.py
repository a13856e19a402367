"""Export centre form. Choices are filled per user in the view; the service does the
real checks (scope, period format), so a tampered value ends in a clear refusal."""

from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from partybuild.core.forms import BaseForm


class ExportForm(BaseForm):
    kind = SelectField(
        "文档", validators=[DataRequired(message="请选择要导出的文档")], validate_choice=False
    )
    branch = SelectField("党支部", validate_choice=False)
    period = StringField(
        "期间",
        validators=[Optional(), Length(max=20)],
        render_kw={"placeholder": "如 2026、2026Q3 或 2026-07", "autocomplete": "off"},
    )
    member = SelectField("党员", validate_choice=False)
    batch = SelectField("承诺批次", validate_choice=False)
    meeting = HiddenField()  # set by the meeting page's "导出会议记录" button


class PdfForm(BaseForm):
    """ "转换为 PDF" on an export's page: the CSRF token only."""
