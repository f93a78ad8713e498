"""Approvals by the hourly job and by hand take one path: logged, and announced to webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import (
    Commission,
    CommissionEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from evergreen.partners.rules import EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.tasks import run_approvals

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def _two_commissions(db: Database) -> list[int]:
    with db.session() as session:
        program = service.default_program(session)
        # Stored directly: this test is about what is queued, not which URLs are allowed.
        session.add(
            WebhookEndpoint(
                program_id=program.id, url="https://hooks.example/in", secret="s" * 32,
                events=["commission.approved"],
            )
        )  # fmt: skip
        terms = service.TermsDraft(kind="flat", rate=Decimal("10"), effective_from=T0)
        service.add_terms(session, program, terms)
        partner = service.create_partner(
            session, program, name="Ana", email="ana@example.com", status="active"
        )
        service.add_coupon(session, partner, "ANA")
        ids = []
        for n in (1, 2):
            sale = ConversionIn(
                idempotency_key=f"o{n}", event=EventType.SALE, amount=Decimal("99"),
                currency="USD", customer_id=f"c{n}", occurred_at=T0, order_id=f"o{n}",
                coupon="ANA",
            )  # fmt: skip
            (commission,) = record_conversion(session, program, sale, actor="api").commissions
            ids.append(commission.id)
    return ids


def test_the_hourly_approval_announces_commission_approved(db: Database) -> None:
    due, fresh = _two_commissions(db)
    with db.session() as session:  # the first is past its 30-day holding period
        long_ago = datetime.now(UTC) - timedelta(days=31)
        session.execute(update(Commission).where(Commission.id == due).values(created_at=long_ago))
    assert run_approvals(db) == 1  # what the periodic task runs
    with db.session() as session:
        deliveries = session.scalars(select(WebhookDelivery)).all()
        assert [(d.event_type, d.event_id) for d in deliveries] == [
            ("commission.approved", f"commission.approved:{due}")
        ]
        assert deliveries[0].payload["data"]["status"] == "approved"
        event = session.scalars(
            select(CommissionEvent).where(
                CommissionEvent.commission_id == due, CommissionEvent.action == "approve"
            )
        ).one()
        assert (event.actor, event.note) == ("system", "holding period passed")
        assert session.get(Commission, due).approved_at is not None  # type: ignore[union-attr]
        # By hand, the same event, once per commission.
        program = service.default_program(session)
        service.change_status(session, program, fresh, "approve", actor="owner@example.com")
    assert run_approvals(db) == 0  # after the commit: it waits for the program's payout lock
    with db.session() as session:
        assert sorted(d.event_id for d in session.scalars(select(WebhookDelivery))) == [
            f"commission.approved:{due}", f"commission.approved:{fresh}",
        ]  # fmt: skip
