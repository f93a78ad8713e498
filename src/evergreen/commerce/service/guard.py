"""The owner's margin floors and the guard applied to stored products: the only writer of
commerce_guard, and what pauses a product whose landed margin fell below its floor."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import MarginFloor, Product
from evergreen.commerce.rules.guard import Costs, Floor, GuardDecision, Verdict, guard, make_floor
from evergreen.commerce.rules.pricing import ANY_ZONE
from evergreen.commerce.rules.products import (
    check_currency_code,
    check_shipping,
    from_cents,
    to_cents,
)
from evergreen.errors import InputError
from evergreen.money import read_amount

__all__ = ["FloorSetting", "floor_rows", "floors", "guard_product", "remove_floor", "set_floor"]


@dataclass(frozen=True)
class FloorSetting:
    """A currency's floor as the guard reads it, with the zone whose landed cost it judges."""

    currency: str
    floor: Floor
    zone: str


def _number(field: str, text: str | Decimal | None) -> Decimal | None:
    """An optional typed number (a percent or an amount)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, Decimal):
        return text
    try:
        return read_amount(field, text.strip().rstrip("%"))
    except InputError as error:
        raise CommerceInputError(error.field, error.message) from None


def set_floor(
    session: Session,
    currency: str,
    percent: str | Decimal | None,
    amount: str | Decimal | None,
    zone: str = ANY_ZONE,
) -> MarginFloor:
    """The least margin the owner accepts in a currency (a percent, an amount, or both)."""
    code = check_currency_code("currency", currency)
    checked = make_floor(_number("floor.percent", percent), _number("floor.amount", amount))
    if checked.percent is not None and checked.percent != checked.percent.quantize(Decimal("0.01")):
        raise CommerceInputError("floor.percent", "has more than two decimals")
    zone_name = next(iter(check_shipping(code, {zone or ANY_ZONE: "0"})))
    row = session.scalar(select(MarginFloor).where(MarginFloor.currency == code))
    if row is None:
        row = MarginFloor(currency=code)
        session.add(row)
    row.percent = checked.percent
    row.amount_cents = None if checked.amount is None else to_cents("floor.amount", checked.amount)
    row.zone = zone_name
    session.flush()
    return row


def remove_floor(session: Session, currency: str) -> None:
    """No floor in this currency any more: the guard pauses nothing priced in it."""
    code = check_currency_code("currency", currency)
    row = session.scalar(select(MarginFloor).where(MarginFloor.currency == code))
    if row is not None:
        session.delete(row)
        session.flush()


def floor_rows(session: Session) -> list[MarginFloor]:
    """Every floor as stored, by currency."""
    return list(session.scalars(select(MarginFloor).order_by(MarginFloor.currency)))


def floors(session: Session) -> dict[str, FloorSetting]:
    """Every floor by currency."""
    found = {}
    for row in floor_rows(session):
        amount = None if row.amount_cents is None else from_cents(row.amount_cents)
        found[row.currency] = FloorSetting(row.currency, Floor(row.percent, amount), row.zone)
    return found


def _shipping(shipping: dict[str, int], zone: str) -> int | None:
    """Shipping in cents to the zone, or to any zone, or None when the supplier lists neither."""
    return shipping.get(zone, shipping.get(ANY_ZONE, 0 if not shipping else None))


def guard_product(
    row: Product,
    price_cents: int,
    setting: FloorSetting,
    *,
    before: tuple[int | None, dict[str, int]] | None = None,
) -> GuardDecision | None:
    """Judge an active product's price against the floor, pausing it with the guard's reason;
    None when it cannot be judged (not active, no cost, no shipping to the floor's zone)."""
    if row.status != "active" or row.supplier_cost_cents is None:
        return None
    shipping = _shipping(row.shipping_cents, setting.zone)
    if shipping is None:
        return None
    now = Costs(from_cents(row.supplier_cost_cents), from_cents(shipping))
    then = None
    if before is not None and before[0] is not None:
        old_shipping = _shipping(before[1], setting.zone)
        if old_shipping is not None:
            then = Costs(from_cents(before[0]), from_cents(old_shipping))
    decision = guard(
        from_cents(price_cents), now, setting.floor, currency=setting.currency, before=then
    )
    if decision.verdict is Verdict.PAUSE:
        row.status = "paused"
        row.status_reason = decision.reason[:500]
    return decision
