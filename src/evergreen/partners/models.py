"""Tables of the affiliate program: partners, terms, customers, conversions, commissions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow


class Program(Base):
    """The owner's affiliate program: currency, attribution and holding rules, payout threshold,
    and the landing page every new partner's referral link points to."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    attribution_model: Mapped[str] = mapped_column(String(8), default="last")
    window_days: Mapped[int] = mapped_column(default=30)
    holding_days: Mapped[int] = mapped_column(default=30)
    payout_threshold: Mapped[Decimal] = mapped_column(default=Decimal("50"))
    landing_url: Mapped[str] = mapped_column(String(2048), default="", server_default="")
    # The income stream its commissions are a cost of; made for it at the first one when unset.
    stream_id: Mapped[int | None] = mapped_column(
        ForeignKey("streams.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Partner(Base):
    """Someone who promotes the owner's products for a commission."""

    __tablename__ = "partners"
    __table_args__ = (UniqueConstraint("program_id", "email", name="uq_partners_program_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    group: Mapped[str] = mapped_column(String(50), default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    recruited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), default=None
    )
    payout_method: Mapped[str] = mapped_column(String(16), default="paypal")
    payout_details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    visitors: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Names the partner's latest invitation link; inviting again changes it, voiding older links.
    invite_nonce: Mapped[str | None] = mapped_column(String(64), default=None)


class PartnerLink(Base):
    """A tracking link that belongs to a partner: its clicks attribute sales to them."""

    __tablename__ = "partner_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), unique=True)


class Coupon(Base):
    """A coupon code that attributes a sale to a partner without a click."""

    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(50), unique=True)


class TermsVersion(Base):
    """One version of commission terms for a group; versions are never edited, only added."""

    __tablename__ = "commission_terms"
    __table_args__ = (
        UniqueConstraint("program_id", "group", "version", name="uq_commission_terms_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(String(50), default="")
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))
    rate: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    lead_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    duration: Mapped[str] = mapped_column(String(12), default="one_time")
    duration_count: Mapped[int | None] = mapped_column(default=None)
    tiers: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    recruiter_rate: Mapped[Decimal] = mapped_column(default=Decimal(0))
    effective_from: Mapped[datetime] = mapped_column(default=utcnow)


class Customer(Base):
    """A buyer, bound to the partner who referred them and to the terms in force then."""

    __tablename__ = "partner_customers"  # commerce will have customers of its own
    __table_args__ = (
        UniqueConstraint("program_id", "external_id", name="uq_partner_customers_program_external"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), default=None
    )
    terms_id: Mapped[int | None] = mapped_column(
        ForeignKey("commission_terms.id", ondelete="SET NULL"), default=None
    )
    attributed_at: Mapped[datetime | None] = mapped_column(default=None)
    attribution_rule: Mapped[str] = mapped_column(String(300), default="")
    payments: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversion(Base):
    """A lead, sale, renewal, refund or chargeback as reported, stored once per idempotency key."""

    __tablename__ = "conversions"
    __table_args__ = (
        UniqueConstraint("program_id", "idempotency_key", name="uq_conversions_program_key"),
        Index("ix_conversions_program_order", "program_id", "order_id"),
        # Unattributed conversions of the last days: retried when their click lands.
        Index("ix_conversions_status_received", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_customers.id", ondelete="SET NULL"), default=None
    )
    order_id: Mapped[str] = mapped_column(String(200), default="")
    click_id: Mapped[str] = mapped_column(String(64), default="")
    coupon: Mapped[str] = mapped_column(String(50), default="")
    # The order this sale adds to (a one-click upsell): part of that purchase, not a payment of
    # its own; kept so that a later attribution decides it as it was reported.
    extends: Mapped[str] = mapped_column(String(200), default="", server_default="")
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(300), default="")
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when attributed after it was recorded: by hand (the person), or when its click landed.
    attributed_by: Mapped[str] = mapped_column(String(254), default="")
    attributed_at: Mapped[datetime | None] = mapped_column(default=None)


class Commission(Base):
    """What a partner earns (or, negative, owes back) for one conversion, with its history."""

    __tablename__ = "commissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    conversion_id: Mapped[int] = mapped_column(ForeignKey("conversions.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_customers.id", ondelete="SET NULL"), default=None
    )
    terms_id: Mapped[int | None] = mapped_column(
        ForeignKey("commission_terms.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(16), default="commission")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("commissions.id", ondelete="SET NULL"), default=None
    )
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(300), default="")
    attribution_rule: Mapped[str] = mapped_column(String(300), default="")
    hold_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    payout_id: Mapped[int | None] = mapped_column(
        ForeignKey("payouts.id", ondelete="SET NULL"), default=None, index=True
    )


class Payout(Base):
    """A payout batch: the exact commissions it settles, per partner and currency."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))
    paid_at: Mapped[datetime | None] = mapped_column(default=None)


class PayoutLine(Base):
    """One partner's net amount in one currency within a payout."""

    __tablename__ = "payout_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal]


class PayoutNotice(Base):
    """The email telling one partner that a payout paid them: one per payout and partner (the
    unique key makes marking paid twice announce once), with what became of it."""

    __tablename__ = "payout_notices"
    __table_args__ = (UniqueConstraint("payout_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(8), default="due", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    problem: Mapped[str] = mapped_column(String(300), default="")


class CommissionEvent(Base):
    """Every change of a commission's status or amount, with when and who."""

    __tablename__ = "commission_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    commission_id: Mapped[int] = mapped_column(
        ForeignKey("commissions.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str] = mapped_column(String(12), default="")
    to_status: Mapped[str] = mapped_column(String(12), default="")
    amount: Mapped[Decimal | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(300), default="")


class WebhookEndpoint(Base):
    """A URL of the owner's that is told when commissions are created, approved or paid."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(64))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint, delivered at most once per event ID and retried with backoff."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    # The run sending it ("sending" status): claimed atomically, so two workers never both send.
    claimed_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
