from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from partybuild.core.forms import BaseForm
from partybuild.greetings.models import GiftKind, LeapDayRule
from partybuild.greetings.service import MILESTONE_YEARS


class TemplateForm(BaseForm):
    years = SelectField(
        "适用范围",
        coerce=int,
        choices=[(0, "通用模板（所有周年）")] + [(y, f"入党{y}周年") for y in MILESTONE_YEARS],
    )
    title = StringField("贺卡标题", validators=[DataRequired(), Length(max=60)])
    body = TextAreaField("贺卡正文", validators=[DataRequired(), Length(max=600)])
    is_active = BooleanField("启用", default=True)
    version_id = HiddenField()


class SettingsForm(BaseForm):
    leap_day_rule = RadioField(
        "2月29日入党的党员在平年的祝贺日期",
        choices=[(r.value, r.label) for r in LeapDayRule],
        validators=[DataRequired()],
    )


class GiftForm(BaseForm):
    gift_kind = SelectField("礼物类型", choices=[(k.value, k.label) for k in GiftKind])
    gift_handed_by = StringField("送达人", validators=[DataRequired(), Length(max=60)])
    gift_handed_on = DateField("送达日期", validators=[DataRequired()])
    gift_note = StringField("备注", validators=[Optional(), Length(max=255)])


class ContactForm(BaseForm):
    email = StringField("贺卡邮箱（留空则不发送邮件）", validators=[Optional(), Length(max=254)])
