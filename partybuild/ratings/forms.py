"""Forms for model posts and rating rounds (CSRF and Chinese messages from BaseForm)."""

from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from partybuild.core.forms import BaseForm, bounded_int, not_in_future
from partybuild.ratings.models import PostKind


class ModelPostForm(BaseForm):
    title = StringField("示范岗名称", validators=[DataRequired(), Length(max=80)])
    kind = SelectField(
        "类型", choices=[(k.value, k.label) for k in PostKind], default=PostKind.individual.value
    )
    post_id = SelectField("对应岗位", coerce=str, validate_choice=False)
    # Holders: chosen among the branch's members (never the whole roster).
    holder_ids = SelectMultipleField("示范岗党员", coerce=bounded_int, validate_choice=False)
    duties = TextAreaField("岗位职责", validators=[DataRequired(), Length(max=1000)])
    promises = TextAreaField("服务承诺", validators=[DataRequired(), Length(max=1000)])
    version_id = HiddenField()


class TextForm(BaseForm):
    text = TextAreaField("内容", validators=[DataRequired(), Length(max=1000)])


class ObjectionForm(BaseForm):
    received_on = DateField("收到日期", validators=[DataRequired(), not_in_future()])
    text = TextAreaField("异议内容", validators=[DataRequired(), Length(max=1000)])


class ServiceForm(BaseForm):
    handled_on = DateField("办理日期", validators=[DataRequired(), not_in_future()])
    demand = TextAreaField("群众诉求", validators=[DataRequired(), Length(max=1000)])
    outcome = TextAreaField("办理结果", validators=[DataRequired(), Length(max=1000)])


class RoundForm(BaseForm):
    title = StringField("测评名称", validators=[DataRequired(), Length(max=80)])
    criterion_set_id = SelectField("测评标准", coerce=bounded_int, validate_choice=False)
    leader_weight = IntegerField(
        "领导测评权重（%）", validators=[InputRequired(), NumberRange(0, 100)]
    )
    peer_weight = IntegerField(
        "党员互评权重（%）", validators=[InputRequired(), NumberRange(0, 100)]
    )
    public_weight = IntegerField(
        "群众测评权重（%）", validators=[InputRequired(), NumberRange(0, 100)]
    )
    opens_on = DateField("开始日期", validators=[DataRequired()])
    closes_on = DateField("结束日期", validators=[DataRequired()])
    post_ids = SelectMultipleField("参加测评的示范岗", coerce=bounded_int, validate_choice=False)
    version_id = HiddenField()


class RaterForm(BaseForm):
    group = SelectField("测评人群", choices=[("leader", "领导测评"), ("peer", "党员互评")])
    member = StringField("党员姓名", validators=[Optional(), Length(max=60)])


class CriterionSetForm(BaseForm):
    name = StringField("标准名称", validators=[DataRequired(), Length(max=60)])
    description = TextAreaField("说明", validators=[Optional(), Length(max=1000)])


class ScoreForm(BaseForm):
    """The criteria's scores come as fields ``c<criterion id>`` (read by the service)."""

    comment = TextAreaField("留言（选填，经审核后公开）", validators=[Optional()])
    # Honeypot: hidden from people by CSS; bots that fill every field give themselves away.
    website = StringField("网站")
