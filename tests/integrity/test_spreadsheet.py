"""Import of the common ledger layout: all or nothing with row-numbered errors; export
through the shared safe writer."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from partybuild.extensions import db
from partybuild.integrity.models import ControlMeasure, RiskLevel, RiskPoint

HEADER = [
    "序号",
    "科室",
    "风险类别",
    "风险点",
    "表现形式",
    "风险等级",
    "防控措施",
    "责任人",
    "责任领导",
]


def xlsx(rows, header=HEADER, title=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, content, name="台账.xlsx"):
    return client.post(
        "/integrity/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


GOOD = [
    [1, "接访科", "权力行使", "受理信访事项时优亲厚友", "熟人事项优先", "高", "1. 登记全程留痕\n2. 每月抽查", "李岗位", "局长"],
    [2, None, "思想道德", "接受吃请", "", "中风险", "签订廉洁承诺书", "", "局长"],
    [3, "接访科", "制度机制", "首问负责制落实不到位", "推诿", "低", "", "", ""],
]  # fmt: skip


def test_valid_file_imports_points_and_controls(client, auth, world):
    auth.login(world.users["secretary"])
    resp = upload(client, xlsx(GOOD, title="接访科廉政风险防控点台账"))
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "检查全部通过" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    assert db.session.scalar(sa.select(sa.func.count(RiskPoint.id))) == 0  # preview writes nothing
    assert client.post("/integrity/import/confirm", data={"token": token}).status_code == 302
    points = db.session.scalars(sa.select(RiskPoint).order_by(RiskPoint.id)).all()
    assert [p.level for p in points] == [RiskLevel.high, RiskLevel.medium, RiskLevel.low]
    assert [p.category for p in points] == ["power", "ideology", "institution"]
    assert points[0].owner_id == world.owner_member.id and points[0].post_id == world.org.post.id
    assert points[1].post_id == world.org.post.id  # merged 科室 cell repeats the row above
    texts = db.session.scalars(
        sa.select(ControlMeasure.text).where(ControlMeasure.risk_point_id == points[0].id)
    ).all()
    assert texts == ["登记全程留痕", "每月抽查"]
    # The token is spent: a second confirm imports nothing more.
    client.post("/integrity/import/confirm", data={"token": token})
    assert db.session.scalar(sa.select(sa.func.count(RiskPoint.id))) == 3


def test_malformed_rows_reject_the_whole_file(client, auth, world):
    auth.login(world.users["secretary"])
    rows = GOOD + [
        [4, "不存在的科室", "权力行使", "x", "", "高", "", "", ""],
        [5, "接访科", "其他", "y", "", "特高", "", "", ""],
        [6, "接访科", "权力行使", "", "", "高", "", "", ""],
        [7, "接访科", "权力行使", "受理信访事项时优亲厚友", "", "高", "", "", ""],
    ]
    resp = upload(client, xlsx(rows))
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "未导入任何数据" in page
    assert "第 5 行" in page and "科室“不存在的科室”不存在" in page
    assert "第 6 行" in page and "风险类别“其他”" in page and "风险等级“特高”" in page
    assert "第 7 行" in page and "请填写风险点" in page
    assert "第 8 行" in page and "与第2行重复" in page
    assert "第 2 行" not in page.split("import-errors")[1].split("</table>")[0]
    assert 'name="token"' not in page
    assert db.session.scalar(sa.select(sa.func.count(RiskPoint.id))) == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"not a zip", "a.xlsx", "无法读取该 Excel 文件"),
        (b"x", "a.csv", "只支持 .xlsx"),
        (xlsx([], header=["序号", "科室"]), "a.xlsx", "找不到表头"),
        (xlsx([], header=["序号", "风险点"]), "a.xlsx", "表头缺少必需的列"),
    ],
)
def test_bad_files_are_refused_in_chinese(client, auth, world, content, name, message):
    auth.login(world.users["secretary"])
    resp = upload(client, content, name)
    assert message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(RiskPoint.id))) == 0


def test_other_users_token_is_refused(client, auth, world):
    auth.login(world.users["secretary"])
    page = upload(client, xlsx(GOOD)).get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    auth.login(world.users["deputy"])
    client.post("/integrity/import/confirm", data={"token": token})
    assert db.session.scalar(sa.select(sa.func.count(RiskPoint.id))) == 0


def test_export_uses_layout_and_neutralises_formulas(client, auth, world):
    world.point(title='=HYPERLINK("http://x","点我")')
    auth.login(world.users["secretary"])
    resp = client.get("/integrity/export.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0][:9]) == HEADER
    cell = ws.cell(row=2, column=4)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert rows[1][5] == "高" and rows[1][1] == "接访科"


def test_export_reimports(client, auth, world, make_user):
    world.point(title="导出再导入")
    auth.login(world.users["secretary"])
    data = client.get("/integrity/export.xlsx").data
    auth.login(world.users["other_secretary"])
    page = upload(client, data).get_data(as_text=True)
    assert "检查全部通过" in page, page[page.find("import-errors") :][:500]
