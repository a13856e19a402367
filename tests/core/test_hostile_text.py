"""Issue 9, findings 1, 2, 3, 10 and 11: formula injection and control characters in
the .xlsx exports, hostile and invisible text in forms and request lines, huge ids,
and edit forms posted without their version."""

import io
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from partybuild.commitments.models import Commitment, CommitmentState, FulfilmentRecord
from partybuild.extensions import db
from partybuild.greetings.models import GreetingTemplate
from partybuild.greetings.service import ensure_default_templates
from partybuild.org.models import Member
from tests.commitments import conftest as commitment_fixtures
from tests.org.helpers import member_form, text

S = CommitmentState
HYPERLINK = '=HYPERLINK("http://evil.example","click")'
HUGE = "99999999999999999999"
world = commitment_fixtures.world  # the commitments tests' fixture: users around branch A


def _rows(resp) -> list[tuple]:
    assert resp.status_code == 200, resp.status_code
    sheet = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    return [tuple(c for c in row) for row in sheet.iter_rows()]


def _ledger_cells(resp) -> dict[str, openpyxl.cell.Cell]:
    """Content column (承诺内容) of each ledger row, keyed by its text."""
    rows = _rows(resp)
    return {row[6].value: row for row in rows[2:]}


# --- finding 1: formula injection ---------------------------------------------------------


@pytest.mark.parametrize("who", ["secretary", "reviewer"])
def test_ledger_keeps_formula_text_as_text(client, auth, world, who):
    world.commitment(S.published, content=HYPERLINK, target="＝1+1", measures=" @SUM(A1)")
    auth.login(world.users[who])
    cells = _ledger_cells(client.get("/commitments/export.xlsx"))
    row = cells[HYPERLINK]
    for cell, shown in zip(row[6:9], (HYPERLINK, "＝1+1", " @SUM(A1)"), strict=True):
        assert cell.value == shown
        assert cell.data_type == "s" and cell.quotePrefix  # text, also when edited in Excel


def test_roster_keeps_formula_text_as_text(client, auth, make_member):
    make_member(name="＝cmd|' /C calc'!A0", title="\t=1+2")
    auth.login("admin")
    rows = _rows(client.get("/org/members/export.xlsx"))
    name, title = rows[1][0], rows[1][10]
    assert name.value == "＝cmd|' /C calc'!A0" and name.data_type == "s" and name.quotePrefix
    assert title.value == "\t=1+2" and title.data_type == "s" and title.quotePrefix


def test_sheet_writer_neutralises_every_formula_prefix():
    from partybuild.core.xlsx import Sheet, looks_like_formula

    for text_ in ("=1", "+1", "-1", "@A1", "＝1", "＋1", "－1", "＠A1", "  =1", "\t=1", "\r\n+1"):
        assert looks_like_formula(text_), text_
    for text_ in ("张三", "1-2", "a=b", "", "2026年"):
        assert not looks_like_formula(text_), text_
    sheet = Sheet("t")
    sheet.append(["=1+1", 5, None, "安全"])
    cells = next(openpyxl.load_workbook(io.BytesIO(sheet.to_bytes())).worksheets[0].iter_rows())
    assert [c.value for c in cells[:2]] == ["=1+1", 5] and cells[0].data_type == "s"
    assert cells[3].value == "安全"


# --- finding 2: control characters stored before this change --------------------------------


def _store_bad_rows(world, make_member):
    """Rows as they were saved before input was normalised (pasted from Word)."""
    c = world.commitment(S.in_progress, content="台账中的承诺")
    record = db.session.scalar(
        sa.select(FulfilmentRecord).where(FulfilmentRecord.commitment_id == c.id)
    )
    record.text = "第一段\x0b第二段\x01\x1f完"  # PostgreSQL stores no NUL at all
    world.owner_member.name = "张\x01三\x0b"
    make_member(name="李\x0b四", title="科员\x1f\ufffe")
    db.session.commit()
    return c


@pytest.mark.parametrize("who", ["secretary", "reviewer"])
def test_ledger_exports_despite_stored_control_characters(client, auth, world, make_member, who):
    _store_bad_rows(world, make_member)
    auth.login(world.users[who])
    row = _ledger_cells(client.get("/commitments/export.xlsx"))["台账中的承诺"]
    assert row[3].value == "张三"
    assert row[12].value == "第一段第二段完"


def test_roster_exports_despite_stored_control_characters(client, auth, world, make_member):
    _store_bad_rows(world, make_member)
    auth.login("admin")
    names = {row[0].value: row for row in _rows(client.get("/org/members/export.xlsx"))[1:]}
    assert "张三" in names and "李四" in names
    assert names["李四"][10].value == "科员"
    from partybuild.core.xlsx import sheet_text

    assert sheet_text("a\x00b\ud800c\uffff") == "abc"


# --- finding 3: hostile and invisible text -------------------------------------------------


def test_clean_text_rules():
    from partybuild.core.text import clean_text

    assert clean_text("张\x00三\x07") == "张三"
    assert clean_text("\u202e三张\u202c") == "三张"
    assert clean_text("a\u2066b\u2069c\u200fd") == "abcd"
    assert clean_text("\u200b\u200c\u200d\u2060\ufeff") == ""
    assert clean_text(" \u200b \u3000") == ""
    assert clean_text("👨\u200d👩") == "👨\u200d👩"  # a joiner inside text is kept
    assert clean_text("e\u0301") == "é"  # NFC
    assert clean_text("一\t二\r\n三\r四") == "一二三四"
    assert clean_text("一\t二\r\n三\r四\x0b", multiline=True) == "一\t二\n三\n四"
    assert clean_text("a\x85b\x9fc") == "abc"  # C1 controls


def test_member_form_normalises_names(client, auth, org):
    auth.login("admin")
    resp = client.post("/org/members/new", data=member_form(org, name="\u202e王\x00五\x0b"))
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(Member.name).where(Member.name.like("%五%"))) == "王五"


@pytest.mark.parametrize("name", ["\u200b\u200b", "\ufeff", "\u202e", "\x00\x01", "\u2060 \u200d"])
def test_invisible_only_name_counts_as_empty(client, auth, org, name):
    auth.login("admin")
    resp = client.post("/org/members/new", data=member_form(org, name=name))
    assert resp.status_code == 400
    assert "该字段是必填字段" in text(resp) or "必填" in text(resp)
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 0


def test_record_text_keeps_lines_drops_controls(client, auth, world):
    c = world.commitment(S.published)
    auth.login(world.owner)
    resp = client.post(
        f"/commitments/{c.id}/records",
        data={
            "recorded_on": world.today.isoformat(),
            "text": "上午接访\r\n下午\x0b整理\u202e材料\x00",
            "progress": "30",
        },
    )
    assert resp.status_code == 302
    record = db.session.scalar(
        sa.select(FulfilmentRecord).where(FulfilmentRecord.commitment_id == c.id)
    )
    assert record.text == "上午接访\n下午整理材料"


def test_zero_width_record_is_refused(client, auth, world):
    c = world.commitment(S.published)
    auth.login(world.owner)
    resp = client.post(
        f"/commitments/{c.id}/records",
        data={
            "recorded_on": world.today.isoformat(),
            "text": "\u200b\u200b\u200b",
            "progress": "30",
        },
    )
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(FulfilmentRecord.id))) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/public/A%00",
        "/public/A%00/c/1",
        "/public/A?batch=%00",
        "/auth/login?next=%00",
        "/org/members?q=%00",
        "/org/members?q=a%00b",
        "/commitments/overview?q=%00",
        "/audit?actor=%00",
    ],
)
def test_nul_in_path_or_query_is_400(client, auth, org, url):
    auth.login("admin")
    resp = client.get(url)
    assert resp.status_code == 400
    assert "请求有误" in text(resp)


def test_nul_in_login_username_is_not_500(client, make_user):
    make_user("admin", username="boss")
    for username, password in [("bo\x00ss\x00", "x"), ("\x00", "\x00"), ("boss", "a\x00b")]:
        resp = client.post("/auth/login", data={"username": username, "password": password})
        assert resp.status_code in (200, 400, 401)  # a refused login, never an error


def test_public_board_does_not_show_bidi_override(client, auth, world):
    auth.login("admin")
    data = member_form(world.org, name="\u202e伟大王", version_id=world.owner_member.version_id)
    resp = client.post(f"/org/members/{world.owner_member.id}/edit", data=data)
    assert resp.status_code == 302
    world.commitment(S.published)
    auth.logout()
    page = text(client.get("/public/A"))
    assert "伟大王" in page and "\u202e" not in page


# --- finding 10: huge ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/public/A/c/{HUGE}",
        "/public/A/c/2147483648",
        "/public/A/c/9223372036854775808",
    ],
)
def test_huge_ids_in_public_urls_are_404(client, world, url):
    assert client.get(url).status_code == 404
    assert client.post(url + "/rate", data={"level": "satisfied"}).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/commitments/{HUGE}",
        "/commitments/2147483648",
        f"/commitments/{HUGE}/edit",
        f"/org/members/{HUGE}",
        f"/greetings/cards/{HUGE}",
        f"/reports/exports/{HUGE}",
        f"/notifications/{HUGE}",
        f"/commitments/qr/{HUGE}.png",
    ],
)
def test_huge_ids_in_urls_are_404(client, auth, world, url):
    auth.login("admin")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/commitments/overview?branch={HUGE}&batch={HUGE}",
        f"/commitments/export.xlsx?branch={HUGE}&batch={HUGE}",
        f"/commitments/qr?branch={HUGE}",
        f"/org/members?branch={HUGE}&group={HUGE}&department={HUGE}",
        f"/org/members/export.xlsx?branch={HUGE}",
        f"/greetings/?branch={HUGE}",
        f"/public/A?batch={HUGE}",
        "/org/members?branch=%C2%B2",  # "²" is a digit to str.isdigit, not to int()
    ],
)
@pytest.mark.parametrize("who", ["admin", "reviewer"])
def test_huge_ids_in_query_strings_are_ignored(client, auth, world, url, who):
    auth.login(who)
    assert client.get(url).status_code in (200, 403)


def test_huge_ids_in_form_choices_are_refused_not_500(client, auth, world):
    auth.login("admin")
    resp = client.post(
        "/org/members/new", data=member_form(world.org, branch_id=HUGE, party_group_id=HUGE)
    )
    assert resp.status_code == 400
    resp = client.post(
        "/commitments/batches/new",
        data={
            "branch_id": HUGE,
            "title": "新批次",
            "commit_start": world.today.isoformat(),
            "commit_end": (world.today + timedelta(days=5)).isoformat(),
            "evaluation_start": (world.today + timedelta(days=6)).isoformat(),
            "evaluation_end": (world.today + timedelta(days=9)).isoformat(),
        },
    )
    assert resp.status_code == 400
    resp = client.post(
        "/reports/",
        data={"kind": "commitment_ledger", "branch": HUGE, "member": HUGE, "batch": HUGE},
    )
    assert resp.status_code in (200, 400)


# --- finding 11: edit forms without their version ------------------------------------------


@pytest.mark.parametrize("version", [None, "", "abc", "²", "-1", HUGE])
def test_member_edit_without_version_is_a_conflict(client, auth, org, make_member, version):
    member = make_member(name="王秀英")
    auth.login("admin")
    data = member_form(org, name="被覆盖")
    if version is not None:
        data["version_id"] = version
    resp = client.post(f"/org/members/{member.id}/edit", data=data)
    assert resp.status_code == 409
    assert "已被他人修改" in text(resp)
    db.session.expire_all()
    assert member.name == "王秀英" and member.version_id == 1


def test_commitment_edit_without_version_is_a_conflict(client, auth, world):
    c = world.commitment(S.draft, content="原来的内容")
    auth.login(world.owner)
    resp = client.post(
        f"/commitments/{c.id}/edit",
        data={
            "category": "工作",
            "content": "被覆盖",
            "target": "目标",
            "measures": "",
            "deadline": (world.today + timedelta(days=30)).isoformat(),
        },
    )
    assert resp.status_code == 409 and "已被他人修改" in text(resp)
    db.session.expire_all()
    assert db.session.get(Commitment, c.id).content == "原来的内容"


def test_batch_edit_without_version_is_a_conflict(client, auth, world):
    auth.login(world.secretary)
    b = world.batch
    resp = client.post(
        f"/commitments/batches/{b.id}/edit",
        data={
            "branch_id": str(b.branch_id),
            "title": "被覆盖",
            "commit_start": b.commit_start.isoformat(),
            "commit_end": b.commit_end.isoformat(),
            "evaluation_start": b.evaluation_start.isoformat(),
            "evaluation_end": b.evaluation_end.isoformat(),
            "version_id": "garbage",
        },
    )
    assert resp.status_code == 409 and "已被他人修改" in text(resp)
    db.session.expire_all()
    assert b.title == "2026年度党员承诺"


def test_greeting_template_edit_without_version_is_a_conflict(client, auth, make_user):
    ensure_default_templates()
    db.session.commit()
    row = db.session.scalar(sa.select(GreetingTemplate).order_by(GreetingTemplate.id))
    before = row.title
    auth.login("admin")
    resp = client.post(
        f"/greetings/templates/{row.id}/edit",
        data={"years": str(row.years), "title": "被覆盖", "body": row.body, "is_active": "y"},
    )
    assert resp.status_code == 409 and "已被他人修改" in text(resp)
    db.session.expire_all()
    assert db.session.get(GreetingTemplate, row.id).title == before


def test_every_form_gets_the_normalisation(app):
    """Every form class in the application inherits BaseForm (and so its text rules)."""
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import partybuild
    from partybuild.core.forms import BaseForm

    for info in pkgutil.walk_packages(partybuild.__path__, "partybuild."):
        if info.name.endswith(".forms"):
            importlib.import_module(info.name)

    def subclasses(cls):  # noqa: ANN001, ANN202
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = [c for c in subclasses(FlaskForm) if c.__module__.startswith("partybuild.")]
    assert len(forms) > 10
    assert [c for c in forms if not issubclass(c, BaseForm)] == []
