"""One definition of who manages a branch (admin, or the secretary of that branch) and of
who reads it; models, views and templates all ask these."""

import pytest


@pytest.fixture
def people(org, make_user):
    return {
        "admin": make_user("admin"),
        "secretary": make_user("secretary", branch=org.a),
        "other_secretary": make_user("secretary", branch=org.b),
        "member": make_user("member", branch=org.a),
        "reviewer": make_user("reviewer"),
    }


@pytest.mark.parametrize(
    ("who", "manages"),
    [
        ("admin", True),
        ("secretary", True),
        ("other_secretary", False),
        ("member", False),
        ("reviewer", False),
    ],
)
def test_manages_branch(org, people, who, manages):
    user = people[who]
    assert user.manages_branch(org.a.id) is manages
    assert org.a.can_manage(user) is manages
    assert user.manages_branch(None) is (who == "admin")


@pytest.mark.parametrize(
    ("who", "reads"),
    [
        ("admin", True),
        ("secretary", True),
        ("other_secretary", False),
        ("member", True),
        ("reviewer", True),
    ],
)
def test_reads_branch(org, people, who, reads):
    user = people[who]
    assert user.reads_branch(org.a.id) is reads
    assert org.a.can_view(user) is reads


def test_is_admin(people):
    assert {who for who, user in people.items() if user.is_admin} == {"admin"}


@pytest.mark.parametrize("who", ["admin", "secretary", "other_secretary", "member", "reviewer"])
def test_member_rights_follow_manages_branch(org, people, make_member, who):
    member = make_member(branch=org.a)
    user = people[who]
    assert member.can_edit(user) is user.manages_branch(org.a.id)
    # The phone number: the member themself, or whoever manages the branch.
    assert member.can_see_phone(user) is (who in ("admin", "secretary"))
