"""Coupons: codes with percent or amount off, maybe for one product, expiring or capped; on a
subscription, for its first period, N periods or forever (Stripe's duration)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Coupon, Product
from evergreen.commerce.rules.cart import CouponTerms, check_coupon_code
from evergreen.commerce.rules.currencies import check_whole
from evergreen.commerce.rules.plans import check_duration
from evergreen.commerce.rules.products import check_currency_code, to_cents
from evergreen.db import write_unless_taken
from evergreen.errors import Conflict, NotFound

__all__ = ["CouponDraft", "add_coupon", "coupon_terms", "list_coupons", "remove_coupon"]


@dataclass(frozen=True)
class CouponDraft:
    """A coupon as entered: a code and either percent off or an amount off in a currency."""

    code: str
    percent_off: Decimal | str | None = None
    amount_off: Decimal | str | None = None
    currency: str | None = None
    product_id: int | None = None
    expires_at: datetime | None = None
    max_redemptions: int | None = None
    duration: str = "once"  # on a subscription: once, repeating (duration_periods) or forever
    duration_periods: int | None = None


def _percent(value: Decimal | str) -> Decimal:
    try:
        number = Decimal(value.strip().rstrip("%")) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise CommerceInputError("percent_off", "must be a number from 0.01 to 100") from None
    if not number.is_finite() or not Decimal("0.01") <= number <= 100 or number != round(number, 2):
        raise CommerceInputError("percent_off", "must be a number from 0.01 to 100")
    return number


def add_coupon(session: Session, draft: CouponDraft) -> Coupon:
    """Store a coupon; exactly one of percent and amount off, a taken code a Conflict."""
    code = check_coupon_code(draft.code, "code")
    has_percent = draft.percent_off not in (None, "")
    has_amount = draft.amount_off not in (None, "")
    if has_percent == has_amount:
        raise CommerceInputError("percent_off", "give either a percent or an amount off")
    row = Coupon(code=code)
    if has_percent:
        assert draft.percent_off is not None
        row.percent_off = _percent(draft.percent_off)
    else:
        assert draft.amount_off is not None
        row.currency = check_currency_code("currency", draft.currency or "")
        row.amount_off_cents = check_whole(
            "amount_off", to_cents("amount_off", draft.amount_off), row.currency
        )
        if row.amount_off_cents <= 0:
            raise CommerceInputError("amount_off", "must be more than zero")
    if draft.product_id is not None and session.get(Product, draft.product_id) is None:
        raise CommerceInputError("product_id", "no such product")
    row.product_id = draft.product_id
    if draft.expires_at is not None and draft.expires_at.tzinfo is None:
        raise CommerceInputError("expires_at", "needs a time zone, e.g. 2027-01-31T23:59:00Z")
    row.expires_at = draft.expires_at
    cap = draft.max_redemptions
    if cap is not None and (isinstance(cap, bool) or not 1 <= cap <= 10_000_000):
        raise CommerceInputError("max_redemptions", "must be a whole number of 1 or more")
    row.max_redemptions = cap
    row.duration, row.duration_periods = check_duration(draft.duration, draft.duration_periods)
    taken = select(Coupon.id).where(Coupon.code == code)
    if not write_unless_taken(
        session, lambda: session.add(row), lambda: session.scalar(taken) is not None
    ):
        raise Conflict("code", f"the coupon {code} exists already")
    return row


def list_coupons(session: Session) -> list[Coupon]:
    """Every coupon, by code."""
    return list(session.scalars(select(Coupon).order_by(Coupon.code)))


def remove_coupon(session: Session, coupon_id: int) -> None:
    """Remove a coupon; orders keep the code they were bought with."""
    row = session.get(Coupon, coupon_id)
    if row is None:
        raise NotFound("coupon", "no such coupon")
    session.delete(row)
    session.flush()


def coupon_terms(session: Session, code: str) -> CouponTerms | None:
    """The coupon a buyer typed, as the cart prices it (an unknown code is refused)."""
    if not code.strip():
        return None
    row = session.scalar(select(Coupon).where(Coupon.code == check_coupon_code(code)))
    if row is None:
        raise CommerceInputError("coupon", f"{code.strip().upper()} is not a valid coupon")
    return CouponTerms(
        row.code, row.percent_off, row.amount_off_cents, row.currency, row.product_id,
        row.expires_at, row.max_redemptions, row.redemptions,
    )  # fmt: skip
