"""Big exports are queued for the scheduler process; the page polls a small JSON status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from partybuild.core import background, jobs
from partybuild.extensions import db
from partybuild.reports import service
from partybuild.reports.models import Export, ExportStatus
from tests.reports.docx_checks import open_docx, table_data

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


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


def _queue_ledger(client, auth, ledger: SimpleNamespace) -> int:
    auth.login(ledger.users.reviewer)
    resp = client.post(
        "/reports/",
        data={"kind": "commitments", "branch": "all", "period": "2026", "member": "", "batch": ""},
    )
    assert resp.status_code == 302
    return db.session.scalar(sa.select(Export.id).order_by(Export.id.desc()).limit(1))


def test_queued_export_says_the_background_process_is_not_running(
    client, auth, ledger: SimpleNamespace
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        export_id = _queue_ledger(client, auth, ledger)
        html = client.get(f"/reports/exports/{export_id}").get_data(as_text=True)
        assert 'data-testid="scheduler-notice"' in html
        assert "后台任务进程当前没有运行" in html and "flask --app wsgi jobs run" in html
        # Waiting for the scheduler is not a failure, however long it takes.
        clock.shift(timedelta(hours=3))
        html = client.get(f"/reports/exports/{export_id}").get_data(as_text=True)
        assert "后台任务进程当前没有运行" in html and "生成失败" not in html
        assert client.get(f"/reports/exports/{export_id}/status").get_json()["status"] == "pending"
        # Once a scheduler beats, the page just waits for it.
        jobs.beat()
        html = client.get(f"/reports/exports/{export_id}").get_data(as_text=True)
        assert "后台任务进程当前没有运行" not in html and "排队中" in html


def test_export_picked_up_by_work_once_finishes_and_downloads(
    client, auth, runner, ledger: SimpleNamespace
) -> None:
    export_id = _queue_ledger(client, auth, ledger)
    result = runner.invoke(args=["jobs", "work-once"])
    assert result.exit_code == 0 and "已处理后台任务 1 个" in result.output
    html = client.get(f"/reports/exports/{export_id}").get_data(as_text=True)
    assert "文档已生成，共 8 行" in html and "后台任务进程当前没有运行" not in html
    resp = client.get(f"/reports/exports/{export_id}/download")
    assert resp.status_code == 200
    assert len(table_data(open_docx(resp.get_data()).tables[-1])) == 8


def test_killed_export_is_marked_failed_by_the_poller(
    app, client, auth, ledger: SimpleNamespace
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        export_id = _queue_ledger(client, auth, ledger)
        # A worker claims it and starts, then its process is killed (no more beats).
        assert background.claim_next("killed-host:99") is not None
        service.mark_running(db.session.get(Export, export_id))
        db.session.commit()
        clock.shift(timedelta(seconds=30))
        html = client.get(f"/reports/exports/{export_id}").get_data(as_text=True)
        assert "生成中" in html and "生成失败" not in html
        clock.shift(timedelta(seconds=90))
        jobs.tick(app, {"id": None})  # the surviving (or restarted) scheduler's poll
        db.session.expire_all()
        export = db.session.get(Export, export_id)
        assert export.status == ExportStatus.failed
        html = client.get(f"/reports/exports/{export_id}").get_data(as_text=True)
        assert "生成失败：后台进程意外中断，请重新生成" in html
        assert client.get(f"/reports/exports/{export_id}/status").get_json()["error"] == (
            "后台进程意外中断，请重新生成"
        )


def test_killed_export_is_marked_failed_by_its_page_when_no_poller_is_left(
    client, auth, ledger: SimpleNamespace
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        export_id = _queue_ledger(client, auth, ledger)
        assert background.claim_next("killed-host:99") is not None
        service.mark_running(db.session.get(Export, export_id))
        db.session.commit()
        clock.shift(timedelta(minutes=2))
        status = client.get(f"/reports/exports/{export_id}/status").get_json()
        assert status["status"] == "failed"
        assert status["error"] == "后台进程意外中断，请重新生成"
