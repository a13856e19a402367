from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from partybuild.core.forms import BaseForm, coerce_id
from partybuild.core.permissions import ROLE_LABELS


class LoginForm(BaseForm):
    username = StringField("用户名", validators=[DataRequired(), Length(max=40)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=128)])


class ChangePasswordForm(BaseForm):
    current_password = PasswordField("当前密码", validators=[DataRequired()])
    new_password = PasswordField("新密码", validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        "确认新密码", validators=[DataRequired(), EqualTo("new_password", "两次输入的新密码不一致")]
    )


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, label) for role, label in ROLE_LABELS.items()]


class UserForm(BaseForm):
    username = StringField(
        "用户名",
        validators=[
            DataRequired(),
            Length(min=3, max=40),
            Regexp(r"^[A-Za-z0-9_.-]+$", message="用户名只能包含字母、数字、下划线、点和连字符"),
        ],
    )
    display_name = StringField("显示名称", validators=[Optional(), Length(max=60)])
    # Most accounts are members' own: an admin account is the exception, chosen on purpose.
    role = SelectField(
        "角色", choices=_role_choices(), default="member", validators=[DataRequired()]
    )
    branch_id = SelectField("所属党支部", coerce=coerce_id, validate_choice=False)
    member_id = SelectField("关联党员", coerce=coerce_id, validate_choice=False)
    password = PasswordField("初始密码", validators=[DataRequired(), Length(max=128)])
    acts_for_secretaries = BooleanField("代上级党组织处理支部书记本人的承诺（回避）")


class EditUserForm(UserForm):
    password = None  # passwords are reset separately
    version_id = HiddenField()


class ResetPasswordForm(BaseForm):
    new_password = PasswordField("新密码", validators=[DataRequired(), Length(max=128)])


class MemberAccountsForm(BaseForm):
    """Open accounts for the roster members ticked on the list (auth.member_accounts)."""

    member_id = SelectMultipleField("党员", coerce=coerce_id, validate_choice=False)
    role = SelectField("账户角色", default="member", validate_choice=False)
