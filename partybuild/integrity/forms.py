"""Integrity forms. Choices are filled by the view (one branch's posts and members);
the services validate every value again."""

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from partybuild.core.forms import BaseForm, not_in_future

CELL_CHOICES = [("", "—")] + [(str(i), str(i)) for i in range(1, 6)]
LIKELIHOOD_HELP = "1 极少发生 … 5 几乎必然发生"
IMPACT_HELP = "1 影响轻微 … 5 影响严重"


class PointForm(BaseForm):
    branch_id = SelectField("党支部", validate_choice=False)
    post_id = SelectField("岗位", validate_choice=False)
    category = SelectField("风险类别", validate_choice=False)
    title = TextAreaField("风险点", validators=[DataRequired(), Length(max=200)])
    manifestation = TextAreaField("表现形式", validators=[Optional(), Length(max=2000)])
    basis = TextAreaField("制度依据", validators=[Optional(), Length(max=2000)])
    likelihood = SelectField("发生可能性（固有）", choices=CELL_CHOICES, validate_choice=False)
    impact = SelectField("影响程度（固有）", choices=CELL_CHOICES, validate_choice=False)
    residual_likelihood = SelectField(
        "发生可能性（采取措施后）", choices=CELL_CHOICES, validate_choice=False
    )
    residual_impact = SelectField(
        "影响程度（采取措施后）", choices=CELL_CHOICES, validate_choice=False
    )
    residual_reason = TextAreaField(
        "剩余风险高于固有风险的原因", validators=[Optional(), Length(max=2000)]
    )
    owner_id = SelectField("责任人", validate_choice=False)
    leader_name = StringField("责任领导", validators=[Optional(), Length(max=40)])
    review_months = IntegerField("排查周期（月）", validators=[Optional(), NumberRange(1, 36)])
    version_id = HiddenField()


class ControlForm(BaseForm):
    text = TextAreaField("防控措施", validators=[DataRequired(), Length(max=2000)])
    owner_name = StringField("措施责任人", validators=[Optional(), Length(max=40)])
    frequency = StringField("执行频次", validators=[Optional(), Length(max=20)])
    evidence = StringField("留痕要求", validators=[Optional(), Length(max=200)])


class ReviewForm(BaseForm):
    reviewed_on = DateField("排查日期", validators=[DataRequired(), not_in_future()])
    findings = TextAreaField("发现的问题", validators=[Optional(), Length(max=2000)])
    residual_likelihood = SelectField(
        "发生可能性（采取措施后）", choices=CELL_CHOICES, validate_choice=False
    )
    residual_impact = SelectField(
        "影响程度（采取措施后）", choices=CELL_CHOICES, validate_choice=False
    )
    residual_reason = TextAreaField(
        "剩余风险高于固有风险的原因", validators=[Optional(), Length(max=2000)]
    )
    open_rectification = BooleanField("针对发现的问题下达整改")
    measure = TextAreaField("整改措施", validators=[Optional(), Length(max=2000)])
    responsible_id = SelectField("整改责任人", validate_choice=False)
    deadline = DateField("整改期限", validators=[Optional()])


class RectificationForm(BaseForm):
    problem = TextAreaField("问题", validators=[DataRequired(), Length(max=2000)])
    measure = TextAreaField("整改措施", validators=[DataRequired(), Length(max=2000)])
    responsible_id = SelectField("整改责任人", validate_choice=False)
    deadline = DateField("整改期限", validators=[DataRequired()])
    version_id = HiddenField()


class TextForm(BaseForm):
    text = TextAreaField("说明", validators=[Optional(), Length(max=2000)])


class ReminderForm(BaseForm):
    branch_id = SelectField("党支部", validate_choice=False)
    member_id = SelectField("谈话对象", validate_choice=False)
    talked_on = DateField("谈话日期", validators=[DataRequired(), not_in_future()])
    reminder_name = StringField("谈话人", validators=[DataRequired(), Length(max=40)])
    risk_point_id = SelectField("相关风险点", validate_choice=False)
    reason = TextAreaField("谈话事由", validators=[DataRequired(), Length(max=2000)])
    content = TextAreaField("谈话内容", validators=[Optional(), Length(max=2000)])
    follow_up = TextAreaField("后续跟进", validators=[Optional(), Length(max=2000)])


class ImportForm(BaseForm):
    branch_id = SelectField("导入到党支部", validate_choice=False)
    file = FileField("风险点台账文件（.xlsx）")
