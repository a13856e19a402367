"""Report kinds: what the export centre and the CLI can produce.

Each document module in ``partybuild.reports.documents`` registers a :class:`ReportKind`
with :func:`register`: its label, which parameters it takes (branch, period, member),
who may export it, a cheap row count (inline or background?) and a builder that reads
the database and returns an :class:`~partybuild.reports.document.OfficialDocument`.
The centre, the CLI and the service only talk to this registry, so a later report adds
a module here and touches nothing else.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from partybuild.core.forms import parse_id
from partybuild.core.permissions import Role
from partybuild.core.service import PermissionDenied, ServiceError, ValidationFailed
from partybuild.core.timeutil import local_today
from partybuild.extensions import db
from partybuild.org.models import Branch, Member, Organization
from partybuild.reports.periods import InvalidPeriod, Period, parse_period

if TYPE_CHECKING:
    from partybuild.auth.models import User
    from partybuild.reports.document import OfficialDocument

logger = logging.getLogger(__name__)

ALL_BRANCHES = "all"
ParamUse = Literal["required", "optional", "none"]
# (rows done, rows expected): builders call it while writing table rows.
Progress = Callable[[int, int], None]


def no_progress(_done: int, _total: int) -> None:
    """The default progress callback: ignore."""


@dataclass
class ReportParams:
    """Resolved, validated parameters of one export."""

    organization: Organization
    branch: Branch | None = None  # None: every branch
    period: Period | None = None
    member: Member | None = None
    batch_id: int | None = None  # a commitment batch, for kinds that take one
    meeting_id: int | None = None  # one meeting, for kinds about a single meeting
    today: date = field(default_factory=local_today)

    @property
    def issuer(self) -> str:
        """Who signs the document: the branch whose document it is (its ledger, its
        roster), the higher-level organisation only for every branch at once."""
        return self.scope_name

    @property
    def branch_ids(self) -> list[int] | None:
        """Branch filter for queries: None means no filter (all branches)."""
        return None if self.branch is None else [self.branch.id]

    @property
    def scope_name(self) -> str:
        return self.branch.name if self.branch is not None else self.organization.name

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"branch": self.branch.code if self.branch else ALL_BRANCHES}
        if self.period is not None:
            data["period"] = self.period.code
        if self.member is not None:
            data["member"] = self.member.id
        if self.batch_id is not None:
            data["batch"] = self.batch_id
        if self.meeting_id is not None:
            data["meeting"] = self.meeting_id
        return data


@dataclass
class BuiltReport:
    """What a builder returns: the document and the number of data rows it holds."""

    document: OfficialDocument
    row_count: int


def scope_check(kind: ReportKind, user: User | None, params: ReportParams) -> None:
    """The default rule: permissions follow the data. ``user`` None is the CLI operator."""
    if user is None:
        return
    if user.role not in kind.roles:
        raise PermissionDenied(f"您没有权限导出“{kind.label}”")
    if user.reads_all_branches:
        return
    if params.branch is None or params.branch.id != user.branch_id:
        raise PermissionDenied("只能导出本党支部的数据")
    if user.role == Role.member and (params.member is None or params.member.id != user.member_id):
        raise PermissionDenied("党员只能导出本人的承诺书")


@dataclass(frozen=True)
class ReportKind:
    key: str  # CLI KIND and URL value, ASCII
    label: str  # 党员承诺践诺台账
    description: str
    build: Callable[[ReportParams, Progress], BuiltReport]
    count_rows: Callable[[ReportParams], int]
    title: Callable[[ReportParams], str]
    period: ParamUse = "required"
    member: bool = False  # takes a member instead of a branch scope
    batch: bool = False  # takes an optional commitment batch id
    all_branches: bool = False  # reviewers/admins may export every branch at once
    # Takes one meeting (--meeting ID); the branch is the meeting's own, found by this.
    meeting_branch: Callable[[int], Branch | None] | None = None
    roles: frozenset[Role] = frozenset({Role.admin, Role.reviewer, Role.secretary})
    check: Callable[[ReportKind, User | None, ReportParams], None] = scope_check
    # Kind-specific checks of resolved parameters: {field: Chinese message}.
    validate: Callable[[ReportParams], dict[str, str]] | None = None
    order: int = 100
    # What the builder's document saves as: a Word file, or a .zip (the inspection pack).
    suffix: str = ".docx"

    def authorise(self, user: User | None, params: ReportParams) -> None:
        self.check(self, user, params)

    def available_to(self, user: User) -> bool:
        return user.role in self.roles


_KINDS: dict[str, ReportKind] = {}
_loaded = False


def register(kind: ReportKind) -> ReportKind:
    if kind.key in _KINDS and _KINDS[kind.key] is not kind:
        raise ValueError(f"report kind {kind.key!r} registered twice")
    _KINDS[kind.key] = kind
    return kind


def _load() -> None:
    """Import every module of ``partybuild.reports.documents`` (they register themselves)."""
    global _loaded
    if _loaded:
        return
    from partybuild.reports import documents

    for info in pkgutil.iter_modules(documents.__path__):
        importlib.import_module(f"{documents.__name__}.{info.name}")
    _loaded = True


def kinds() -> list[ReportKind]:
    _load()
    return sorted(_KINDS.values(), key=lambda k: (k.order, k.key))


def get(key: str) -> ReportKind:
    _load()
    try:
        return _KINDS[key]
    except KeyError:
        names = "、".join(f"{k.key}（{k.label}）" for k in kinds())
        raise ServiceError(f"没有“{key}”这种文档，可选：{names}", "unknown_kind") from None


# --------------------------------------------------------------------------- parameters


def _find_branch(value: str) -> Branch | None:
    # Codes are matched case-insensitively (b01 is B01); an exact match wins.
    branch = db.session.scalar(sa.select(Branch).where(Branch.code == value))
    if branch is None:
        found = db.session.scalars(
            sa.select(Branch).where(sa.func.upper(Branch.code) == value.upper()).limit(2)
        ).all()
        branch = found[0] if len(found) == 1 else None
    if branch is None and parse_id(value) is not None:
        branch = db.session.get(Branch, parse_id(value))
    return branch


def _find_member(value: str) -> Member | None:
    member_id = parse_id(value)
    return db.session.get(Member, member_id) if member_id is not None else None


def organization_for(branch: Branch | None) -> Organization | None:
    if branch is not None:
        return branch.organization
    return db.session.scalar(sa.select(Organization).order_by(Organization.id).limit(1))


def resolve(kind: ReportKind, data: Mapping[str, Any]) -> ReportParams:
    """Turn plain input ({"branch", "period", "member"}) into :class:`ReportParams`.

    Raises ValidationFailed with one Chinese message per bad field."""
    errors: dict[str, str] = {}
    branch_value = str(data.get("branch") or "").strip()
    period_value = str(data.get("period") or "").strip()
    member_value = str(data.get("member") or "").strip()
    batch_value = str(data.get("batch") or "").strip()
    meeting_value = str(data.get("meeting") or "").strip()

    branch: Branch | None = None
    member: Member | None = None
    if branch_value and branch_value.lower() != ALL_BRANCHES:
        branch = _find_branch(branch_value)
        if branch is None:
            errors["branch"] = f"找不到编号为“{branch_value}”的党支部"

    if kind.member:
        if not member_value:
            errors["member"] = f"“{kind.label}”需要指定党员"
        else:
            member = _find_member(member_value)
            if member is None:
                errors["member"] = f"找不到编号为“{member_value}”的党员"
            elif branch is not None and member.branch_id != branch.id:
                errors["member"] = f"编号为“{member_value}”的党员不属于所选党支部"
            elif "branch" not in errors:
                branch = member.branch
    elif member_value:
        errors["member"] = f"“{kind.label}”不按党员导出，请不要指定党员"

    meeting_id: int | None = None
    if kind.meeting_branch is not None:
        found = None
        if not meeting_value:
            errors["meeting"] = f"“{kind.label}”需要指定会议（在会议页面导出，或 --meeting 编号）"
        elif (
            parse_id(meeting_value) is None
            or (found := kind.meeting_branch(parse_id(meeting_value))) is None
        ):
            errors["meeting"] = f"找不到编号为“{meeting_value}”的会议"
        elif branch is not None and found.id != branch.id:
            errors["meeting"] = f"编号为“{meeting_value}”的会议不属于所选党支部"
        elif "branch" not in errors:
            branch, meeting_id = found, int(meeting_value)
    elif meeting_value:
        errors["meeting"] = f"“{kind.label}”不按会议导出，请不要指定会议"

    if not kind.member and branch is None and not {"branch", "meeting"} & errors.keys():
        if not branch_value:
            errors["branch"] = "请选择党支部"
        elif not kind.all_branches:
            errors["branch"] = f"“{kind.label}”只能按单个党支部导出"

    period: Period | None = None
    if kind.period == "none":
        if period_value:
            errors["period"] = f"“{kind.label}”不按期间导出，请不要指定期间"
    elif period_value:
        try:
            period = parse_period(period_value)
        except InvalidPeriod as exc:
            errors["period"] = exc.message
    elif kind.period == "required":
        errors["period"] = "请填写期间（如 2026、2026Q3 或 2026-07）"

    batch_id: int | None = None
    if batch_value:
        if not kind.batch:
            errors["batch"] = f"“{kind.label}”不按批次导出，请不要指定批次"
        elif parse_id(batch_value) is None:
            errors["batch"] = f"批次编号应为数字，而不是“{batch_value}”"
        else:
            batch_id = parse_id(batch_value)

    if errors:
        raise ValidationFailed(errors)
    organization = organization_for(branch)
    if organization is None:
        raise ServiceError("尚未建立组织，无法导出", "no_organization")
    return ReportParams(
        organization=organization,
        branch=branch,
        period=period,
        member=member,
        batch_id=batch_id,
        meeting_id=meeting_id,
    )


class NoData(ServiceError):
    """The scope and period hold nothing for this document: refused before anything
    is recorded or generated (the export centre shows the message as is)."""

    code = "no_data"


def no_data_message(kind: ReportKind, params: ReportParams) -> str:
    period = params.period.label if params.period is not None else ""
    return f"本期无数据：{params.scope_name}{period}没有可列入“{kind.label}”的内容，未生成文档"


def check_has_data(kind: ReportKind, params: ReportParams) -> None:
    """Raise :class:`NoData` when the document would hold no rows (one COUNT query), or
    the period has not begun (nothing can have been active in it yet)."""
    if params.period is not None and params.period.start > params.today:
        raise NoData(f"本期无数据：{params.period.label}尚未开始，未生成文档")
    if not kind.count_rows(params):
        raise NoData(no_data_message(kind, params))


def validate(kind: ReportKind, params: ReportParams) -> None:
    """The kind's own checks, then the refusal of an empty scope or period; run after
    authorising, so messages never describe data outside the user's scope."""
    if kind.validate is not None and (problems := kind.validate(params)):
        raise ValidationFailed(problems)
    check_has_data(kind, params)


_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_filename(title: str, today: date, suffix: str = ".docx") -> str:
    """Chinese download name: title and date, without characters file systems refuse."""
    stem = _UNSAFE_NAME.sub("_", title).strip(" ._") or "文档"
    return f"{stem[:120]}_{today:%Y%m%d}{suffix}"
