"""Issue 14, point 3: rendered by LibreOffice, no document ends with a page holding only
its signature. Each test renders a range of sizes (one soffice run) around the page
boundaries where the old layout (keep-with-next on the last row, which LibreOffice
ignores) left the issuer and date alone on the last page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from partybuild.commitments.models import CommitmentBatch, CommitmentState
from partybuild.core.timeutil import cn_date, local_today
from partybuild.extensions import db
from tests.reports.conftest import add_commitment
from tests.reports.lo_render import assert_last_page_holds_body, build_docx, render_pages

# Sizes that left the signature alone on main (LibreOffice 7.4: roster 32-40 members,
# ledgers 1-25 commitments, letter 3, 4, 11, 12 commitments), with neighbours; all sizes
# in those ranges pass now.
ROSTER_SIZES = range(30, 36)
LEDGER_SIZES = range(1, 7)
LETTER_SIZES = (2, 3, 4, 5, 10, 11, 12, 13)


def test_roster_never_ends_with_the_signature_alone(
    org: Any, make_member: Callable, tmp_path: Path
) -> None:
    files, last_names = [], {}
    for n in range(1, max(ROSTER_SIZES) + 1):
        make_member(branch=org.a, name=f"名册{n:02d}", joined_on=date(2000, 1, 1) + timedelta(n))
        db.session.commit()
        if n in ROSTER_SIZES:
            f = build_docx("roster", {"branch": "A"}, tmp_path / f"roster{n}.docx")
            files.append(f)
            last_names[f] = f"名册{n:02d}"
    pages = render_pages(files, tmp_path)
    for f in files:
        assert_last_page_holds_body(pages[f], last_names[f], cn_date(local_today()))


def _batch(branch_id: int) -> CommitmentBatch:
    batch = CommitmentBatch(
        branch_id=branch_id, title="2026年度党员承诺", commit_start=date(2026, 1, 1),
        commit_end=date(2026, 12, 31), evaluation_start=date(2026, 10, 1),
        evaluation_end=date(2027, 1, 31),
    )  # fmt: skip
    db.session.add(batch)
    db.session.flush()
    return batch


def test_ledgers_never_end_with_the_signature_alone(
    org: Any, make_member: Callable, tmp_path: Path
) -> None:
    member = make_member(branch=org.a, name="台账甲", post=org.post, department=org.department)
    other = make_member(branch=org.b, name="台账乙")
    batch_a, batch_b = _batch(org.a.id), _batch(org.b.id)
    add_commitment(batch_b, other, CommitmentState.published, submitted=date(2026, 7, 1),
                   deadline=date(2026, 12, 1), content="外支部承诺")  # fmt: skip
    files, last = [], {}
    for n in range(1, max(LEDGER_SIZES) + 1):
        add_commitment(
            batch_a, member, CommitmentState.in_progress, submitted=date(2026, 7, 1),
            deadline=date(2026, 12, 1), content=f"台账承诺第{n:02d}项：按期办结群众来信来访事项",
        )  # fmt: skip
        db.session.commit()
        if n in LEDGER_SIZES:
            for branch in ("A", "all"):
                f = build_docx(
                    "commitments", {"branch": branch, "period": "2026Q3"},
                    tmp_path / f"ledger-{branch}-{n}.docx",
                )  # fmt: skip
                files.append(f)
                # The all-branch ledger ends with branch B's row.
                last[f] = f"台账承诺第{n:02d}项" if branch == "A" else "外支部承诺"
    pages = render_pages(files, tmp_path)
    for f in files:
        assert_last_page_holds_body(pages[f], last[f], cn_date(local_today()))


def test_letter_keeps_the_member_signature_with_the_commitments(
    org: Any, make_member: Callable, tmp_path: Path
) -> None:
    member = make_member(branch=org.a, name="承诺人甲", post=org.post, department=org.department)
    batch = _batch(org.a.id)
    files, last = [], {}
    for n in range(1, max(LETTER_SIZES) + 1):
        c = add_commitment(
            batch, member, CommitmentState.published, submitted=date(2026, 7, 1),
            deadline=date(2026, 7, 1) + timedelta(n),
            content=f"承诺书第{n:02d}项：每月接待群众来访不少于20批次，件件有回音",
        )  # fmt: skip
        c.measures = "按时到岗，首问负责，限时办结，定期回访，接受群众监督和评议"
        db.session.commit()
        if n in LETTER_SIZES:
            f = build_docx("letter", {"member": member.id}, tmp_path / f"letter{n}.docx")
            files.append(f)
            last[f] = "以上承诺，本人将认真践行"
    pages = render_pages(files, tmp_path)
    for f in files:
        # Dated on the batch's date; the member's line is on the same page.
        assert_last_page_holds_body(pages[f], last[f], "2026年1月1日")
        assert "承诺人（签名）" in "".join(pages[f][-1].split())
