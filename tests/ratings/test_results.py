"""Weights, minimum raters and renormalisation, frozen results, self-rating refused."""

import pytest

from partybuild.core.service import PermissionDenied, ServiceError, ValidationFailed
from partybuild.extensions import db
from partybuild.ratings import results, service
from partybuild.ratings.models import RaterGroup, RoundState


def test_criterion_weights_must_sum_to_100(rw):
    rows = [{"name": "甲", "weight": "60"}, {"name": "乙", "weight": "30"}]
    with pytest.raises(ValidationFailed) as exc:
        service.save_criterion_set(None, "自定义", "", rows, rw.admin)
    assert "须为 100，现在是 90" in exc.value.message
    rows.append({"name": "丙", "weight": "10", "scale_min": "1", "scale_max": "5"})
    cset = service.save_criterion_set(None, "自定义", "", rows, rw.admin)
    assert [c.weight for c in cset.criteria] == [60, 30, 10]
    assert cset.criteria[2].scale_max == 5
    with pytest.raises(PermissionDenied):
        service.save_criterion_set(None, "另一套", "", rows, rw.secretary)


def test_default_sets_ship_and_sum_to_100(rw):
    names = {s.code: [c.name for c in s.criteria] for s in rw.sets}
    assert names["five"] == ["信念坚定", "为民服务", "勤政务实", "敢于担当", "清正廉洁"]
    assert len(names["four_five"]) == 9 or len(names["four_five"]) == 10
    assert all(s.total_weight == 100 for s in rw.sets)
    assert len(service.ensure_default_sets()) == 2  # idempotent


def test_group_weights_must_sum_to_100(rw):
    with pytest.raises(ValidationFailed) as exc:
        rw.round(weights=(40, 30, 20))
    assert "须为 100，现在是 90" in exc.value.message


def test_nobody_rates_their_own_post(rw):
    rnd = rw.round()
    own = rw.posts[0]
    with pytest.raises(ServiceError) as exc:
        service.submit_rating(rnd, own, rw.holder_users[0], rw.scores(rnd, 10))
    assert exc.value.code == "self_rating"
    # ...but rates the others, once each.
    rw.rate(rnd, rw.posts[1], rw.holder_users[0], 9)
    with pytest.raises(ServiceError) as exc:
        service.submit_rating(rnd, rw.posts[1], rw.holder_users[0], rw.scores(rnd, 1))
    assert exc.value.code == "duplicate"


def test_unassigned_member_may_not_rate(rw, make_user):
    rnd = rw.round()
    stranger = make_user("member", branch=rw.org.a)
    with pytest.raises(PermissionDenied):
        service.submit_rating(rnd, rw.posts[0], stranger, rw.scores(rnd, 10))


def test_scores_outside_the_scale_are_refused(rw):
    rnd = rw.round()
    bad = rw.scores(rnd, 10)
    bad[f"c{rnd.criterion_set.criteria[0].id}"] = 11
    with pytest.raises(ValidationFailed):
        service.submit_rating(rnd, rw.posts[0], rw.peer_users[0], bad)


def _result(rnd, post):
    return next(r for r in results.for_round(rnd) if r.model_post_id == post.id)


def test_weighted_score_and_renormalisation_below_minimum(rw):
    rnd = rw.round()
    post = rw.posts[0]
    for u in rw.leader_users:  # 3 leaders: 10 → 100
        rw.rate(rnd, post, u, 10)
    for u in rw.peer_users[:3]:  # 3 peers: 1 → 0
        rw.rate(rnd, post, u, 1)
    rw.public(rnd, post, 10, 2)  # only 2 public ratings: below the minimum of 3
    r = _result(rnd, post)
    groups = {g.group: g for g in r.groups}
    assert groups[RaterGroup.public].count == 2 and not groups[RaterGroup.public].shown
    assert groups[RaterGroup.public].score is None
    assert [g.group for g in r.left_out] == [RaterGroup.public]
    # leaders 40, peers 30 → renormalised 4/7 and 3/7
    assert r.score == pytest.approx(100 * 40 / 70, abs=0.01)
    rw.public(rnd, post, 10, 1, ip="10.9.9.{i}")  # the third public rating
    r = _result(rnd, post)
    assert not r.left_out
    assert r.score == pytest.approx(0.4 * 100 + 0.3 * 0 + 0.3 * 100)
    assert r.grade == "合格" and not r.flagged


def test_grade_bands_and_flag_below_70(rw):
    rnd = rw.round(weights=(0, 100, 0))
    for u in rw.peer_users[:3]:
        rw.rate(rnd, rw.posts[0], u, 10)  # 100
        rw.rate(rnd, rw.posts[1], u, 5)  # (5-1)/9 → 44.4
    found = {r.model_post_id: r for r in results.for_round(rnd)}
    assert found[rw.posts[0].id].grade == "优秀" and found[rw.posts[0].id].rank == 1
    assert found[rw.posts[1].id].grade == "不达标" and found[rw.posts[1].id].flagged
    assert found[rw.posts[1].id].rank == 2
    assert found[rw.posts[2].id].score is None and found[rw.posts[2].id].rank is None


def test_closing_freezes_results(rw, app):
    rnd = rw.round(weights=(0, 100, 0))
    for u in rw.peer_users[:3]:
        rw.rate(rnd, rw.posts[0], u, 8)
    before = _result(rnd, rw.posts[0]).score
    service.close_round(rnd, rw.secretary)
    db.session.commit()
    assert rnd.state == RoundState.closed
    # Later rows or setting changes do not move a closed round's figures.
    from partybuild.core.settings import change_setting

    change_setting("RATING_GRADES", [(99, "优秀"), (0, "不达标")], rw.admin)
    db.session.commit()
    r = _result(rnd, rw.posts[0])
    assert r.score == before and r.grade == "合格"  # the new bands would say 不达标
    with pytest.raises(ServiceError):
        service.submit_rating(rnd, rw.posts[0], rw.peer_users[3], rw.scores(rnd, 1))
    with pytest.raises(ServiceError):
        service.close_round(rnd, rw.secretary)


def test_only_the_branch_secretary_runs_rounds(rw):
    rnd = rw.round(open_=False)
    with pytest.raises(PermissionDenied):
        service.open_round(rnd, rw.other_secretary)
    with pytest.raises(PermissionDenied):
        service.open_round(rnd, rw.reviewer)
    with pytest.raises(PermissionDenied):
        service.assign_raters(rnd, "peer", [rw.peers[0].id], rw.other_secretary)
