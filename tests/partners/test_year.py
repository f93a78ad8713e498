"""A whole year through the real services, reconciled to the cent against an independent model.

Three partners join; visitors click their links (spooled and ingested like real clicks); sales
and monthly renewals arrive; the owner changes the plan mid-year (earlier customers keep theirs);
some orders are refunded before payout and some after; commissions are approved after the
holding period and paid out monthly above a threshold. At the end every partner's statement, the
owner's outstanding liability and the payouts must match what the terms say, computed here
without the services.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_pending
from evergreen.links.clicks.spool import ClickSpool, SpoolReader
from evergreen.links.drafts import LinkDraft
from evergreen.partners import service
from evergreen.partners.models import Commission, PayoutLine
from evergreen.partners.rules import OWED, EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.lifecycle import approve_due
from evergreen.partners.service.payouts import create_payout, mark_paid, statement

CENT = Decimal("0.01")
START = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
PRICE = Decimal("29.00")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def test_a_year_of_the_program_reconciles_to_the_cent(db: Database, tmp_path: Path) -> None:
    expected: dict[str, Decimal] = defaultdict(Decimal)  # partner email → what they should earn
    with db.session() as session:
        program = service.default_program(session)
        program.holding_days = 30
        program.payout_threshold = Decimal("50")
        v1 = service.TermsDraft(
            kind="percent", rate=Decimal("30"), duration="payments", duration_count=6,
            effective_from=START - timedelta(days=1),
        )  # fmt: skip
        service.add_terms(session, program, v1)
        partners = {}
        for name in ("ana", "ben", "cy"):
            partner = service.create_partner(
                session, program, name=name, email=f"{name}@example.com", status="active"
            )
            links.create_link(session, LinkDraft(destination="https://shop.example/", slug=name))
            service.assign_link(session, partner, name)
            partners[name] = partner.id
        link_ids = {name: links.get_link(session, name).id for name in partners}

    # Clicks: each future customer clicks a partner's link the day before buying.
    buyers = [
        (f"cus{i}", ("ana", "ben", "cy")[i % 3], START + timedelta(days=13 * i)) for i in range(18)
    ]
    spool = ClickSpool(tmp_path / "spool")
    for index, (customer, name, bought) in enumerate(buyers):
        clicked = (bought - timedelta(days=1)).timestamp()
        spool.append({
            "id": f"{index + 1:032x}", "l": link_ids[name], "t": clicked,
            "v": f"visitor-{customer}", "ua": UA,
        })  # fmt: skip
    spool.close()
    assert ingest_pending(db, SpoolReader(tmp_path / "spool"), ClickPolicy()) == len(buyers)

    events: list[tuple[datetime, ConversionIn]] = []
    for index, (customer, name, bought) in enumerate(buyers):
        rate = Decimal("30") if bought < START + timedelta(days=180) else Decimal("10")
        for payment in range(1, 9):  # monthly, the terms pay the first six payments
            at = bought + timedelta(days=30 * (payment - 1))
            if at >= START + timedelta(days=365):
                break
            order = f"{customer}-{payment}"
            events.append((at, ConversionIn(
                idempotency_key=order, event=EventType.SALE if payment == 1 else EventType.RENEWAL,
                amount=PRICE, currency="USD", customer_id=customer, occurred_at=at,
                order_id=order, click_id=f"{index + 1:032x}" if payment == 1 else "",
            )))  # fmt: skip
            if payment <= 6:
                expected[name] += _cents(PRICE * rate / 100)
    # The owner lowers the rate for new customers from July: customers bound earlier keep 30 %.
    with db.session() as session:
        program = service.default_program(session)
        service.add_terms(
            session, program,
            service.TermsDraft(kind="percent", rate=Decimal("10"), duration="payments",
                               duration_count=6, effective_from=START + timedelta(days=180)),
        )  # fmt: skip

    events.sort(key=lambda item: item[0])
    refunded_before_payout = {"cus1-1"}  # ben's first sale, refunded in full before any payout
    refunded_after_payout = {"cus0-1"}  # ana's first sale, refunded after it was paid
    paid_total = Decimal(0)
    month_end = START + timedelta(days=31)
    for at, event in [*events, (START + timedelta(days=400), None)]:  # type: ignore[list-item]
        while at >= month_end:  # month close: approve what is due, pay out above the threshold
            with db.session() as session:
                program = service.default_program(session)
                approve_due(session, program, datetime.now(UTC) + timedelta(days=31))
                payout = create_payout(session, program, actor="owner", now=month_end)
                if payout is not None:
                    mark_paid(session, program, payout.id, actor="owner", now=month_end)
                    paid_total += session.scalar(
                        select(func.sum(PayoutLine.total)).where(PayoutLine.payout_id == payout.id)
                    ) or Decimal(0)
                    for order in sorted(refunded_after_payout):
                        refund = ConversionIn(
                            idempotency_key=f"refund-{order}", event=EventType.REFUND, amount=PRICE,
                            currency="USD", customer_id=order.split("-")[0], occurred_at=month_end,
                            order_id=order,
                        )  # fmt: skip
                        if record_conversion(session, program, refund, actor="support").commissions:
                            expected["ana"] -= _cents(PRICE * Decimal("30") / 100)
                            refunded_after_payout.discard(order)
            month_end += timedelta(days=31)
        if event is None:
            break
        with db.session() as session:
            program = service.default_program(session)
            record_conversion(session, program, event, actor="api")
            if event.order_id in refunded_before_payout:
                refund = ConversionIn(
                    idempotency_key=f"refund-{event.order_id}", event=EventType.REFUND,
                    amount=PRICE, currency="USD", customer_id=event.customer_id,
                    occurred_at=at + timedelta(days=2), order_id=event.order_id,
                )  # fmt: skip
                record_conversion(session, program, refund, actor="support")
                expected["ben"] -= _cents(PRICE * Decimal("30") / 100)

    with db.session() as session:
        program = service.default_program(session)
        owed = Decimal(0)
        for name, partner_id in partners.items():
            out = io.StringIO()
            unpaid = statement(session, program, partner_id, out)
            amounts = [Decimal(line.split(",")[3]) for line in out.getvalue().splitlines()[1:]]
            assert sum(amounts, Decimal(0)) == expected[name], name
            owed += unpaid
        liability = session.scalar(
            select(func.coalesce(func.sum(Commission.amount), 0)).where(Commission.status.in_(OWED))
        )
    assert refunded_after_payout == set(), "the paid sale was refunded and clawed back"
    assert Decimal(liability) == owed
    assert paid_total + owed == sum(expected.values(), Decimal(0))
    # The figures are not trivial: money was paid, some is still owed, both rates were used.
    assert paid_total > Decimal("300")
    assert owed > 0
    assert expected["ana"] != expected["cy"]
