"""支部委员会: the branch secretary (or admin) keeps the committee of her branch on the
branch page; every change is audited; other branches' committees are out of reach."""

import pytest
import sqlalchemy as sa

from partybuild.core.audit import AuditEntry
from partybuild.core.service import PermissionDenied, ServiceError, ValidationFailed
from partybuild.extensions import db
from partybuild.org import service
from partybuild.org.models import CommitteeMember, CommitteePost
from tests.org.helpers import text


def _seats(branch_id: int) -> list[tuple[str, str]]:
    return [
        (s.member.name, s.post.value)
        for s in db.session.scalars(CommitteeMember.sitting(branch_id))
    ]


def test_secretary_keeps_the_committee_with_posts(org, make_user, make_member):
    sec = make_user("secretary", branch=org.a)
    li, wang, zhao = (make_member(name=n) for n in ("李书记", "王委员", "赵委员"))
    service.set_committee_member(org.a, wang.id, "organization", sec)
    service.set_committee_member(org.a, li.id, "secretary", sec)
    service.set_committee_member(org.a, zhao.id, "member", sec)
    db.session.commit()
    # Listed in post order: 书记 first.
    assert _seats(org.a.id) == [
        ("李书记", "secretary"),
        ("王委员", "organization"),
        ("赵委员", "member"),
    ]
    service.set_committee_member(org.a, zhao.id, "discipline", sec)  # a new post
    service.remove_committee_member(org.a, wang.id, sec)
    db.session.commit()
    assert _seats(org.a.id) == [("李书记", "secretary"), ("赵委员", "discipline")]
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "branch")
    ).all()
    assert actions.count("committee_set") == 4 and actions.count("committee_remove") == 1
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "committee_remove")
    ).one()
    assert entry.action_label == "免去支部委员" and "王委员" in entry.summary


def test_committee_rules(org, make_user, make_member):
    sec = make_user("secretary", branch=org.a)
    li, wang = make_member(name="李书记"), make_member(name="王委员")
    stranger = make_member(branch=org.b, name="乙支部党员")
    with pytest.raises(ValidationFailed) as exc:
        service.set_committee_member(org.a, stranger.id, "member", sec)
    assert exc.value.errors["member_id"] == "请选择本支部的在册党员"
    with pytest.raises(ValidationFailed) as exc:
        service.set_committee_member(org.a, li.id, "chairman", sec)
    assert "职务" in exc.value.errors["post"]
    service.set_committee_member(org.a, li.id, "secretary", sec)
    with pytest.raises(ValidationFailed, match="已有书记（李书记）"):
        service.set_committee_member(org.a, wang.id, "secretary", sec)
    with pytest.raises(PermissionDenied):
        service.set_committee_member(org.a, wang.id, "member", make_user("secretary", branch=org.b))
    with pytest.raises(PermissionDenied):
        service.set_committee_member(org.a, wang.id, "member", make_user("member", member=wang))
    with pytest.raises(ServiceError, match="不是本支部委员会成员"):
        service.remove_committee_member(org.a, wang.id, sec)
    # A member who leaves the roster no longer sits on the committee.
    service.retire_member(li, "组织关系转出", sec)
    assert _seats(org.a.id) == []


def test_committee_page(client, auth, org, make_user, make_member):
    li = make_member(name="李书记")
    auth.login(make_user("secretary", branch=org.a))
    url = f"/org/branches/{org.a.id}/committee"
    body = text(client.get(url))
    assert "尚未设置支部委员会成员" in body and "李书记" in body  # offered in the form
    resp = client.post(url, data={"member_id": str(li.id), "post": "secretary"})
    assert resp.status_code == 302
    body = text(client.get(url))
    assert "支部委员会已更新" in body and "<td>书记</td>" in body
    resp = client.post(url, data={"member_id": "", "post": "secretary"})
    assert resp.status_code == 400 and "请选择本支部的在册党员" in text(resp)
    resp = client.post(f"{url}/remove", data={"member_id": str(li.id)})
    assert resp.status_code == 302
    assert "尚未设置支部委员会成员" in text(client.get(url))
    # Another branch's committee page does not exist for this secretary.
    assert client.get(f"/org/branches/{org.b.id}/committee").status_code == 404
    assert (
        client.post(
            f"/org/branches/{org.b.id}/committee", data={"member_id": str(li.id), "post": "member"}
        ).status_code
        == 404
    )
    auth.login("member")
    assert client.get(url).status_code == 403
    auth.login("admin")
    assert client.get(f"/org/branches/{org.b.id}/committee").status_code == 200


def test_committee_posts_have_chinese_labels():
    assert [p.label for p in CommitteePost] == [
        "书记",
        "副书记",
        "组织委员",
        "宣传委员",
        "纪检委员",
        "青年委员",
        "委员",
    ]


def test_deputy_is_chosen_from_the_committee_once_there_is_one(org, make_user, make_member):
    from partybuild.org.models import BranchDeputy

    sec = make_user("secretary", branch=org.a)
    wang, zhao = make_member(name="王副书记"), make_member(name="赵党员")
    # Without a committee any active member of the branch may be named (as before).
    service.set_branch_deputy(org.a, zhao.id, "支委委员", sec)
    service.set_committee_member(org.a, wang.id, "deputy_secretary", sec)
    with pytest.raises(ValidationFailed, match="须为本支部委员会成员"):
        service.set_branch_deputy(org.a, zhao.id, "支委委员", sec)
    service.set_branch_deputy(org.a, wang.id, "副书记", sec)
    db.session.commit()
    assert db.session.get(BranchDeputy, org.a.id).member_id == wang.id
