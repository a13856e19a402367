"""Branch scope: a secretary of branch A never sees or changes branch B, URL guessing included."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from partybuild.extensions import db
from partybuild.org import service
from partybuild.org.models import Member
from tests.org.helpers import member_form, text


@pytest.fixture
def b_member(make_member, org):
    return make_member(
        name="乙支部党员", branch=org.b, party_group=org.group_b, phone="13700000000"
    )


def _unchanged(member):
    db.session.expire_all()
    fresh = db.session.get(Member, member.id)
    assert fresh.name == "乙支部党员" and fresh.is_active and fresh.branch_id == member.branch_id
    assert fresh.version_id == 1


def test_secretary_cannot_see_other_branch(client, auth, org, b_member, make_member):
    make_member(name="甲支部党员")
    auth.login("secretary", branch=org.a)
    for args in ({}, {"branch": org.b.id}, {"q": "乙支部"}, {"active": "all"}):
        body = text(client.get("/org/members", query_string=args))
        assert "乙支部党员" not in body and "13700000000" not in body, args
    assert "甲支部党员" in text(client.get("/org/members"))
    # Branch B does not even appear in the filter options.
    assert org.b.name not in text(client.get("/org/members"))
    resp = client.get(f"/org/members/{b_member.id}")
    assert resp.status_code in (403, 404) and "乙支部党员" not in text(resp)


def test_secretary_cannot_edit_retire_or_reinstate_other_branch(client, auth, org, b_member):
    auth.login("secretary", branch=org.a)
    base = f"/org/members/{b_member.id}"
    assert client.get(f"{base}/edit").status_code in (403, 404)
    data = member_form(org, name="被篡改", branch_id=org.b.id, party_group_id="", version_id=1)
    assert client.post(f"{base}/edit", data=data).status_code in (403, 404)
    assert client.post(f"{base}/retire", data={"reason": "越权"}).status_code in (403, 404)
    _unchanged(b_member)

    service.retire_member(b_member, "转出", auth.login("admin"))
    db.session.commit()
    auth.login("secretary", branch=org.a)
    assert client.post(f"{base}/reinstate").status_code in (403, 404)
    db.session.expire_all()
    assert not db.session.get(Member, b_member.id).is_active


def test_secretary_cannot_export_other_branch(client, auth, org, b_member, make_member):
    make_member(name="甲支部党员")
    auth.login("secretary", branch=org.a)
    resp = client.get("/org/members/export.xlsx", query_string={"branch": org.b.id})
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    names = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert names == ["甲支部党员"]


def test_secretary_cannot_create_member_in_other_branch(client, auth, org):
    auth.login("secretary", branch=org.a)
    data = member_form(org, branch_id=org.b.id, party_group_id=org.group_b.id)
    resp = client.post("/org/members/new", data=data)
    assert resp.status_code in (400, 403, 404)
    assert "您只能管理本支部的党员" in text(resp)
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 0


def test_secretary_cannot_move_member_to_other_branch(client, auth, org, make_member):
    member = make_member(name="甲支部党员")
    auth.login("secretary", branch=org.a)
    data = member_form(org, name="甲支部党员", branch_id=org.b.id, party_group_id="", version_id=1)
    data.update(birth_on="1980-01-01", joined_on="2005-07-01", full_member_on="2006-07-01")
    resp = client.post(f"/org/members/{member.id}/edit", data=data)
    assert "您只能管理本支部的党员" in text(resp)
    db.session.expire_all()
    assert db.session.get(Member, member.id).branch_id == org.a.id


def test_secretary_cannot_import_into_other_branch(client, auth, org):
    auth.login("secretary", branch=org.a)
    csv = (
        "姓名,性别,出生日期,入党日期,转正日期,党员状态,党支部\n"
        f"越权者,男,1980-01-01,2005-07-01,2006-07-01,正式党员,{org.b.name}\n"
    ).encode()
    resp = client.post(
        "/org/members/import",
        data={"branch_id": str(org.b.id), "file": (io.BytesIO(csv), "r.csv")},
        content_type="multipart/form-data",
    )
    body = text(resp)
    assert "第 2 行" in body and "您只能管理本支部的党员" in body and 'name="token"' not in body
    # Posting only branch_id of B (no branch column) is not honoured either.
    csv2 = "姓名,性别,出生日期,入党日期,转正日期,党员状态\n越权者,男,1980-01-01,2005-07-01,2006-07-01,正式党员\n"
    resp = client.post(
        "/org/members/import",
        data={"branch_id": str(org.b.id), "file": (io.BytesIO(csv2.encode()), "r.csv")},
        content_type="multipart/form-data",
    )
    assert 'name="token"' not in text(resp)
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 0


def test_member_sees_only_own_record(client, auth, org, make_member, make_user):
    me = make_member(name="本人")
    peer = make_member(name="同支部党员")
    auth.login(make_user("member", member=me))
    assert client.get(f"/org/members/{me.id}").status_code == 200
    assert client.get(f"/org/members/{peer.id}").status_code in (403, 404)
    assert client.get("/org/members").status_code == 403
    assert client.get("/org/members/export.xlsx").status_code == 403
    assert client.post(f"/org/members/{me.id}/retire", data={"reason": "x"}).status_code == 403


def test_reviewer_reads_every_branch(client, auth, org, b_member, make_member):
    make_member(name="甲支部党员")
    auth.login("reviewer")
    body = text(client.get("/org/members"))
    assert "甲支部党员" in body and "乙支部党员" in body
    assert client.get(f"/org/members/{b_member.id}").status_code == 200


def test_service_refuses_out_of_scope_actor(org, b_member, make_user):
    from partybuild.core.service import PermissionDenied

    secretary = make_user("secretary", branch=org.a)
    with pytest.raises(PermissionDenied):
        service.retire_member(b_member, "越权", secretary)
    with pytest.raises(PermissionDenied):
        service.reinstate_member(b_member, secretary)
    with pytest.raises(PermissionDenied):
        service.update_member(b_member, {}, secretary, None)
    reviewer = make_user("reviewer")
    with pytest.raises(PermissionDenied):
        service.retire_member(b_member, "越权", reviewer)
