"""Issue 10, point 10: names sort by pinyin (阿 < 张 < 赵) wherever a list is ordered by
name, through one stored key (Member.name_pinyin) that SQL orders and pages by on
SQLite and PostgreSQL alike, kept in step with the name and filled by the migration."""

import re
from datetime import date, datetime

import sqlalchemy as sa
from flask_migrate import upgrade

from partybuild.core.pinyin import romanise, sort_key
from partybuild.extensions import db
from partybuild.org import lists, service
from partybuild.org.models import Member, by_name

NAMES = ["赵四", "张三", "阿娇", "李明", "林", "单田芳", "吕布"]
PINYIN_ORDER = ["阿娇", "李明", "林", "吕布", "单田芳", "张三", "赵四"]


def test_sort_key_orders_by_pinyin_syllable_by_syllable():
    assert sorted(NAMES, key=sort_key) == PINYIN_ORDER
    assert sort_key("阿") < sort_key("张") < sort_key("赵")
    assert sort_key("李明") < sort_key("林")  # li-ming before lin
    assert sort_key("单田芳").startswith("shan")  # 单 as a surname
    assert romanise("张三") == "zhangsan" and romanise("") == ""
    assert re.fullmatch(r"[0-9a-z]*", sort_key("Anna·李\u3000x"))


def test_lists_order_names_by_pinyin_in_sql(client, auth, make_member, org):
    for name in NAMES:
        make_member(name=name)
    ordered = db.session.scalars(
        sa.select(Member.name).where(Member.branch_id == org.a.id).order_by(*by_name())
    ).all()
    assert ordered == PINYIN_ORDER
    auth.login("secretary")
    page = client.get("/org/members").get_data(as_text=True)
    positions = [page.index(f">{name}</a>") for name in PINYIN_ORDER]
    assert positions == sorted(positions)
    # The member pickers' type-ahead too (names starting with what was typed first).
    secretary = auth.user
    names = [m.name for m in db.session.scalars(lists.member_choices(secretary, ""))]
    assert [n for n in names if n in NAMES] == PINYIN_ORDER


def test_key_follows_the_name_on_create_and_edit(auth, org, make_user):
    secretary = make_user("secretary")
    data = {
        "name": "赵四", "gender": "male", "birth_on": date(1980, 1, 1),
        "joined_on": date(2005, 7, 1), "full_member_on": date(2006, 7, 1), "status": "full",
        "branch_id": org.a.id, "party_group_id": None, "department_id": None, "post_id": None,
        "title": "", "is_leader": False, "phone": "",
    }  # fmt: skip
    member = service.create_member(data, secretary)
    db.session.commit()
    assert member.name_pinyin == "zhao4si4"
    service.update_member(member, {**data, "name": "阿娇"}, secretary, member.version_id)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Member, member.id).name_pinyin == "a1jiao1"


def test_migration_fills_the_key_of_existing_members(app, backend):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        upgrade(revision="n14_commitments_proxy")
        old = sa.MetaData()
        old.reflect(db.engine)
        now = datetime(2026, 1, 1, 8, 0)
        with db.engine.begin() as conn:
            org_id = conn.execute(
                sa.insert(old.tables["organizations"]).values(name="局机关党委", kind="committee")
            ).inserted_primary_key[0]
            branch_id = conn.execute(
                sa.insert(old.tables["branches"]).values(
                    organization_id=org_id, code="A", name="第一党支部", is_active=True
                )
            ).inserted_primary_key[0]
            for name in ("张三", "阿娇"):
                conn.execute(
                    sa.insert(old.tables["members"]).values(
                        branch_id=branch_id,
                        name=name,
                        gender="male",
                        birth_on=date(1980, 1, 1),
                        joined_on=date(2005, 7, 1),
                        status="full",
                        full_member_on=date(2006, 7, 1),
                        title="",
                        is_leader=False,
                        phone="",
                        is_active=True,
                        retired_reason="",
                        created_at=now,
                        updated_at=now,
                        version_id=1,
                    )  # fmt: skip
                )
        upgrade(revision="o15_accounts")
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT name, name_pinyin FROM members ORDER BY name_pinyin")
            ).all()
            assert [tuple(r) for r in rows] == [("阿娇", "a1jiao1"), ("张三", "zhang1san1")]
            assert conn.execute(sa.text("SELECT must_change_password FROM users")).all() == []
    finally:
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.create_all()
