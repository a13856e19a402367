"""迎检材料包: every document of a branch (or every branch) and a period in one .zip,
with a 目录 and a signed manifest.

The pack holds the 党建工作情况报告, the commitment ledger, the minutes of every meeting
held in the period, the key-task list, the risk ledger, the rating results and the
roster (a document with no rows for the period is left out and named in the 目录),
then ``目录.docx`` and ``manifest.json``. The manifest lists each file's SHA-256 and
size, the audit chain's head at the time of export, and is signed with the audit key
(HMAC-SHA256 over its canonical JSON, as ``core.audit`` signs the chain, with the key's
public id), so ``verify_pack`` can later say which file was changed, removed or added
and whether the manifest itself is the one the system wrote.

The pack is an ordinary export kind (``documents/inspection_pack.py``): recorded in the
export history and the audit trail, and queued for the scheduler process when large.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from partybuild.core import audit
from partybuild.core.db import utcnow
from partybuild.core.timeutil import to_local
from partybuild.extensions import db
from partybuild.meetings import cadence
from partybuild.meetings.models import Meeting, MeetingState
from partybuild.org.models import Branch
from partybuild.reports import registry
from partybuild.reports.document import OfficialDocument, cn_date
from partybuild.reports.registry import ReportParams

logger = logging.getLogger(__name__)

FORMAT = "partybuild-pack/1"
MANIFEST = "manifest.json"
INDEX = "00_目录.docx"
# Kinds for the whole scope (every branch at once when the pack is for all), then
# kinds built per branch, in the order of the 目录.
SCOPE_KINDS = ("summary", "commitments")
BRANCH_KINDS = ("tasks", "risks", "ratings", "roster")
ALL_BRANCH_KINDS = ("risks",)  # for an all-branch pack, once for all instead of per branch
MINUTES = "minutes"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip(" ._")[:100] or "文档"


# --------------------------------------------------------------------------- signing


def canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign(body: dict[str, Any], key: bytes) -> str:
    """HMAC-SHA256 of the manifest without its signature."""
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    return hmac.new(key, b"partybuild-pack|" + canonical(unsigned), hashlib.sha256).hexdigest()


def audit_head() -> dict[str, Any]:
    """The audit chain's head as it stands: length, last entry, its hash and the head's
    own signature (so the pack can be laid beside the chain later)."""
    head = audit.read_head()
    if head is None:
        return {
            "entries": 0,
            "last_id": None,
            "last_hash": audit.GENESIS,
            "key_id": None,
            "mac": None,
        }
    return {
        "entries": head.entries,
        "last_id": head.last_id,
        "last_hash": head.last_hash,
        "key_id": head.key_id,
        "mac": head.mac,
    }


# --------------------------------------------------------------------------- contents


@dataclass
class Part:
    """One document to put in the pack."""

    path: str
    kind: registry.ReportKind
    params: ReportParams
    title: str


@dataclass
class Omitted:
    title: str
    reason: str


def held_meetings(params: ReportParams) -> sa.Select:
    period = params.period
    assert period is not None
    start, end = cadence.local_bounds(period.start, period.end)
    stmt = sa.select(Meeting).where(
        Meeting.starts_at >= start,
        Meeting.starts_at < end,
        Meeting.state.in_((MeetingState.held, MeetingState.approved)),
    )
    if params.branch_ids is not None:
        stmt = stmt.where(Meeting.branch_id.in_(params.branch_ids))
    return stmt


def _branches(params: ReportParams) -> list[Branch]:
    if params.branch is not None:
        return [params.branch]
    return list(
        db.session.scalars(
            sa.select(Branch).where(Branch.is_active.is_(True)).order_by(Branch.code)
        )
    )


def plan(params: ReportParams) -> tuple[list[Part], list[Omitted]]:
    """The documents of the pack in 目录 order, and those left out with the reason."""
    parts: list[Part] = []
    omitted: list[Omitted] = []

    def add(folder: str, number: int, key: str, p: ReportParams) -> None:
        kind = registry.get(key)
        name = kind.title(p)
        if kind.key != "summary" and kind.count_rows(p) == 0:
            omitted.append(Omitted(name, "本期无数据"))
            return
        problems = kind.validate(p) if kind.validate is not None else {}
        if problems:
            omitted.append(Omitted(name, "；".join(problems.values())))
            return
        parts.append(Part(f"{folder}{number:02d}_{_safe(name)}.docx", kind, p, name))

    def scoped(branch: Branch | None, **kw: Any) -> ReportParams:
        return ReportParams(
            organization=params.organization,
            branch=branch,
            period=kw.get("period", params.period),
            meeting_id=kw.get("meeting_id"),
            today=params.today,
        )

    number = 1
    keys = SCOPE_KINDS + (ALL_BRANCH_KINDS if params.branch is None else ())
    for key in keys:
        add("", number, key, scoped(params.branch))
        number += 1
    meetings = db.session.scalars(
        held_meetings(params).order_by(Meeting.branch_id, Meeting.starts_at, Meeting.id)
    ).all()
    by_branch: dict[int, list[Meeting]] = {}
    for m in meetings:
        by_branch.setdefault(m.branch_id, []).append(m)
    for branch in _branches(params):
        folder = "" if params.branch is not None else f"{_safe(branch.code)}_{_safe(branch.name)}/"
        n = number if params.branch is not None else 1
        for key in BRANCH_KINDS:
            if params.branch is None and key in ALL_BRANCH_KINDS:
                continue
            add(folder, n, key, scoped(branch))
            n += 1
        for k, m in enumerate(by_branch.get(branch.id, []), start=1):
            day = to_local(m.starts_at)
            kind = registry.get(MINUTES)
            p = scoped(branch, period=None, meeting_id=m.id)
            name = kind.title(p)
            path = f"{folder}{n:02d}_会议记录/{k:03d}_{day:%Y-%m-%d}_{_safe(m.title)}.docx"
            parts.append(Part(path, kind, p, name))
    return parts, omitted


# Standing registers: present in every period, so they alone do not make a pack.
STANDING = ("roster", "risks")


def count_rows(params: ReportParams, *, activity_only: bool = False) -> int:
    """Rows of the pack's largest documents (decides inline or background); an
    all-branch pack is estimated from its all-branch documents and meetings.
    ``activity_only``: leave out the standing registers (is there a period to report?)."""
    keys = list(SCOPE_KINDS + ALL_BRANCH_KINDS)
    if params.branch is not None:
        keys += [k for k in BRANCH_KINDS if k not in ALL_BRANCH_KINDS]
    total = sum(
        registry.get(key).count_rows(params)
        for key in keys
        if not (activity_only and key in STANDING)
    )
    meetings = held_meetings(params).with_only_columns(sa.func.count(Meeting.id))
    return total + (db.session.scalar(meetings) or 0)


# --------------------------------------------------------------------------- the archive


class _Hashing(io.RawIOBase):
    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.sha = out, hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.sha.update(data)
        self.out.write(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size


@dataclass
class PackArchive:
    """What the pack kind's builder returns in place of a document: ``save`` writes the
    .zip and returns its SHA-256, like ``OfficialDocument.save``."""

    params: ReportParams
    title: str
    progress: Callable[[int, int], None]
    files: list[dict[str, Any]] = field(default_factory=list)
    omitted: list[Omitted] = field(default_factory=list)
    # The export's BuiltReport: its row count (files in the pack) is known after saving.
    report: Any = None

    def save(self, target: IO[bytes]) -> str:
        parts, self.omitted = plan(self.params)
        hashed = _Hashing(target)
        with zipfile.ZipFile(hashed, "w", zipfile.ZIP_DEFLATED) as archive:
            for done, part in enumerate(parts, start=1):
                built = part.kind.build(part.params, registry.no_progress)
                self._add(
                    archive, part.path, built.document, part.kind.key, part.title, built.row_count
                )
                self.progress(done, len(parts) + 1)
            index = index_document(self.params, self.title, self.files, self.omitted)
            self._add(archive, INDEX, index, "index", "迎检材料目录", len(self.files))
            manifest = self.manifest()
            archive.writestr(_entry(MANIFEST), json.dumps(manifest, ensure_ascii=False, indent=2))
        if self.report is not None:
            self.report.row_count = len(self.files)
        return hashed.sha.hexdigest()

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.save(buf)
        return buf.getvalue()

    def _add(
        self,
        archive: zipfile.ZipFile,
        path: str,
        document: OfficialDocument,
        kind: str,
        title: str,
        rows: int,
    ) -> None:
        with tempfile.TemporaryFile() as scratch:
            digest = document.save(scratch)
            size = scratch.tell()
            scratch.seek(0)
            with archive.open(_entry(path), "w") as member:
                shutil.copyfileobj(scratch, member, 1 << 20)
        self.files.append(
            {
                "path": path,
                "sha256": digest,
                "size": size,
                "kind": kind,
                "title": title,
                "rows": rows,
            }
        )

    def manifest(self) -> dict[str, Any]:
        ring = audit.keyring()
        p = self.params
        assert p.period is not None
        body: dict[str, Any] = {
            "format": FORMAT,
            "title": self.title,
            "scope": {
                "branch": p.branch.code if p.branch is not None else registry.ALL_BRANCHES,
                "name": p.scope_name,
            },
            "period": {
                "code": p.period.code,
                "label": p.period.label,
                "start": p.period.start.isoformat(),
                "end": p.period.end.isoformat(),
                "as_of": min(p.today, p.period.end).isoformat(),
            },
            "generated_at": utcnow().isoformat(timespec="seconds"),
            "files": self.files,
            "omitted": [{"title": o.title, "reason": o.reason} for o in self.omitted],
            "audit_head": audit_head(),
            "key_id": ring.current_id,
        }
        body["signature"] = sign(body, ring.current)
        return body


def _entry(path: str) -> zipfile.ZipInfo:
    now = to_local(utcnow())
    info = zipfile.ZipInfo(path, date_time=now.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def index_document(
    params: ReportParams, title: str, files: list[dict[str, Any]], omitted: list[Omitted]
) -> OfficialDocument:
    """目录: every file of the pack with its SHA-256, what was left out, how to verify."""
    assert params.period is not None
    doc = OfficialDocument(f"{params.scope_name}迎检材料目录", issuer=params.issuer)
    doc.paragraph(f"（{params.period.label}）", indent=False, align="center")
    day = min(params.today, params.period.end)
    doc.paragraph(
        f"本材料包收录{params.scope_name}{params.period.label}迎检材料{len(files)}份，"
        f"各项数字均截至{cn_date(day)}。每份材料的SHA-256摘要列于下表和manifest.json，"
        "manifest.json同时记载导出时审计链的链头，并以系统审计密钥签名。"
    )
    rows = [(n, f["title"], f["path"], f["sha256"][:16]) for n, f in enumerate(files, start=1)]
    # The full digests are in manifest.json; 16 hex digits identify a file at a glance.
    doc.table(
        [("序号", 10), ("材料名称", 58), ("文件", 50), ("SHA-256（前16位）", 38)],
        rows,
        font_size_pt=9,
    )
    if omitted:
        doc.paragraph("下列材料本期无可导出的内容，未收入材料包：")
        for n, o in enumerate(omitted, start=1):
            doc.paragraph(f"{n}. {o.title}（{o.reason}）")
    doc.paragraph(
        "核验方法：在系统服务器上执行 flask --app wsgi reports verify-pack 材料包文件名，"
        "系统逐一核对文件摘要和签名，并指出被改动、缺少或多出的文件。"
    )
    doc.signature(None, params.today)
    return doc


# --------------------------------------------------------------------------- verify


@dataclass
class PackCheck:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    signature_ok: bool = False
    problems: list[str] = field(default_factory=list)  # the manifest itself
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.signature_ok and not (
            self.changed or self.missing or self.added or self.problems
        )

    def lines(self) -> list[str]:
        out = list(self.problems)
        out += [f"文件被改动：{p}" for p in self.changed]
        out += [f"文件缺失：{p}" for p in self.missing]
        out += [f"多出文件：{p}" for p in self.added]
        if self.manifest is not None and not self.signature_ok and not self.problems:
            out.append("清单签名不符：manifest.json 不是本系统签发的，或已被改动")
        return out


def _file_digest(archive: zipfile.ZipFile, name: str) -> str:
    sha = hashlib.sha256()
    with archive.open(name) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def verify_pack(path: str | Path) -> PackCheck:
    """Check a pack against its manifest and the manifest against the audit keyring."""
    check = PackCheck()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):
        check.problems.append("不是有效的材料包（无法作为 .zip 打开）")
        return check
    with archive:
        names = {i.filename for i in archive.infolist() if not i.is_dir()}
        if MANIFEST not in names:
            check.problems.append("材料包中没有 manifest.json")
            return check
        try:
            manifest = json.loads(archive.read(MANIFEST))
            files = {f["path"]: f["sha256"] for f in manifest["files"]}
        except (ValueError, KeyError, TypeError):
            check.problems.append("manifest.json 格式不正确")
            return check
        check.manifest = manifest
        ring = audit.keyring()
        key = ring.keys.get(str(manifest.get("key_id")))
        if key is None:
            check.problems.append(
                f"签名密钥 {manifest.get('key_id')} 不在密钥环中，无法校验签名"
                "（请在 AUDIT_KEYRING 中保留旧密钥）"
            )
        else:
            check.signature_ok = hmac.compare_digest(
                sign(manifest, key), str(manifest.get("signature", ""))
            )
        for name, digest in sorted(files.items()):
            if name not in names:
                check.missing.append(name)
            elif not hmac.compare_digest(_file_digest(archive, name), digest):
                check.changed.append(name)
        check.added = sorted(names - set(files) - {MANIFEST})
    return check


def iter_summary(check: PackCheck) -> Iterator[str]:
    """Lines the command line prints for a pack that checks out."""
    m = check.manifest or {}
    yield f"材料包：{m.get('title', '')}"
    yield f"文件 {len(m.get('files', []))} 个，摘要全部相符；清单签名有效（密钥 {m.get('key_id')}）"
    head = m.get("audit_head") or {}
    yield f"导出时审计链：{head.get('entries')} 条，链头 {str(head.get('last_hash', ''))[:16]}…"
    yield f"导出时间：{_local_text(m.get('generated_at'))}"


def _local_text(value: Any) -> str:
    try:
        return f"{to_local(datetime.fromisoformat(str(value))):%Y-%m-%d %H:%M}"
    except ValueError:
        return str(value)
