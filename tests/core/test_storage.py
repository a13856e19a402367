"""Stored files behind one storage interface: two app instances, one database, one
S3-compatible object store (moto's server on 127.0.0.1). A file uploaded and an export
generated through one instance are downloaded through the other."""

import hashlib
import io
from typing import Any

import pytest
import sqlalchemy as sa

from partybuild import create_app
from partybuild.commitments.models import CommitmentState
from partybuild.core import storage
from partybuild.core.storage import StoredFile
from partybuild.extensions import db
from partybuild.reports import service
from tests.commitments.conftest import PNG, World
from tests.support import base_config

moto_server = pytest.importorskip(
    "moto.server", reason="moto[server] (the test extra) not installed"
)

BUCKET = "partybuild-files"


@pytest.fixture(scope="module")
def s3_endpoint() -> Any:
    """An S3-compatible server on 127.0.0.1 for this module, with an empty bucket."""
    import boto3

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def s3_config(endpoint: str) -> dict[str, Any]:
    return {
        "STORAGE_BACKEND": "s3",
        "STORAGE_S3_ENDPOINT_URL": endpoint,
        "STORAGE_S3_BUCKET": BUCKET,
        "STORAGE_S3_REGION": "us-east-1",
        "STORAGE_S3_ACCESS_KEY": "testing",
        "STORAGE_S3_SECRET_KEY": "testing",
    }


@pytest.fixture
def app_config(s3_endpoint: str) -> dict[str, Any]:
    return s3_config(s3_endpoint)


@pytest.fixture
def second_instance(app: Any, tmp_path: Any, s3_endpoint: str) -> Any:
    """Another app process's view: its own instance folder and local directories,
    the same database and object store."""
    config = base_config(tmp_path / "second")
    config.update(s3_config(s3_endpoint))
    config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"]
    config["UPLOAD_DIR"] = str(tmp_path / "second" / "uploads")
    other = create_app(config)
    assert other.instance_path != app.instance_path
    yield other
    with other.app_context():
        db.engine.dispose()


def login(client: Any, user: Any) -> None:
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def files_under(path: Any) -> list:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def test_upload_and_export_through_one_instance_download_through_the_other(
    app, client, org, make_user, make_member, second_instance, tmp_path
):
    world = World(org, make_user, make_member)
    c = world.commitment(CommitmentState.published)

    # Instance one: the member records progress with a photo as evidence.
    login(client, world.owner)
    resp = client.post(
        f"/commitments/{c.id}/records",
        data={
            "recorded_on": c.batch.commit_start.isoformat(),
            "text": "接访记录",
            "progress": "60",
            "files": [(io.BytesIO(PNG), "现场照片.png")],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    stored = db.session.scalars(sa.select(StoredFile)).one()
    # Nothing on instance one's disk: the bytes are in the shared store.
    assert files_under(storage.upload_root()) == []

    # Instance one: the secretary generates an export.
    export = service.request_export("roster", {"branch": "A"}, world.secretary)
    db.session.commit()
    export = service.generate_export(export)
    db.session.commit()
    assert export.sha256 and export.size_bytes
    assert files_under(service.exports_dir()) == []

    # Instance two serves both, with the same checks and headers.
    other = second_instance.test_client()
    login(other, world.owner)
    resp = other.get(f"/commitments/evidence/{stored.id}")
    assert resp.status_code == 200
    assert resp.data == PNG
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("inline;")
    assert int(resp.headers["Content-Length"]) == len(PNG)

    login(other, world.secretary)
    resp = other.get(f"/reports/exports/{export.id}/download")
    assert resp.status_code == 200
    assert hashlib.sha256(resp.data).hexdigest() == export.sha256
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]

    # The permission checks are the same on either instance: a member of another
    # branch gets no evidence and no export.
    stranger = make_user("member", member=make_member(branch=org.b))
    login(other, stranger)
    assert other.get(f"/commitments/evidence/{stored.id}").status_code in (403, 404)
    assert other.get(f"/reports/exports/{export.id}/download").status_code in (403, 404)


def test_changed_object_is_refused(app, client, org, make_user, make_member):
    world = World(org, make_user, make_member)
    export = service.request_export("roster", {"branch": "A"}, world.secretary)
    db.session.commit()
    export = service.generate_export(export)
    db.session.commit()
    store = service.export_store()
    assert store.backend == "s3"
    store.put_bytes(export.storage_path, store.read_bytes(export.storage_path) + b"tampered")
    login(client, world.secretary)
    resp = client.get(f"/reports/exports/{export.id}/download", follow_redirects=True)
    assert "导出文件校验失败" in resp.get_data(as_text=True)
