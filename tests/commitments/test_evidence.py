"""Evidence uploads: allowed types by extension and content, size limit, authorised download."""

import io

import pytest
import sqlalchemy as sa

from partybuild.commitments.models import CommitmentState, FulfilmentRecord
from partybuild.core import storage
from partybuild.core.service import ServiceError
from partybuild.core.storage import StoredFile
from partybuild.extensions import db
from tests.commitments.conftest import PDF, PNG, ooxml

S = CommitmentState


@pytest.fixture
def app_config():
    return {"UPLOAD_MAX_BYTES": 2048}


def post_record(client, c, files, text="接访记录"):
    return client.post(
        f"/commitments/{c.id}/records",
        data={
            "recorded_on": c.batch.commit_start.isoformat(),
            "text": text,
            "progress": "60",
            "files": [(io.BytesIO(body), name) for name, body in files],
        },
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("virus.exe", b"MZ\x90\x00" * 10, "类型不允许上传"),
        ("photo.png", b"MZ\x90\x00" * 10, "内容与扩展名不符"),
        ("report.pdf", PNG, "内容与扩展名不符"),
        ("fake.docx", b"PK\x03\x04" + b"\x00" * 40, "内容与扩展名不符"),
        ("sheet.docx", ooxml("xl"), "内容与扩展名不符"),  # an xlsx renamed to docx
        ("big.png", PNG + b"\x00" * 4096, "超过大小限制"),
        ("empty.pdf", b"", "空文件"),
        ("noext", PDF, "类型不允许上传"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_kept(client, auth, world, name, body, message):
    c = world.commitment(S.published)
    auth.login(world.owner)
    resp = post_record(client, c, [("ok.png", PNG), (name, body)], text="保留我写的内容")
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert message in page and "保留我写的内容" in page
    assert db.session.scalar(sa.select(sa.func.count(FulfilmentRecord.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 0


def test_good_files_are_stored_with_random_names_and_served_with_disposition(
    app, client, auth, world
):
    c = world.commitment(S.published)
    auth.login(world.owner)
    files = [
        ("照片.png", PNG),
        ("jpg.JPG", b"\xff\xd8\xff\xe0" + b"0" * 20),
        ("总结.pdf", PDF),
        ("总结.docx", ooxml("word")),
        ("表.xlsx", ooxml("xl")),
    ]
    assert post_record(client, c, files).status_code == 302
    stored = db.session.scalars(sa.select(StoredFile).order_by(StoredFile.id)).all()
    assert [s.original_name for s in stored] == [n for n, _ in files]
    for s in stored:
        path = storage.upload_root() / s.token[:2] / s.token
        assert path.exists() and s.original_name not in str(path)
        assert str(path).startswith(app.instance_path)
    db.session.expire_all()
    assert c.evidence_count == 5 and c.record_count == 1 and c.state == S.in_progress

    resp = client.get(f"/commitments/evidence/{stored[2].id}")
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E6%80%BB%E7%BB%93.pdf" in resp.headers["Content-Disposition"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        client.get(f"/commitments/evidence/{stored[0].id}")
        .headers["Content-Disposition"]
        .startswith("inline;")
    )

    auth.login(world.secretary)
    assert client.get(f"/commitments/evidence/{stored[2].id}").status_code == 200
    auth.login(world.users["other_secretary"])
    assert client.get(f"/commitments/evidence/{stored[2].id}").status_code == 404
    auth.login(world.users["other_member"])
    assert client.get(f"/commitments/evidence/{stored[2].id}").status_code == 404
    auth.logout()
    assert client.get(f"/commitments/evidence/{stored[2].id}").status_code == 302


def test_retired_files_are_kept_but_not_served(client, auth, world):
    c = world.commitment(S.published)
    auth.login(world.owner)
    post_record(client, c, [("a.pdf", PDF)])
    stored = db.session.scalars(sa.select(StoredFile)).one()
    with pytest.raises(ServiceError):
        storage.retire_file(stored, "", world.secretary)
    storage.retire_file(stored, "上传错误", world.secretary)
    db.session.commit()
    assert client.get(f"/commitments/evidence/{stored.id}").status_code == 404
    assert db.session.get(StoredFile, stored.id) is not None


def test_too_many_files(client, auth, world):
    c = world.commitment(S.published)
    auth.login(world.owner)
    resp = post_record(client, c, [(f"{i}.pdf", PDF) for i in range(6)])
    assert resp.status_code == 400 and "最多上传 5 个文件" in resp.get_data(as_text=True)


def test_request_evaluation_needs_evidence(client, auth, world):
    c = world.commitment(S.published)
    auth.login(world.owner)
    post_record(client, c, [])
    resp = client.post(f"/commitments/{c.id}/request-evaluation", follow_redirects=True)
    assert "须至少有一条附证明材料的践诺记录" in resp.get_data(as_text=True)
    post_record(client, c, [("a.pdf", PDF)])
    client.post(f"/commitments/{c.id}/request-evaluation")
    db.session.expire_all()
    assert c.state == S.awaiting_evaluation
