"""Checkout's pure decisions: the buyer's signed order link, keys that make retries land on the
same payment, and what an order's status becomes as money arrives and goes back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.cart import share

__all__ = [
    "ORDER_STATUSES",
    "PAID_STATUSES",
    "check_buyer_email",
    "check_nonce",
    "order_token",
    "read_order_token",
    "refund_shares",
    "status_after_refund",
    "tax_is_added",
]

ORDER_STATUSES = ("pending", "paid", "failed", "refunded", "partially_refunded", "cancelled")
PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})  # money arrived once
_TOKEN = re.compile(r"^([A-Za-z0-9]{6,24})\.([A-Za-z0-9_-]{20,64})$")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _signature(secret: str, number: str) -> str:
    key = hashlib.sha256(f"evergreen-key:order-link:{secret}".encode()).digest()
    digest = hmac.new(key, number.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).rstrip(b"=").decode("ascii")


def order_token(secret: str, number: str) -> str:
    """The signed part of the buyer's order link (/buy/order/<token>)."""
    return f"{number}.{_signature(secret, number)}"


def read_order_token(secret: str, token: str) -> str:
    """The order number a link names; a changed or foreign link is refused."""
    found = _TOKEN.match(token.strip()) if isinstance(token, str) else None
    if found is None:
        raise CommerceInputError("token", "this order link is not valid")
    number = found.group(1)
    if not hmac.compare_digest(_signature(secret, number).encode(), found.group(2).encode()):
        raise CommerceInputError("token", "this order link is not valid")
    return number


def check_nonce(nonce: str) -> str:
    """The checkout form's one-time value: a double submit carries the same one."""
    text = nonce.strip() if isinstance(nonce, str) else ""
    if not _NONCE.match(text):
        raise CommerceInputError("nonce", "the form expired; reload the page and try again")
    return text


def status_after_refund(total: int, refunded: int) -> str:
    """A paid order's status once `refunded` of its `total` cents went back."""
    if refunded <= 0:
        return "paid"
    return "refunded" if refunded >= total else "partially_refunded"


def refund_shares(refunded: int, line_totals: list[int]) -> list[int]:
    """How much of a refund each line gives back, in proportion to what it cost."""
    return share(min(refunded, sum(line_totals)), line_totals)


_EMAIL = re.compile(r"^[^@\s<>\"(),;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")


def check_buyer_email(value: str) -> str:
    """The buyer's address, where the receipt goes: one plain address, lower-cased domain."""
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > 254 or not _EMAIL.match(text):
        raise CommerceInputError("email", "enter an email address like you@example.com")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def tax_is_added(subtotal_cents: int, discount_cents: int, shipping_cents: int, total: int) -> bool:
    """Whether a receipt adds the tax row (it came on top of the prices) or shows it as part of
    the total (the prices included it): either way its rows add up to the total."""
    return subtotal_cents - discount_cents + shipping_cents != total
