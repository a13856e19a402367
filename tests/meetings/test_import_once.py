"""A key-task import confirmed twice at the same moment creates its tasks once."""

import io

import sqlalchemy as sa

from partybuild.core.audit import AuditEntry
from partybuild.extensions import db
from partybuild.meetings.models import KeyTask
from tests.concurrent import post_at_once
from tests.meetings.test_views import HEAD, _xlsx


def test_simultaneous_confirms_import_once(app, client, auth, world):
    user = auth.login(world.secretary)
    good = _xlsx([HEAD, ["任务一", "内容", "李局长", "接访科", "", "2026-06-30", "是"],
                  ["任务二", "", "李局长", "接访科", "", "2026年9月30日", ""]])  # fmt: skip
    resp = client.post(
        "/meetings/tasks/import", data={"file": (io.BytesIO(good), "清单.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    token = resp.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]

    pages = post_at_once(app, user, "/meetings/tasks/import/confirm", {"token": token}, n=2)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(KeyTask.id))) == 2
    imports = sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "task_import")
    assert db.session.scalar(imports) == 1
    assert sum("已导入 2 项重点任务" in p for p in pages) == 1
    assert sum("该导入已完成，不能重复确认。" in p for p in pages) == 1
