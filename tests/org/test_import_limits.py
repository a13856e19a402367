"""Roster import hardening: a confirm sent several times at once imports once; files
are read as capped streams, blank rows are not kept, an oversize file gets a message."""

import io
import re
import tempfile
import threading
import time
import tracemalloc
import zipfile

import sqlalchemy as sa
from openpyxl import Workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from partybuild.extensions import db
from partybuild.org import roster
from partybuild.org.models import Member
from tests.org.helpers import entries, hidden_value, text
from tests.org.test_roster import GOOD, HEADER, _csv, _upload

MB = 1024 * 1024


def _count():
    return db.session.scalar(sa.select(sa.func.count(Member.id)))


def test_simultaneous_confirms_import_once(app, client, auth, org):
    """Finding 8: four confirms of one preview at the same moment."""
    user = auth.login("secretary", branch=org.a)
    resp = _upload(client, _csv([HEADER, *GOOD]), "r.csv", org.a.id)
    token = hidden_value(text(resp), "token")
    assert token

    clients = []
    for _ in range(4):
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        clients.append(c)
    start = threading.Barrier(len(clients))
    flashes: list[str] = []
    errors: list[BaseException] = []

    def confirm(c):
        try:
            start.wait(10)
            with app.app_context():  # each thread is its own request, with its own session
                r = c.post("/org/members/import/confirm", data={"token": token})
                assert r.status_code == 302, r.status_code
                flashes.append(text(c.get(r.headers["Location"])))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=confirm, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.expire_all()
    assert _count() == 3
    assert len(entries(action="import")) == 1
    assert len(entries(action="create", object_type="member")) == 3
    done = [f for f in flashes if "导入完成：新增 3 名党员" in f]
    again = [f for f in flashes if "该导入已完成" in f]
    assert (len(done), len(again)) == (1, 3)


def test_a_failed_confirm_leaves_the_import_pending(client, auth, org):
    auth.login("admin")
    resp = _upload(client, _csv([HEADER, *GOOD]), "r.csv", org.a.id)
    token = hidden_value(text(resp), "token")
    org.a.is_active = False
    db.session.commit()
    client.post("/org/members/import/confirm", data={"token": token})
    assert _count() == 0
    org.a.is_active = True
    db.session.commit()
    resp = client.post("/org/members/import/confirm", data={"token": token})
    assert "导入完成：新增 3 名党员" in text(client.get(resp.headers["Location"]))
    assert _count() == 3


def test_twenty_megabytes_of_blank_lines_are_refused_quickly(client, auth, org):
    """Finding 9: a header and 20 MB of blank lines."""
    auth.login("secretary", branch=org.a)
    content = ",".join(HEADER).encode() + b"\n" * (20 * MB)
    # Encoded here: the test client would spool a body this size to an unclosed temp file.
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(content), "r.csv"), "branch_id": str(org.a.id)}
    )
    started = time.perf_counter()
    resp = client.post(
        "/org/members/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    elapsed = time.perf_counter() - started
    body = text(resp)
    assert resp.status_code == 200
    assert "文件过大（20.0 MB），一次最多导入 5 MB 的文件" in body
    assert hidden_value(body, "token") is None
    assert elapsed < 5, elapsed
    assert _count() == 0


def _peak_while(fn):
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_blank_rows_are_skipped_without_being_kept(app, auth, org):
    """Within the byte cap, blank lines cost neither memory nor rows."""
    app.config["ROSTER_IMPORT_MAX_BYTES"] = 8 * MB
    user = auth.login("secretary", branch=org.a)
    lines = [",".join(HEADER).encode(), _csv([GOOD[0]]).rstrip()]
    with tempfile.TemporaryFile() as upload:
        upload.write(b"\n".join(lines) + b"\n")
        upload.write(b"\r\n" * 300_000)
        upload.write(_csv(GOOD[1:], "utf-8"))
        upload.seek(0)
        preview, peak = _peak_while(lambda: roster.preview_import("r.csv", upload, user, org.a))
    assert preview.ok and preview.total == 3
    assert [r["row"] for r in preview.rows] == [2, 300_003, 300_004]
    assert peak < 4 * MB, f"peak {peak / MB:.1f} MB"


def test_gbk_file_is_read_as_a_stream(app, auth, org):
    user = auth.login("secretary", branch=org.a)
    rows = [HEADER, *GOOD] + [[""] * 3] * 50_000
    content = _csv(rows, "gbk")
    preview, peak = _peak_while(
        lambda: roster.preview_import("r.csv", io.BytesIO(content), user, org.a)
    )
    assert preview.ok and {r["name"] for r in preview.rows} == {"王秀英", "李建国", "赵德胜"}
    assert peak < 2 * MB + len(content), f"peak {peak / MB:.1f} MB"


def test_too_many_rows_stop_the_reading_early(app, auth, org):
    app.config["ROSTER_IMPORT_MAX_ROWS"] = 100
    app.config["ROSTER_IMPORT_MAX_BYTES"] = 30 * MB
    user = auth.login("secretary", branch=org.a)
    row = [f"党员{0}", "男", "1985-03-01", "2008-07-01", "2009-07-01", "正式党员"]
    content = _csv([HEADER] + [row] * 100_000)
    started = time.perf_counter()
    try:
        roster.preview_import("r.csv", io.BytesIO(content), user, org.a)
    except roster.RosterFileError as exc:
        assert "一次最多导入 100 行" in exc.message
    else:  # pragma: no cover
        raise AssertionError("not refused")
    assert time.perf_counter() - started < 2


def test_xlsx_that_inflates_too_much_is_refused(app, client, auth, org):
    app.config["ROSTER_IMPORT_MAX_BYTES"] = 64 * 1024
    auth.login("secretary", branch=org.a)
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for _ in range(60):
        ws.append(["王" * 30000])
    out = io.BytesIO()
    wb.save(out)
    content = out.getvalue()
    assert len(content) < 64 * 1024
    inflated = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
    assert inflated > 20 * 64 * 1024
    body = text(_upload(client, content, "r.xlsx", org.a.id))
    assert "解压后过大" in body and hidden_value(body, "token") is None


def test_byte_cap_is_an_admin_setting(client, auth):
    auth.login("admin")
    page = text(client.get("/admin/settings"))
    assert "名册导入文件大小上限" in page
    section = page[page.index("名册导入文件大小上限") :][:1500]
    assert re.search(r"5 MB", section)
