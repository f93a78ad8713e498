"""Payment fees without I/O: the provider's fee in the order's currency, and whether an order
still has one to learn.

Stripe states its fee on the charge's balance transaction, in the account's settlement currency;
`exchange_rate` turns the charge's amount into that currency, so the fee in the charge's currency
is the fee divided by it. A bank transfer has no fee. Stripe keeps its fee when a payment is
refunded, so a refund never changes the fee recorded for an order.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["NO_FEE_PROVIDERS", "fee_in_currency", "fee_known_when_paid", "fee_to_record"]

NO_FEE_PROVIDERS = frozenset({"manual"})  # the fee (none) is known the moment it is paid


def fee_known_when_paid(provider: str, total_cents: int) -> bool:
    """Whether an order's fee (none) is known the moment it is paid: a bank transfer, or a free
    order that no provider charged."""
    return provider in NO_FEE_PROVIDERS or total_cents <= 0


def fee_in_currency(
    fee: int | None,
    fee_currency: str | None,
    currency: str,
    exchange_rate: float | Decimal | None = None,
) -> int | None:
    """The provider's fee in cents of `currency` (the payment's), or None when it is not
    known yet or cannot be stated in that currency (a settlement currency without a rate)."""
    if fee is None or fee < 0:
        return None
    if not fee_currency or fee_currency.upper() == currency.upper():
        return fee
    if not exchange_rate or exchange_rate <= 0:
        return None
    converted = Decimal(fee) / Decimal(str(exchange_rate))
    return int(converted.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fee_to_record(*, paid: bool, known: bool, fee: int | None) -> int | None:
    """The fee to store on an order now, or None: not paid yet, already known (a fee is
    learned exactly once), or the provider does not know it yet."""
    if not paid or known or fee is None or fee < 0:
        return None
    return fee
