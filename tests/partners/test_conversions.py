"""Conversions through the real services on SQLite and PostgreSQL: attribution, idempotency,
locked terms, refunds before and after payment, fraud holds and the holding period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from evergreen.partners import service
from evergreen.partners.models import Commission, Conversion, Program
from evergreen.partners.rules import EventType, PartnerRuleError, Status, transition
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.lifecycle import approve_due

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def _setup(session: Session, *, duration: str = "payments", count: int | None = 12) -> Program:
    program = service.default_program(session)
    service.add_terms(
        session,
        program,
        service.TermsDraft(
            kind="percent", rate=Decimal("30"), duration=duration, duration_count=count,
            effective_from=T0 - timedelta(days=365),
        ),
    )  # fmt: skip
    partner = service.create_partner(
        session, program, name="Ana", email="ana@blog.example", status="active"
    )
    links.create_link(session, LinkDraft(destination="https://shop.example/", slug="ana"))
    service.assign_link(session, partner, "ana")
    service.add_coupon(session, partner, "ana10")
    return program


def _click(session: Session, click_id: str, at: datetime, visitor: str = "v1") -> None:
    link = links.get_link(session, "ana")
    record = {"id": click_id, "l": link.id, "t": at.timestamp(), "v": visitor, "ua": UA}
    assert ingest_records(session, [record], ClickPolicy()) == 1


def _sale(key: str, **fields: object) -> ConversionIn:
    values: dict[str, object] = {
        "idempotency_key": key,
        "event": EventType.SALE,
        "amount": Decimal("49.00"),
        "currency": "USD",
        "customer_id": "cus_1",
        "occurred_at": T0,
        "order_id": key,
    }
    values.update(fields)
    return ConversionIn(**values)  # type: ignore[arg-type]


def test_a_clicked_sale_earns_the_terms_and_says_why(db: Database) -> None:
    with db.session() as session:
        program = _setup(session)
        _click(session, "c" * 32, T0 - timedelta(days=2))
        result = record_conversion(session, program, _sale("o1", click_id="c" * 32), actor="api")
        (commission,) = result.commissions
        assert commission.amount == Decimal("14.70")
        assert commission.status == Status.PENDING.value
        assert "click" in commission.attribution_rule
        assert "30" in commission.reason


def test_replaying_an_event_a_thousand_times_creates_one_commission(db: Database) -> None:
    with db.session() as session:
        program = _setup(session)
        _click(session, "d" * 32, T0 - timedelta(hours=1))
        results = [
            record_conversion(session, program, _sale("same", click_id="d" * 32), actor="api")
            for _ in range(1000)
        ]
        assert [r.duplicate for r in results].count(False) == 1
        assert session.scalar(select(func.count()).select_from(Commission)) == 1
        assert session.scalar(select(func.count()).select_from(Conversion)) == 1


def test_renewals_follow_the_bound_partner_on_the_locked_terms(db: Database) -> None:
    with db.session() as session:
        program = _setup(session)
        _click(session, "e" * 32, T0 - timedelta(days=1))
        record_conversion(session, program, _sale("o1", click_id="e" * 32), actor="api")
        # The owner changes the plan afterwards: the customer keeps 30 %.
        service.add_terms(
            session, program,
            service.TermsDraft(kind="percent", rate=Decimal("10"), effective_from=T0),
        )  # fmt: skip
        renewal = record_conversion(
            session, program,
            _sale("o2", event=EventType.RENEWAL, occurred_at=T0 + timedelta(days=31)),
            actor="api",
        )  # fmt: skip
        assert [c.amount for c in renewal.commissions] == [Decimal("14.70")]
        assert "payment 2" in renewal.commissions[0].reason


def test_a_repeat_purchase_earns_and_is_held_for_review(db: Database) -> None:
    with db.session() as session:
        program = _setup(session, duration="lifetime", count=None)
        _click(session, "f" * 32, T0 - timedelta(days=1))
        record_conversion(session, program, _sale("o1", click_id="f" * 32), actor="api")
        again = record_conversion(
            session, program, _sale("o2", occurred_at=T0 + timedelta(days=3)), actor="api"
        )
        (commission,) = again.commissions
        assert commission.amount == Decimal("14.70")
        assert commission.status == Status.ON_HOLD.value  # "duplicate customer" fraud rule
        assert any("before" in reason for reason in commission.hold_reasons)


def test_a_refused_event_leaves_nothing_stored(db: Database) -> None:
    with db.session() as session:
        program_id = _setup(session).id
        _click(session, "9" * 32, T0 - timedelta(days=1))
    # A renewal as a new customer's first payment is refused (report the sale first).
    renewal = _sale("r1", event=EventType.RENEWAL, customer_id="cus_new", click_id="9" * 32)

    def record() -> None:
        with db.session() as session:  # rolled back when the event is refused
            program = session.get(Program, program_id)
            assert program is not None
            record_conversion(session, program, renewal, actor="api")

    with pytest.raises(PartnerRuleError) as refused:
        record()
    assert refused.value.field == "payment_number"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Conversion)) == 0


def test_coupon_wins_and_unmatched_events_are_kept_for_review(db: Database) -> None:
    with db.session() as session:
        program = _setup(session)
        coupon = record_conversion(session, program, _sale("o1", coupon="ANA10"), actor="api")
        assert coupon.commissions[0].attribution_rule.lower().count("coupon") == 1
        stray = record_conversion(
            session, program, _sale("o2", customer_id="cus_2", click_id="f" * 32), actor="api"
        )
        assert stray.commissions == []
        assert stray.conversion.status == "unattributed"
        assert "kept for review" in stray.conversion.note


def test_refunds_reverse_before_payment_and_claw_back_after(db: Database) -> None:
    with db.session() as session:
        program = _setup(session)
        first = record_conversion(session, program, _sale("o1", coupon="ANA10"), actor="api")
        partial = record_conversion(
            session, program,
            _sale("r1", event=EventType.REFUND, amount=Decimal("24.50"), order_id="o1"),
            actor="api",
        )  # fmt: skip
        assert first.commissions[0].amount == Decimal("7.35")
        assert partial.conversion.status == "applied"
        record_conversion(
            session, program,
            _sale("r1b", event=EventType.REFUND, amount=Decimal("24.50"), order_id="o1"),
            actor="api",
        )  # fmt: skip
        assert first.commissions[0].amount == Decimal("0.00")
        assert first.commissions[0].status == Status.REVERSED.value
        paid = record_conversion(
            session, program, _sale("o2", customer_id="cus_2", coupon="ANA10"), actor="api"
        ).commissions[0]
        for action in ("approve", "include_in_payout", "mark_paid"):
            paid.status = transition(Status(paid.status), action).value  # type: ignore[arg-type]
        refund = record_conversion(
            session, program,
            _sale("r2", event=EventType.REFUND, customer_id="cus_2", order_id="o2"),
            actor="api",
        )  # fmt: skip
        (clawback,) = refund.commissions
        assert clawback.kind == "clawback"
        assert clawback.amount == Decimal("-14.70")
        assert paid.amount == Decimal("14.70")  # what was paid stays on record


def test_self_referral_is_held_with_a_reason(db: Database) -> None:
    with db.session() as session:
        program = _setup(session)
        result = record_conversion(
            session, program, _sale("o1", coupon="ANA10", customer_email="ana@blog.example"),
            actor="api",
        )  # fmt: skip
        (commission,) = result.commissions
        assert commission.status == Status.ON_HOLD.value
        assert commission.hold_reasons


def test_commissions_are_approved_after_the_holding_period(db: Database) -> None:
    with db.session() as session:
        program = _setup(session)
        record_conversion(session, program, _sale("o1", coupon="ANA10"), actor="api")
        created = session.scalars(select(Commission)).one().created_at
        assert approve_due(session, program, created + timedelta(days=29)) == 0
        assert approve_due(session, program, created + timedelta(days=30, seconds=1)) == 1
        assert session.scalars(select(Commission)).one().status == Status.APPROVED.value


def test_bad_events_are_refused_by_field(db: Database) -> None:
    with db.session() as session:
        program = _setup(session)
        with pytest.raises(PartnerRuleError) as info:
            record_conversion(session, program, _sale("o1", currency="EUR"), actor="api")
        assert info.value.field == "currency"
        with pytest.raises(PartnerRuleError) as naive:
            record_conversion(
                session, program, _sale("o2", occurred_at=datetime(2026, 1, 1)), actor="api"
            )
        assert naive.value.field == "occurred_at"


def test_terms_and_partners_are_checked_before_they_are_stored(db: Database) -> None:
    with db.session() as session:
        program = service.default_program(session)
        bad_terms = service.TermsDraft(
            kind="percent", rate=Decimal("10"), recruiter_rate=Decimal("150")
        )
        with pytest.raises(PartnerRuleError):
            service.add_terms(session, program, bad_terms)
        with pytest.raises(PartnerRuleError) as info:
            service.create_partner(
                session, program, name="X", email="x@example.com", group="g" * 51
            )
        assert info.value.field == "group"
