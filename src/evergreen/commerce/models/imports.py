"""Tables of catalog imports, the owner's named price rules and the margin guard's floors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from evergreen.db import Base, utcnow

__all__ = ["CatalogImport", "MarginFloor", "PriceRuleRow"]


class CatalogImport(Base):
    """One uploaded Shopify or supplier CSV: previewed, then run in batches, then done."""

    __tablename__ = "commerce_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # shopify or supplier
    file_name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(300))  # the upload, relative to the data folder
    status: Mapped[str] = mapped_column(String(20), default="previewed")  # running, done, failed
    total: Mapped[int] = mapped_column(default=0)  # entries in the file: products or error rows
    done: Mapped[int] = mapped_column(default=0)  # entries handled so far (resumes from here)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    withheld: Mapped[int] = mapped_column(default=0)  # rows with errors, nothing stored for them
    paused: Mapped[int] = mapped_column(default=0)  # products the margin guard paused
    # [{"line", "field", "message"}] and [{"id", "name", "reason"}], both capped.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    paused_items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # {"currency", "rule_id", "status", "reprice"}: chosen at upload, fixed for the run.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PriceRuleRow(Base):
    """An owner's named price rule (rules.pricing), stored as typed text; one may be default."""

    __tablename__ = "commerce_price_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    # [{"start": "0", "end": "10", "multiplier": "3", "margin": null}, …] as entered.
    ranges: Mapped[list[dict[str, str | None]]] = mapped_column(JSON, default=list)
    ending: Mapped[str | None] = mapped_column(String(10), default=None)
    compare_at_factor: Mapped[str | None] = mapped_column(String(20), default=None)
    zone: Mapped[str] = mapped_column(String(32), default="*")  # whose landed cost it prices
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MarginFloor(Base):
    """The owner's least margin in one currency, judged on landed cost to one zone."""

    __tablename__ = "commerce_guard"

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), unique=True)
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), default=None)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)
    zone: Mapped[str] = mapped_column(String(32), default="*")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
