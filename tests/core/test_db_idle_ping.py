"""Pooled connections are checked only after idling (no ping round trip per request),
and one that died while idle is replaced before a request uses it."""

import sqlalchemy as sa

from partybuild.core.db import _IDLE_SINCE
from partybuild.extensions import db


def test_a_connection_that_died_while_idle_is_replaced(app):
    assert not app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"]
    db.session.remove()
    db.engine.dispose()
    proxied = db.engine.raw_connection()
    record = proxied._connection_record
    proxied.dbapi_connection.close()  # as a server restart would leave it
    proxied.close()  # back to the pool
    record.info[_IDLE_SINCE] -= 3600  # idle for an hour
    with db.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT 1")) == 1


def test_a_connection_back_from_a_request_is_not_pinged(app):
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as conn:
        conn.scalar(sa.text("SELECT 2"))
    ping = db.engine.dialect.do_ping
    pinged: list[int] = []
    db.engine.dialect.do_ping = lambda c: pinged.append(1) or ping(c)  # type: ignore[method-assign]
    try:
        with db.engine.connect() as conn:
            conn.scalar(sa.text("SELECT 3"))
        assert pinged == []
    finally:
        del db.engine.dialect.do_ping
