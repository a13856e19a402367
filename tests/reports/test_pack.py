"""迎检材料包: one .zip of every document with a 目录 and a signed manifest; verify-pack
says which file was changed, removed or added and whether the signature holds."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from partybuild.core import audit, background
from partybuild.core.audit import AuditEntry
from partybuild.extensions import db
from partybuild.reports import pack
from partybuild.reports.models import Export, ExportStatus
from tests.reports import summary_data
from tests.reports.docx_checks import all_text, assert_official_layout, open_docx


@pytest.fixture
def world(ledger: SimpleNamespace, make_member: Callable) -> SimpleNamespace:
    return summary_data.build(ledger, make_member)


def export_pack(runner, path: Path, branch: str = "A", period: str = "2026Q3"):  # noqa: ANN001, ANN201
    return runner.invoke(
        args=[
            "reports",
            "export",
            "pack",
            "--branch",
            branch,
            "--period",
            period,
            "--output",
            str(path),
        ]
    )


def verify(runner, path: Path):  # noqa: ANN001, ANN201
    return runner.invoke(args=["reports", "verify-pack", str(path)])


@pytest.fixture
def packed(world: SimpleNamespace, runner, tmp_path: Path) -> Path:  # noqa: ANN001
    path = tmp_path / "迎检材料.zip"
    result = export_pack(runner, path)
    assert result.exit_code == 0, result.output
    return path


def rewrite(source: Path, target: Path, change: Callable[[dict[str, bytes]], None]) -> None:
    with zipfile.ZipFile(source) as z:
        files = {i.filename: z.read(i.filename) for i in z.infolist()}
    change(files)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)


def test_pack_holds_every_document_an_index_and_a_signed_manifest(
    world: SimpleNamespace, packed: Path, runner
) -> None:  # noqa: ANN001
    with zipfile.ZipFile(packed) as z:
        names = z.namelist()
        manifest = json.loads(z.read("manifest.json"))
        index = open_docx(z.read(pack.INDEX))
        summary = open_docx(z.read(names[0]))
    assert names[0] == "01_第一党支部2026年第三季度党建工作情况报告.docx"
    assert "02_第一党支部2026年第三季度党员承诺践诺台账.docx" in names
    minutes = [n for n in names if "_会议记录/" in n]
    # The four meetings held in Q3 (the 1 October one is Q4's).
    assert len(minutes) == 4 and any("2026-09-30" in n for n in minutes)
    assert not any("2026-10-01" in n for n in minutes)
    for label in ("重点任务责任清单", "廉政风险防控点台账", "党员示范岗测评结果", "党员名册"):
        assert any(label in n for n in names), label
    assert names[-2:] == [pack.INDEX, "manifest.json"]
    assert_official_layout(summary)
    assert_official_layout(index)
    # The manifest lists every file but itself, with digests that match.
    assert [f["path"] for f in manifest["files"]] == names[:-1]
    with zipfile.ZipFile(packed) as z:
        for f in manifest["files"]:
            assert f["sha256"] == pack._file_digest(z, f["path"])
    ring = audit.keyring()
    assert manifest["key_id"] == ring.current_id
    assert manifest["signature"] == pack.sign(manifest, ring.current)
    head = db.session.get(audit.AuditHead, 1)
    assert manifest["audit_head"]["last_hash"] in {head.last_hash} | {
        e.hash for e in db.session.scalars(sa.select(AuditEntry))
    }
    assert manifest["period"] == {
        "code": "2026Q3", "label": "2026年第三季度", "start": "2026-07-01",
        "end": "2026-09-30", "as_of": "2026-09-30",
    }  # fmt: skip
    text = "\n".join(all_text(index))
    assert "第一党支部迎检材料目录" in text and "verify-pack" in text
    # Recorded in the export history and the audit trail.
    export = db.session.scalars(sa.select(Export)).one()
    assert export.kind == "pack" and export.status == ExportStatus.done
    assert export.filename.endswith(".zip") and export.row_count == len(names) - 1
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "export")
    ).all()
    assert actions == ["export", "export_finished"]
    ok = verify(runner, packed)
    assert ok.exit_code == 0, ok.output
    assert "核验通过" in ok.output and "摘要全部相符" in ok.output


def test_one_changed_byte_is_named(packed: Path, runner, tmp_path: Path) -> None:  # noqa: ANN001
    target = tmp_path / "改.zip"
    name = "02_第一党支部2026年第三季度党员承诺践诺台账.docx"

    def change(files: dict[str, bytes]) -> None:
        data = bytearray(files[name])
        data[len(data) // 2] ^= 0x01
        files[name] = bytes(data)

    rewrite(packed, target, change)
    result = verify(runner, target)
    assert result.exit_code == 1
    assert f"文件被改动：{name}" in result.output
    assert "缺失" not in result.output and "多出" not in result.output


def test_removed_and_added_files_are_named(packed: Path, runner, tmp_path: Path) -> None:  # noqa: ANN001
    removed = tmp_path / "少.zip"
    with zipfile.ZipFile(packed) as z:
        roster = next(n for n in z.namelist() if "党员名册" in n)
    rewrite(packed, removed, lambda files: files.pop(roster))
    result = verify(runner, removed)
    assert result.exit_code == 1 and f"文件缺失：{roster}" in result.output

    added = tmp_path / "多.zip"
    rewrite(packed, added, lambda files: files.update({"补充说明.docx": b"later"}))
    result = verify(runner, added)
    assert result.exit_code == 1 and "多出文件：补充说明.docx" in result.output


def test_a_bad_signature_is_refused(packed: Path, runner, tmp_path: Path) -> None:  # noqa: ANN001
    edited = tmp_path / "签.zip"

    def retitle(files: dict[str, bytes]) -> None:
        manifest = json.loads(files["manifest.json"])
        manifest["title"] = "另一个支部的材料包"
        files["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode()

    rewrite(packed, edited, retitle)
    result = verify(runner, edited)
    assert result.exit_code == 1 and "清单签名不符" in result.output

    # A manifest re-signed with some other key (the digests updated to hide a change).
    forged = tmp_path / "伪.zip"

    def forge(files: dict[str, bytes]) -> None:
        manifest = json.loads(files["manifest.json"])
        name = manifest["files"][0]["path"]
        files[name] = b"forged"
        manifest["files"][0]["sha256"] = pack.hashlib.sha256(b"forged").hexdigest()
        manifest["signature"] = pack.sign(manifest, b"not-the-audit-key")
        files["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode()

    rewrite(packed, forged, forge)
    result = verify(runner, forged)
    assert result.exit_code == 1 and "清单签名不符" in result.output

    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"not a zip")
    result = verify(runner, not_zip)
    assert result.exit_code == 1 and "不是有效的材料包" in result.output


def test_all_branch_pack_has_a_folder_per_branch(
    world: SimpleNamespace, runner, tmp_path: Path
) -> None:  # noqa: ANN001
    path = tmp_path / "all.zip"
    result = export_pack(runner, path, branch="all", period="2026")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert names[0] == "01_测试局机关党委2026年党建工作情况报告.docx"
    assert any(n.startswith("A_第一党支部/") for n in names)
    assert any(n.startswith("B_第二党支部/") for n in names)
    assert verify(runner, path).exit_code == 0


def test_cli_refusals(ledger: SimpleNamespace, runner, tmp_path: Path) -> None:  # noqa: ANN001
    docx = export_pack(runner, tmp_path / "pack.docx")
    assert docx.exit_code != 0 and ".zip" in docx.output
    future = export_pack(runner, tmp_path / "p.zip", period="2031")
    assert future.exit_code != 0 and "尚未开始" in future.output
    empty = export_pack(runner, tmp_path / "p.zip", branch="B", period="2025")
    assert empty.exit_code != 0 and "本期无数据" in empty.output
    missing = verify(runner, tmp_path / "nothing.zip")
    assert missing.exit_code != 0


@pytest.fixture
def app_config(tmp_path: Path) -> dict:
    return {"REPORTS_INLINE_MAX_ROWS": 5}


def test_export_centre_queues_a_large_pack_and_downloads_a_zip(
    world: SimpleNamespace, client, auth, tmp_path: Path
) -> None:  # noqa: ANN001
    auth.login(world.ledger.users.secretary)
    page = client.get("/reports/").get_data(as_text=True)
    assert 'data-testid="pack-form"' in page
    resp = client.post(
        "/reports/",
        data={"kind": "pack", "branch": "A", "period": "2026Q3", "member": "", "batch": ""},
    )
    assert resp.status_code == 302
    export = db.session.scalars(sa.select(Export)).one()
    assert export.status == ExportStatus.pending  # more rows than REPORTS_INLINE_MAX_ROWS
    assert background.work_once() == 1
    db.session.expire_all()
    export = db.session.get(Export, export.id)
    assert export.status == ExportStatus.done, export.error
    download = client.get(f"/reports/exports/{export.id}/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    target = tmp_path / "dl.zip"
    target.write_bytes(download.get_data())
    assert pack.verify_pack(target).ok
