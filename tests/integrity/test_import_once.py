"""A risk-ledger import confirmed twice at the same moment creates its points once."""

import sqlalchemy as sa

from partybuild.core.audit import AuditEntry
from partybuild.extensions import db
from partybuild.integrity.models import RiskPoint
from tests.concurrent import post_at_once
from tests.integrity.test_spreadsheet import GOOD, upload, xlsx


def test_simultaneous_confirms_import_once(app, client, auth, world):
    user = auth.login(world.users["secretary"])
    page = upload(client, xlsx(GOOD)).get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]

    pages = post_at_once(app, user, "/integrity/import/confirm", {"token": token}, n=2)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(RiskPoint.id))) == 3
    imports = sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "import", AuditEntry.object_type == "risk_point"
    )
    assert db.session.scalar(imports) == 1
    assert sum("已导入 3 个风险点" in p for p in pages) == 1
    assert sum("该导入已完成，不能重复确认。" in p for p in pages) == 1


def test_a_risk_ledger_token_does_not_confirm_another_import(client, auth, world):
    auth.login(world.users["secretary"])
    page = upload(client, xlsx(GOOD)).get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    resp = client.post("/org/members/import/confirm", data={"token": token})
    assert "导入批次无效" in client.get(resp.headers["Location"]).get_data(as_text=True)
    # Still pending for its own confirmation.
    client.post("/integrity/import/confirm", data={"token": token})
    assert db.session.scalar(sa.select(sa.func.count(RiskPoint.id))) == 3
