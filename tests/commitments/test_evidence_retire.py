"""Retiring an evidence file uploaded by mistake: with a reason, before evaluation, never deleted."""

import pytest
import sqlalchemy as sa

from partybuild.commitments import service
from partybuild.commitments.models import (
    CommitmentState,
    FulfilmentRecord,
    RecordEvidence,
)
from partybuild.core.service import PermissionDenied, ServiceError
from partybuild.core.storage import StoredFile
from partybuild.extensions import db
from tests.commitments.conftest import PNG, World

S = CommitmentState


def text(resp) -> str:
    return resp.get_data(as_text=True)


def evidence_ids(c) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RecordEvidence.file_id)
            .join(FulfilmentRecord, RecordEvidence.record_id == FulfilmentRecord.id)
            .where(FulfilmentRecord.commitment_id == c.id)
            .order_by(RecordEvidence.file_id)
        )
    )


def add_record_with_file(world: World, c, name="正确材料.png"):
    service.add_fulfilment_record(
        c, {"recorded_on": world.today, "text": "补充材料", "progress": 60}, [(name, PNG)],
        world.owner,
    )  # fmt: skip
    db.session.commit()


def kept_with_one_file(world: World):
    """In progress, with one record and one file, made through the service (timeline too)."""
    c = world.commitment(S.published)
    add_record_with_file(world, c, name="错的照片.png")
    return c


def test_owner_retires_a_wrong_file_with_reason(client, auth, world: World):
    c = kept_with_one_file(world)
    [file_id] = evidence_ids(c)
    auth.login(world.owner)
    page = text(client.get(f"/commitments/{c.id}"))
    assert f'action="/commitments/{c.id}/evidence/{file_id}/retire"' in page
    resp = client.post(
        f"/commitments/{c.id}/evidence/{file_id}/retire", data={"text": "传错了，是别人的照片"}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    stored = db.session.get(StoredFile, file_id)
    assert stored is not None and stored.is_retired  # kept, never deleted
    assert (
        stored.retired_reason == "传错了，是别人的照片" and stored.retired_by_id == world.owner.id
    )
    assert c.evidence_count == 0 and c.state == S.in_progress
    # No longer downloadable, but the timeline keeps the trail.
    assert client.get(f"/commitments/evidence/{file_id}").status_code == 404
    page = text(client.get(f"/commitments/{c.id}"))
    assert "停用证明材料" in page and "传错了，是别人的照片" in page
    assert "已停用" in page and "错的照片.png" in page
    # With no live evidence left, evaluation cannot be requested.
    with pytest.raises(ServiceError, match="附证明材料"):
        service.request_evaluation(c, world.owner)


def test_retired_file_stays_open_to_secretary_and_inspectors_only(client, auth, world: World):
    c = kept_with_one_file(world)
    [file_id] = evidence_ids(c)
    auth.login(world.owner)
    client.post(f"/commitments/{c.id}/evidence/{file_id}/retire", data={"text": "传错了"})
    url = f"/commitments/evidence/{file_id}"
    assert client.get(url).status_code == 404
    for name in ("secretary", "reviewer"):
        auth.login(world.users[name])
        assert client.get(url).status_code == 200
        assert "查看原文件" in text(client.get(f"/commitments/{c.id}"))
    auth.login(world.users["other_secretary"])
    assert client.get(url).status_code == 404
    auth.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_reason_is_required_and_nothing_changes_without_it(client, auth, world: World):
    c = kept_with_one_file(world)
    [file_id] = evidence_ids(c)
    auth.login(world.owner)
    resp = client.post(f"/commitments/{c.id}/evidence/{file_id}/retire", data={"text": "  "})
    page = text(resp)
    assert resp.status_code == 400 and "请填写停用原因" in page
    assert '<details class="w-100 no-print" open>' in page  # the form stays open
    assert page.count("请填写停用原因") == 1 and "必填" not in page  # one clear message
    # The record form beside it keeps its defaults, not the text just posted.
    assert f'value="{world.today.isoformat()}"' in page
    db.session.expire_all()
    assert not db.session.get(StoredFile, file_id).is_retired and c.evidence_count == 1


def test_secretary_may_retire_but_others_may_not(client, auth, world: World):
    c = kept_with_one_file(world)
    [file_id] = evidence_ids(c)
    url = f"/commitments/{c.id}/evidence/{file_id}/retire"
    for role, status in (("other_secretary", 404), ("other_member", 404), ("reviewer", 403)):
        auth.login(world.users[role])
        assert client.post(url, data={"text": "x"}).status_code == status, role
    db.session.expire_all()
    assert not db.session.get(StoredFile, file_id).is_retired
    auth.login(world.secretary)
    assert client.post(url, data={"text": "照片含信访人身份证号，不宜留存"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(StoredFile, file_id).is_retired


def test_evaluated_commitment_keeps_its_evidence(client, auth, world: World):
    c = world.commitment(S.evaluated)
    [file_id] = evidence_ids(c)
    auth.login(world.owner)
    assert f"/evidence/{file_id}/retire" not in text(client.get(f"/commitments/{c.id}"))
    resp = client.post(
        f"/commitments/{c.id}/evidence/{file_id}/retire",
        data={"text": "想换一张"},
        follow_redirects=True,
    )
    assert "已锁定" in text(resp)
    db.session.expire_all()
    assert not db.session.get(StoredFile, file_id).is_retired


def test_awaiting_evaluation_keeps_at_least_one_file(world: World):
    c = world.commitment(S.in_progress)
    add_record_with_file(world, c)
    service.request_evaluation(c, world.owner)
    db.session.commit()
    first, second = evidence_ids(c)
    service.retire_evidence(c, first, "第一张拍错了", world.owner)
    db.session.commit()
    assert c.evidence_count == 1
    with pytest.raises(ServiceError, match="至少须保留一份"):
        service.retire_evidence(c, second, "也不要了", world.owner)
    db.session.rollback()
    assert not db.session.get(StoredFile, second).is_retired


def test_file_of_another_commitment_or_retired_twice(world: World):
    c = world.commitment(S.in_progress)
    other = world.commitment(S.in_progress)
    [other_file] = evidence_ids(other)
    with pytest.raises(ServiceError, match="不属于"):
        service.retire_evidence(c, other_file, "x", world.owner)
    db.session.rollback()
    [file_id] = evidence_ids(c)
    service.retire_evidence(c, file_id, "拍错了", world.owner)
    db.session.commit()
    with pytest.raises(ServiceError, match="已停用"):
        service.retire_evidence(c, file_id, "再停一次", world.owner)
    with pytest.raises(PermissionDenied):
        service.retire_evidence(other, other_file, "x", world.users["other_member"])


def test_wrong_commitment_in_url_is_404(client, auth, world: World):
    c = world.commitment(S.in_progress)
    other = world.commitment(S.in_progress)
    [other_file] = evidence_ids(other)
    auth.login(world.owner)
    resp = client.post(f"/commitments/{c.id}/evidence/{other_file}/retire", data={"text": "x"})
    assert resp.status_code == 404
