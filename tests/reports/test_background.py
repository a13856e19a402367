"""Big exports are queued for the scheduler process; the page polls a small JSON status."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from partybuild.core import background
from partybuild.extensions import db
from partybuild.reports import service
from partybuild.reports.models import Export, ExportStatus
from tests.reports.docx_checks import open_docx, table_data


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {"REPORTS_INLINE_MAX_ROWS": 0}  # every export goes to the background


def test_large_export_runs_in_the_background_and_reports_progress(
    client, auth, ledger: SimpleNamespace
) -> None:
    auth.login(ledger.users.reviewer)
    resp = client.post(
        "/reports/",
        data={"kind": "commitments", "branch": "all", "period": "2026", "member": "", "batch": ""},
    )
    assert resp.status_code == 302
    export_id = db.session.scalar(sa.select(Export.id))
    # The request returned before (or while) the document was written.
    page = client.get(f"/reports/exports/{export_id}", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "文档较大，正在后台生成" in html
    assert f"/reports/exports/{export_id}/status" in html

    assert background.work_once() == 1  # what the scheduler process does every few seconds
    status = client.get(f"/reports/exports/{export_id}/status").get_json()
    assert status["status"] == "done" and status["progress"] == 100
    assert status["row_count"] == 8
    assert status["download_url"] == f"/reports/exports/{export_id}/download"

    db.session.expire_all()
    export = db.session.get(Export, export_id)
    assert export.status == ExportStatus.done and export.started_at and export.finished_at
    document = open_docx(client.get(status["download_url"]).get_data())
    assert len(table_data(document.tables[-1])) == 8


def test_status_json_while_pending(client, auth, ledger: SimpleNamespace) -> None:
    export = service.request_export("roster", {"branch": "A"}, ledger.users.secretary)
    db.session.commit()
    auth.login(ledger.users.secretary)
    status = client.get(f"/reports/exports/{export.id}/status").get_json()
    assert status == {
        "id": export.id,
        "status": "pending",
        "status_label": "排队中",
        "progress": 0,
        "row_count": None,
        "error": None,
        "download_url": None,
    }
    html = client.get(f"/reports/exports/{export.id}").get_data(as_text=True)
    assert 'role="progressbar"' in html and "排队中" in html
