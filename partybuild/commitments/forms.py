from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from partybuild.commitments.models import EvaluationKind, RatingLevel
from partybuild.core.forms import BaseForm, coerce_id, not_in_future
from partybuild.core.settings import setting


class BatchForm(BaseForm):
    branch_id = SelectField("党支部", coerce=coerce_id, validate_choice=False)
    title = StringField("批次名称", validators=[DataRequired(), Length(max=120)])
    commit_start = DateField("承诺期开始日期", validators=[DataRequired()])
    commit_end = DateField("承诺期结束日期", validators=[DataRequired()])
    # 开放填报: empty means the same dates as the period above.
    entry_start = DateField("开放填报开始日期", validators=[Optional()])
    entry_end = DateField("开放填报截止日期", validators=[Optional()])
    evaluation_start = DateField("评诺开始日期", validators=[DataRequired()])
    evaluation_end = DateField("评诺截止日期", validators=[DataRequired()])
    version_id = HiddenField()


class CommitmentForm(BaseForm):
    category = SelectField("承诺类别", validate_choice=False)
    content = TextAreaField("承诺内容", validators=[DataRequired(), Length(max=500)])
    target = TextAreaField("可衡量的目标", validators=[DataRequired(), Length(max=300)])
    measures = TextAreaField("践诺措施", validators=[Optional(), Length(max=1000)])
    deadline = DateField("完成时限", validators=[DataRequired()])
    version_id = HiddenField()

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.category.choices = [(c, c) for c in setting("COMMITMENT_CATEGORIES")]


class RecordForm(BaseForm):
    recorded_on = DateField("日期", validators=[DataRequired(), not_in_future()])
    text = TextAreaField("践诺情况", validators=[DataRequired(), Length(max=1000)])
    progress = IntegerField(
        "完成进度（%）",
        validators=[InputRequired(message="请填写完成进度"), NumberRange(0, 100)],
    )
    files = MultipleFileField("证明材料")


class CloseBatchForm(BaseForm):
    """Ending a batch, after its confirmation page; the note goes into the audit log."""

    note = TextAreaField("说明（选填）", validators=[Optional(), Length(max=255)])


class TextForm(BaseForm):
    """One text box: a supervision note, a return comment, a reason."""

    text = TextAreaField("内容", validators=[DataRequired(), Length(max=1000)])


class FinaliseForm(BaseForm):
    """Finalising: a note is needed only after the evaluation window (the service decides)."""

    text = TextAreaField("逾期说明", validators=[Optional(), Length(max=1000)])


class EvaluationForm(BaseForm):
    kind = SelectField(
        "评价类型", choices=[(k.value, k.label) for k in EvaluationKind], validate_choice=True
    )
    score = IntegerField("评分（0–100）", validators=[InputRequired(), NumberRange(0, 100)])
    comment = TextAreaField("评语", validators=[Optional(), Length(max=1000)])
    evaluator_name = StringField("点评人", validators=[Optional(), Length(max=80)])


class RatingForm(BaseForm):
    level = RadioField(
        "您对这项承诺的践诺情况是否满意？",
        choices=[(lv.value, lv.label) for lv in RatingLevel],
        validators=[DataRequired(message="请选择满意程度")],
    )
    comment = TextAreaField("留言（选填，经审核后公开）", validators=[Optional()])
    # Honeypot: hidden from people by CSS; bots that fill every field give themselves away.
    website = StringField("网站")
