"""The migrations produce exactly the schema the models describe."""

import re

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from partybuild.extensions import db


def test_migrations_match_models(app, backend):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, db.metadata)
            # Alembic's compare ignores CHECK constraints: compare them per table here.
            migrated = {t.name: migrated_checks(conn, t.name) for t in db.metadata.sorted_tables}
    finally:
        if backend == "postgresql":  # leave the shared schema as the other tests expect
            db.drop_all()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.create_all()
    modelled = {t.name: model_checks(t, backend) for t in db.metadata.sorted_tables}
    assert diff == [], f"models and migrations differ ({backend}): {diff}"
    for name in modelled:
        assert migrated[name] == modelled[name], f"CHECK constraints of {name} ({backend})"


def migrated_checks(conn: sa.Connection, table: str) -> dict[str, str]:
    return {
        ck["name"]: normalise(ck["sqltext"], conn.dialect.name)
        for ck in sa.inspect(conn).get_check_constraints(table)
    }


def model_checks(table: sa.Table, backend: str) -> dict[str, str]:
    dialect = db.engine.dialect
    found = {}
    for ck in table.constraints:
        if isinstance(ck, sa.CheckConstraint):
            text = str(
                ck.sqltext.compile(
                    dialect=dialect, compile_kwargs={"literal_binds": True, "include_table": False}
                )
            )
            found[ck.name] = normalise(text, backend)
    return found


def normalise(text: str, backend: str) -> str:
    """SQLite keeps the text as written, so compare it whole (spacing, brackets and
    quoting aside); PostgreSQL rewrites it (casts, ANY(ARRAY[…])), so compare the
    literals it names, which for an enum's CHECK are its allowed values."""
    if backend == "sqlite":
        return re.sub(r'[\s()"`]', "", text).lower()
    return " ".join(sorted(set(re.findall(r"'([^']*)'", text))))
