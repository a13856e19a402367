"""回避: nobody approves, scores or moderates comments on their own commitment; on the
secretary's own, the branch's deputy (or the higher-level organisation) acts, and the
timeline says so."""

import pytest
import sqlalchemy as sa

from partybuild.commitments import service
from partybuild.commitments.models import (
    Action,
    CommentState,
    CommitmentEvent,
    CommitmentState,
    EvaluationKind,
    PublicRating,
)
from partybuild.core.service import PermissionDenied, ValidationFailed
from partybuild.extensions import db
from partybuild.org import service as org_service
from partybuild.org.models import BranchDeputy

S = CommitmentState


@pytest.fixture
def own(world, make_member, make_user):
    """The secretary is a member of her branch, and has a commitment of her own."""
    me = make_member(branch=world.org.a, name="李书记")
    world.secretary.member_id = me.id
    db.session.commit()
    world.deputy_member = make_member(branch=world.org.a, name="王副书记", title="副书记")
    world.deputy = make_user("member", member=world.deputy_member)
    world.users["deputy"] = world.deputy
    return world.commitment(S.submitted, member=me, content="书记本人的承诺")


def name_deputy(world):
    org_service.set_branch_deputy(world.org.a, world.deputy_member.id, "副书记", world.secretary)
    db.session.commit()


def test_secretary_cannot_approve_her_own_commitment(world, own):
    assert not own.can(Action.publish, world.secretary)
    assert not own.can(Action.return_for_revision, world.secretary)
    with pytest.raises(PermissionDenied):
        service.publish_commitment(own, world.secretary)
    # Others' commitments she still reviews.
    assert world.commitment(S.submitted).can(Action.publish, world.secretary)


def test_without_deputy_admin_or_granted_reviewer_acts(world, own, make_user):
    reviewer = world.users["reviewer"]
    assert not own.can(Action.publish, world.deputy)
    assert not own.can(Action.publish, reviewer)
    granted = make_user("reviewer")
    granted.acts_for_secretaries = True
    db.session.commit()
    assert own.can(Action.publish, granted)
    assert own.can(Action.publish, world.users["admin"])
    # The granted reviewer acts only on a secretary's own commitment.
    assert not world.commitment(S.submitted).can(Action.publish, granted)


def test_deputy_acts_on_the_secretarys_own_only_and_the_timeline_says_so(world, own, make_user):
    granted = make_user("reviewer")
    granted.acts_for_secretaries = True
    db.session.commit()
    name_deputy(world)
    assert not own.can(Action.publish, granted)  # the branch's deputy comes first
    other = world.commitment(S.submitted)
    assert not other.can(Action.publish, world.deputy)
    service.publish_commitment(own, world.deputy)
    db.session.commit()
    event = db.session.scalars(
        sa.select(CommitmentEvent).where(
            CommitmentEvent.commitment_id == own.id, CommitmentEvent.action == "publish"
        )
    ).one()
    assert event.in_stead.startswith(f"由副书记 {world.deputy.label} 代为审核通过并亮诺")


def test_secretary_cannot_score_her_own_and_deputy_can(world, own):
    name_deputy(world)
    c = world.commitment(S.awaiting_evaluation, member=own.member)
    with pytest.raises(PermissionDenied):
        service.record_evaluation(c, EvaluationKind.branch, 95, "好", world.secretary)
    service.record_evaluation(c, EvaluationKind.branch, 88, "较好", world.deputy)
    service.finalise_evaluation(c, world.deputy, "群众评价不足，已说明")
    db.session.commit()
    assert c.state == S.evaluated


def test_leader_comment_needs_the_leaders_name_who_is_not_the_member(world):
    c = world.commitment(S.awaiting_evaluation)
    with pytest.raises(ValidationFailed) as info:
        service.record_evaluation(c, EvaluationKind.leader, 95, "好", world.secretary)
    assert "领导" in info.value.errors["evaluator_name"]
    with pytest.raises(ValidationFailed):
        service.record_evaluation(
            c, EvaluationKind.leader, 95, "好", world.secretary, evaluator_name=c.member.name
        )
    ev = service.record_evaluation(
        c, EvaluationKind.leader, 95, "好", world.secretary, evaluator_name="王局长"
    )
    assert ev.evaluator_name == "王局长"


def test_secretary_cannot_moderate_comments_on_her_own(world, own, client, auth):
    own.state, own.published_at = S.published, own.submitted_at
    rating = world.pending_comment(own, "书记不接电话", level="unsatisfied")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        service.moderate_comment(rating, False, world.secretary)
    db.session.rollback()
    auth.login(world.secretary)
    page = client.get("/commitments/moderation").get_data(as_text=True)
    assert 'data-testid="recused"' in page
    assert (
        client.post(f"/commitments/moderation/{rating.id}", data={"decision": "hide"}).status_code
        == 403
    )


def test_secretary_names_a_deputy_on_the_branch_page(world, own, client, auth):
    auth.login(world.secretary)
    page = client.get(f"/org/branches/{world.org.a.id}/deputy")
    assert page.status_code == 200 and "王副书记" in page.get_data(as_text=True)
    resp = client.post(
        f"/org/branches/{world.org.a.id}/deputy",
        data={"member_id": world.deputy_member.id, "title": "副书记"},
    )
    assert resp.status_code == 302
    assert db.session.get(BranchDeputy, world.org.a.id).member_id == world.deputy_member.id
    # Not herself, and not another branch's.
    resp = client.post(
        f"/org/branches/{world.org.a.id}/deputy",
        data={"member_id": own.member_id, "title": "副书记"},
    )
    assert resp.status_code == 400 and "书记本人" in resp.get_data(as_text=True)
    assert client.get(f"/org/branches/{world.org.b.id}/deputy").status_code == 404


def test_deputy_sees_buttons_and_secretary_does_not(world, own, client, auth):
    name_deputy(world)
    auth.login(world.secretary)
    page = client.get(f"/commitments/{own.id}").get_data(as_text=True)
    assert "审核通过并亮诺" not in page
    auth.logout()
    auth.login(world.deputy)
    page = client.get(f"/commitments/{own.id}").get_data(as_text=True)
    assert "审核通过并亮诺" in page
    resp = client.post(f"/commitments/{own.id}/publish")
    assert resp.status_code == 302
    page = client.get(f"/commitments/{own.id}").get_data(as_text=True)
    assert 'data-testid="in-stead"' in page and "由副书记" in page


def test_deputy_workbench_lists_the_secretarys_own_and_moderates_its_comments(
    world, own, client, auth
):
    name_deputy(world)
    world.commitment(S.submitted)  # an ordinary member's: not the deputy's business
    published = world.commitment(S.published, member=own.member, content="书记的第二项")
    other = world.commitment(S.published)
    for n, c in enumerate((published, other)):
        world.pending_comment(c, f"留言{n}")
    db.session.commit()
    auth.login(world.deputy)
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="panel-commitments.stead"' in home
    assert f'href="/commitments/{own.id}"' in home and "待审核：李书记的承诺" in home
    page = client.get("/commitments/moderation").get_data(as_text=True)
    assert "留言0" in page and "留言1" not in page
    rating = db.session.scalars(
        sa.select(PublicRating).where(PublicRating.comment == "留言0")
    ).one()
    assert (
        client.post(
            f"/commitments/moderation/{rating.id}", data={"decision": "approve"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert rating.comment_state == CommentState.approved
    # An ordinary member has no such panel and no moderation page.
    auth.logout()
    auth.login(world.users["other_member"])
    assert "panel-commitments.stead" not in client.get("/").get_data(as_text=True)
    assert client.get("/commitments/moderation").status_code == 403


def test_comment_digest_sends_the_secretarys_own_to_her_deputy(world, own, query_counter):
    """The daily digest counts each moderator's waiting comments: the secretary those on
    her members' commitments, the deputy those on hers (回避), one lookup per owner."""
    from partybuild.commitments import tasks
    from partybuild.core.db import utcnow
    from partybuild.core.notifications import Notification

    name_deputy(world)
    mine = [world.commitment(S.published, member=own.member) for _ in range(2)]
    theirs = [world.commitment(S.published) for _ in range(3)]
    for n, c in enumerate(mine + theirs + theirs):
        world.pending_comment(c, f"留言{n}")
    db.session.commit()
    with query_counter() as counted:
        assert tasks.digest_pending_comments(utcnow()) == {"pending": 8, "notified": 2}
    # the grouping query, one acting-user lookup per (owner, branch), one insert each
    assert counted.count <= 1 + 2 + 2 + 1

    def titles(user):
        return db.session.scalars(
            sa.select(Notification.title).where(Notification.user_id == user.id)
        ).all()

    assert titles(world.secretary) == ["有 6 条群众留言待审核"]
    assert titles(world.deputy) == ["有 2 条群众留言待审核"]
