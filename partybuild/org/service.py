"""Member and organisation-structure services: rules, scope, audit."""

import logging
import re
from typing import Any

import sqlalchemy as sa

from partybuild.core import audit
from partybuild.core.db import utcnow
from partybuild.core.service import (
    PermissionDenied,
    ServiceError,
    ValidationFailed,
    check_version,
)
from partybuild.core.timeutil import local_today, whole_years
from partybuild.extensions import db
from partybuild.org.models import (
    Branch,
    Department,
    Gender,
    Member,
    MemberStatus,
    Organization,
    PartyGroup,
    Post,
)

logger = logging.getLogger(__name__)

MEMBER_FIELDS = (
    "name", "gender", "birth_on", "joined_on", "full_member_on", "status", "branch_id",
    "party_group_id", "department_id", "post_id", "title", "is_leader", "phone",
)  # fmt: skip
PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def member_problems(
    data: dict[str, Any], actor: Any, member: Member | None = None
) -> dict[str, str]:
    """Every rule a member record must satisfy, as {field: Chinese message}.

    Used by the member form and, row by row, by the roster import. ``member`` is
    the record being edited (None when creating).
    """
    errors: dict[str, str] = {}
    today = local_today()
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = "姓名不能为空"
    elif len(name) > 40:
        errors["name"] = "姓名不能超过40个字"
    if data.get("gender") not in (g.value for g in Gender):
        errors["gender"] = "性别应为“男”或“女”"
    birth, joined, full = data.get("birth_on"), data.get("joined_on"), data.get("full_member_on")
    for field, label, value in (("birth_on", "出生日期", birth), ("joined_on", "入党日期", joined)):
        if value is None:
            errors[field] = f"{label}不能为空"
        elif value > today:
            errors[field] = f"{label}不能晚于今天"
    if full is not None and full > today:
        errors["full_member_on"] = "转正日期不能晚于今天"
    if (
        birth
        and joined
        and "joined_on" not in errors
        and "birth_on" not in errors
        and whole_years(birth, joined) < 18
    ):
        errors["joined_on"] = "入党时应年满18周岁，请核对出生日期和入党日期"
    if joined and full and "full_member_on" not in errors and full < joined:
        errors["full_member_on"] = "转正日期不能早于入党日期"
    status = data.get("status")
    if status not in (s.value for s in MemberStatus):
        errors["status"] = "党员状态应为“正式党员”或“预备党员”"
    elif status == MemberStatus.full and full is None and "full_member_on" not in errors:
        errors["full_member_on"] = "正式党员须填写转正日期"
    elif (
        status == MemberStatus.probationary and full is not None and "full_member_on" not in errors
    ):
        errors["full_member_on"] = "预备党员不应填写转正日期"
    phone = (data.get("phone") or "").strip()
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = "联系电话格式不正确（手机号11位，或带区号的固定电话）"

    branch = db.session.get(Branch, data["branch_id"]) if data.get("branch_id") else None
    if branch is None:
        errors["branch_id"] = "请选择所属党支部"
    elif not branch.can_manage(actor):
        errors["branch_id"] = "您只能管理本支部的党员"
    elif not branch.is_active and (member is None or member.branch_id != branch.id):
        errors["branch_id"] = f"{branch.name}已撤销，不能再调入或添加党员"
    if data.get("party_group_id"):
        group = db.session.get(PartyGroup, data["party_group_id"])
        if group is None or (branch is not None and group.branch_id != branch.id):
            errors["party_group_id"] = "所选党小组不属于该党支部"
    dept = db.session.get(Department, data["department_id"]) if data.get("department_id") else None
    if data.get("department_id") and dept is None:
        errors["department_id"] = "科室不存在"
    if data.get("post_id"):
        post = db.session.get(Post, data["post_id"])
        if post is None or dept is None or post.department_id != dept.id:
            errors["post_id"] = "所选岗位不属于该科室"
    if len(data.get("title") or "") > 60:
        errors["title"] = "职务不能超过60个字"
    return errors


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    clean = {k: data.get(k) for k in MEMBER_FIELDS}
    clean["name"] = (clean["name"] or "").strip()
    clean["phone"] = (clean["phone"] or "").strip()
    clean["title"] = (clean["title"] or "").strip()
    clean["is_leader"] = bool(clean["is_leader"])
    clean["gender"] = Gender(clean["gender"])
    clean["status"] = MemberStatus(clean["status"])
    for key in ("party_group_id", "department_id", "post_id"):
        clean[key] = clean[key] or None
    return clean


def create_member(data: dict[str, Any], actor: Any) -> Member:
    errors = member_problems(data, actor)
    if errors:
        raise ValidationFailed(errors)
    member = Member(**_clean(data))
    db.session.add(member)
    db.session.flush()
    audit.record(
        "create",
        "member",
        member.id,
        actor=actor,
        branch_id=member.branch_id,
        after=audit.snapshot(member, Member.AUDIT_FIELDS),
        summary=member.name,
    )
    return member


def update_member(
    member: Member, data: dict[str, Any], actor: Any, version_id: int | None
) -> Member:
    if not member.can_edit(actor):
        raise PermissionDenied("您只能修改本支部党员的信息")
    if not member.is_active:
        raise ServiceError("该党员已退出名册，不能修改")
    check_version(member, version_id, "该党员信息")
    errors = member_problems(data, actor, member)
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(member, Member.AUDIT_FIELDS)
    for key, value in _clean(data).items():
        setattr(member, key, value)
    db.session.flush()
    audit.record(
        "update",
        "member",
        member.id,
        actor=actor,
        branch_id=member.branch_id,
        before=before,
        after=audit.snapshot(member, Member.AUDIT_FIELDS),
        summary=member.name,
    )
    return member


def retire_member(member: Member, reason: str, actor: Any) -> None:
    """Take a member off the active roster; the record and its history stay."""
    if not member.can_edit(actor):
        raise PermissionDenied("您只能管理本支部的党员")
    if not member.is_active:
        raise ServiceError("该党员已退出名册")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": "请填写退出原因（如组织关系转出、去世等）"})
    member.is_active = False
    member.retired_at = utcnow()
    member.retired_by_id = actor.id
    member.retired_reason = reason[:255]
    db.session.flush()
    audit.record(
        "retire",
        "member",
        member.id,
        actor=actor,
        branch_id=member.branch_id,
        before={"is_active": True},
        after={"is_active": False, "reason": reason},
        summary=member.name,
    )


def reinstate_member(member: Member, actor: Any) -> None:
    if not member.can_edit(actor):
        raise PermissionDenied("您只能管理本支部的党员")
    if member.is_active:
        raise ServiceError("该党员在名册中")
    before = {"is_active": False, "reason": member.retired_reason}
    member.is_active = True
    member.retired_at = None
    member.retired_by_id = None
    member.retired_reason = ""
    db.session.flush()
    audit.record(
        "reinstate",
        "member",
        member.id,
        actor=actor,
        branch_id=member.branch_id,
        before=before,
        after={"is_active": True},
        summary=member.name,
    )


# --- organisation structure (admin) ---------------------------------------------

STRUCTURE_KINDS = {
    "branch": (Branch, "党支部"),
    "group": (PartyGroup, "党小组"),
    "department": (Department, "科室"),
    "post": (Post, "岗位"),
}
# Audit object types: singular, like "member" and "user".
AUDIT_TYPES = {
    "branch": "branch",
    "group": "party_group",
    "department": "department",
    "post": "post",
}


def _require_admin(actor: Any) -> None:
    if not actor.is_admin:
        raise PermissionDenied("只有系统管理员可以维护组织架构")


def the_organization() -> Organization:
    org = db.session.scalar(sa.select(Organization).order_by(Organization.id).limit(1))
    if org is None:
        raise ServiceError("尚未创建上级党组织，请先运行初始化或加载演示数据")
    return org


def create_unit(kind: str, data: dict[str, Any], actor: Any) -> Any:
    """Create a branch, party group, department or post."""
    _require_admin(actor)
    model, label = STRUCTURE_KINDS[kind]
    name = (data.get("name") or "").strip()
    if not name or len(name) > 120:
        raise ValidationFailed({"name": f"{label}名称不能为空，且不超过120个字"})
    if kind == "branch":
        code = (data.get("code") or "").strip().upper()
        if not re.fullmatch(r"[A-Z0-9_-]{1,32}", code):
            raise ValidationFailed({"code": "支部编码只能包含字母、数字、下划线和连字符"})
        if db.session.scalar(
            sa.select(Branch.id).where(sa.or_(Branch.code == code, Branch.name == name))
        ):
            raise ValidationFailed({"name": "同名或同编码的党支部已存在"})
        unit = Branch(organization=the_organization(), code=code, name=name)
    elif kind == "group":
        parent = db.session.get(Branch, data.get("parent_id") or 0)
        if parent is None:
            raise ValidationFailed({"parent_id": "请选择党支部"})
        if any(g.name == name for g in parent.groups):
            raise ValidationFailed({"name": "该党支部已有同名党小组"})
        unit = PartyGroup(branch=parent, name=name)
    elif kind == "department":
        org = the_organization()
        if any(d.name == name for d in org.departments):
            raise ValidationFailed({"name": "同名科室已存在"})
        unit = Department(organization=org, name=name)
    else:
        parent = db.session.get(Department, data.get("parent_id") or 0)
        if parent is None:
            raise ValidationFailed({"parent_id": "请选择科室"})
        if any(p.name == name for p in parent.posts):
            raise ValidationFailed({"name": "该科室已有同名岗位"})
        unit = Post(department=parent, name=name, duties=(data.get("duties") or "").strip())
    db.session.add(unit)
    db.session.flush()
    audit.record(
        "create",
        AUDIT_TYPES[kind],
        unit.id,
        actor=actor,
        branch_id=unit.id if kind == "branch" else getattr(unit, "branch_id", None),
        after={"name": name},
    )
    return unit


def create_import_unit(
    kind: str, name: str, parent_id: int | None, branch_id: int, actor: Any
) -> Any:
    """A 科室, 岗位 or 党小组 named by a roster import, created as part of it: a secretary
    may do this for the branch being imported (a group in that branch; 科室 and 岗位 in
    its organisation). An existing unit of that name is reused. Audited."""
    branch = db.session.get(Branch, branch_id)
    if branch is None or not branch.can_manage(actor):
        raise PermissionDenied("只能为本支部的名册导入新建科室、岗位和党小组")
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationFailed({"file": "科室、岗位和党小组名称不能为空，且不超过120个字"})
    if kind == "group":
        found = db.session.scalar(
            sa.select(PartyGroup).where(PartyGroup.branch_id == branch.id, PartyGroup.name == name)
        )
        unit = found or PartyGroup(branch=branch, name=name)
    elif kind == "department":
        found = db.session.scalar(
            sa.select(Department).where(
                Department.organization_id == branch.organization_id, Department.name == name
            )
        )
        unit = found or Department(organization_id=branch.organization_id, name=name)
    elif kind == "post":
        dept = db.session.get(Department, parent_id or 0)
        if dept is None or dept.organization_id != branch.organization_id:
            raise ValidationFailed({"file": f"岗位“{name}”所属的科室不存在"})
        found = db.session.scalar(
            sa.select(Post).where(Post.department_id == dept.id, Post.name == name)
        )
        unit = found or Post(department=dept, name=name)
    else:
        raise ValueError(kind)
    if found is not None:
        return found
    db.session.add(unit)
    db.session.flush()
    audit.record(
        "create",
        AUDIT_TYPES[kind],
        unit.id,
        actor=actor,
        branch_id=branch.id,
        after={"name": name, "source": "roster_import"},
        summary=f"名册导入时新建：{name}"[:120],
    )
    return unit


def _name_taken(kind: str, unit: Any, name: str) -> bool:
    """Another unit of the same kind, under the same parent, already has this name."""
    model, _ = STRUCTURE_KINDS[kind]
    stmt = sa.select(model.id).where(model.name == name, model.id != unit.id)
    parent_column = {
        "group": PartyGroup.branch_id,
        "department": Department.organization_id,
        "post": Post.department_id,
    }.get(kind)
    if parent_column is not None:
        stmt = stmt.where(parent_column == getattr(unit, parent_column.key))
    return db.session.scalar(stmt.limit(1)) is not None


def rename_unit(kind: str, unit: Any, name: str, actor: Any) -> None:
    _require_admin(actor)
    name = (name or "").strip()
    _, label = STRUCTURE_KINDS[kind]
    if not name or len(name) > 120:
        raise ValidationFailed({"name": f"{label}名称不能为空，且不超过120个字"})
    # Checked up front: a failed flush would poison the session (and SQLite's
    # driver does not give reliable savepoints to recover with).
    if _name_taken(kind, unit, name):
        raise ValidationFailed({"name": f"同名{label}已存在"})
    before = unit.name
    if before == name:
        return
    unit.name = name
    db.session.flush()
    audit.record(
        "rename",
        AUDIT_TYPES[kind],
        unit.id,
        actor=actor,
        before={"name": before},
        after={"name": name},
    )


def set_branch_active(branch: Branch, active: bool, actor: Any) -> None:
    _require_admin(actor)
    if branch.is_active == active:
        return
    branch.is_active = active
    db.session.flush()
    audit.record(
        "activate" if active else "deactivate",
        "branch",
        branch.id,
        actor=actor,
        before={"is_active": not active},
        after={"is_active": active},
    )


def set_branch_deputy(branch: Branch, member_id: int | None, title: str, actor: Any) -> None:
    """Name (or clear, ``member_id`` None) the branch's deputy for 回避: the 副书记 or a
    支委委员 who acts for the secretary on her own commitments. Admin or the branch's
    secretary; the deputy is an active member of the branch and holds no secretary
    account of it (then she would act on her own)."""
    from partybuild.auth.models import User
    from partybuild.core.permissions import Role
    from partybuild.org.models import DEPUTY_TITLES, BranchDeputy

    if not branch.can_manage(actor):
        raise PermissionDenied("只有系统管理员或本支部书记可以指定代行审核的支委")
    current = db.session.get(BranchDeputy, branch.id)
    before = {"member_id": current.member_id, "title": current.title} if current else {}
    if member_id is None:
        if current is None:
            return
        db.session.delete(current)
        after: dict[str, Any] = {}
    else:
        member = db.session.get(Member, member_id)
        if member is None or member.branch_id != branch.id or not member.is_active:
            raise ValidationFailed({"member_id": "请选择本支部的在册党员"})
        if title not in DEPUTY_TITLES:
            raise ValidationFailed({"title": "请选择副书记或支委委员"})
        # Once the branch has a committee, the deputy is one of its members.
        from partybuild.org.models import CommitteeMember

        seated = set(
            db.session.scalars(
                CommitteeMember.sitting(branch.id).with_only_columns(CommitteeMember.member_id)
            )
        )
        if seated and member_id not in seated:
            raise ValidationFailed(
                {"member_id": "代行审核的须为本支部委员会成员（副书记或支委委员）"}
            )
        is_secretary = db.session.scalar(
            sa.select(sa.func.count(User.id)).where(
                User.member_id == member_id,
                User.role == Role.secretary,
                User.branch_id == branch.id,
            )
        )
        if is_secretary:
            raise ValidationFailed({"member_id": "支部书记本人不能担任代行审核的支委"})
        if current is None:
            current = BranchDeputy(branch_id=branch.id)
            db.session.add(current)
        current.member_id, current.title = member_id, title
        current.updated_by_id = getattr(actor, "id", None)
        after = {"member_id": member_id, "title": title}
    db.session.flush()
    audit.record(
        "set_deputy",
        "branch",
        branch.id,
        actor=actor,
        branch_id=branch.id,
        before=before,
        after=after,
        summary=f"{branch.name}回避代行：{title} {member.name}" if member_id else branch.name,
    )


# --- 支部委员会: the branch committee ------------------------------------------------


def set_committee_member(branch: Branch, member_id: int | None, post: str, actor: Any) -> Any:
    """Seat a member of the branch on its committee with a post, or change her post.
    Admin or the branch's secretary; one 书记 per committee."""
    from partybuild.org.models import SINGLE_POSTS, CommitteeMember, CommitteePost

    if not branch.can_manage(actor):
        raise PermissionDenied("只有系统管理员或本支部书记可以维护支部委员会")
    errors: dict[str, str] = {}
    member = db.session.get(Member, member_id) if member_id else None
    if member is None or member.branch_id != branch.id or not member.is_active:
        errors["member_id"] = "请选择本支部的在册党员"
    if post not in CommitteePost.__members__:
        errors["post"] = "请选择委员会职务"
    if errors:
        raise ValidationFailed(errors)
    new_post = CommitteePost(post)
    seats = db.session.scalars(CommitteeMember.sitting(branch.id)).all()
    seat = db.session.scalar(
        sa.select(CommitteeMember).where(
            CommitteeMember.branch_id == branch.id, CommitteeMember.member_id == member_id
        )
    )
    if new_post in SINGLE_POSTS:
        holder = next((s for s in seats if s.post == new_post and s.member_id != member_id), None)
        if holder is not None:
            raise ValidationFailed(
                {
                    "post": f"本支部委员会已有{new_post.label}（{holder.member.name}），请先调整其职务"
                }
            )
    before = {"member_id": member_id, "post": seat.post.value} if seat else {}
    if seat is not None and seat.post == new_post:
        return seat
    if seat is None:
        seat = CommitteeMember(branch_id=branch.id, member_id=member_id)
        db.session.add(seat)
    seat.post = new_post
    seat.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        "committee_set",
        "branch",
        branch.id,
        actor=actor,
        branch_id=branch.id,
        before=before,
        after={"member_id": member_id, "post": new_post.value},
        summary=f"{branch.name}支部委员会：{member.name} {new_post.label}",
    )
    return seat


def remove_committee_member(branch: Branch, member_id: int | None, actor: Any) -> None:
    """Take a member off the branch committee (the audit log keeps who held which post)."""
    from partybuild.org.models import CommitteeMember

    if not branch.can_manage(actor):
        raise PermissionDenied("只有系统管理员或本支部书记可以维护支部委员会")
    seat = (
        db.session.scalar(
            sa.select(CommitteeMember).where(
                CommitteeMember.branch_id == branch.id, CommitteeMember.member_id == member_id
            )
        )
        if member_id
        else None
    )
    if seat is None:
        raise ServiceError("该党员不是本支部委员会成员")
    name, post = seat.member.name, seat.post
    db.session.delete(seat)
    db.session.flush()
    audit.record(
        "committee_remove",
        "branch",
        branch.id,
        actor=actor,
        branch_id=branch.id,
        before={"member_id": member_id, "post": post.value},
        after={},
        summary=f"{branch.name}支部委员会：{name}（{post.label}）不再担任",
    )
