"""A refund of a commission in an unpaid payout: the batch pays the net of its commissions, a
reversed one leaves it, a line at zero or less waits for a later payout, the ledger posts what
is paid; after payment a refund is still a clawback. Services, HTTP, portal, and concurrency."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import Commission, Payout, PayoutLine, Program
from evergreen.partners.rules import EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.lifecycle import approve_due
from evergreen.partners.service.payouts import create_payout, export_payout, mark_paid
from tests.http_helpers import sign_in, token_for
from tests.ledger.journal_view import journal

D = Decimal
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
CREATED, PAID = T0 + timedelta(days=40), T0 + timedelta(days=41)
OWED, BANK = "Liabilities:Partners:Commissions", "Assets:Bank"


def _program(session: Session, ana_email: str = "ana@example.com") -> Program:
    program = service.default_program(session)
    program.payout_threshold = D("25")
    terms = service.TermsDraft(kind="percent", rate=D("30"), effective_from=T0 - timedelta(days=9))
    service.add_terms(session, program, terms)
    for name, email, code in (("Ana", ana_email, "ANA"), ("Ben", "ben@example.com", "BEN")):
        partner = service.create_partner(session, program, name=name, email=email, status="active")
        service.add_coupon(session, partner, code)
    return program


def _event(session: Session, program: Program, key: str, event: EventType, amount: str,
           order: str, coupon: str = "") -> None:  # fmt: skip
    record_conversion(
        session, program,
        ConversionIn(
            idempotency_key=key, event=event, amount=D(amount), currency="USD",
            customer_id=f"cus_{order}", occurred_at=T0, order_id=order, coupon=coupon,
        ),
        actor="test",
    )  # fmt: skip


def _approve_all(session: Session, program: Program) -> None:
    approve_due(session, program, datetime.now(UTC) + timedelta(days=program.holding_days + 1))


def _batched(session: Session, program: Program, *sales: tuple[str, str, str]) -> Payout:
    """Sales (order, amount, coupon) approved and put in one unpaid payout."""
    for order, amount, coupon in sales:
        _event(session, program, f"s-{order}", EventType.SALE, amount, order, coupon)
    _approve_all(session, program)
    payout = create_payout(session, program, actor="owner", now=CREATED)
    assert payout is not None
    return payout


def _exported(session: Session, program: Program, payout_id: int) -> dict[str, str]:
    out = io.StringIO()
    export_payout(session, program, payout_id, "paypal", out)
    return {row["Email"]: row["Amount"] for row in csv.DictReader(io.StringIO(out.getvalue()))}


def _balance(session: Session, account: str) -> Decimal:
    return sum(
        (amount for *_, legs in journal(session) for acc, amount, _c, _s in legs if acc == account),
        D(0),
    )


def _lines_match_commissions(session: Session, payout_id: int) -> None:
    lines = session.scalars(select(PayoutLine).where(PayoutLine.payout_id == payout_id)).all()
    members = session.scalars(select(Commission).where(Commission.payout_id == payout_id)).all()
    nets: dict[int, Decimal] = {}
    for commission in members:
        nets[commission.partner_id] = nets.get(commission.partner_id, D(0)) + commission.amount
    assert {line.partner_id: line.total for line in lines} == nets


def test_a_partial_refund_re_nets_the_open_payout_and_the_ledger_posts_what_is_paid(
    db: Database,
) -> None:
    with db.session() as session:
        program = _program(session)
        payout = _batched(session, program, ("o1", "500", "ANA"), ("o2", "100", "BEN"))
        _event(session, program, "r1", EventType.REFUND, "250", "o1")
        ana = session.scalars(select(Commission).where(Commission.partner_id == 1)).one()
        assert (ana.amount, ana.status, ana.payout_id) == (D("75.00"), "payable", payout.id)
        assert _exported(session, program, payout.id) == {
            "ana@example.com": "75.00", "ben@example.com": "30.00"
        }  # fmt: skip
        detail = service.payout_detail(session, program, payout.id)
        assert detail.totals == {"USD": D("105.00")}
        mark_paid(session, program, payout.id, actor="owner", now=PAID)
        _lines_match_commissions(session, payout.id)
        assert _balance(session, BANK) == D("-105.00")  # what left the bank
        assert _balance(session, OWED) == 0  # settles exactly what was owed, no more


def test_a_fully_refunded_commission_leaves_the_open_payout_so_the_rest_is_paid(
    db: Database,
) -> None:
    with db.session() as session:
        program = _program(session)
        payout = _batched(session, program, ("o1", "400", "ANA"), ("o2", "100", "BEN"))
        _event(session, program, "r1", EventType.REFUND, "400", "o1")
        ana = session.scalars(select(Commission).where(Commission.partner_id == 1)).one()
        assert (ana.amount, ana.status, ana.payout_id) == (D("0.00"), "reversed", None)
        assert _exported(session, program, payout.id) == {"ben@example.com": "30.00"}
        mark_paid(session, program, payout.id, actor="owner", now=PAID)
        assert payout.status == "paid"
        ben = session.scalars(select(Commission).where(Commission.partner_id == 2)).one()
        assert ben.status == "paid"
        assert _balance(session, BANK) == D("-30.00")
        assert _balance(session, OWED) == 0
        # A refund after payment is still a clawback netted from the next payout.
        _event(session, program, "r2", EventType.REFUND, "100", "o2")
        claw = session.scalars(select(Commission).where(Commission.kind == "clawback")).one()
        assert (claw.amount, claw.status, claw.payout_id) == (D("-30.00"), "approved", None)
        assert session.scalars(select(PayoutLine)).one().total == D("30.00")


def test_a_line_that_falls_to_zero_or_less_waits_whole_for_a_later_payout(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        first = _batched(session, program, ("o1", "100", "ANA"))
        mark_paid(session, program, first.id, actor="owner", now=PAID)
        _event(session, program, "r1", EventType.REFUND, "100", "o1")  # a 30.00 clawback
        second = _batched(session, program, ("o2", "200", "ANA"), ("o3", "100", "BEN"))
        assert _exported(session, program, second.id)["ana@example.com"] == "30.00"  # 60 - 30
        _event(session, program, "r2", EventType.REFUND, "200", "o2")
        claw = session.scalars(select(Commission).where(Commission.kind == "clawback")).one()
        assert (claw.status, claw.payout_id) == ("approved", None)  # still owed back, later
        assert _exported(session, program, second.id) == {"ben@example.com": "30.00"}
        mark_paid(session, program, second.id, actor="owner", now=PAID)
        _lines_match_commissions(session, second.id)
        assert _balance(session, BANK) == D("-60.00")  # 30 then 30: never Ana's -30 line
        assert _balance(session, OWED) == D("30.00")  # Ana owes the 30 back


def test_the_api_export_mark_paid_and_portal_show_the_net_of_a_refunded_payout(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        program = _program(session, ana_email=people["partner"])
        payout = _batched(session, program, ("o1", "500", "ANA"), ("o2", "400", "BEN"))
        payout_id = payout.id
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    for key, amount, order in (("r1", "250.00", "o1"), ("r2", "400.00", "o2")):
        body = {"event": "refund", "idempotency_key": key, "amount": amount, "currency": "USD",
                "customer_id": f"cus_{order}", "order_id": order}  # fmt: skip
        assert client.post("/api/v1/partners/conversions", json=body, headers=owner).is_success
    url = f"/api/v1/partners/payouts/{payout_id}"
    export = client.get(f"{url}/export.csv?format=wise", headers=owner)
    (row,) = list(csv.DictReader(io.StringIO(export.text)))
    assert row["amount"] == "75.00"
    detail = client.get(url, headers=owner).json()
    assert [line["total"] for line in detail["lines"]] == ["75.00"]
    assert detail["totals"] == {"USD": "75.00"}
    assert [c["amount"] for c in detail["commissions"]] == ["75.00"]
    paid = client.post(f"{url}/paid", headers=owner)
    assert paid.status_code == 200, paid.text
    sign_in(client, people["partner"])
    page = client.get(f"/portal/payouts/{payout_id}").text
    assert "75.00" in page
    assert "150.00" not in page


def test_refunds_and_mark_paid_at_once_leave_the_payout_equal_to_its_commissions(
    db: Database,
) -> None:
    orders = [(f"o{n}", "100", "ANA" if n % 2 else "BEN") for n in range(1, 7)]
    with db.session() as session:
        program = _program(session)
        payout_id, program_id = _batched(session, program, *orders).id, program.id
        _event(session, program, "r-o4", EventType.REFUND, "50", "o4")  # one before the race
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def refund(order: str) -> None:
        try:
            start.wait(30)
            with db.session() as session:
                program = session.get(Program, program_id)
                assert program is not None
                _event(session, program, f"r-{order}", EventType.REFUND, "50", order)
        except BaseException as exc:  # reported below
            failures.append(exc)

    def pay() -> None:
        try:
            start.wait(30)
            with db.session() as session:
                program = session.get(Program, program_id)
                assert program is not None
                mark_paid(session, program, payout_id, actor="owner", now=PAID)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=refund, args=(o,)) for o in ("o1", "o2", "o3")]
    threads.append(threading.Thread(target=pay))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    with db.session() as session:
        _lines_match_commissions(session, payout_id)
        total = sum(session.scalars(select(PayoutLine.total)), D(0))
        assert _balance(session, BANK) == -total
        # Each refund was either reversed in the batch (before payment) or clawed back (after).
        clawbacks = session.scalars(select(Commission).where(Commission.kind == "clawback")).all()
        assert total == D("180.00") - D("15.00") * (4 - len(clawbacks))
        assert _balance(session, OWED) == -sum((c.amount for c in clawbacks), D(0))  # owed back
