"""Hostile input everywhere at once (issue 9).

Every form the URL map exposes (each POST route, as a role its access rule admits) is
submitted once per hostile string, with that string in every text field and valid
values everywhere else, so the text reaches validation, storage and the pages that
show it. Then: no response was a 500, no HTML page carried a payload unescaped (nor a
NUL byte or a bidi override), and every export (.xlsx ledger and roster, every .docx
report of the registry) still opens.

A new POST route fails ``test_every_post_route_is_walked`` until it gets a row in
``CASES``.
"""

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import docx
import openpyxl
import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

from partybuild.auth.forms import (
    ChangePasswordForm,
    EditUserForm,
    LoginForm,
    MemberAccountsForm,
    ResetPasswordForm,
    UserForm,
)
from partybuild.commitments import service as commitment_service
from partybuild.commitments.forms import (
    BatchForm,
    CloseBatchForm,
    CommitmentForm,
    EvaluationForm,
    FinaliseForm,
    RatingForm,
    RecordForm,
    TextForm,
)
from partybuild.commitments.models import (
    Commitment,
    CommitmentBatch,
    CommitmentState,
    FulfilmentRecord,
    RecordEvidence,
)
from partybuild.core import jobs, settings
from partybuild.core.db import utcnow
from partybuild.core.permissions import access_rule, allows
from partybuild.core.service import ValidationFailed
from partybuild.core.timeutil import LOCAL_TZ
from partybuild.extensions import db
from partybuild.greetings.forms import ContactForm, GiftForm, SettingsForm, TemplateForm
from partybuild.greetings.models import Greeting, GreetingTemplate
from partybuild.greetings.service import ensure_default_templates
from partybuild.integrity.forms import (
    ControlForm,
    PointForm,
    RectificationForm,
    ReminderForm,
    ReviewForm,
)
from partybuild.integrity.forms import ImportForm as LedgerImportForm
from partybuild.integrity.forms import TextForm as IntegrityTextForm
from partybuild.integrity.models import Rectification, Reminder, RiskPoint
from partybuild.meetings import service as meeting_service
from partybuild.meetings.forms import (
    AgendaForm,
    AttachmentForm,
    AttendanceCorrectionForm,
    CancelTaskForm,
    CompleteForm,
    CorrectionForm,
    MeetingForm,
    PostponeForm,
    ProgressForm,
    ReasonForm,
    ResolutionForm,
    TaskForm,
    VoteCorrectionForm,
)
from partybuild.meetings.forms import ReasonForm as MeetingReasonForm
from partybuild.meetings.forms import RecordForm as MinutesForm
from partybuild.meetings.models import KeyTask, Meeting, MeetingState, MeetingType
from partybuild.org.forms import MemberForm, RetireForm, RosterUploadForm, UnitForm
from partybuild.org.models import Department, Member
from partybuild.ratings import service as rating_service
from partybuild.ratings.forms import (
    CriterionSetForm,
    ModelPostForm,
    ObjectionForm,
    RoundForm,
    ScoreForm,
    ServiceForm,
)
from partybuild.ratings.forms import TextForm as RatingTextForm
from partybuild.ratings.models import ModelPost, RatingRound
from partybuild.reports import registry
from partybuild.reports.forms import ExportForm
from tests.commitments import conftest as commitment_fixtures
from tests.commitments.conftest import PNG
from tests.integrity.conftest import World as IntegrityWorld
from tests.meetings.conftest import World as MeetingWorld
from tests.ratings.conftest import RatingWorld

S = CommitmentState
world = commitment_fixtures.world  # users around branch A, commitments in any state

SCRIPT = "<script>alert(1)</script>"
SVG = '<svg onload="alert(1)"><svg/onload=alert(1)>'
CORPUS = {
    "nul": "张\x00三\x00",
    "controls": "记录\x01\x07\x0b\x0c\x1b\x7f\x85\x9f内容",
    "rtl": "\u202e伟大王\u202c\u2066x\u2069",
    "zero_width": "\u200b\u200c\u200d\u2060\ufeff",
    "one_mb": "长" * (1024 * 1024 // 3),  # 1 MB of UTF-8
    "near_limit": "x" * 400_000,  # just under the form parser's field limit
    "formula": '=HYPERLINK("http://evil.example","click")',
    "formula_fullwidth": "＝1+1＠SUM(A1)",
    "formula_leading": "\t=cmd|' /C calc'!A0",
    "script": SCRIPT,
    "svg": SVG,
    "sql": "' OR 1=1 --",
    "like": "%_\\%' ESCAPE '\\",
    "crlf": "第一行\r\n第二行\r第三行",
}
RAW_PAYLOADS = (SCRIPT, "<svg onload", "<svg/onload")


@dataclass
class Env:
    """The fixture world plus the few extra objects some forms need."""

    w: Any
    client: Any
    auth: Any
    greeting: Any
    template: Any
    spare_user: Any
    department: Any
    mw: Any = None  # meetings' world (its members, the leader 李局长, meeting helpers)
    iw: Any = None  # integrity's world (a post holder, risk points, rectifications)
    rw: Any = None  # ratings' world (designated model posts, raters, rounds)
    closed_round: Any = None  # a closed round of rw.posts (appeals)
    draft_round: Any = None  # a draft round with raters (add/remove raters)
    point: Any = None  # a risk point with one control, reused by additive routes
    task: Any = None  # a key task, reused by additive routes
    last: Any = None  # the object the current row's ``url`` built, for its ``fixed``
    serial: Any = field(default_factory=lambda: iter(range(1, 1_000_000)))

    def keep(self, obj: Any) -> Any:
        """Remember ``obj`` for the row's ``fixed`` (called after ``url``)."""
        self.last = obj
        return obj

    # --- meetings
    def meeting(self, state: str = "planned") -> Meeting:
        m = self.mw.meeting(MeetingType.general_assembly, title=f"会议{next(self.serial)}")
        if state in ("held", "approved"):
            self.mw.hold(m)
        if state == "approved":
            meeting_service.approve_minutes(m, self.mw.secretary)
            db.session.commit()
        return self.keep(m)

    def resolution(self) -> Any:
        m = self.meeting("held")
        r = meeting_service.add_resolution(
            m, {"text": "同意", "result": "agreed"}, self.mw.secretary
        )
        db.session.commit()
        return r

    def key_task(self) -> Any:
        return self.keep(self.mw.task(title=f"任务{next(self.serial)}"))

    # --- ratings
    def model_post(self, state: str = "nominated") -> Any:
        rw = self.rw
        holder = rw.make_member(branch=rw.org.a, name=f"示范岗党员{next(self.serial)}")
        post = rw.post(holder, f"示范岗{next(self.serial)}")
        if state in ("approved", "announced"):
            rating_service.approve_post(post, rw.secretary)
        if state == "announced":
            rating_service.announce_post(post, rw.secretary)
        db.session.commit()
        return self.keep(post)

    def round(self, open_: bool = True, posts: Any = None) -> RatingRound:
        rnd = self.rw.round(open_=open_, posts=posts, title=f"测评{next(self.serial)}")
        return self.keep(rnd)

    def public_sheet(self) -> int:
        rnd, post = self.round(), self.rw.posts[0]
        n = next(self.serial)
        sheet = rating_service.add_public_rating(
            rnd, post, {c.id: 8 for c in rnd.criterion_set.criteria}, "服务热情",
            browser_id=f"walk-{n}", ip=f"10.9.{n // 250}.{n % 250}",
        )  # fmt: skip
        db.session.commit()
        return sheet.id

    def objection(self) -> int:
        post = self.model_post("announced")
        o = rating_service.record_objection(post, "有异议", self.w.today, self.rw.secretary)
        db.session.commit()
        return o.id

    def service_entry(self) -> int:
        data = {"handled_on": self.w.today, "demand": "咨询", "outcome": "已答复"}
        entry = rating_service.log_service(self.rw.posts[0], data, self.rw.secretary)
        db.session.commit()
        return entry.id

    def appeal(self) -> int:
        a = rating_service.file_appeal(
            self.closed_round, self.rw.posts[0], self.rw.holder_users[0], "结果有误"
        )
        db.session.commit()
        return a.id

    # --- integrity
    def risk_point(self) -> Any:
        return self.keep(self.iw.point(title=f"风险点{next(self.serial)}"))

    def commitment(self, state: CommitmentState, **kw: Any) -> Any:
        return self.w.commitment(state, **kw)

    def member(self, **kw: Any) -> Any:
        m = Member(
            branch_id=self.w.org.a.id,
            name=kw.pop("name", "李四"),
            gender="male",
            birth_on=date(1980, 1, 1),
            joined_on=date(2005, 7, 1),
            full_member_on=date(2006, 7, 1),
            status="full",
            phone="13800000000",
            **kw,
        )
        db.session.add(m)
        db.session.commit()
        return m


def _batch_dates(env: Env) -> dict[str, str]:
    t = env.w.today
    return {
        "commit_start": (t - timedelta(days=1)).isoformat(),
        "commit_end": (t + timedelta(days=10)).isoformat(),
        "evaluation_start": (t + timedelta(days=11)).isoformat(),
        "evaluation_end": (t + timedelta(days=40)).isoformat(),
    }


def _member_fields(env: Env) -> dict[str, str]:
    org = env.w.org
    return {
        "gender": "male",
        "birth_on": "1985-03-01",
        "joined_on": "2008-07-01",
        "full_member_on": "2009-07-01",
        "status": "full",
        "branch_id": str(org.a.id),
        "party_group_id": str(org.group_a.id),
        "department_id": str(org.department.id),
        "post_id": str(org.post.id),
        "phone": "13912345678",
    }


def _roster_csv(_env: Env, payload: str) -> dict[str, Any]:
    content = f"姓名,性别,出生日期,入党日期,党员状态\n{payload},男,1980-01-01,2005-07-01,正式党员\n"
    stream = io.BytesIO(content.encode("utf-8"))
    return {"file": FileStorage(stream, filename="名册.csv", content_type="text/csv")}


def _xlsx_upload(rows: list[list[Any]], name: str) -> dict[str, Any]:
    """An .xlsx upload; characters XML cannot carry are left out (no file can hold them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v
                          for v in row])  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {"file": FileStorage(out, filename=name, content_type=ctype)}


def _task_xlsx(env: Env, payload: str) -> dict[str, Any]:
    head = ["任务名称", "任务内容", "责任领导", "责任科室", "配合科室", "完成时限", "党建专项"]
    deadline = (env.w.today + timedelta(days=60)).isoformat()
    rows = [head, [payload, payload, "李局长", "接访科", "", deadline, "是"]]
    return _xlsx_upload(rows, "重点任务.xlsx")


def _ledger_xlsx(_env: Env, payload: str) -> dict[str, Any]:
    head = ["序号", "科室", "岗位", "风险类别", "风险点", "表现形式", "风险等级", "防控措施"]
    rows = [["廉政风险防控点台账"], head, [1, "接访科", "信访接待岗", "权力行使", payload,
                                       payload, "高", f"1.{payload}\n2.登记"]]  # fmt: skip
    return _xlsx_upload(rows, "风险点台账.xlsx")


def _png(_env: Env, _payload: str) -> dict[str, Any]:
    return {"files": FileStorage(io.BytesIO(PNG), filename="签到表.png", content_type="image/png")}


def _meeting_fields(env: Env) -> dict[str, str]:
    start = datetime.combine(env.w.today + timedelta(days=3), time(9))
    return {
        "branch_id": str(env.w.org.a.id),
        "type": MeetingType.committee_meeting.value,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": "",
        "party_group_id": "0",
    }


def _task_fields(env: Env) -> dict[str, Any]:
    leader = env.mw.leader
    return {
        "branch_id": str(env.w.org.a.id),
        "lead_member": f"{leader.name}（局长，第一党支部）#{leader.id}",
        "department_id": str(env.w.org.department.id),
        "supporter_ids": [],
        "deadline": (env.w.today + timedelta(days=60)).isoformat(),
    }


def _attendance(env: Env) -> dict[str, Any]:
    """Every expected member present, the first excused (their reason is the payload)."""
    ids = [a.member_id for a in env.last.attendance]
    return {
        "member": [str(i) for i in ids],
        **{f"status-{i}": "excused" if n == 0 else "present" for n, i in enumerate(ids)},
    }


def _scores(env: Env) -> dict[str, str]:
    return {f"c{c.id}": "8" for c in env.last.criterion_set.criteria}


def _evidence(c: Any) -> int:
    return db.session.scalar(
        sa.select(RecordEvidence.file_id)
        .join(FulfilmentRecord, RecordEvidence.record_id == FulfilmentRecord.id)
        .where(FulfilmentRecord.commitment_id == c.id)
    )


def _proxy_drafts(env: Env) -> dict[str, int]:
    """A member without an account with two drafts the secretary entered (代填)."""
    m = env.member(name="代填党员")
    for content in ("走访困难群众", "讲一次微党课"):
        commitment_service.create_commitment(
            env.w.batch,
            m,
            {
                "category": "工作",
                "content": content,
                "target": "全年12次",
                "deadline": env.w.today + timedelta(days=30),
            },
            env.w.secretary,
        )
    db.session.commit()
    return {"batch_id": env.w.batch.id, "member_id": m.id}


def _spare_batch(env: Env) -> dict[str, int]:
    """A batch of its own to end, so the world's batch stays open for the other rows."""
    t = env.w.today
    n = db.session.scalar(sa.select(sa.func.count(CommitmentBatch.id)))
    b = CommitmentBatch(
        branch_id=env.w.org.a.id,
        title=f"待结束批次{n}",
        commit_start=t,
        commit_end=t + timedelta(days=10),
        evaluation_start=t + timedelta(days=11),
        evaluation_end=t + timedelta(days=40),
    )
    db.session.add(b)
    db.session.commit()
    return {"batch_id": b.id}


def _rating(env: Env) -> int:
    c = env.commitment(S.in_progress)
    rating = commitment_service.add_public_rating(
        c, "satisfied", "很好", browser_id=f"b{c.id}", ip=f"10.0.0.{c.id % 250}"
    )
    db.session.commit()
    return rating.id


def _approved_meeting(env: Env) -> Any:
    """An approved 主题党日 of branch A with a resolution and an attachment."""
    from partybuild.meetings import service as meetings

    m = meetings.plan_meeting(
        env.w.org.a,
        {"type": "theme_day", "title": "主题党日", "starts_at": utcnow(), "agenda": "学习"},
        env.w.secretary,
    )
    entries = [(a.member_id, "present", "") for a in m.attendance]
    meetings.record_meeting(m, {"attendance": entries, "minutes": "学习。"}, env.w.secretary)
    meetings.add_resolution(m, {"text": "议定", "result": "agreed"}, env.w.secretary)
    meetings.add_attachments(m, [("签到表.png", PNG)], "", env.w.secretary)
    meetings.approve_minutes(m, env.w.secretary)
    db.session.commit()
    return m


def _meeting_case(key: str | None = None) -> Callable[[Env], dict[str, Any]]:
    def url(env: Env) -> dict[str, Any]:
        m = _approved_meeting(env)
        return {"meeting_id": m.id, **({key: m.attachments[0].id} if key else {})}

    return url


@dataclass
class Case:
    """How to post to one endpoint: as whom, where, which form, valid non-text values."""

    role: str  # a key of World.users, or "admin"/"anonymous"
    url: Callable[[Env], dict[str, Any]] = lambda env: {}
    form: type | None = None  # the WTForms class the view uses
    prefix: str = ""
    fixed: Callable[[Env], dict[str, Any]] = lambda env: {}
    files: Callable[[Env, str], dict[str, Any]] | None = None
    text: tuple[str, ...] = ()  # free-text fields of a view without a WTForm
    no_text: tuple[str, ...] = ()  # form fields that must stay valid (honeypot…)
    # Free-text fields named after the objects ``url`` built (reason-<member id>…).
    text_for: Callable[[Env], tuple[str, ...]] | None = None

    def takes_text(self, app: Any) -> bool:
        """Whether the payload reaches this route at all (else one post is enough)."""
        if self.text or self.files or self.text_for:
            return True
        if self.form is None:
            return False
        with app.test_request_context():
            form = self.form(formdata=None, prefix=self.prefix)
        return any(
            isinstance(f, TEXT_FIELDS)
            and not isinstance(f, HiddenField)
            and f.short_name not in (*self.no_text, "csrf_token")
            for f in form
        )


def _c(state: CommitmentState, key: str = "commitment_id") -> Callable[[Env], dict]:
    return lambda env: {key: env.commitment(state).id}


CASES: dict[str, Case] = {
    # core
    "core.edit_setting": Case("admin"),  # walked per editable setting, see below
    "core.reset_setting": Case("admin", lambda env: {"key": "PUBLIC_RATE_LIMIT"}),
    "core.job_run_now": Case("admin", lambda env: {"name": "greetings"}),
    "core.audit_verify": Case("admin", text=("confirm",)),
    # auth
    "auth.login": Case("anonymous", form=LoginForm),
    "auth.logout": Case("secretary"),
    "auth.change_password": Case("secretary", form=ChangePasswordForm),
    "auth.set_active": Case(
        "admin", lambda env: {"user_id": env.spare_user.id}, fixed=lambda env: {"active": "1"}
    ),
    "auth.edit_user": Case(
        "admin",
        lambda env: {"user_id": env.spare_user.id},
        form=EditUserForm,
        fixed=lambda env: {
            "username": env.spare_user.username,  # posted back unchanged by the page
            "role": "member",
            "branch_id": "",
            "member_id": "",
            "version_id": str(env.spare_user.version_id),
        },
    ),
    "auth.reset_password": Case(
        "admin", lambda env: {"user_id": env.spare_user.id}, form=ResetPasswordForm, prefix="reset"
    ),
    "auth.create_user": Case(
        "admin",
        form=UserForm,
        fixed=lambda env: {"role": "reviewer", "branch_id": "", "member_id": ""},
    ),
    # Hostile text as the ticked member ids (a forged form), as a secretary and an admin.
    "auth.member_accounts": Case(
        "secretary",
        form=MemberAccountsForm,
        fixed=lambda env: {"role": "member"},
        text=("member_id",),
    ),
    # commitments
    "commitments.close": Case("secretary", _c(S.in_progress), form=TextForm),
    "commitments.edit": Case(
        "owner",
        lambda env: {"commitment_id": env.commitment(S.draft).id},
        form=CommitmentForm,
        fixed=lambda env: {
            "version_id": "1",
            "category": "工作",
            "deadline": (env.w.today + timedelta(days=30)).isoformat(),
        },
    ),
    "commitments.evaluate": Case(
        "owner",
        _c(S.awaiting_evaluation),
        form=EvaluationForm,
        fixed=lambda env: {"kind": "self", "score": "85"},
    ),
    "commitments.retire_evidence": Case(
        "owner",
        lambda env: (lambda c: {"commitment_id": c.id, "file_id": _evidence(c)})(
            env.commitment(S.in_progress)
        ),
        form=TextForm,
    ),
    "commitments.finalise": Case("secretary", _c(S.awaiting_evaluation), form=FinaliseForm),
    "commitments.publish": Case("secretary", _c(S.submitted)),
    "commitments.add_record": Case(
        "owner",
        _c(S.published),
        form=RecordForm,
        fixed=lambda env: {"recorded_on": env.w.today.isoformat(), "progress": "40"},
    ),
    "commitments.reopen": Case("secretary", _c(S.awaiting_evaluation), form=TextForm),
    "commitments.request_evaluation": Case("owner", _c(S.in_progress)),
    "commitments.return_for_revision": Case("secretary", _c(S.submitted), form=TextForm),
    "commitments.submit": Case("owner", _c(S.draft)),
    "commitments.supervise": Case("secretary", _c(S.published), form=TextForm),
    "commitments.withdraw": Case("secretary", _c(S.published), form=TextForm),
    "commitments.edit_batch": Case(
        "secretary",
        lambda env: {"batch_id": env.w.batch.id},
        form=BatchForm,
        fixed=lambda env: {
            "branch_id": str(env.w.org.a.id),
            "version_id": str(env.w.batch.version_id),
            **_batch_dates(env),
        },
    ),
    "commitments.create": Case(
        "other_member",
        lambda env: {"batch_id": env.w.batch.id},
        form=CommitmentForm,
        fixed=lambda env: {
            "category": "工作",
            "deadline": (env.w.today + timedelta(days=30)).isoformat(),
        },
    ),
    "commitments.batch_status": Case(
        "secretary", lambda env: {"batch_id": env.w.batch.id}, fixed=lambda env: {"status": "open"}
    ),
    "commitments.submit_all": Case("owner", lambda env: {"batch_id": env.w.batch.id}),
    "commitments.proxy_create": Case(
        "secretary",
        lambda env: {"batch_id": env.w.batch.id, "member_id": env.member(name="无账号党员").id},
        form=CommitmentForm,
        fixed=lambda env: {
            "category": "工作",
            "deadline": (env.w.today + timedelta(days=30)).isoformat(),
        },
    ),
    "commitments.proxy_submit_all": Case("secretary", _proxy_drafts),
    "commitments.close_batch": Case("secretary", _spare_batch, form=CloseBatchForm),
    "commitments.create_batch": Case(
        "secretary",
        form=BatchForm,
        fixed=lambda env: {"branch_id": str(env.w.org.a.id), **_batch_dates(env)},
    ),
    "commitments.moderate": Case(
        "secretary",
        lambda env: {"rating_id": _rating(env)},
        fixed=lambda env: {"decision": "approve"},
        text=("back",),
    ),
    # greetings
    "greetings.record_gift": Case(
        "secretary",
        lambda env: {"greeting_id": env.greeting.id},
        form=GiftForm,
        fixed=lambda env: {"gift_handed_on": env.w.today.isoformat()},
    ),
    "greetings.contact": Case(
        "secretary", lambda env: {"member_id": env.member().id}, form=ContactForm
    ),
    "greetings.settings": Case("admin", form=SettingsForm),
    "greetings.edit_template": Case(
        "admin",
        lambda env: {"template_id": env.template.id},
        form=TemplateForm,
        fixed=lambda env: {
            "years": str(env.template.years),
            "version_id": str(db.session.get(GreetingTemplate, env.template.id).version_id),
        },
    ),
    "greetings.new_template": Case("admin", form=TemplateForm, fixed=lambda env: {"years": "10"}),
    # org
    "org.edit_member": Case(
        "secretary",
        lambda env: {"member_id": env.member().id},
        form=MemberForm,
        fixed=lambda env: {**_member_fields(env), "version_id": "1"},
    ),
    "org.reinstate_member": Case(
        "secretary",
        lambda env: {
            "member_id": env.member(is_active=False, retired_at=utcnow(), retired_reason="调离").id
        },
    ),
    "org.retire_member": Case(
        "secretary", lambda env: {"member_id": env.member().id}, form=RetireForm
    ),
    "org.import_members": Case(
        "secretary",
        form=RosterUploadForm,
        fixed=lambda env: {"branch_id": str(env.w.org.a.id)},
        files=_roster_csv,
    ),
    "org.confirm_import": Case("secretary", text=("token",)),
    "org.branch_deputy": Case(
        "secretary",
        lambda env: {"branch_id": env.w.org.a.id},
        fixed=lambda env: {"member_id": str(env.member().id)},
        text=("title",),
    ),
    "org.branch_committee": Case(
        "secretary",
        lambda env: {"branch_id": env.w.org.a.id},
        fixed=lambda env: {"member_id": str(env.member().id)},
        text=("post",),
    ),
    "org.remove_committee_member": Case(
        "secretary", lambda env: {"branch_id": env.w.org.a.id}, text=("member_id",)
    ),
    "org.create_member": Case("secretary", form=MemberForm, fixed=_member_fields),
    "org.create_unit": Case(
        "admin",
        lambda env: {"kind": "department"},
        form=UnitForm,
        fixed=lambda env: {"parent_id": ""},
    ),
    "org.rename_unit": Case(
        "admin", lambda env: {"kind": "department", "unit_id": env.department.id}, text=("name",)
    ),
    "org.set_branch_active": Case(
        "admin", lambda env: {"unit_id": env.w.org.b.id}, fixed=lambda env: {"active": "1"}
    ),
    # meetings
    "meetings.correct_attendance": Case(
        "secretary",
        _meeting_case(),
        form=AttendanceCorrectionForm,
        prefix="att",
        fixed=lambda env: {"status": "excused"},
        text=("att-attendance_id",),
    ),
    "meetings.correct_vote": Case(
        "secretary",
        _meeting_case(),
        form=VoteCorrectionForm,
        prefix="vote",
        fixed=lambda env: {"result": "agreed"},
        text=("vote-resolution_id",),
    ),
    "meetings.retire_attachment": Case(
        "secretary", _meeting_case("attachment_id"), form=MeetingReasonForm
    ),
    # public
    "public.rate": Case(
        "anonymous",
        lambda env: {"code": "A", "commitment_id": env.commitment(S.in_progress).id},
        form=RatingForm,
        fixed=lambda env: {"level": "satisfied", "website": ""},
        no_text=("website",),
    ),
    # meetings
    "meetings.plan": Case("secretary", form=MeetingForm, fixed=_meeting_fields),
    "meetings.edit": Case(
        "secretary",
        lambda env: {"meeting_id": env.meeting().id},
        form=MeetingForm,
        fixed=lambda env: {**_meeting_fields(env), "version_id": str(env.last.version_id)},
    ),
    "meetings.record": Case(
        "secretary",
        lambda env: {"meeting_id": env.meeting().id},
        form=MinutesForm,
        fixed=_attendance,
        text_for=lambda env: (
            (f"reason-{env.last.attendance[0].member_id}",)
            + tuple(f"notes-{i.id}" for i in env.last.agenda)
        ),
    ),
    "meetings.add_agenda": Case(
        "secretary", lambda env: {"meeting_id": env.meeting().id}, form=AgendaForm
    ),
    "meetings.add_resolution": Case(
        "secretary",
        lambda env: {"meeting_id": env.meeting("held").id},
        form=ResolutionForm,
        fixed=lambda env: {"result": "agreed"},
    ),
    "meetings.approve": Case("secretary", lambda env: {"meeting_id": env.meeting("held").id}),
    "meetings.correct": Case(
        "secretary",
        lambda env: {"meeting_id": env.meeting("approved").id},
        form=CorrectionForm,
        fixed=lambda env: {"part": "minutes"},
    ),
    "meetings.cancel": Case(
        "secretary", lambda env: {"meeting_id": env.meeting().id}, form=ReasonForm
    ),
    "meetings.attach": Case(
        "secretary",
        lambda env: {"meeting_id": env.meeting("held").id},
        form=AttachmentForm,
        files=_png,
    ),
    "meetings.feed": Case("secretary", fixed=lambda env: {"action": "regenerate"}),
    "meetings.new_task": Case("secretary", form=TaskForm, fixed=_task_fields),
    "meetings.resolution_task": Case(
        "secretary",
        lambda env: {"resolution_id": env.resolution().id},
        form=TaskForm,
        fixed=_task_fields,
    ),
    "meetings.edit_task": Case(
        "secretary",
        lambda env: {"task_id": env.key_task().id},
        form=TaskForm,
        fixed=lambda env: {**_task_fields(env), "version_id": str(env.last.version_id)},
    ),
    "meetings.task_progress": Case(
        "secretary", lambda env: {"task_id": env.task.id}, form=ProgressForm
    ),
    "meetings.task_complete": Case(
        "secretary", lambda env: {"task_id": env.key_task().id}, form=CompleteForm
    ),
    "meetings.task_postpone": Case(
        "secretary",
        lambda env: {"task_id": env.key_task().id},
        form=PostponeForm,
        fixed=lambda env: {"deadline": (env.w.today + timedelta(days=90)).isoformat()},
    ),
    "meetings.task_cancel": Case(
        "secretary", lambda env: {"task_id": env.key_task().id}, form=CancelTaskForm
    ),
    "meetings.import_tasks": Case("secretary", files=_task_xlsx),
    "meetings.confirm_import": Case("secretary", text=("token",)),
    # integrity
    "integrity.create_point": Case(
        "secretary",
        form=PointForm,
        fixed=lambda env: {
            "branch_id": str(env.w.org.a.id),
            "post_id": str(env.w.org.post.id),
            "category": "power",
            "likelihood": "4",
            "impact": "4",
            "residual_likelihood": "",
            "residual_impact": "",
            "owner_id": "",
            "review_months": "12",
        },
    ),
    "integrity.edit_point": Case(
        "secretary",
        lambda env: {"point_id": env.risk_point().id},
        form=PointForm,
        fixed=lambda env: {
            "branch_id": str(env.w.org.a.id),
            "post_id": str(env.w.org.post.id),
            "category": "power",
            "likelihood": "3",
            "impact": "3",
            "residual_likelihood": "",
            "residual_impact": "",
            "owner_id": "",
            "review_months": "12",
            "version_id": str(env.last.version_id),
        },
    ),
    "integrity.retire_point": Case(
        "secretary", lambda env: {"point_id": env.risk_point().id}, form=IntegrityTextForm
    ),
    "integrity.add_control": Case(
        "secretary", lambda env: {"point_id": env.point.id}, form=ControlForm
    ),
    "integrity.retire_control": Case(
        "secretary",
        lambda env: {"control_id": env.risk_point().controls[0].id},
        form=IntegrityTextForm,
    ),
    "integrity.review": Case(
        "secretary",
        lambda env: {"point_id": env.risk_point().id},
        form=ReviewForm,
        fixed=lambda env: {
            f"result-{env.last.controls[0].id}": "partial",
            "residual_likelihood": "",
            "residual_impact": "",
            "responsible_id": str(env.iw.owner_member.id),
            "deadline": (env.w.today + timedelta(days=30)).isoformat(),
        },
    ),
    "integrity.open_rectification": Case(
        "secretary",
        lambda env: {"point_id": env.point.id},
        form=RectificationForm,
        fixed=lambda env: {
            "responsible_id": str(env.iw.owner_member.id),
            "deadline": (env.w.today + timedelta(days=30)).isoformat(),
        },
    ),
    "integrity.edit_rectification": Case(
        "secretary",
        lambda env: {"rect_id": env.keep(env.iw.rectification(env.point)).id},
        form=RectificationForm,
        fixed=lambda env: {
            "responsible_id": str(env.iw.owner_member.id),
            "deadline": (env.w.today + timedelta(days=30)).isoformat(),
            "version_id": str(env.last.version_id),
        },
    ),
    "integrity.act_rectification": Case(
        "secretary",
        lambda env: {"rect_id": env.iw.rectification(env.point).id, "action": "report_done"},
        form=IntegrityTextForm,
    ),
    "integrity.acknowledge": Case("post_holder", form=IntegrityTextForm),
    "integrity.create_reminder": Case(
        "secretary",
        form=ReminderForm,
        fixed=lambda env: {
            "branch_id": str(env.w.org.a.id),
            "member_id": str(env.iw.owner_member.id),
            "risk_point_id": str(env.point.id),
        },
    ),
    "integrity.import_ledger": Case(
        "secretary",
        form=LedgerImportForm,
        fixed=lambda env: {"branch_id": str(env.w.org.a.id)},
        files=_ledger_xlsx,
    ),
    "integrity.confirm_import": Case("secretary", form=IntegrityTextForm, text=("token",)),
    # ratings (示范岗)
    "ratings.nominate": Case(
        "secretary",
        form=ModelPostForm,
        fixed=lambda env: {
            "kind": "individual",
            "post_id": "",
            "holder_ids": [str(env.rw.peers[0].id)],
        },
    ),
    "ratings.edit_post": Case(
        "secretary",
        lambda env: {"post_id": env.model_post().id},
        form=ModelPostForm,
        fixed=lambda env: {
            "kind": "individual",
            "post_id": "",
            "holder_ids": [str(h) for h in env.last.holder_ids],
            "version_id": str(env.last.version_id),
        },
    ),
    "ratings.post_step": Case(
        "secretary", lambda env: {"post_id": env.model_post().id, "verb": "approve"}
    ),
    "ratings.post_close": Case(
        "secretary",
        lambda env: {"post_id": env.model_post().id, "verb": "reject"},
        form=RatingTextForm,
    ),
    "ratings.add_objection": Case(
        "secretary",
        lambda env: {"post_id": env.model_post("announced").id},
        form=ObjectionForm,
    ),
    "ratings.resolve_objection": Case(
        "secretary",
        lambda env: {"objection_id": env.objection()},
        form=RatingTextForm,
    ),
    "ratings.add_service": Case(
        "secretary", lambda env: {"post_id": env.rw.posts[0].id}, form=ServiceForm
    ),
    "ratings.retire_service": Case(
        "secretary",
        lambda env: {"entry_id": env.service_entry()},
    ),
    "ratings.file_appeal": Case(
        "model_holder",
        lambda env: {"post_id": env.rw.posts[0].id},
        form=RatingTextForm,
        fixed=lambda env: {"round_id": str(env.closed_round.id)},
    ),
    "ratings.answer_appeal": Case(
        "secretary", lambda env: {"appeal_id": env.appeal()}, form=RatingTextForm
    ),
    "ratings.criteria_defaults": Case("secretary"),
    "ratings.criterion_set_form": Case(
        "admin",
        form=CriterionSetForm,
        fixed=lambda env: {"weight-0": "100", "scale_min-0": "1", "scale_max-0": "10"},
        text=("name-0", "description-0"),
    ),
    "ratings.new_round": Case(
        "secretary",
        form=RoundForm,
        fixed=lambda env: {
            "criterion_set_id": str(env.rw.five.id),
            "leader_weight": "40",
            "peer_weight": "30",
            "public_weight": "30",
            "opens_on": env.w.today.isoformat(),
            "closes_on": (env.w.today + timedelta(days=10)).isoformat(),
            "post_ids": [str(p.id) for p in env.rw.posts],
        },
    ),
    "ratings.edit_round": Case(
        "secretary",
        lambda env: {"round_id": env.round(open_=False).id},
        form=RoundForm,
        fixed=lambda env: {
            "criterion_set_id": str(env.rw.five.id),
            "leader_weight": "50",
            "peer_weight": "50",
            "public_weight": "0",
            "opens_on": env.w.today.isoformat(),
            "closes_on": (env.w.today + timedelta(days=10)).isoformat(),
            "post_ids": [str(p.id) for p in env.rw.posts],
            "version_id": str(env.last.version_id),
        },
    ),
    "ratings.round_step": Case(
        "secretary", lambda env: {"round_id": env.round().id, "verb": "close"}
    ),
    "ratings.add_raters": Case(
        "secretary",
        lambda env: {"round_id": env.draft_round.id},
        fixed=lambda env: {"group": "leader", "member_id": ""},
        text=("member",),
    ),
    "ratings.remove_rater": Case(
        "secretary", lambda env: {"rater_id": env.draft_round.raters[0].id}
    ),
    "ratings.rate": Case(
        "rater",
        lambda env: {"round_id": env.round().id, "post_id": env.rw.posts[0].id},
        form=ScoreForm,
        fixed=_scores,
        no_text=("website",),
    ),
    "ratings.moderate": Case(
        "secretary",
        lambda env: {"sheet_id": env.public_sheet()},
        fixed=lambda env: {"decision": "approve"},
        text=("back",),
    ),
    "public.rate_model_post": Case(
        "anonymous",
        lambda env: {
            "plaque_no": (lambda p: env.round(posts=[p]) and p.plaque_no)(
                env.keep(
                    env.rw.designated(
                        env.rw.make_member(branch=env.w.org.a, name=f"公开{next(env.serial)}"),
                        f"公开示范岗{next(env.serial)}",
                    )
                )
            )
        },
        form=ScoreForm,
        fixed=_scores,
        no_text=("website",),
    ),
    # reports
    "reports.index": Case(
        "secretary",
        form=ExportForm,
        fixed=lambda env: {"kind": "commitment_ledger"},
        text=("branch", "member", "batch"),
    ),
    "reports.request_pdf": Case("secretary", lambda env: {"export_id": _export(env)}),
}


def _export(env: Env) -> int:
    """A finished-looking Word export of branch A (the PDF request is refused or queued,
    never a 500)."""
    from partybuild.reports.models import Export

    export = Export(
        kind="commitments", title="台账", filename="台账.docx", branch_id=env.w.org.a.id,
        status="pending",
    )  # fmt: skip
    db.session.add(export)
    db.session.commit()
    return export.id


TEXT_FIELDS = (StringField,)  # TextAreaField, PasswordField and HiddenField are StringFields


def _form_data(app: Any, env: Env, case: Case, payload: str) -> dict[str, Any]:
    """Valid values for every field of ``case.form`` and ``payload`` in each text field."""
    data: dict[str, Any] = {}
    if case.form is not None:
        with app.test_request_context():
            form = case.form(formdata=None, prefix=case.prefix)
        for f in form:
            if f.short_name == "csrf_token":
                continue
            if isinstance(f, HiddenField):
                continue  # only version_id: given by ``fixed`` where the form has one
            if isinstance(f, SelectField | RadioField):
                choices = [c[0] for c in (f.choices or [])]
                data[f.name] = str(choices[0]) if choices else ""
            elif isinstance(f, DateField):
                data[f.name] = env.w.today.isoformat()
            elif isinstance(f, IntegerField):
                data[f.name] = "50"
            elif isinstance(f, BooleanField):
                data[f.name] = "y"
            elif isinstance(f, TEXT_FIELDS) and f.short_name not in case.no_text:
                assert isinstance(f, StringField | TextAreaField | PasswordField)
                data[f.name] = payload
    for name, value in case.fixed(env).items():
        data[f"{case.prefix}-{name}" if case.prefix else name] = value
    for name in case.text:
        data[name] = payload
    if case.text_for is not None:
        data.update(dict.fromkeys(case.text_for(env), payload))
    if case.files is not None:
        data.update(case.files(env, payload))
    return data


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)

    def check(self, what: str, resp: Any, payload_name: str) -> None:
        if resp.status_code >= 500:
            self.problems.append(f"{what} [{payload_name}]: {resp.status_code}")
            return
        if not resp.mimetype.startswith("text/html"):
            return
        body = resp.get_data(as_text=True)
        for raw in RAW_PAYLOADS:
            if raw in body:
                self.problems.append(f"{what} [{payload_name}]: unescaped {raw!r}")
        for ch, label in (("\x00", "NUL"), ("\u202e", "RTL override")):
            if ch in body:
                self.problems.append(f"{what} [{payload_name}]: {label} in the page")


def _make_env(w: Any, client: Any, auth: Any, make_user: Any, make_member: Any) -> Env:
    ensure_default_templates()
    day = w.today
    joined_on = date(day.year - 10, day.month, 28 if (day.month, day.day) == (2, 29) else day.day)
    celebrant = Member(
        branch_id=w.org.a.id,
        name="王周年",
        gender="female",
        birth_on=date(1980, 1, 1),
        joined_on=joined_on,
        full_member_on=joined_on + timedelta(days=366),
        status="full",
        phone="13700000000",
    )
    db.session.add(celebrant)
    db.session.commit()
    jobs.run_job(
        "greetings",
        datetime.combine(day, time(8), LOCAL_TZ),
        day=day,
        trigger=jobs.Trigger.manual,
    )
    db.session.commit()
    greeting = db.session.scalar(sa.select(Greeting).where(Greeting.member_id == celebrant.id))
    assert greeting is not None
    template = db.session.scalar(sa.select(GreetingTemplate).order_by(GreetingTemplate.id))
    env = Env(
        w=w,
        client=client,
        auth=auth,
        greeting=greeting,
        template=template,
        spare_user=make_user("member", branch=w.org.a),
        department=db.session.scalar(sa.select(Department)),
        mw=MeetingWorld(w.org, make_user, make_member),
        iw=IntegrityWorld(w.org, make_user, make_member),
        rw=RatingWorld(w.org, make_user, make_member),
    )
    # Users the other domains' routes need, under role keys the rows name.
    w.users["post_holder"] = env.iw.users["owner"]  # holds a post with risk points
    w.users["model_holder"] = env.rw.holder_users[0]  # holds rw.posts[0]
    w.users["rater"] = env.rw.peer_users[0]  # a peer rater of every rw.round()
    env.point = env.risk_point()
    env.task = env.key_task()
    env.closed_round = env.round()
    rating_service.close_round(env.closed_round, env.rw.secretary)
    env.draft_round = env.round(open_=False)
    db.session.commit()
    return env


def _login(env: Env, role: str) -> Any:
    env.auth.logout()
    if role == "anonymous":
        return None
    user = env.w.users[role]
    env.auth.login(user)
    return user


def _post(app: Any, env: Env, findings: Findings, endpoint: str, case: Case, payload_name: str):
    payload = CORPUS[payload_name]
    user = _login(env, case.role)
    rule = access_rule(app, endpoint)
    assert allows(rule, user), f"{case.role} may not use {endpoint}"
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **case.url(env))
    data = _form_data(app, env, case, payload)
    if case.files is None:
        resp = env.client.post(url, data=data)
    else:
        # Encoded here: the test client would spool a body this large to a temporary
        # file that it never closes (a ResourceWarning, an error under our filters).
        boundary, body = encode_multipart(MultiDict(data))
        resp = env.client.post(
            url, data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )
    findings.check(f"POST {endpoint}", resp, payload_name)
    if resp.status_code in (301, 302, 303) and payload_name in ("script", "svg", "rtl", "nul"):
        if case.role != "anonymous" and endpoint != "auth.logout":
            _login(env, case.role)
        findings.check(f"GET after {endpoint}", env.client.get(resp.location), payload_name)
    db.session.rollback()
    db.session.expire_all()


def _walk_settings(app: Any, env: Env, findings: Findings, payload_name: str) -> None:
    payload = CORPUS[payload_name]
    _login(env, "admin")
    for s in settings.REGISTRY.values():
        if not s.editable:
            continue
        with app.test_request_context():
            fields = s.type.form_fields(settings.setting(s.key))
        data = dict.fromkeys(fields or {"value": ""}, payload)
        resp = env.client.post(f"/admin/settings/{s.key}", data=data)
        findings.check(f"POST core.edit_setting {s.key}", resp, payload_name)
        db.session.rollback()


def _scan_pages(env: Env, findings: Findings) -> None:
    pages = {
        "admin": [
            "/org/members",
            "/org/members?active=0",
            "/org/structure",
            "/auth/users",
            "/auth/accounts/roster",
            "/audit",
            "/greetings/templates",
            "/admin/settings",
            "/commitments/overview",
            "/commitments/batches",
            "/notifications",
        ],
        "secretary": [
            "/commitments/review",
            "/commitments/moderation?state=pending",
            "/commitments/moderation?state=approved",
            f"/commitments/batches/{env.w.batch.id}/proxy",
            "/commitments/batches",
            "/greetings/",
            "/reports/",
            "/notifications",
        ],
        "owner": ["/commitments/mine", "/notifications"],
        "reviewer": ["/commitments/overview", "/org/members"],
    }
    domain_pages = [
        "/meetings/",
        "/meetings/tasks",
        "/meetings/calendar",
        "/integrity/",
        "/integrity/rectifications",
        "/integrity/reminders",
        "/integrity/heatmap",
        "/ratings/",
        "/ratings/rounds",
        "/ratings/criteria",
        "/ratings/moderation?state=pending",
        "/ratings/moderation?state=approved",
    ]
    pages["admin"] += domain_pages
    pages["secretary"] += domain_pages
    pages["reviewer"] += ["/meetings/tasks", "/integrity/", "/ratings/rounds"]
    pages["post_holder"] = ["/integrity/mine"]
    pages["model_holder"] = ["/ratings/", "/meetings/mine"]
    for role, urls in pages.items():
        _login(env, role)
        for url in urls:
            findings.check(f"GET {url}", env.client.get(url), "after the walk")
    _login(env, "admin")
    ids = db.session.scalars(sa.select(Commitment.id)).all()
    for cid in ids:
        findings.check(f"GET commitment {cid}", env.client.get(f"/commitments/{cid}"), "after")
    # The newest records of the other domains: those the hostile posts created.
    for model, url in [
        (Meeting, "/meetings/{}"),
        (KeyTask, "/meetings/tasks/{}"),
        (RiskPoint, "/integrity/points/{}"),
        (Rectification, "/integrity/rectifications/{}"),
        (Reminder, "/integrity/reminders/{}"),
        (ModelPost, "/ratings/posts/{}"),
        (RatingRound, "/ratings/rounds/{}"),
    ]:
        for oid in db.session.scalars(sa.select(model.id).order_by(model.id.desc()).limit(30)):
            findings.check(f"GET {url.format(oid)}", env.client.get(url.format(oid)), "after")
    plaques = db.session.scalars(
        sa.select(ModelPost.plaque_no).where(ModelPost.plaque_no.is_not(None))
    ).all()
    env.auth.logout()
    for url in (
        ["/public/A", "/public/B"]
        + [f"/public/A/c/{cid}" for cid in ids]
        + [f"/public/p/{p}" for p in plaques]
    ):
        resp = env.client.get(url)
        findings.check(f"GET {url}", resp, "after the walk")


def _open_exports(env: Env, findings: Findings) -> None:
    for role, url in [
        ("secretary", "/commitments/export.xlsx"),
        ("reviewer", "/commitments/export.xlsx"),
        ("admin", "/org/members/export.xlsx"),
        ("secretary", "/org/members/export.xlsx"),
        ("secretary", "/meetings/tasks/export.xlsx"),
        ("reviewer", "/meetings/tasks/export.xlsx"),
        ("secretary", "/integrity/export.xlsx"),
        ("reviewer", "/integrity/export.xlsx"),
        *(
            ("secretary", f"/ratings/rounds/{rid}/export.xlsx")
            for rid in db.session.scalars(
                sa.select(RatingRound.id).order_by(RatingRound.id.desc()).limit(20)
            )
        ),
    ]:
        _login(env, role)
        resp = env.client.get(url)
        if resp.status_code != 200:
            findings.problems.append(f"{role} {url}: {resp.status_code}")
            continue
        openpyxl.load_workbook(io.BytesIO(resp.data))
    year = str(env.w.today.year)
    opened: list[str] = []
    # Minutes are one meeting's: every recorded meeting the walk wrote into.
    recorded = db.session.scalars(
        sa.select(Meeting.id)
        .where(Meeting.state.in_([MeetingState.held, MeetingState.approved]))
        .order_by(Meeting.id.desc())
        .limit(40)
    ).all()
    assert recorded
    for kind in registry.kinds():
        if kind.meeting_branch is not None:
            for mid in recorded:
                params = registry.resolve(kind, {"meeting": str(mid)})
                built = kind.build(params, registry.no_progress)
                docx.Document(io.BytesIO(built.document.to_bytes()))
            opened.append(kind.key)
            continue
        data: dict[str, Any] = {"branch": "A"}
        if kind.period != "none":
            data["period"] = year
        if kind.member:
            data = {"member": str(env.w.owner_member.id)}
            if kind.period != "none":
                data["period"] = year
        try:
            params = registry.resolve(kind, data)
        except ValidationFailed as exc:
            # Kinds about one object this walk does not create (a meeting, a rating round).
            assert set(exc.errors) - {"branch", "period", "member", "batch"}, exc.errors
            continue
        opened.append(kind.key)
        _open_built(kind, params)
        if kind.all_branches:
            params = registry.resolve(kind, {**data, "branch": registry.ALL_BRANCHES})
            _open_built(kind, params)
    assert {"commitments", "letter", "roster", "minutes", "tasks", "risks", "ratings"} <= set(
        opened
    ), opened


def _open_built(kind: Any, params: Any) -> None:
    """Open a built document; a .zip kind (the inspection pack) is opened file by file."""
    data = kind.build(params, registry.no_progress).document.to_bytes()
    if kind.suffix != ".zip":
        docx.Document(io.BytesIO(data))
        return
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith(".docx"):
                docx.Document(io.BytesIO(archive.read(name)))


def test_every_post_route_is_walked(app):
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or ())}
    assert posts - set(CASES) == set(), "add the new POST routes to CASES"
    assert set(CASES) - posts == set(), "CASES names routes that no longer exist"


@pytest.fixture
def env(world, client, auth, make_user, make_member):  # noqa: F811 - the shared fixture above
    return _make_env(world, client, auth, make_user, make_member)


def test_hostile_input_walk(app, env):
    findings = Findings()
    first = next(iter(CORPUS))
    takes_text = {endpoint: case.takes_text(app) for endpoint, case in CASES.items()}
    for payload_name in CORPUS:
        for endpoint, case in CASES.items():
            if endpoint == "core.edit_setting":
                continue
            if payload_name != first and not takes_text[endpoint]:
                continue  # no text field: the payload cannot reach it
            _post(app, env, findings, endpoint, case, payload_name)
    # Settings last: a hostile value accepted there would change the walk itself.
    for payload_name in CORPUS:
        _walk_settings(app, env, findings, payload_name)
    _scan_pages(env, findings)
    _open_exports(env, findings)
    assert findings.problems == [], "\n".join(findings.problems)
    # The walk did reach storage: hostile text was saved, normalised.
    stored = db.session.scalars(sa.select(Member.name)).all()
    assert "张三" in stored
    assert not any("\x00" in n or "\u202e" in n for n in stored)


# --- issue 9, finding 11: every edit form refuses a POST without its version ------------------


def _form_classes_with_a_version() -> set[type]:
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import partybuild

    for info in pkgutil.walk_packages(partybuild.__path__, "partybuild."):
        if info.name.endswith(".forms"):
            importlib.import_module(info.name)

    def subclasses(cls: type):  # noqa: ANN202
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {
        c
        for c in subclasses(FlaskForm)
        if c.__module__.startswith("partybuild.") and "version_id" in dir(c)
    }


def test_every_edit_route_refuses_a_post_without_its_version(app, env):
    """Each edit route (a CASES row whose form has a version), posted with valid data but
    no version_id: 409, the conflict message, the typed text kept on the page."""
    versioned = _form_classes_with_a_version()
    typed = "改后的文字"
    problems, edits = [], set()
    for endpoint, case in CASES.items():
        if case.form not in versioned:
            continue
        _login(env, case.role)
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint, **case.url(env))
        data = _form_data(app, env, case, typed)
        key = f"{case.prefix}-version_id" if case.prefix else "version_id"
        if key not in data:
            continue  # a create route sharing the edit form: nothing to overwrite
        edits.add(endpoint)
        del data[key]
        resp = env.client.post(url, data=data)
        body = resp.get_data(as_text=True)
        if resp.status_code != 409 or "已被他人修改" not in body or typed not in body:
            problems.append(f"{endpoint}: {resp.status_code}")
        db.session.rollback()
        db.session.expire_all()
    assert problems == [], problems
    covered = {CASES[e].form for e in edits}
    assert versioned - covered == set(), "an edit form with no CASES row posting its version"
    assert len(edits) >= 10, sorted(edits)
