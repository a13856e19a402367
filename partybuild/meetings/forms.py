"""Meeting and key-task forms. Choices that depend on the branch are filled in the view;
the services do the real checks, so a tampered value ends in a Chinese refusal."""

from datetime import datetime

from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from partybuild.core.forms import BaseForm, bounded_int
from partybuild.core.timeutil import LOCAL_TZ
from partybuild.meetings.models import AttendanceStatus, MeetingType, ResolutionResult

MINUTE = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def aware(value: datetime | None) -> datetime | None:
    """A local wall-clock time from a form, as an aware datetime (Asia/Shanghai)."""
    return None if value is None else value.replace(tzinfo=LOCAL_TZ, second=0, microsecond=0)


class MeetingForm(BaseForm):
    branch_id = SelectField("党支部", coerce=bounded_int, validate_choice=False)
    type = SelectField(
        "会议类型", choices=[(t.value, t.label) for t in MeetingType], validate_choice=False
    )
    title = StringField("会议名称", validators=[DataRequired(), Length(max=120)])
    starts_at = DateTimeLocalField("开始时间", format=MINUTE, validators=[DataRequired()])
    ends_at = DateTimeLocalField("结束时间", format=MINUTE, validators=[Optional()])
    place = StringField("地点", validators=[Optional(), Length(max=120)])
    party_group_id = SelectField("党小组（党小组会）", coerce=bounded_int, validate_choice=False)
    host = StringField(
        "主持人", validators=[Optional(), Length(max=40)], render_kw={"list": "member-names"}
    )
    recorder = StringField(
        "记录人", validators=[Optional(), Length(max=40)], render_kw={"list": "member-names"}
    )
    lecturer = StringField("授课人（党课）", validators=[Optional(), Length(max=80)])
    agenda = TextAreaField("议题（每行一项）", validators=[Optional(), Length(max=6000)])
    version_id = HiddenField()

    def service_data(self) -> dict:
        data = dict(self.data)
        data["starts_at"] = aware(self.starts_at.data)
        data["ends_at"] = aware(self.ends_at.data)
        data["party_group_id"] = self.party_group_id.data or None
        return data


class RecordForm(BaseForm):
    """Minutes and the extra attendee; the per-member rows are read from the request."""

    minutes = TextAreaField("会议记录（发言要点）", validators=[Optional(), Length(max=20000)])
    extra_member = SelectField("增加出席人员（本支部党员）", validate_choice=False)


class AgendaForm(BaseForm):
    title = StringField("议题", validators=[DataRequired(), Length(max=200)])


class ResolutionForm(BaseForm):
    text = TextAreaField("决议内容", validators=[DataRequired(), Length(max=2000)])
    result = SelectField(
        "表决结果", choices=[(r.value, r.label) for r in ResolutionResult], validate_choice=False
    )
    votes_for = IntegerField("赞成", validators=[Optional(), NumberRange(0, 100000)])
    votes_against = IntegerField("反对", validators=[Optional(), NumberRange(0, 100000)])
    votes_abstain = IntegerField("弃权", validators=[Optional(), NumberRange(0, 100000)])


class CorrectionForm(BaseForm):
    part = SelectField("更正内容", validate_choice=False)
    text = TextAreaField("更正后的内容", validators=[Optional(), Length(max=20000)])
    reason = TextAreaField("更正原因", validators=[DataRequired(), Length(max=500)])


class AttendanceCorrectionForm(BaseForm):
    attendance_id = SelectField("党员", coerce=bounded_int, validate_choice=False)
    status = SelectField(
        "更正后的出席情况",
        choices=[(s.value, s.label) for s in AttendanceStatus],
        validate_choice=False,
    )
    absence_reason = StringField("请假或缺席原因", validators=[Optional(), Length(max=200)])
    reason = TextAreaField("更正原因", validators=[DataRequired(), Length(max=500)])


class VoteCorrectionForm(BaseForm):
    resolution_id = SelectField("决议", coerce=bounded_int, validate_choice=False)
    result = SelectField(
        "更正后的表决结果",
        choices=[(r.value, r.label) for r in ResolutionResult],
        validate_choice=False,
    )
    votes_for = IntegerField("赞成", validators=[Optional(), NumberRange(0, 100000)])
    votes_against = IntegerField("反对", validators=[Optional(), NumberRange(0, 100000)])
    votes_abstain = IntegerField("弃权", validators=[Optional(), NumberRange(0, 100000)])
    reason = TextAreaField("更正原因", validators=[DataRequired(), Length(max=500)])


class ReasonForm(BaseForm):
    text = TextAreaField("原因", validators=[DataRequired(), Length(max=500)])


class AttachmentForm(BaseForm):
    files = MultipleFileField("照片、签到表扫描件")
    caption = StringField("说明", validators=[Optional(), Length(max=120)])


class TaskForm(BaseForm):
    branch_id = SelectField("党支部", coerce=bounded_int, validate_choice=False)
    title = StringField("任务名称", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("任务内容", validators=[Optional(), Length(max=2000)])
    lead_member = StringField(
        "责任领导",
        validators=[DataRequired(message="请选择责任领导")],
        render_kw={"list": "member-options", "autocomplete": "off", "placeholder": "输入姓名查找"},
    )
    department_id = SelectField("责任科室", coerce=bounded_int, validate_choice=False)
    supporter_ids = SelectMultipleField("配合科室", coerce=bounded_int, validate_choice=False)
    deadline = DateField("完成时限", validators=[DataRequired()])
    is_party_building = BooleanField("党建专项")
    version_id = HiddenField()


class ProgressForm(BaseForm):
    recorded_on = DateField("日期", validators=[DataRequired()])
    text = TextAreaField("进展情况", validators=[DataRequired(), Length(max=2000)])
    files = MultipleFileField("佐证材料")


class CompleteForm(BaseForm):
    completed_on = DateField("完成日期", validators=[DataRequired()])


class PostponeForm(BaseForm):
    deadline = DateField("新的完成时限", validators=[DataRequired()])
    reason = StringField(
        "延期原因",
        validators=[DataRequired(), Length(max=500)],
        render_kw={"list": "postpone-reasons"},
    )


class CancelTaskForm(BaseForm):
    reason = StringField(
        "取消原因",
        validators=[DataRequired(), Length(max=500)],
        render_kw={"list": "cancel-reasons"},
    )


class ImportForm(BaseForm):
    file = FileField("重点任务清单（.xlsx）")
