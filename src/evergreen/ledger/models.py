"""Tables of the ledger: streams, the journal (transactions and postings), hours and rollups."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = [
    "DailyFigures",
    "FeedState",
    "Forecast",
    "ForecastAmount",
    "HoursEntry",
    "ImportRule",
    "JournalEntry",
    "Posting",
    "Preferences",
    "RunningTimer",
    "Stream",
]


class Stream(Base):
    """One source of income; links, networks, programs and loans belong to one."""

    __tablename__ = "streams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    started_on: Mapped[date]
    recurring: Mapped[bool] = mapped_column(default=False)
    hourly_rate: Mapped[Decimal | None] = mapped_column(default=None)
    required_return: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), default=None)
    persistence: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JournalEntry(Base):
    """A balanced transaction; never edited, corrected by a reversing entry."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (Index("ix_ledger_transactions_date", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[date]
    # "*" cleared, counted in figures; "!" pending (beancount's flags), kept out until it clears.
    flag: Mapped[str] = mapped_column(String(1), default="*")
    payee: Mapped[str] = mapped_column(String(200), default="")
    narration: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(20), default="manual")
    # Automatic postings carry a key (e.g. "networks:earning:12:approved"): a replay finds it.
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_transactions.id"), unique=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Posting(Base):
    """One leg of a transaction: an account, a signed amount in one currency, a stream tag."""

    __tablename__ = "ledger_postings"
    __table_args__ = (Index("ix_ledger_postings_stream_account", "stream_id", "account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(String(200))
    stream_id: Mapped[int | None] = mapped_column(ForeignKey("streams.id"), default=None)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))


class DailyFigures(Base):
    """Rollup kept by the posting service: a stream's income, costs and capital moved per day.

    Money here is in ten-thousandths (integers), so the increments the database adds up are
    exact on SQLite too, whose NUMERIC arithmetic is floating point.
    """

    __tablename__ = "ledger_daily"

    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    income_units: Mapped[int] = mapped_column(BigInteger, default=0)
    costs_units: Mapped[int] = mapped_column(BigInteger, default=0)
    capital_units: Mapped[int] = mapped_column(BigInteger, default=0)
    postings: Mapped[int] = mapped_column(default=0)


class HoursEntry(Base):
    """Time the owner spent on a stream on one day (manual, timer, CLI or an import)."""

    __tablename__ = "ledger_hours"
    __table_args__ = (Index("ix_ledger_hours_stream_date", "stream_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"))
    date: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(9, 4))
    memo: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(20), default="manual")
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunningTimer(Base):
    """The one timer running now (starting another stops it), as in a time tracker."""

    __tablename__ = "ledger_timers"

    id: Mapped[int] = mapped_column(primary_key=True)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"))
    started_at: Mapped[datetime]
    memo: Mapped[str] = mapped_column(String(500), default="")


class Preferences(Base):
    """The owner's defaults for every stream: the hour's worth, the required return, the
    currency totals are in, and how few hours a month make a stream passive."""

    __tablename__ = "ledger_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    hourly_rate: Mapped[Decimal | None] = mapped_column(default=None)
    required_return: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), default=None)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    passive_hours: Mapped[Decimal] = mapped_column(Numeric(9, 2), default=Decimal(5))


class ImportRule(Base):
    """A saved payee rule: bank rows whose words match go to this stream and account."""

    __tablename__ = "ledger_import_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern: Mapped[str] = mapped_column(String(200))
    regex: Mapped[bool] = mapped_column(default=False)
    stream_id: Mapped[int] = mapped_column(ForeignKey("streams.id"), index=True)
    account: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedState(Base):
    """Where the automatic postings of one source event stand (a network earning, a partner
    commission, a payout): the transaction that counts for it now, how many were posted, and
    why nothing stands when something should. A row per event is also what a replay locks."""

    __tablename__ = "ledger_feeds"

    # "networks:earning:12", "partners:commission:7", "partners:payout:3"; "<scope>:stream"
    # remembers the stream made for a network or program that had none.
    origin: Mapped[str] = mapped_column(String(200), primary_key=True)
    scope: Mapped[str] = mapped_column(String(100), index=True)  # "networks:3", "partners:1"
    stream_id: Mapped[int | None] = mapped_column(
        ForeignKey("streams.id", ondelete="SET NULL"), default=None
    )
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_transactions.id"), default=None
    )
    state: Mapped[str] = mapped_column(String(12), default="")
    amount: Mapped[Decimal | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="")
    posted_on: Mapped[date | None] = mapped_column(default=None)
    posted: Mapped[int] = mapped_column(default=0)  # transactions posted so far: the n in keys
    note: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Forecast(Base):
    """The owner's forecast of a stream's residual income, one per stream: explicit years (its
    ForecastAmount rows), then how RI continues after them (none, perpetuity, persistence)."""

    __tablename__ = "ledger_forecasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    stream_id: Mapped[int] = mapped_column(
        ForeignKey("streams.id", ondelete="CASCADE"), unique=True
    )
    continuing: Mapped[str] = mapped_column(String(12))
    persistence: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ForecastAmount(Base):
    """One explicit year's residual income of a forecast (year 1: the year after the day the
    stream is valued)."""

    __tablename__ = "ledger_forecast_years"

    forecast_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_forecasts.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True)
    residual_income: Mapped[Decimal]
