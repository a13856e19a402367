"""The large bureau for benchmarks, built in bulk (Core inserts, no ORM units of work).

    python bench/dataset.py [--scale 1.0] [--sqlite PATH] [--rebuild]

At ``scale=1.0``: 50 branches, 5,000 members, 20,000 commitments, ~36,600 fulfilment
records, 100,000 public ratings and 100,000 audit entries (a valid hash chain). The
counters the pages read (records, progress, ratings by level, branch versions) are
filled as the services would have left them. Deterministic: the same scale gives the
same rows.

Other benchmarks call :func:`build` (or :func:`sqlite_url` / :func:`postgres_url`):

    from bench.dataset import build, sqlite_url
    info = build(sqlite_url(0.1), scale=0.1)

A database already built at the same scale is reused unless ``rebuild=True``. On
PostgreSQL (``PARTYBUILD_TEST_DATABASE_URL`` set) a database named
``pb_bench_<scale>`` is created on that server (``PARTYBUILD_BENCH_PG_PREFIX`` changes
the prefix, ``PARTYBUILD_BENCH_DIR`` the SQLite directory, so parallel checkouts keep apart).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(os.environ.get("PARTYBUILD_BENCH_DIR", Path(tempfile.gettempdir()) / "pb-bench"))
PG_ENV = "PARTYBUILD_TEST_DATABASE_URL"

FULL = dict(
    branches=50, members=5000, commitments=20_000, records=36_600, ratings=100_000, audit=100_000
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌波宁辉鹏飞浩然宇轩晨欣怡佳琪"
)
CATEGORIES = ["岗位建功", "为民服务", "学习提升", "作风建设", "志愿服务"]
STATES = [  # (state, share)
    ("draft", 0.05),
    ("submitted", 0.05),
    ("published", 0.15),
    ("in_progress", 0.45),
    ("awaiting_evaluation", 0.10),
    ("evaluated", 0.15),
    ("not_fulfilled", 0.05),
]
PUBLIC = {"published", "in_progress", "awaiting_evaluation", "evaluated", "not_fulfilled"}
LEVELS = ["satisfied", "basic", "unsatisfied"]
AUDIT_ACTIONS = [
    ("commitment", ["create", "submit", "publish", "add_record", "supervise", "finalise"]),
    ("member", ["create", "update"]),
    ("user", ["login"]),
    ("public_rating", ["moderate"]),
    ("export", ["export", "download"]),
]


@dataclass
class BuildInfo:
    url: str
    scale: float
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    reused: bool = False
    # Ids the page benchmarks open.
    branch_code: str = "B01"
    users: dict[str, int] = field(default_factory=dict)  # role -> user id
    logins: dict[str, str] = field(default_factory=dict)  # role -> Flask-Login token
    commitment_id: int = 0  # a commitment of B01 with records, on the public board
    ratable_id: int = 0  # a commitment of B01 that takes ratings
    member_id: int = 1  # a member of B01


def sqlite_url(scale: float) -> str:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{BENCH_DIR / f'bench-{scale:g}.db'}"


def postgres_url(scale: float, server_url: str | None = None) -> str | None:
    """A database on the test server for this scale (created if missing), or None."""
    server_url = server_url or os.environ.get(PG_ENV)
    if not server_url:
        return None
    prefix = os.environ.get("PARTYBUILD_BENCH_PG_PREFIX", "pb_bench")  # one per worktree
    name = f"{prefix}_{str(scale).replace('.', '_')}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def bench_app(url: str, **config: Any):  # noqa: ANN201
    """The app on ``url`` with benchmark-friendly config (no CSRF, quiet logging)."""
    from partybuild import create_app

    instance = BENCH_DIR / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-secret",
        "INSTANCE_PATH": str(instance),
        "EXPORTS_DIR": str(BENCH_DIR / "exports"),
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_BASE_URL": "http://bench.example.org",
    }
    settings.update(config)
    return create_app(settings)


def _n(scale: float, key: str) -> int:
    return max(1, round(FULL[key] * scale)) if key != "branches" else max(2, round(50 * scale))


def _name(rng: random.Random, i: int) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 3 else "")


def _existing(url: str, scale: float) -> BuildInfo | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            members = conn.scalar(sa.text("SELECT count(*) FROM members"))
            audit = conn.scalar(sa.text("SELECT count(*) FROM audit_entries"))
            meetings = conn.scalar(sa.text("SELECT count(*) FROM meetings"))
            steps = conn.scalar(
                sa.text("SELECT count(*) FROM commitment_events WHERE to_state <> 'draft'")
            )
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    if members != _n(scale, "members") or audit < _n(scale, "audit") or not meetings:
        return None  # missing or built before meetings were part of it
    if not steps:
        return None  # built when the timeline held only the drafts
    return BuildInfo(url, scale, reused=True)


def _fill_ids(info: BuildInfo) -> BuildInfo:
    engine = sa.create_engine(info.url)
    with engine.connect() as conn:
        for role in ("admin", "reviewer", "secretary", "member"):
            info.users[role], info.logins[role] = conn.execute(
                sa.text("SELECT id, id || ':' || session_version FROM users WHERE username = :u"),
                {"u": f"bench_{role}"},
            ).one()
        b01 = conn.scalar(sa.text("SELECT id FROM branches WHERE code = 'B01'"))
        info.commitment_id = conn.scalar(
            sa.text(
                "SELECT id FROM commitments WHERE branch_id = :b AND state = 'in_progress'"
                " AND NOT is_withdrawn AND record_count > 0 ORDER BY id LIMIT 1"
            ),
            {"b": b01},
        )
        info.ratable_id = info.commitment_id
        for table in (
            "branches", "members", "commitments", "fulfilment_records", "public_ratings",
            "audit_entries", "meetings", "risk_points",
        ):  # fmt: skip
            info.counts[table] = conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
    engine.dispose()
    return info


def build(url: str, scale: float = 1.0, *, rebuild: bool = False, quiet: bool = False) -> BuildInfo:
    """Build (or reuse) the large bureau at ``url``; returns what was built and ids to open."""
    if not rebuild:
        found = _existing(url, scale)
        if found is not None:
            _add_new_tables(url)
            return _fill_ids(found)
    started = time.perf_counter()
    app = bench_app(url)
    from partybuild.extensions import db

    with app.app_context():
        db.drop_all()
        db.create_all()
        _insert_all(db, scale, quiet)
        db.session.remove()
        db.engine.dispose()
    info = _fill_ids(BuildInfo(url, scale))
    info.seconds = time.perf_counter() - started
    return info


def _add_new_tables(url: str) -> None:
    """Tables and indexes the models gained since the database was built (new tables
    start empty)."""
    app = bench_app(url)
    from partybuild.extensions import db

    with app.app_context():
        db.create_all()
        for table in db.metadata.sorted_tables:
            for index in table.indexes:
                index.create(db.engine, checkfirst=True)
        db.session.remove()
        db.engine.dispose()


def _insert_all(db: Any, scale: float, quiet: bool) -> None:  # noqa: C901, PLR0915
    from partybuild.auth.models import User
    from partybuild.commitments.models import (
        Commitment,
        CommitmentBatch,
        CommitmentEvent,
        FulfilmentRecord,
        PublicRating,
    )
    from partybuild.core.audit import GENESIS, AuditEntry, AuditHead
    from partybuild.org.models import Branch, Department, Member, Organization, PartyGroup, Post

    rng = random.Random(20261127)
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    today = date(2026, 11, 20)
    session = db.session

    def put(model: Any, rows: list[dict]) -> None:
        t0 = time.perf_counter()
        for start in range(0, len(rows), 5000):
            session.execute(sa.insert(model.__table__), rows[start : start + 5000])
        session.commit()
        if not quiet:
            print(
                f"  {model.__tablename__:<22} {len(rows):>8} rows  {time.perf_counter() - t0:5.1f} s"
            )

    n_branches = _n(scale, "branches")
    n_members = _n(scale, "members")
    n_commitments = _n(scale, "commitments")
    n_records = _n(scale, "records")
    n_ratings = _n(scale, "ratings")
    n_audit = _n(scale, "audit")

    put(Organization, [{"id": 1, "name": "市直机关工作委员会", "kind": "committee"}])
    departments = [{"id": i + 1, "organization_id": 1, "name": f"第{i + 1}处室"} for i in range(20)]
    put(Department, departments)
    posts = [
        {
            "id": d * 3 + k + 1,
            "department_id": d + 1,
            "name": ["科员", "副科长", "科长"][k],
            "duties": "",
        }
        for d in range(20)
        for k in range(3)
    ]
    put(Post, posts)
    branches = [
        {
            "id": i + 1,
            "organization_id": 1,
            "code": f"B{i + 1:02d}",
            "name": f"第{i + 1}党支部",
            "is_active": True,
            "public_version": 1,
        }
        for i in range(n_branches)
    ]
    put(Branch, branches)
    put(
        PartyGroup,
        [
            {"id": b * 3 + k + 1, "branch_id": b + 1, "name": f"第{k + 1}党小组"}
            for b in range(n_branches)
            for k in range(3)
        ],
    )

    members = []
    for i in range(n_members):
        branch_id = i % n_branches + 1
        joined = date(1975, 1, 1) + timedelta(days=rng.randrange(0, 50 * 365))
        birth = joined - timedelta(days=rng.randrange(20 * 365, 30 * 365))
        probationary = i % 40 == 0 and joined.year >= 2025
        post = rng.choice(posts)
        members.append(
            {
                "id": i + 1,
                "branch_id": branch_id,
                "party_group_id": (branch_id - 1) * 3 + i % 3 + 1,
                "department_id": post["department_id"],
                "post_id": post["id"],
                "name": _name(rng, i),
                "gender": "male" if i % 2 else "female",
                "birth_on": birth,
                "joined_on": joined,
                "full_member_on": None if probationary else joined + timedelta(days=365),
                "status": "probationary" if probationary else "full",
                "title": "",
                "is_leader": i % 20 == 0,
                "phone": f"139{i:08d}",
                "is_active": True,
                "retired_reason": "",
                "created_at": now,
                "updated_at": now,
                "version_id": 1,
            }
        )
    put(Member, members)

    users = [
        {"id": 1, "username": "bench_admin", "role": "admin", "branch_id": None, "member_id": None},
        {"id": 2, "username": "bench_reviewer", "role": "reviewer", "branch_id": None, "member_id": None},
        {"id": 3, "username": "bench_secretary", "role": "secretary", "branch_id": 1, "member_id": 1},
        {"id": 4, "username": "bench_member", "role": "member", "branch_id": 1, "member_id": 1 + n_branches},
    ]  # fmt: skip
    for u in users:
        u.update(password_hash="!bench", display_name="", created_at=now, version_id=1)
    put(User, users)

    batches = []
    for b in range(n_branches):
        batches.append(
            {
                "id": 2 * b + 1,
                "branch_id": b + 1,
                "title": "2025年度党员承诺",
                "commit_start": date(2025, 1, 1),
                "commit_end": date(2025, 3, 31),
                "entry_start": date(2025, 1, 1),  # the entry window: the model's default
                "entry_end": date(2025, 3, 31),
                "evaluation_start": date(2025, 11, 1),
                "evaluation_end": date(2025, 12, 31),
                "status": "closed",
                "created_at": now,
                "version_id": 1,
            }  # fmt: skip
        )
        batches.append(
            {
                "id": 2 * b + 2,
                "branch_id": b + 1,
                "title": "2026年度党员承诺",
                "commit_start": date(2026, 1, 1),
                "commit_end": date(2026, 12, 31),
                "entry_start": date(2026, 1, 1),  # the entry window: the model's default
                "entry_end": date(2026, 12, 31),
                "evaluation_start": date(2026, 11, 1),
                "evaluation_end": date(2026, 12, 31),
                "status": "open",
                "created_at": now,
                "version_id": 1,
            }  # fmt: skip
        )
    put(CommitmentBatch, batches)

    weights = [share for _, share in STATES]
    names = [s for s, _ in STATES]
    commitments = []
    for i in range(n_commitments):
        member = members[i % n_members]
        old = i % 4 == 0  # a quarter in last year's batch
        state = rng.choices(names, weights)[0]
        if old and state not in ("evaluated", "not_fulfilled"):
            state = "evaluated"
        published = state in PUBLIC
        row = {
            "id": i + 1,
            "batch_id": 2 * (member["branch_id"] - 1) + (1 if old else 2),
            "branch_id": member["branch_id"],
            "member_id": member["id"],
            "category": CATEGORIES[i % len(CATEGORIES)],
            "content": f"承诺内容{i}：立足岗位，做好本职，带头服务群众，完成年度重点任务。",
            "target": "全年无差错，群众满意",
            "measures": "每月学习，每季度总结",
            "deadline": date(2025 if old else 2026, 12, 31) - timedelta(days=i % 200),
            "state": state,
            "return_comment": "",
            "submitted_at": now if state != "draft" else None,
            "published_at": now - timedelta(days=200) if published else None,
            "published_by_id": 3 if published else None,
            "evaluation_requested_at": (
                now - timedelta(days=10) if state in ("awaiting_evaluation", "evaluated") else None
            ),
            "requested_days_left": 30 if state in ("awaiting_evaluation", "evaluated") else None,
            "evaluated_at": now if state == "evaluated" else None,
            "score": 88.5 if state == "evaluated" else None,
            "grade": "优秀" if state == "evaluated" else None,
            "closed_at": now if state == "not_fulfilled" else None,
            "closed_reason": "工作调整，未能完成" if state == "not_fulfilled" else "",
            "is_withdrawn": i % 97 == 0,
            "withdrawn_at": now if i % 97 == 0 else None,
            "withdrawn_reason": "重复填报" if i % 97 == 0 else "",
            "progress": 0,
            "record_count": 0,
            "evidence_count": 0,
            "last_record_on": None,
            "ratings_satisfied": 0,
            "ratings_basic": 0,
            "ratings_unsatisfied": 0,
            "created_at": now,
            "updated_at": now,
            "version_id": 1,
        }
        commitments.append(row)

    keeping = [
        c for c in commitments if c["state"] in ("in_progress", "awaiting_evaluation", "evaluated")
    ]
    records = []
    for i in range(n_records):
        c = keeping[i % len(keeping)]
        c["record_count"] += 1
        c["progress"] = min(100, c["progress"] + 20)
        on = today - timedelta(days=(i * 7) % 300 + 1)
        c["last_record_on"] = max(on, c["last_record_on"] or on)
        records.append(
            {
                "id": i + 1,
                "commitment_id": c["id"],
                "recorded_on": on,
                "text": f"第{c['record_count']}次践诺：按计划推进，完成阶段任务。",
                "progress": c["progress"],
                "created_at": now,
                "created_by_id": None,
            }
        )
    public = [c for c in commitments if c["state"] in PUBLIC and not c["is_withdrawn"]]
    ratings = []
    for i in range(n_ratings):
        c = public[rng.randrange(len(public))]
        level = rng.choices(LEVELS, [0.7, 0.2, 0.1])[0]
        c[f"ratings_{level}"] += 1
        commented = i % 10 == 0
        ratings.append(
            {
                "id": i + 1,
                "commitment_id": c["id"],
                "level": level,
                "comment": "希望继续保持" if commented else "",
                "comment_state": ("approved" if i % 20 == 0 else "pending")
                if commented
                else "none",
                "browser_hash": hashlib.sha256(f"b{i}".encode()).hexdigest(),
                "ip_hash": hashlib.sha256(f"ip{i % 5000}".encode()).hexdigest(),
                "rated_on": today - timedelta(days=i % 200),
                "created_at": now,
            }
        )
    put(Commitment, commitments)
    put(FulfilmentRecord, records)
    put(PublicRating, ratings)
    # The timeline: created as a draft, then one step to the row's state, at the time
    # the row says (reports read the state at a period's end from the timeline).
    last_step = {
        "submitted": ("submit", "submitted_at"),
        "published": ("publish", "published_at"),
        "in_progress": ("add_record", None),
        "awaiting_evaluation": ("request_evaluation", "evaluation_requested_at"),
        "evaluated": ("finalise", "evaluated_at"),
        "not_fulfilled": ("close_not_fulfilled", "closed_at"),
    }
    events = []
    for c in commitments:
        events.append(
            {
                "commitment_id": c["id"],
                "action": "create",
                "from_state": None,
                "to_state": "draft",
                "actor_name": "bench",
                "comment": "",
                "created_at": now - timedelta(days=210),
            }  # fmt: skip
        )
        if c["state"] in last_step:
            action, when = last_step[c["state"]]
            events.append(
                {
                    "commitment_id": c["id"],
                    "action": action,
                    "from_state": "draft",
                    "to_state": c["state"],
                    "actor_name": "bench",
                    "comment": "",
                    "created_at": c[when] if when else now - timedelta(days=100),
                }  # fmt: skip
            )
    put(CommitmentEvent, events)

    # Meetings of 2026 (三会一课 and more), as the services leave them: months past are
    # held and mostly approved, this month held or planned, next month planned.
    from partybuild.integrity.models import RiskLevel, RiskPoint
    from partybuild.meetings.models import Meeting, MeetingState, MeetingType

    cadence = [  # (type, months)
        (MeetingType.committee_meeting, range(1, 13)),
        (MeetingType.group_meeting, range(1, 13)),
        (MeetingType.theme_day, range(1, 13)),
        (MeetingType.general_assembly, (3, 6, 9, 12)),
        (MeetingType.party_lecture, (2, 5, 8, 11)),
        (MeetingType.org_life_meeting, (12,)),
    ]
    meetings = []
    for b in range(1, n_branches + 1):
        for mtype, months in cadence:
            for month in months:
                starts = datetime(2026, month, 5 + b % 20, 6, 30, tzinfo=UTC)
                if month < 11 and (b + month) % 9:
                    state = MeetingState.approved
                elif month <= 11:
                    state = MeetingState.held if (b + month) % 3 else MeetingState.planned
                else:
                    state = MeetingState.planned
                done = state in (MeetingState.held, MeetingState.approved)
                approved = state == MeetingState.approved
                meetings.append(
                    {
                        "id": len(meetings) + 1, "branch_id": b, "party_group_id": None,
                        "type": mtype.value, "title": f"{month}月{mtype.label}",
                        "state": state.value, "starts_at": starts,
                        "ends_at": starts + timedelta(hours=2), "place": "党员活动室",
                        "host": "支部书记", "recorder": "组织委员", "lecturer": "",
                        "minutes": "会议传达学习了有关精神，研究部署了下一阶段工作。" if done else "",
                        "entitled_count": 100 if done else 0,
                        "present_count": 90 if done else 0,
                        "quorum_met": True if done else None,
                        "held_at": starts + timedelta(hours=2) if done else None,
                        "approved_at": starts + timedelta(days=3) if approved else None,
                        "approved_by_id": None,
                        "approved_sha256": "0" * 64 if approved else None,
                        "cancel_reason": "", "created_at": starts - timedelta(days=10),
                        "created_by_id": None, "version_id": 1,
                    }
                )  # fmt: skip
    put(Meeting, meetings)

    # Integrity risk points (廉政风险点): a handful per post in each branch.
    levels = [RiskLevel.high, RiskLevel.medium, RiskLevel.low]
    categories = ["power", "institution", "ideology"]
    risk_points = [
        {
            "id": i + 1,
            "branch_id": i % n_branches + 1,
            "post_id": posts[i % len(posts)]["id"],
            "category": categories[i % 3],
            "title": f"审批事项把关不严风险{i + 1}",
            "manifestation": "未严格执行审批程序",
            "basis": "相关制度规定",
            "likelihood": None,
            "impact": None,
            "level": levels[i % 3].value,
            "residual_likelihood": None,
            "residual_impact": None,
            "residual_level": None,
            "residual_reason": "",
            "owner_id": members[i % n_members]["id"],
            "owner_name": members[i % n_members]["name"],
            "leader_name": "分管领导",
            "review_months": None,
            "next_review_on": today + timedelta(days=(i % 120) - 30),
            "last_reviewed_on": None,
            "is_active": True,
            "retired_at": None,
            "retired_by_id": None,
            "retired_reason": "",
            "open_rectifications": 0,
            "created_at": now,
            "updated_at": now,
            "version_id": 1,
        }  # fmt: skip
        for i in range(max(1, round(2000 * scale)))
    ]
    put(RiskPoint, risk_points)

    # The audit trail: a valid hash chain, as audit.record would have written it.
    entries = []
    prev = GENESIS
    for i in range(n_audit):
        object_type, actions = AUDIT_ACTIONS[i % len(AUDIT_ACTIONS)]
        entry = AuditEntry(
            id=i + 1,
            created_at=now - timedelta(seconds=(n_audit - i) * 60),
            actor_id=3,
            actor_name="bench_secretary",
            action=actions[i % len(actions)],
            object_type=object_type,
            object_id=str(i % 20000 + 1),
            branch_id=i % n_branches + 1,
            summary=f"bench entry {i}",
            before={"state": "draft"},
            after={"state": "submitted"},
            ip="127.0.0.1",
            prev_hash=prev,
        )
        entry.hash = entry.compute_hash()
        prev = entry.hash
        entries.append(
            {
                c.key: getattr(entry, c.key)
                for c in AuditEntry.__table__.columns
                if hasattr(entry, c.key)
            }
        )
    put(AuditEntry, entries)
    put(AuditHead, [{"id": 1, "entries": n_audit, "last_id": n_audit, "last_hash": prev}])

    if session.get_bind().dialect.name == "postgresql":
        # Explicit ids were inserted: move each sequence past them, then refresh statistics.
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.c.id.autoincrement is not False:
                session.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                        f" COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
        session.commit()
        with session.get_bind().connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    else:
        session.execute(sa.text("ANALYZE"))
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--sqlite", help="SQLite file (default: under the bench directory)")
    args = parser.parse_args()
    targets = [f"sqlite:///{args.sqlite}" if args.sqlite else sqlite_url(args.scale)]
    pg = postgres_url(args.scale)
    if pg:
        targets.append(pg)
    for url in targets:
        print(f"== {sa.make_url(url).render_as_string(hide_password=True)}")
        info = build(url, args.scale, rebuild=args.rebuild)
        state = "reused" if info.reused else f"built in {info.seconds:.1f} s"
        print(f"   {state}: " + ", ".join(f"{k} {v:,}" for k, v in info.counts.items()))


if __name__ == "__main__":
    main()
