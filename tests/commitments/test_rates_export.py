"""Participation and satisfaction figures, the score composite, QR codes, the xlsx ledger."""

import io
from datetime import timedelta

import openpyxl
import pytest

from partybuild.commitments import export, rates, service
from partybuild.commitments.models import CommitmentState, Evaluation, EvaluationKind
from partybuild.core import qr
from partybuild.core.settings import setting
from partybuild.extensions import db

S = CommitmentState


def add_ratings(c, levels: str) -> None:
    """levels: s=满意, b=基本满意, u=不满意, one letter per rating."""
    names = {"s": "satisfied", "b": "basic", "u": "unsatisfied"}
    for i, ch in enumerate(levels):
        service.add_public_rating(c, names[ch], "", browser_id=f"{c.id}-{i}", ip=f"10.0.0.{i}")
    db.session.commit()


@pytest.fixture
def app_config():
    return {"PUBLIC_RATING_MIN_COUNT": 5, "PARTICIPATION_MIN_RATINGS": 3}


def test_rates_with_spread_and_thresholds(world):
    a = world.commitment(S.in_progress)
    b = world.commitment(S.published)
    c = world.commitment(S.awaiting_evaluation)
    world.commitment(S.submitted)  # not published: not counted
    add_ratings(a, "ssb")
    summary = rates.rates([world.org.a.id])
    assert summary.published == 3 and summary.ratings == 3
    assert summary.participation_rate is None and summary.satisfaction_rate is None  # < 5
    add_ratings(b, "su")
    add_ratings(c, "s")
    summary = rates.rates([world.org.a.id], world.batch.id)
    assert summary.counts == {"satisfied": 4, "basic": 1, "unsatisfied": 1}
    assert summary.rated == 1  # only a has >= 3
    assert summary.participation_rate == pytest.approx(1 / 3)
    assert summary.satisfaction_rate == pytest.approx(5 / 6)
    assert [(label, n) for label, n, _ in summary.spread()] == [
        ("满意", 4),
        ("基本满意", 1),
        ("不满意", 1),
    ]
    assert rates.rates([world.org.b.id]).published == 0
    by_branch = rates.rates_by("branch")
    assert by_branch[world.org.a.id].ratings == 6


def test_overview_and_board_show_rates_only_with_enough_ratings(client, auth, world):
    a = world.commitment(S.in_progress)
    add_ratings(a, "sss")
    page = client.get("/public/A").get_data(as_text=True)
    assert "不足 5 条，暂不显示参评率和满意率" in page
    add_ratings(world.commitment(S.in_progress), "sbu")
    page = client.get("/public/A").get_data(as_text=True)
    assert "群众满意率" in page and "83.3%" in page and "100.0%" in page  # 5/6, 2/2 rated


def test_score_composite_and_grades(app, world):
    c = world.commitment(S.awaiting_evaluation)  # self 90, branch 90 from the fixture
    add_ratings(c, "ssssb")  # public: (4*100 + 80) / 5 = 96
    db.session.add(Evaluation(commitment=c, kind=EvaluationKind.leader, score=100))
    db.session.commit()
    b = service.score_breakdown(c)
    # (90*20 + 90*30 + 100*20 + 96*30) / 100 = 93.8
    assert b.total == 93.8 and b.grade == "中"
    app.config["COMMITMENT_WEIGHTS"] = {"self": 0, "branch": 0, "leader": 50, "public": 50}
    assert service.score_breakdown(c).total == 98.0
    assert service.score_breakdown(c).grade == "好"
    app.config["COMMITMENT_GRADES"] = [(99, "优"), (60, "良"), (0, "差")]
    assert service.score_breakdown(c).grade == "良"
    assert service.grade_for(0) == "差" and service.grade_for(100) == "优"


def test_qr_codes_point_at_public_base_url(client, auth, world, app, monkeypatch):
    app.config["PUBLIC_BASE_URL"] = "https://dj.example.gov.cn/"
    c = world.commitment(S.published)
    seen = []
    real = qr.render
    monkeypatch.setattr(qr, "render", lambda data, fmt: seen.append(data) or real(data, fmt))
    auth.login(world.secretary)
    png = client.get(f"/commitments/qr/{c.id}.png")
    assert png.data.startswith(b"\x89PNG") and png.mimetype == "image/png"
    assert "attachment" in png.headers["Content-Disposition"]
    svg = client.get(f"/commitments/qr/branch/{world.org.a.id}.svg")
    assert b"<svg" in svg.data and svg.mimetype == "image/svg+xml"
    assert seen == [
        f"https://dj.example.gov.cn/public/A/c/{c.id}",
        "https://dj.example.gov.cn/public/A",
    ]
    assert client.get(f"/commitments/qr/{c.id}.gif").status_code == 404
    draft = world.commitment(S.draft)
    assert client.get(f"/commitments/qr/{draft.id}.png").status_code == 404


def test_ledger_rows_and_xlsx(client, auth, world, make_member):
    c = world.commitment(S.evaluated, content="每月接访20批次")
    add_ratings(world.commitment(S.in_progress, content="学习条例"), "ssbbu")
    world.commitment(S.draft, content="草稿不入台账")
    leader = make_member(name="李局长", is_leader=True, title="局长")
    world.commitment(S.published, member=leader, content="领导接访")
    rows = list(export.ledger_rows([world.org.a.id]))
    assert [r.content for r in rows] == ["领导接访", "每月接访20批次", "学习条例"]
    first, evaluated, rated = rows
    assert first.post == "局长" and first.is_leader
    assert evaluated.state_label == "已评诺" and evaluated.score == 90.0 and evaluated.grade == "中"
    assert evaluated.latest_record == "接访30批次" and evaluated.evidence_count == 1
    assert rated.ratings == 5 and rated.satisfaction == pytest.approx(0.8)
    assert (rated.satisfied, rated.basic, rated.unsatisfied) == (2, 2, 1)
    assert list(export.ledger_rows([world.org.b.id])) == []
    # Batch span filter: a window that ends before the batch starts finds nothing.
    early = world.batch.commit_start - timedelta(days=30)
    assert list(export.ledger_rows(None, early - timedelta(days=30), early)) == []
    assert len(list(export.ledger_rows(None, early, None))) == 3
    assert c.id

    auth.login(world.secretary)
    resp = client.get("/commitments/export.xlsx")
    assert resp.status_code == 200
    assert "%E5%8F%B0%E8%B4%A6" in resp.headers["Content-Disposition"]  # 台账
    sheet = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert "承诺践诺台账" in values[0][0]
    header = values[1]
    assert header[:7] == ("序号", "党支部", "承诺批次", "姓名", "岗位", "类别", "承诺内容")
    body = {row[6]: dict(zip(header, row, strict=True)) for row in values[2:]}
    assert set(body) == {"领导接访", "每月接访20批次", "学习条例"}
    assert body["每月接访20批次"]["等次"] == "中" and body["每月接访20批次"]["综合得分"] == 90
    assert body["学习条例"]["群众满意率"] == "80.0%"
    assert body["领导接访"]["群众满意率"] == "样本不足"


def test_ledger_is_one_query(world, make_member, query_counter):
    for _ in range(5):
        world.commitment(S.in_progress, member=make_member())
    # The admin's stored settings are read once per request (one query), not per ledger.
    setting("PUBLIC_RATING_MIN_COUNT")
    with query_counter() as counter:
        rows = list(export.ledger_rows(None))
    assert len(rows) == 5 and counter.count == 1
