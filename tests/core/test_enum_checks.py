"""Every enum column carries a CHECK constraint, named so that names never collide."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from partybuild.core.db import MAX_NAME_LENGTH, LabelledEnum, str_enum
from partybuild.extensions import db


def enum_columns() -> list[sa.Column]:
    return [
        column
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.Enum)
    ]


def test_every_enum_column_has_a_check_named_after_it(app):
    columns = enum_columns()
    assert len(columns) >= 17
    names = []
    for column in columns:
        checks = {
            ck.name: ck for ck in column.table.constraints if isinstance(ck, sa.CheckConstraint)
        }
        name = f"ck_{column.table.name}_{column.name}_enum"
        assert name in checks, name
        assert len(name) <= MAX_NAME_LENGTH
        names.append(name)
    assert len(names) == len(set(names))


def test_two_columns_of_one_enum_in_one_table_get_two_checks():
    class Colour(LabelledEnum):
        red = "red", "红"

    table = sa.Table(
        "paint_jobs",
        sa.MetaData(naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"}),
        sa.Column("before", str_enum(Colour)),
        sa.Column("after", str_enum(Colour)),
    )
    names = {ck.name for ck in table.constraints if isinstance(ck, sa.CheckConstraint)}
    assert names == {"ck_paint_jobs_before_enum", "ck_paint_jobs_after_enum"}


def test_a_name_too_long_for_postgresql_is_refused_when_the_model_is_defined():
    class Colour(LabelledEnum):
        red = "red", "红"

    with pytest.raises(ValueError):
        sa.Table(
            "t" * 40,
            sa.MetaData(naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"}),
            sa.Column("c" * 20, str_enum(Colour)),
        )


@pytest.mark.parametrize(
    ("table", "column"), [("organizations", "kind"), ("members", "gender"), ("users", "role")]
)
def test_unknown_values_are_refused_by_the_database(make_user, backend, table, column):
    make_user("member")
    with pytest.raises(IntegrityError) as info:
        db.session.execute(sa.text(f"UPDATE {table} SET {column} = 'bogus'"))
    assert f"ck_{table}_{column}_enum" in str(info.value)
    db.session.rollback()
