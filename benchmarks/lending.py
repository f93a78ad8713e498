"""Lending at size: a book of 10,000 loans with 5 years of payments; the daily accrual and
delinquency pass over the whole book, and the portfolio page's query.

    .venv/bin/python benchmarks/lending.py [--loans 10000] [--years 5] [--postgres URL]

1. Builds the book with bulk inserts (not the service: the ledger postings are not read by
   these paths): 60-month interest-only notes written on days spread over `--years` years
   before the day measured, so every loan is open then; each paid its interest every month
   since it started (about half of `--years` of payments on average), except one loan in 20,
   which stopped paying 1 to 4 months ago (so the delinquency buckets fill). Each loan's row
   carries its running position, as the service leaves it.
2. Daily accrual and delinquency: for every open loan, interest accrued to the day (the per
   diem's sum since the last payment) and days past due from the oldest unpaid due date kept
   on its row, from rows already loaded (the rules alone), and the same with the loading (goal
   < 1 s); checked once against a walk of every calendar.
3. The portfolio page's query, `queries.portfolio` (figures, buckets, maturities,
   concentration, XIRR and a line per open loan), and the book's page as the owner gets it:
   `GET /lending` (the query, a page of 25 loans in full, the exposure chart) and
   `GET /api/v1/lending/portfolio`, through the real app in process (goal < 300 ms). Once,
   the book's figures are checked against every loan priced by its own payoff quote.
Reference in the same run: a bare SELECT of the same rows (loans and movements, no ORM).
Prints figures, never asserts on time.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from common import drop_database, fresh_database
from sqlalchemy import func, insert, select, text

from evergreen.db import Database
from evergreen.finance.loans.daycount import add_months
from evergreen.lending import queries
from evergreen.lending.models import Borrower, Loan, Movement
from evergreen.lending.rules import (
    DEFAULT_ORDER,
    LoanTerms,
    accrue,
    bucket,
    calendar_rows,
    calendar_through,
    days_late,
    days_past_due,
    schedule_position,
)
from evergreen.lending.service.records import LoanRecord, quote_of, state_of, terms_of

TODAY = date(2026, 1, 15)
MONTHS = 60
BATCH = 20_000
CENT = Decimal("0.01")
SECRET = "bench-secret-0123456789abcdef0123456789"
OWNER = ("owner@example.com", "a long enough passphrase")


def build(db: Database, loans: int, years: int, rng: random.Random) -> int:
    """Borrowers, loans and their movements by bulk insert; the number of movements."""
    borrowers = max(1, loans // 5)
    with db.session() as session:
        session.execute(insert(Borrower), [{"name": f"Borrower {n}"} for n in range(borrowers)])
        ids = list(session.scalars(select(Borrower.id)))
    loan_rows, movement_rows = [], []
    for n in range(1, loans + 1):
        back = TODAY.year * 12 + TODAY.month - 1 - rng.randrange(1, 12 * years + 1)
        start = date(back // 12, back % 12 + 1, rng.randrange(1, 29))
        principal = Decimal(rng.randrange(50, 500) * 1000)
        rate = Decimal(rng.choice(("0.09", "0.10", "0.11", "0.12", "0.13")))
        monthly = (principal * rate / 12).quantize(CENT)
        stops = rng.randrange(1, 5) if rng.random() < 0.05 else 0
        paid_through = start
        movement_rows.append({"loan_id": n, "key": f"funding:{n}", "kind": "funding", "on": start,
                              "amount": principal, "principal": principal})  # fmt: skip
        k = 1
        while (due := add_months(start, k)) <= TODAY - timedelta(days=31 * stops):
            movement_rows.append({"loan_id": n, "key": f"p:{n}:{k}", "kind": "payment",
                                  "on": due, "amount": monthly, "interest": monthly})  # fmt: skip
            paid_through, k = due, k + 1
        terms = LoanTerms(principal, rate, MONTHS, start, maturity=add_months(start, MONTHS))
        next_due, next_amount = schedule_position(calendar_rows(terms), monthly * (k - 1))
        loan_rows.append({
            "id": n, "borrower_id": rng.choice(ids), "principal": principal,
            "annual_rate": rate, "months": MONTHS, "start": start,
            "maturity": terms.maturity, "interest_only": True,
            "day_count": "30/360", "allocation": ",".join(DEFAULT_ORDER), "status": "open",
            "balance": principal, "accrued_to": paid_through, "next_due": next_due,
            "next_amount": next_amount,
        })  # fmt: skip
    with db.session() as session:
        for i in range(0, len(loan_rows), BATCH):
            session.execute(insert(Loan), loan_rows[i : i + BATCH])
        for i in range(0, len(movement_rows), BATCH):
            session.execute(insert(Movement), movement_rows[i : i + BATCH])
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("SELECT setval('lending_loans_id_seq', :n)"), {"n": loans})
            conn.execute(text("ANALYZE"))
    return len(movement_rows)


def timed(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """Median and worst wall time of `runs` calls, in milliseconds."""
    return timed_cpu(runs, work)[:2]


def timed_cpu(runs: int, work: Callable[[], object]) -> tuple[float, float, float]:
    """Median and worst wall time of `runs` calls, and their median CPU time in this process
    (all its threads; a PostgreSQL server's own work is not in it), in milliseconds: on a
    machine shared with other work, the CPU time moves less than the wall time."""
    times, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        work()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return statistics.median(times), max(times), statistics.median(cpu)


def bare_select(db: Database) -> None:
    """The reference: every loan and movement row the book reads, as plain tuples."""
    with db.engine.connect() as conn:
        conn.execute(select(*Loan.__table__.columns)).fetchall()
        conn.execute(select(*Movement.__table__.columns)).fetchall()


def load(db: Database) -> list[LoanRecord]:
    """The open loans as plain rows (as the book reads them): what the daily pass starts from,
    each carrying its running position and where its payments stand against its calendar."""
    with db.engine.connect() as conn:
        return list(conn.execute(select(*Loan.__table__.columns).where(Loan.status == "open")))


def daily(loans: list[LoanRecord], today: date) -> dict[str, int]:
    """Interest accrued to `today` and the delinquency bucket of every open loan (the rules):
    the per diem's sum since interest was last counted, and days since the oldest unpaid due
    date, read from the loan's row without walking its calendar."""
    counts: dict[str, int] = defaultdict(int)
    for loan in loans:
        accrue(state_of(loan), terms_of(loan), today, None)
        counts[bucket(days_late(loan.next_due, today))] += 1
    return dict(counts)


def walked(loans: list[LoanRecord], db: Database, today: date) -> dict[str, int]:
    """The same buckets by walking each calendar against what was paid (the check)."""
    toward = Movement.principal + Movement.interest + Movement.default_interest
    with db.session(writer=False) as session:
        paid = {
            loan_id: Decimal(int(cents)) / 100
            for loan_id, cents in session.execute(
                select(Movement.loan_id, func.sum(func.round(toward * 100)))
                .where(Movement.on <= today, Movement.kind.in_(("payment", "payoff")))
                .group_by(Movement.loan_id)
            )
        }
    counts: dict[str, int] = defaultdict(int)
    for loan in loans:
        terms, covered = terms_of(loan), paid.get(loan.id, Decimal(0))
        late = days_past_due(calendar_through(terms, (), covered, today), covered, today)
        counts[bucket(late)] += 1
    return dict(counts)


def slow_payoffs(loans: list[LoanRecord], today: date) -> Decimal:
    """Every open loan's payoff total by the payoff quote, one loan at a time (the check)."""
    return sum((quote_of(loan, [], [], today).total for loan in loans), Decimal(0))


def http(db: Database, folder: Path, runs: int) -> dict[str, tuple[float, float, float]]:
    """Median and worst of `GET /lending` (signed in as the owner) and of the API's portfolio
    (with a token), through the real app in process."""
    import re

    from fastapi.testclient import TestClient

    from evergreen.accounts import service as accounts
    from evergreen.config import Settings
    from evergreen.web import create_app

    with db.session() as session:
        user = accounts.create_user(session, OWNER[0], OWNER[1], accounts.Role.OWNER)
        _token, raw = accounts.create_token(session, user, "bench")
    settings = Settings(env="test", data_dir=folder / "data", database_url=db.url,
                        secret_key=SECRET)  # type: ignore[arg-type]  # fmt: skip
    app = create_app(settings, database=db, background=False)
    day = TODAY.isoformat()
    with TestClient(app, base_url="http://127.0.0.1") as client:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form)
        assert csrf, "the sign-in form has no CSRF token"
        signed = client.post(
            "/login",
            data={"email": OWNER[0], "password": OWNER[1], "csrf_token": csrf.group(1)},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text

        def get(path: str, **headers: str) -> Callable[[], None]:
            def call() -> None:
                answer = client.get(path, headers=headers)
                assert answer.status_code == 200, (path, answer.status_code)

            return call

        page, api = get(f"/lending?as_of={day}"), get(f"/api/v1/lending/portfolio?as_of={day}",
                                                       Authorization=f"Bearer {raw}")  # fmt: skip
        page(), api()  # warm: templates compiled, routes resolved
        return {"GET /lending": timed_cpu(runs, page),
                "GET /api/v1/lending/portfolio": timed_cpu(runs, api)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to measure there instead")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evergreen-lending-"))
    rng = random.Random(7)
    db = fresh_database(args.postgres, folder, "evergreen_bench_lending")
    try:
        print(f"database: {db.engine.dialect.name}")
        started = time.perf_counter()
        moved = build(db, args.loans, args.years, rng)
        print(f"book: {args.loans:,} loans, {moved:,} movements, built in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        ref, ref_worst = timed(args.runs, lambda: bare_select(db))
        print(f"reference, a bare SELECT of every loan and movement: median {ref:.0f} ms, "
              f"worst {ref_worst:.0f} ms")  # fmt: skip
        loans = load(db)
        counts = daily(loans, TODAY)
        assert counts == walked(loans, db, TODAY), "the stored positions disagree with the calendar"
        rules, rules_worst = timed(args.runs, lambda: daily(loans, TODAY))
        whole, whole_worst = timed(args.runs, lambda: daily(load(db), TODAY))
        print(f"daily accrual and delinquency, {len(loans):,} open loans {counts}: the rules "
              f"median {rules:.0f} ms (worst {rules_worst:.0f}); with loading the rows median "
              f"{whole:.0f} ms (worst {whole_worst:.0f}) (goal < 1,000 ms)")  # fmt: skip
        with db.session(writer=False) as session:
            book = queries.portfolio(session, TODAY)
            median, worst, cpu = timed_cpu(args.runs, lambda: queries.portfolio(session, TODAY))
        payoffs = sum((line.payoff for line in book.lines), Decimal(0))
        assert payoffs == slow_payoffs(loans, TODAY), "the book's payoffs disagree with the quotes"
        assert book.deployed == sum((loan.balance for loan in loans), Decimal(0))
        print(f"portfolio page's query: {book.loans:,} open loans, deployed {book.deployed:,.2f}, "
              f"xirr {book.xirr if book.xirr is None else round(book.xirr, 4)}, buckets "
              f"{book.buckets}: median {median:.0f} ms, worst {worst:.0f} ms, CPU {cpu:.0f} ms "
              f"(goal < 300 ms; {median / ref:.2f}x the bare SELECT)")  # fmt: skip
        for path, (median, worst, cpu) in http(db, folder, args.runs).items():
            print(f"{path}: median {median:.0f} ms, worst {worst:.0f} ms, CPU {cpu:.0f} ms "
                  "(goal < 300 ms)")  # fmt: skip
    finally:
        db.dispose()
        if args.postgres:
            drop_database(args.postgres, db.engine.url.database or "")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
