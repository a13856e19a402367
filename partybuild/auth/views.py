"""Login, logout, own password, and the admin's account management."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from partybuild.auth import lists, service
from partybuild.auth.forms import (
    ChangePasswordForm,
    EditUserForm,
    LoginForm,
    ResetPasswordForm,
    UserForm,
)
from partybuild.auth.models import User
from partybuild.core import navigation
from partybuild.core.boundary import boundary, form_status
from partybuild.core.permissions import Role, access, authenticated, public
from partybuild.extensions import db, login_manager
from partybuild.org.models import Branch, Member

bp = Blueprint("auth", __name__, url_prefix="/auth")

navigation.register(navigation.Entry("auth.users", "账户管理", "账户、角色与权限范围", order=90))

login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _safe_next(target: str | None) -> str:
    """Only a path on this site: browsers read "/\\host" like "//host"."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("core.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        with boundary():  # failed attempts and lockouts are recorded either way
            result = service.authenticate(form.username.data, form.password.data)
        if result.user is not None:
            login_user(result.user)
            return redirect(_safe_next(request.args.get("next")))
        error = result.error
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
@authenticated
def logout():
    logout_user()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@authenticated
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with boundary(form, success="密码已修改。") as done:
            service.change_own_password(
                current_user, form.current_password.data, form.new_password.data
            )
        if done:
            return redirect(url_for("core.home"))
    return render_template("auth/change_password.html", form=form), form_status(form)


@bp.get("/users")
@access(Role.admin)
def users():
    page = db.paginate(lists.users(lists.UserFilters.from_args(request.args)), per_page=30)
    return render_template("auth/users.html", page=page)


def _fill_choices(form: UserForm) -> None:
    branches = db.session.scalars(sa.select(Branch).order_by(Branch.code))
    form.branch_id.choices = [("", "（无）")] + [(b.id, b.name) for b in branches]
    members = db.session.execute(
        sa.select(Member.id, Member.name, Branch.name)
        .join(Branch)
        .where(Member.is_active.is_(True))
        .order_by(Branch.code, Member.name)
    )
    form.member_id.choices = [("", "（无）")] + [(m, f"{name}（{b}）") for m, name, b in members]


@bp.route("/users/new", methods=["GET", "POST"])
@access(Role.admin)
def create_user():
    form = UserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        with boundary(form) as done:
            user = service.create_user(form.data, current_user)
            done.success = f"账户 {user.username} 已创建。"
        if done:
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None), form_status(form)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@access(Role.admin)
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    _fill_choices(form)
    reset_form = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        with boundary(form, success="账户已更新。") as done:
            service.update_user(user, form.data, current_user)
        if done:
            return redirect(url_for("auth.users"))
    return render_template(
        "auth/user_form.html", form=form, user=user, reset_form=reset_form
    ), form_status(form)


@bp.post("/users/<int:user_id>/active")
@access(Role.admin)
def set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    with boundary(success="账户已启用。" if active else "账户已停用。"):
        service.set_user_active(user, active, current_user)
    return redirect(url_for("auth.users"))


@bp.post("/users/<int:user_id>/password")
@access(Role.admin)
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm(prefix="reset")
    if not form.validate_on_submit():
        flash("请输入新密码。", "error")
    else:
        with boundary(success=f"已重置 {user.username} 的密码，并解除锁定。"):
            service.reset_password(user, form.new_password.data, current_user)
    return redirect(url_for("auth.edit_user", user_id=user.id))
