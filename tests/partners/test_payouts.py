"""Payouts through the real services: threshold, netting clawbacks, exports, paid, statements."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import Commission, Program
from evergreen.partners.rules import EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.lifecycle import approve_due
from evergreen.partners.service.payouts import create_payout, export_payout, mark_paid, statement

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def _program(session: Session) -> Program:
    program = service.default_program(session)
    program.payout_threshold = Decimal("25")
    start = T0 - timedelta(days=9)
    terms = service.TermsDraft(kind="percent", rate=Decimal("30"), effective_from=start)
    service.add_terms(session, program, terms)
    for name, code in (("Ana", "ANA"), ("Ben", "BEN")):
        partner = service.create_partner(
            session, program, name=name, email=f"{name.lower()}@example.com", status="active"
        )
        service.add_coupon(session, partner, code)
    return program


def _event(session: Session, program: Program, key: str, event: EventType, amount: str,
           coupon: str, customer: str, order: str) -> None:  # fmt: skip
    record_conversion(
        session, program,
        ConversionIn(
            idempotency_key=key, event=event, amount=Decimal(amount), currency="USD",
            customer_id=customer, occurred_at=T0, order_id=order, coupon=coupon,
        ),
        actor="test",
    )  # fmt: skip


def _approve_all(session: Session, program: Program) -> None:
    approve_due(session, program, datetime.now(UTC) + timedelta(days=program.holding_days + 1))


def test_payouts_respect_the_threshold_and_net_clawbacks(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        _event(session, program, "s1", EventType.SALE, "100", "ANA", "cus_a", "o1")
        _event(session, program, "s2", EventType.SALE, "20", "BEN", "cus_b", "o2")
        _approve_all(session, program)
        first = create_payout(session, program, actor="owner", now=T0 + timedelta(days=40))
        assert first is not None
        out = io.StringIO()
        assert export_payout(session, program, first.id, "paypal", out) == 1
        rows = list(csv.reader(io.StringIO(out.getvalue())))
        assert rows[1][:3] == ["ana@example.com", "30.00", "USD"]  # Ben's 6.00 waits
        mark_paid(session, program, first.id, actor="owner", now=T0 + timedelta(days=41))
        paid = session.scalars(select(Commission).where(Commission.payout_id == first.id)).one()
        assert paid.status == "paid"

        # The paid sale is refunded: a clawback nets against Ana's next commission.
        _event(session, program, "r1", EventType.REFUND, "100", "", "cus_a", "o1")
        _event(session, program, "s3", EventType.SALE, "200", "ANA", "cus_c", "o3")
        _approve_all(session, program)
        second = create_payout(session, program, actor="owner", now=T0 + timedelta(days=80))
        assert second is not None
        wise = io.StringIO()
        export_payout(session, program, second.id, "wise", wise)
        (line,) = list(csv.DictReader(io.StringIO(wise.getvalue())))
        assert (line["recipientEmail"], line["amount"]) == ("ana@example.com", "30.00")

        ana = service.get_partner(session, program, 1)
        text = io.StringIO()
        unpaid = statement(session, program, ana.id, text)
        listed = list(csv.DictReader(io.StringIO(text.getvalue())))
        assert {row["kind"] for row in listed} == {"commission", "clawback"}
        assert sum(Decimal(row["amount"]) for row in listed) == Decimal("60.00")
        assert unpaid == Decimal("30.00")  # the second payout is not marked paid yet
        assert "ben@example.com" not in text.getvalue()


def test_nothing_due_creates_no_payout(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        _event(session, program, "s1", EventType.SALE, "20", "BEN", "cus_b", "o1")
        _approve_all(session, program)
        assert create_payout(session, program, actor="owner", now=T0) is None


def test_every_payout_export_and_the_statement_neutralise_formulas(db: Database) -> None:
    with db.session() as session:
        program = _program(session)
        evil = service.create_partner(
            session, program, name='=HYPERLINK("http://evil.example","x")',
            email="=1+1@example.com", status="active",
        )  # fmt: skip
        service.add_coupon(session, evil, "EVIL")
        _event(session, program, "s1", EventType.SALE, "100", "EVIL", "cus_e", "o1")
        _approve_all(session, program)
        payout = create_payout(session, program, actor="owner", now=T0 + timedelta(days=40))
        assert payout is not None
        paypal, wise = io.StringIO(), io.StringIO()
        export_payout(session, program, payout.id, "paypal", paypal)
        export_payout(session, program, payout.id, "wise", wise)
        (paypal_row,) = list(csv.DictReader(io.StringIO(paypal.getvalue())))
        assert paypal_row["Email"] == "'=1+1@example.com"
        assert paypal_row["Amount"] == "30.00"
        (wise_row,) = list(csv.DictReader(io.StringIO(wise.getvalue())))
        assert wise_row["name"] == '\'=HYPERLINK("http://evil.example","x")'
        assert wise_row["recipientEmail"] == "'=1+1@example.com"
        commission = session.scalars(select(Commission)).one()
        commission.reason = "@SUM(A1:A9)"  # whatever a statement carries goes through the writer
        commission.kind = "-2+3"
        text = io.StringIO()
        statement(session, program, evil.id, text)
        (line,) = list(csv.DictReader(io.StringIO(text.getvalue())))
        assert (line["reason"], line["kind"], line["amount"]) == ("'@SUM(A1:A9)", "'-2+3", "30.00")
