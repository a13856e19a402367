from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from partybuild.core.forms import BaseForm, not_in_future, parse_id
from partybuild.org.models import Gender, MemberStatus


class MemberForm(BaseForm):
    name = StringField("姓名", validators=[DataRequired(), Length(max=40)])
    gender = SelectField("性别", choices=[(g.value, g.label) for g in Gender])
    # InputRequired, not DataRequired: the latter would replace "not a valid date"
    # with "required" when the user did type something.
    birth_on = DateField("出生日期", validators=[InputRequired(), not_in_future()])
    joined_on = DateField("入党日期", validators=[InputRequired(), not_in_future()])
    full_member_on = DateField("转正日期", validators=[Optional(), not_in_future()])
    status = SelectField("党员状态", choices=[(s.value, s.label) for s in MemberStatus])
    branch_id = SelectField("党支部", coerce=parse_id, validate_choice=False)
    party_group_id = SelectField("党小组", coerce=parse_id, validate_choice=False)
    department_id = SelectField("科室", coerce=parse_id, validate_choice=False)
    post_id = SelectField("岗位", coerce=parse_id, validate_choice=False)
    title = StringField("职务", validators=[Optional(), Length(max=60)])
    is_leader = BooleanField("局领导 / 班子成员")
    phone = StringField("联系电话", validators=[Optional(), Length(max=20)])
    version_id = HiddenField()


class RetireForm(BaseForm):
    reason = StringField("退出原因", validators=[DataRequired(), Length(max=255)])


class RosterUploadForm(BaseForm):
    file = FileField("名册文件（.xlsx 或 .csv）", validators=[FileRequired("请选择要上传的文件")])
    branch_id = SelectField("导入到党支部", coerce=parse_id, validate_choice=False)


class UnitForm(BaseForm):
    name = StringField("名称", validators=[DataRequired(), Length(max=120)])
    code = StringField("编码", validators=[Optional(), Length(max=32)])
    parent_id = SelectField("上级", coerce=parse_id, validate_choice=False)
    duties = TextAreaField("岗位职责", validators=[Optional(), Length(max=2000)])
