"""One-click upsells' pure decisions: what a funnel step sells and in which role, the keys that
make a double click, a reload or many concurrent posts land on one order and one charge, and
which front-end orders may be charged again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from evergreen.commerce.errors import CommerceInputError

__all__ = [
    "ONE_CLICK_ROLES",
    "ONE_CLICK_WINDOW",
    "UpsellStep",
    "charge_key",
    "check_parent",
    "customer_key",
    "one_click_ready",
    "role_of",
    "upsell_key",
]

ONE_CLICK_ROLES = ("upsell", "downsell")
# How long after the front-end payment one click may charge the card: the buyer's walk through
# the funnel, not a link found later in a mailbox (the receipt carries the same signed link).
ONE_CLICK_WINDOW = timedelta(hours=2)
_CHARGEABLE = ("paid", "partially_refunded")


@dataclass(frozen=True)
class UpsellStep:
    """A funnel step as checkout sees it: which funnel, which step, its kind, product, variant."""

    funnel_id: int
    step_id: int
    kind: str
    product_id: int | None
    variant: str | None = None


def role_of(step: UpsellStep) -> tuple[int, str]:
    """The product an upsell or downsell step sells and the order line's role."""
    if step.kind not in ONE_CLICK_ROLES:
        raise CommerceInputError("step", "only an upsell or downsell step sells in one click")
    if not step.product_id:
        raise CommerceInputError("product_id", f"this {step.kind} step has no product")
    return step.product_id, step.kind


def upsell_key(parent_number: str, step_id: int) -> str:
    """The child order's checkout key: one per front-end order and step, whoever asks."""
    if not parent_number or step_id < 1:
        raise CommerceInputError("order", "an upsell needs its front-end order and step")
    return f"upsell-{parent_number}-{step_id}"


def charge_key(checkout_key: str) -> str:
    """The provider's idempotency key of an upsell charge (a retry returns the first charge)."""
    return f"evergreen-{checkout_key}"


def customer_key(checkout_key: str) -> str:
    """The provider's idempotency key of the customer a checkout saves its method on."""
    return f"evergreen-customer-{checkout_key}"


def check_parent(
    status: str,
    parent_order_id: int | None,
    order_funnel: int | None,
    funnel_id: int,
    paid_at: datetime | None,
    now: datetime,
) -> None:
    """Refuse to add to an order that is unpaid, refunded, itself an upsell, from elsewhere, or
    paid longer ago than the one-click window."""
    if parent_order_id is not None:
        raise CommerceInputError("order", "use the link of the first order in this funnel")
    if status not in _CHARGEABLE or paid_at is None:
        raise CommerceInputError(
            "order", "this order is not paid (yet); an offer is added to a paid order only"
        )
    if order_funnel != funnel_id:
        raise CommerceInputError("order", "this order was not made in this funnel")
    if now - paid_at > ONE_CLICK_WINDOW:
        raise CommerceInputError(
            "order", "this offer has expired for one click; buy it on its checkout page"
        )


def one_click_ready(
    provider: str | None, order_provider: str, customer: str | None, payment_id: str | None
) -> bool:
    """Whether the order's method was saved with the provider in use (else: normal checkout)."""
    return bool(provider) and provider == order_provider and bool(customer) and bool(payment_id)
