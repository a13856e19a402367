"""The keyed audit chain: without the audit key nobody can rewind or rewrite the
tail and make the stored head agree; keys rotate; chains from before keys verify."""

import hashlib
import json

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from partybuild.core import audit
from partybuild.core.audit import AuditEntry, AuditHead, head_mac, key_id_of, verify_chain
from partybuild.extensions import db
from tests.support import base_config


def _write(n, start=0):
    for i in range(start, start + n):
        audit.record("update", "member", i, actor="tester", after={"n": i}, summary=f"第{i}条")
    db.session.commit()
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def _plain_sha(entry):
    """What the hash was before keys: SHA-256 of the payload (the attacker's tool)."""
    payload = {
        "prev": entry.prev_hash,
        "at": entry.created_at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "branch_id": entry.branch_id,
        "summary": entry.summary,
        "before": entry.before,
        "after": entry.after,
        "ip": entry.ip,
    }
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def _set_head(entries, last):
    db.session.execute(
        sa.text("UPDATE audit_head SET entries = :n, last_id = :i, last_hash = :h WHERE id = 1"),
        {"n": entries, "i": last.id, "h": last.hash},
    )


def test_rewinding_the_tail_and_the_head_is_detected(runner):
    """Finding 12: delete the newest entries and make the stored head agree."""
    entries = _write(5)
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id > :i"), {"i": entries[2].id})
    _set_head(3, entries[2])
    db.session.commit()
    db.session.expire_all()
    result = verify_chain()
    assert not result.ok and result.checked == 3
    cli = runner.invoke(args=["audit", "verify"])
    assert cli.exit_code == 1 and "审计日志被篡改" in cli.output


def _forge_tail(key):
    """An attacker with database access rewrites the newest entry and the head,
    signing with ``key`` (None: the plain SHA-256 of the old scheme)."""
    entries = list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
    last = entries[-1]
    last.summary = "伪造的记录"
    last.hash = last.compute_hash(key) if key else _plain_sha(last)
    head = db.session.get(AuditHead, 1)
    head.last_hash = last.hash
    if key:
        head.mac = head_mac(key, head.entries, head.last_id, head.last_hash)
    else:
        message = f"audit-head|{head.entries}|{head.last_id}|{head.last_hash}"
        head.mac = hashlib.sha256(message.encode()).hexdigest()
    db.session.commit()
    db.session.expire_all()


@pytest.mark.parametrize("attacker_key", [None, b"a guessed key"])
def test_rewriting_the_tail_without_the_key_is_detected(app, attacker_key):
    entries = _write(4)
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id = :i"), {"i": entries[3].id})
    _set_head(3, entries[2])
    db.session.commit()
    _forge_tail(attacker_key)
    result = verify_chain()
    assert not result.ok and result.first_bad_id == entries[2].id
    assert "哈希不符" in result.reason


def test_with_the_key_the_same_rewrite_would_pass(app):
    """Proves the two tests above fail for want of the key, not for some other reason."""
    entries = _write(4)
    db.session.execute(sa.text("DELETE FROM audit_entries WHERE id = :i"), {"i": entries[3].id})
    _set_head(3, entries[2])
    db.session.commit()
    _forge_tail(app.config["AUDIT_KEY"].encode())
    assert verify_chain().ok


def test_key_is_not_in_the_database(app):
    _write(2)
    key = app.config["AUDIT_KEY"]
    assert len(key) >= 32
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                assert key not in repr(tuple(row)), table.name
    entry = db.session.scalars(sa.select(AuditEntry)).first()
    assert entry.key_id == key_id_of(key.encode())


def test_key_is_generated_once_into_the_instance_folder(tmp_path):
    from partybuild import create_app

    config = base_config(tmp_path)
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'k.db'}"
    first = create_app(config).config["AUDIT_KEY"]
    assert (tmp_path / "instance" / "audit_key").read_text().strip() == first
    assert create_app(config).config["AUDIT_KEY"] == first
    assert first != create_app(config).config["SECRET_KEY"]


def test_rotation_keeps_old_entries_verifiable(app):
    old_key = app.config["AUDIT_KEY"]
    _write(2)
    app.config["AUDIT_KEY"] = "a-brand-new-audit-key-0123456789abcdef"
    app.config["AUDIT_KEYRING"] = [old_key]
    entries = _write(2, start=2)
    assert entries[0].key_id == entries[1].key_id == key_id_of(old_key.encode())
    assert entries[3].key_id == key_id_of(b"a-brand-new-audit-key-0123456789abcdef")
    assert entries[2].prev_hash == entries[1].hash
    assert verify_chain().ok and verify_chain().checked == 4

    app.config["AUDIT_KEYRING"] = f"{old_key}, some-other-retired-key"  # env form: comma list
    assert verify_chain().ok

    app.config["AUDIT_KEYRING"] = None  # the old key lost: the old entries cannot be checked
    result = verify_chain()
    assert not result.ok and result.first_bad_id == entries[0].id
    assert "不在密钥环中" in result.reason


def test_legacy_entries_verify_with_the_plain_rule_but_only_before_keyed_ones(app):
    entries = _write(3)
    # Turn them into entries written before keys existed, with a head the migration signed.
    for entry in entries:
        entry.key_id = None
    prev = audit.GENESIS
    for entry in entries:
        entry.prev_hash = prev
        entry.hash = prev = _plain_sha(entry)
    head = db.session.get(AuditHead, 1)
    head.last_hash = prev
    key = app.config["AUDIT_KEY"].encode()
    head.mac = head_mac(key, head.entries, head.last_id, head.last_hash)
    db.session.commit()
    assert verify_chain().ok
    entries = _write(2, start=3)
    assert [e.key_id is None for e in entries] == [True, True, True, False, False]
    assert verify_chain().ok

    # Downgrading a keyed entry to the old rule is refused.
    forged = entries[4]
    forged.key_id = None
    forged.hash = _plain_sha(forged)
    head = db.session.get(AuditHead, 1)
    head.last_hash = forged.hash
    head.mac = hashlib.sha256(b"whatever").hexdigest()
    db.session.commit()
    result = verify_chain()
    assert not result.ok and result.first_bad_id == forged.id


def test_deleting_the_head_row_is_detected(app):
    _write(3)
    db.session.execute(sa.text("DELETE FROM audit_head"))
    db.session.commit()
    assert not verify_chain().ok
    # The next entry is not chained to a head rebuilt from the (possibly cut) entries.
    _write(1, start=3)
    assert not verify_chain().ok


def test_append_reads_the_head_not_the_entries(app, query_counter):
    """An append does a fixed number of statements and never reads audit_entries
    (no MAX, COUNT or ORDER BY over the log), however long the chain is."""
    _write(3)
    counts = []
    for i in range(2):
        with query_counter() as q:
            audit.record("update", "member", i, actor="tester")
        db.session.commit()
        counts.append(q.count)
        selects = [s for s in q.statements if s.lstrip().upper().startswith("SELECT")]
        assert all("audit_entries" not in s for s in selects), selects
        assert not any("count(" in s.lower() or "max(" in s.lower() for s in q.statements)
    assert counts[0] == counts[1] <= 5, q.statements
    assert verify_chain().ok


def test_settings_page_shows_whether_the_key_is_set(client, auth):
    auth.login("admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "审计日志密钥" in page and "PARTYBUILD_AUDIT_KEY" in page
    section = page[page.index("审计日志密钥") :][:2000]
    assert "已设置" in section
    assert client.application.config["AUDIT_KEY"] not in page


def test_upgrade_signs_an_existing_chain(app, backend):
    """A chain written before keys verifies after the migration (plain SHA-256 entries,
    head signed by the migration), and rewinding it afterwards is detected."""
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        upgrade(revision="e5_sessions_logins")
        prev = audit.GENESIS
        with db.engine.begin() as conn:
            for i in range(3):
                entry = AuditEntry(
                    created_at=audit.utcnow(),
                    actor_id=None,
                    actor_name="系统",
                    action="update",
                    object_type="member",
                    object_id=str(i),
                    branch_id=None,
                    summary=f"旧记录{i}",
                    before=None,
                    after={"n": i},
                    ip=None,
                    prev_hash=prev,
                )
                entry.hash = prev = _plain_sha(entry)
                last_id = conn.execute(
                    sa.text(
                        "INSERT INTO audit_entries (created_at, actor_name, action,"
                        " object_type, object_id, summary, after, prev_hash, hash)"
                        " VALUES (:at, :who, :a, :t, :o, :s, :after, :p, :h) RETURNING id"
                    ),
                    {
                        "at": entry.created_at,
                        "who": entry.actor_name,
                        "a": entry.action,
                        "t": entry.object_type,
                        "o": entry.object_id,
                        "s": entry.summary,
                        "after": json.dumps(entry.after),
                        "p": entry.prev_hash,
                        "h": entry.hash,
                    },
                ).scalar_one()
            conn.execute(
                sa.text(
                    "INSERT INTO audit_head (id, entries, last_id, last_hash) VALUES (1, 3, :i, :h)"
                ),
                {"i": last_id, "h": prev},
            )
        upgrade()
        db.session.expire_all()
        assert verify_chain().ok
        audit.record("update", "member", 9, actor="tester")
        db.session.commit()
        assert verify_chain().ok and verify_chain().checked == 4
        db.session.execute(sa.text("DELETE FROM audit_entries WHERE id >= 3"))
        db.session.execute(
            sa.text(
                "UPDATE audit_head SET entries = 2, last_id = 2,"
                " last_hash = (SELECT hash FROM audit_entries WHERE id = 2)"
            )
        )
        db.session.commit()
        db.session.expire_all()
        assert not verify_chain().ok
    finally:
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.create_all()
