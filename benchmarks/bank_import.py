"""A large bank statement imported the way the page and the CLI import it: preview, then post.

    .venv/bin/python benchmarks/bank_import.py [--rows 1000000] [--postgres URL] [--profile]

1. Writes a realistic `--rows`-row bank CSV (US dates, payee, memo, amounts of both signs, a few
   hundred distinct payees) and saves a dozen payee rules (substrings and regular expressions,
   two priorities) on a fresh database: SQLite in a temp folder, or a new PostgreSQL database.
2. Times the preview and the posting through `import_bank_csv`, the function the import page
   and `evergreen ledger import` call, each in its own unit of work: wall and CPU seconds, rows
   per second, and the peak resident memory of each phase.
3. Checks that the journal holds exactly one transaction per row, that the daily rollup equals a
   full recomputation, and that importing the same file again posts nothing.
`--profile` runs both phases under cProfile and prints the costliest functions of each.
Never asserts on time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from common import drop_database, fresh_database, rollups_match
from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.ledger import service
from evergreen.ledger.models import JournalEntry
from evergreen.ledger.rules import StreamKind
from evergreen.ledger.service import import_rules
from evergreen.ledger.service.bank_import import ImportResult, import_bank_csv

FIRST_DAY = date(2023, 1, 1)
DAYS = 3 * 365
T = TypeVar("T")
# (pattern, regex, stream, account, priority, payee words, income?): every payee matches a rule
RULES = [
    ("amazon web services", False, "Blog", "Expenses:Hosting", 0, "AMAZON WEB SERVICES", False),
    ("amazon associates", False, "Blog", "Income:Affiliate", 0, "Amazon Associates", True),
    (r"kdp|kindle direct", True, "Books", "Income:Royalties", 5, "KINDLE DIRECT PUBLISHING", True),
    ("gumroad", False, "Course", "Income:Sales", 0, "Gumroad Inc", True),
    ("stripe", False, "Course", "Income:Sales", 0, "STRIPE PAYOUT", True),
    ("stripe fee", False, "Course", "Expenses:Fees", 10, "Stripe Fee", False),
    (r"^(google|gsuite)", True, "Blog", "Expenses:Software", 0, "Google Workspace", False),
    ("adsense", False, "Blog", "Income:Ads", 20, "Google AdSense", True),
    ("mailchimp", False, "Course", "Expenses:Email", 0, "MAILCHIMP", False),
    ("upwork", False, "Blog", "Expenses:Writers", 0, "Upwork Escrow", False),
    (r"rent\b.*unit \d+", True, "Rental", "Income:Rent", 0, "Rent Unit 4", True),
    ("home depot", False, "Rental", "Expenses:Repairs", 0, "THE HOME DEPOT", False),
]
PLACES = [
    "SEATTLE WA", "DUBLIN IE", "SAN FRANCISCO CA", "NEW YORK NY", "AUSTIN TX", "ONLINE",
    "LONDON GB", "BERLIN DE", "TORONTO ON", "CHICAGO IL", "DENVER CO", "MIAMI FL", "BOSTON MA",
    "PORTLAND OR", "ATLANTA GA", "PHOENIX AZ", "DALLAS TX", "SYDNEY AU", "PARIS FR", "MADRID ES",
    "ROME IT", "OSLO NO", "TOKYO JP", "RENO NV", "TAMPA FL",
]  # fmt: skip


def payees() -> list[tuple[str, bool]]:
    """A few hundred distinct payees (each rule's words at many places), with their sign."""
    return [(f"{words} {place}", income) for *_, words, income in RULES for place in PLACES]


def write_statement(path: Path, rows: int, rng: random.Random) -> None:
    """A bank export: Date (MM/DD/YYYY), Payee, Memo, Amount (+ in, - out), newest first."""
    names = payees()
    days = sorted((rng.randrange(DAYS) for _ in range(rows)), reverse=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Date,Payee,Memo,Amount\n")
        for number, offset in enumerate(days):
            day = FIRST_DAY + timedelta(days=offset)
            payee, income = rng.choice(names)
            cents = rng.randrange(100, 250_000 if income else 60_000)
            sign = "" if income != (rng.random() < 0.03) else "-"  # a few refunds
            memo = f"REF {number:08d} card {rng.randrange(1000, 9999)}"
            out.write(
                f"{day.month:02d}/{day.day:02d}/{day.year},{payee},{memo},"
                f"{sign}{cents // 100}.{cents % 100:02d}\n"
            )


def save_rules(db: Database) -> None:
    """Four streams and the dozen saved rules."""
    with db.session() as session:
        streams = {}
        for name, kind in (("Blog", StreamKind.ARTICLES), ("Books", StreamKind.ROYALTIES),
                           ("Course", StreamKind.DIGITAL_PRODUCT),
                           ("Rental", StreamKind.RENTAL)):  # fmt: skip
            streams[name] = service.add_stream(
                session, service.StreamDraft(name, kind, "USD", FIRST_DAY), FIRST_DAY
            ).id
        for pattern, regex, stream, account, priority, *_ in RULES:
            import_rules.add_rule(
                session,
                import_rules.RuleDraft(pattern, streams[stream], account, regex, priority),
            )


def peak_reset() -> None:
    """Start a phase's peak resident memory afresh (Linux: VmHWM is reset by clear_refs 5)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mib() -> float:
    """The peak resident memory since the last reset, in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(name: str, rows: int, work: Callable[[], T], profile: bool) -> tuple[T, float]:
    """Run one phase, print its wall and CPU seconds, rows/s and memory peak; its wall time."""
    peak_reset()
    profiler = cProfile.Profile() if profile else None
    cpu, started = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = work()
    if profiler is not None:
        profiler.disable()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{name}: {rows:,} rows in {wall:.1f} s = {rows / wall:,.0f} rows/s "
        f"(CPU {cpu:.1f} s), peak RSS {peak_mib():,.0f} MiB"
    )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
    return result, wall


def run_import(db: Database, path: Path, post: bool) -> ImportResult:
    """The file through the import service in one unit of work, as the page and CLI do."""
    with db.session() as session, path.open(encoding="utf-8-sig", newline="") as lines:
        return import_bank_csv(session, lines, post=post)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to measure there instead")
    parser.add_argument("--profile", action="store_true", help="cProfile each phase")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evergreen-bank-"))
    try:
        path = folder / "statement.csv"
        started = time.perf_counter()
        write_statement(path, args.rows, random.Random(11))
        size = path.stat().st_size / 2**20
        print(
            f"statement: {args.rows:,} rows, {len(payees())} payees, {len(RULES)} rules, "
            f"{size:,.0f} MiB, written in {time.perf_counter() - started:.1f} s"
        )
        db = fresh_database(args.postgres, folder)
        print(f"database: {db.engine.dialect.name}")
        save_rules(db)
        seen, preview_s = phase("preview", args.rows, lambda: run_import(db, path, False),
                                args.profile)  # fmt: skip
        print(
            f"  preview says: {seen.new:,} to post, {seen.already:,} posted already, "
            f"{seen.unmatched:,} unmatched, {seen.error_count:,} unreadable; "
            f"{len(seen.totals)} stream/account totals, {len(seen.shown)} rows shown"
        )
        done, post_s = phase("post", args.rows, lambda: run_import(db, path, True), args.profile)
        total = preview_s + post_s
        print(
            f"preview + post: {total:.1f} s = {args.rows / total:,.0f} rows/s (goal < 60 s for "
            f"1,000,000 rows); posted {done.new:,}"
        )
        with db.session(writer=False) as session:
            stored = session.scalar(select(func.count()).select_from(JournalEntry)) or 0
        print(f"journal holds {stored:,} transactions: {'yes' if stored == args.rows else 'NO'}")
        started = time.perf_counter()
        same = rollups_match(db)
        print(
            f"rollup equals a full recomputation: {'yes' if same else 'NO'} "
            f"({time.perf_counter() - started:.1f} s to recompute)"
        )
        again, _ = phase("post again", args.rows, lambda: run_import(db, path, True), False)
        print(
            f"  idempotent: posted {again.new:,} new, {again.already:,} posted already: "
            f"{'yes' if again.new == 0 and again.already == args.rows else 'NO'}"
        )
        db.dispose()
        if args.postgres:
            drop_database(args.postgres, db.engine.url.database or "")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
