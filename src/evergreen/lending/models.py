"""Tables of the lending area: borrowers, properties, loans, draws, money movements, events.

Money is Numeric with cents; a loan row carries its running position (balance, undrawn funds,
interest and fees owed, the day interest was counted to), rewritten only by the service.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = [
    "Borrower",
    "BorrowerDocument",
    "Draw",
    "DrawPhoto",
    "LendingSettings",
    "Loan",
    "LoanEvent",
    "Movement",
    "Property",
]

_RATE = Numeric(9, 6)


class Borrower(Base):
    """A person or LLC the owner lends to; `user_id` links the borrower portal's account."""

    __tablename__ = "lending_borrowers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="person")  # person or llc
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # The current portal invitation: a new one replaces it, so earlier links stop working.
    invite_nonce: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BorrowerDocument(Base):
    """A file kept on a borrower (ID, operating agreement, insurance, ...); the file lies in the
    data folder under `path`, the row says whose it is and what kind."""

    __tablename__ = "lending_borrower_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("lending_borrowers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(500), default="")
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Property(Base):
    """The collateral: address, purchase price, rehab budget and after-repair value."""

    __tablename__ = "lending_properties"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(300))
    purchase_price: Mapped[Decimal | None] = mapped_column(default=None)
    rehab_budget: Mapped[Decimal | None] = mapped_column(default=None)
    arv: Mapped[Decimal | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Loan(Base):
    """A note: its terms, and its running position kept by the service."""

    __tablename__ = "lending_loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("lending_borrowers.id"), index=True)
    property_id: Mapped[int | None] = mapped_column(
        ForeignKey("lending_properties.id"), default=None
    )
    principal: Mapped[Decimal]  # the note amount at closing (financed points included)
    commitment: Mapped[Decimal | None] = mapped_column(default=None)
    annual_rate: Mapped[Decimal] = mapped_column(_RATE)
    default_rate: Mapped[Decimal | None] = mapped_column(_RATE, default=None)
    default_after_days: Mapped[int | None] = mapped_column(default=None)
    months: Mapped[int]
    start: Mapped[date]
    maturity: Mapped[date]
    interest_only: Mapped[bool] = mapped_column(default=True)
    amortization_months: Mapped[int | None] = mapped_column(default=None)
    day_count: Mapped[str] = mapped_column(String(12), default="30/360")
    points: Mapped[Decimal] = mapped_column(_RATE, default=Decimal(0))
    points_financed: Mapped[bool] = mapped_column(default=False)
    closing_fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    draw_fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    grace_days: Mapped[int] = mapped_column(default=10)
    late_fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    late_fee_pct: Mapped[Decimal] = mapped_column(_RATE, default=Decimal(0))
    min_interest_months: Mapped[int] = mapped_column(default=0, server_default="0")
    prepay_pct: Mapped[Decimal] = mapped_column(_RATE, default=Decimal(0), server_default="0")
    prepay_months: Mapped[int] = mapped_column(default=0, server_default="0")
    allocation: Mapped[str] = mapped_column(String(80))
    dutch: Mapped[bool] = mapped_column(default=False)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    stream_id: Mapped[int | None] = mapped_column(
        ForeignKey("streams.id", ondelete="SET NULL"), default=None
    )
    # The running position.
    balance: Mapped[Decimal]
    undrawn: Mapped[Decimal] = mapped_column(default=Decimal(0))
    interest_due: Mapped[Decimal] = mapped_column(default=Decimal(0))
    default_interest_due: Mapped[Decimal] = mapped_column(default=Decimal(0))
    fees_due: Mapped[Decimal] = mapped_column(default=Decimal(0))
    accrued_to: Mapped[date]
    # Where the payments stand against the expected calendar after every movement: the oldest
    # due date not yet covered and what is left of it (None, 0 once closed or all paid), so a
    # day's lateness and the next payment are read without walking the calendar.
    next_due: Mapped[date | None] = mapped_column(default=None)
    next_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    closed_on: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Draw(Base):
    """A construction draw against the commitment: requested, inspected, approved, funded;
    `request_key` makes a request sent twice (a double click, an API retry) one draw."""

    __tablename__ = "lending_draws"
    __table_args__ = (Index("uq_lending_draws_request_key", "loan_id", "request_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("lending_loans.id"), index=True)
    # The caller's key, unique per loan (a form's nonce, an API retry's key); None: no key sent.
    request_key: Mapped[str | None] = mapped_column(String(150), default=None)
    amount: Mapped[Decimal]
    fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    status: Mapped[str] = mapped_column(String(12), default="requested")
    note: Mapped[str] = mapped_column(String(500), default="")
    requested_on: Mapped[date]
    inspected_on: Mapped[date | None] = mapped_column(default=None)
    approved_on: Mapped[date | None] = mapped_column(default=None)
    funded_on: Mapped[date | None] = mapped_column(default=None)
    rejected_on: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DrawPhoto(Base):
    """A photo the borrower sent with a draw request (work done); the file lies in the data
    folder under `path`, the row says whose it is."""

    __tablename__ = "lending_draw_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("lending_draws.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Movement(Base):
    """Money that moved (or was charged) on a loan, split into its parts; `key` makes a replay
    (the same payment sent twice, the daily task run twice) a no-op."""

    __tablename__ = "lending_movements"
    __table_args__ = (
        Index("ix_lending_movements_loan_on", "loan_id", "on"),
        # Covers the book's cash flows per day and kind (the index alone is read, in order).
        Index("ix_lending_movements_on_kind_amount", "on", "kind", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("lending_loans.id"))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    on: Mapped[date]
    amount: Mapped[Decimal]  # cash in (payments) or out (funding, draws); charges: the charge
    principal: Mapped[Decimal] = mapped_column(default=Decimal(0))
    interest: Mapped[Decimal] = mapped_column(default=Decimal(0))
    default_interest: Mapped[Decimal] = mapped_column(default=Decimal(0))
    fees: Mapped[Decimal] = mapped_column(default=Decimal(0))
    points: Mapped[Decimal] = mapped_column(default=Decimal(0))
    note: Mapped[str] = mapped_column(String(500), default="")
    waives_id: Mapped[int | None] = mapped_column(default=None)  # a fee waiver: the fee's movement
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoanEvent(Base):
    """What happened to a loan, in words, for its history (and later its statements)."""

    __tablename__ = "lending_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("lending_loans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    on: Mapped[date]
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LendingSettings(Base):
    """The owner's lending settings, one row: the capital set aside for lending, so that the
    book can tell idle capital (available less deployed); none when not said."""

    __tablename__ = "lending_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    capital_available: Mapped[Decimal | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
