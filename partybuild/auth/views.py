"""Login, logout, own password, and the admin's account management."""

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from partybuild.auth import lists, service
from partybuild.auth.forms import (
    ChangePasswordForm,
    EditUserForm,
    LoginForm,
    MemberAccountsForm,
    ResetPasswordForm,
    UserForm,
)
from partybuild.auth.models import User
from partybuild.core import dataversion, navigation, ratelimit, workbench
from partybuild.core.boundary import boundary, form_status
from partybuild.core.db import utcnow
from partybuild.core.forms import parse_id, submitted_version
from partybuild.core.lists import text_arg
from partybuild.core.permissions import Role, access, authenticated, public
from partybuild.core.security import safe_next
from partybuild.core.service import ValidationFailed
from partybuild.core.settings import setting
from partybuild.extensions import db, login_manager
from partybuild.org.models import Branch, Member, by_name

bp = Blueprint("auth", __name__, url_prefix="/auth")

navigation.register(navigation.Entry("auth.users", "账户管理", "账户、角色与权限范围", order=90))


def _account_figures() -> tuple[int, int, tuple]:
    """Accounts, active ones, and the lock ends still ahead (the few locked now or
    later): one query, cached per version of the accounts."""
    computed_at = utcnow()
    total, active = db.session.execute(
        sa.select(
            sa.func.count(User.id),
            sa.func.sum(sa.case((User.is_active_account.is_(True), 1), else_=0)),
        )
    ).one()
    ends = db.session.scalars(
        sa.select(User.locked_until).where(User.locked_until > computed_at)
    ).all()
    return int(total or 0), int(active or 0), tuple(ends)


def _accounts_panel(user: User, today: object) -> workbench.PanelData:  # noqa: ARG001
    """Accounts, active ones and those locked now (figures cached per version of the
    accounts; whether a lock still holds is judged now)."""
    now = utcnow()
    total, active, ends = dataversion.cached("auth.accounts", ("accounts",), _account_figures)
    locked = sum(1 for end in ends if end > now)
    return workbench.PanelData(
        items=[
            workbench.Item(
                "全部账户",
                total,
                url_for("auth.users"),
                tone="secondary",
                hint=f"其中启用 {int(active or 0)} 个",
            ),
            workbench.Item(
                "登录失败次数过多、已锁定的账户",
                int(locked or 0),
                url_for("auth.users", locked="1"),
                tone="danger",
            ),
        ]
    )


workbench.register(
    workbench.Panel(
        "auth.accounts",
        "账户",
        _accounts_panel,
        roles=frozenset({Role.admin}),
        order=12,
        link="auth.users",
        reads=("accounts",),
        cache=False,  # a lock ends at its time: counted now from the cached lock ends
    )
)

login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The session's token is "<id>:<session_version>" (User.get_id): a token of an
    older session version (after logout, password change, ...) loads nobody."""
    user_id, _, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit() and len(user_id) < 19 and len(version) < 19):
        return None
    # Branch and member come in the same query: every page's header names the branch,
    # and whether the account may stay signed in depends on the member (is_active).
    user = db.session.get(
        User,
        int(user_id),
        options=[sa.orm.joinedload(User.branch), sa.orm.joinedload(User.member)],
    )
    if user is None or user.session_version != int(version):
        return None
    return user


# While a user still has a password someone else chose, only these endpoints answer;
# every other request is sent to the change-password page.
OWN_PASSWORD_EXEMPT = frozenset({"auth.change_password", "auth.logout", "static", "core.favicon"})


@bp.before_app_request
def require_own_password():
    if request.endpoint is None or request.endpoint in OWN_PASSWORD_EXEMPT:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


LOGIN_RATE_LIMITED = "登录尝试过于频繁，请稍后再试。"


LOGIN_RETRY = "登录未完成，请重新登录。"


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    target = safe_next(request.args.get("next")) or url_for("core.home")
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, error=None)
    # Failed attempts per client address, beside the per-account lock: the counter is
    # raised before checking (atomic, so parallel guesses are all counted) and given
    # back when the login succeeds, so colleagues behind one address are not held up.
    key = f"login:{ratelimit.keyed_hash(ratelimit.client_ip(), 'login')}"
    window, now = setting("LOGIN_CLIENT_WINDOW"), utcnow()
    with boundary():  # counted even when refused
        allowed = ratelimit.hit(key, setting("LOGIN_CLIENT_LIMIT"), window, now)
    if not allowed:
        return render_template("auth/login.html", form=form, error=LOGIN_RATE_LIMITED), 429
    with boundary() as done:  # failed attempts and lockouts are recorded either way
        result = service.authenticate(form.username.data, form.password.data)
        if result.user is not None:
            ratelimit.refund(key, window, now)
    if not done:  # the same account logging in twice at once: this one lost the race
        return render_template("auth/login.html", form=form, error=LOGIN_RETRY), 409
    if result.user is None:
        return render_template("auth/login.html", form=form, error=result.error), 401
    login_user(result.user)
    return redirect(target)


@bp.post("/logout")
@authenticated
def logout():
    with boundary():  # every copy of this user's session cookie ends too
        service.logout(current_user)
    logout_user()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@authenticated
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        with boundary():  # a wrong current password is counted and audited either way
            problem = service.check_current_password(user, form.current_password.data)
        if problem:
            form.current_password.errors.append(problem)
            return render_template("auth/change_password.html", form=form), 400
        with boundary(form, success="密码已修改。") as done:
            service.change_own_password(user, form.current_password.data, form.new_password.data)
        if done:
            login_user(user)  # this session goes on with the new session version
            return redirect(url_for("core.home"))
    return render_template(
        "auth/change_password.html", form=form, forced=current_user.must_change_password
    ), form_status(form)


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
        .order_by(Branch.code, *by_name())
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
            service.update_user(user, form.data, current_user, submitted_version(form))
        if done and user.id == current_user.id:
            login_user(user)  # a change of one's own scope ends the other sessions only
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
        with boundary(success=f"已重置 {user.username} 的密码，并解除锁定。") as done:
            service.reset_password(user, form.new_password.data, current_user)
        if done and user.id == current_user.id:
            login_user(user)  # an admin resetting their own password stays logged in
    return redirect(url_for("auth.edit_user", user_id=user.id))


# --- accounts for roster members -------------------------------------------------------

MEMBER_ACCOUNTS_PER_PAGE = 50


@bp.route("/accounts/roster", methods=["GET", "POST"])
@access(Role.admin, Role.secretary)
def member_accounts():
    """Tick roster members without an account and open them all at once; the answer to
    the POST is the sheet of initial passwords, shown this one time and never stored."""
    form = MemberAccountsForm()
    roles = service.member_account_roles(current_user)
    form.role.choices = [(r.value, r.label) for r in roles]
    if form.validate_on_submit():
        with boundary(form) as done:
            if form.role.data not in {r.value for r in roles}:
                raise ValidationFailed({"role": "请选择账户角色"})
            issued = service.create_member_accounts(
                [i for i in form.member_id.data or [] if i], current_user, Role(form.role.data)
            )
        if done:
            response = make_response(
                render_template(
                    "auth/password_sheet.html",
                    issued=issued,
                    min_length=setting("PASSWORD_MIN_LENGTH"),
                )
            )
            # The only copy of these passwords: no cache, no back-button replay.
            response.headers["Cache-Control"] = "no-store"
            return response
    branch_id = parse_id(request.args.get("branch_id")) if current_user.is_admin else None
    page = db.paginate(
        lists.members_without_account(current_user, branch_id, text_arg(request.args, "q")),
        per_page=MEMBER_ACCOUNTS_PER_PAGE,
        max_per_page=MEMBER_ACCOUNTS_PER_PAGE,
    )
    branches = (
        db.session.scalars(
            sa.select(Branch).where(Branch.is_active.is_(True)).order_by(Branch.code)
        ).all()
        if current_user.is_admin
        else []
    )
    return render_template(
        "auth/member_accounts.html", form=form, page=page, branches=branches, branch_id=branch_id
    ), form_status(form)
