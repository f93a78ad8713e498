"""Pure rules of the owner's own affiliate income: reading a network's report, status moves, EPC."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from evergreen.errors import InputError
from evergreen.money import cents, check_currency, read_amount

__all__ = [
    "DEFAULT_POSTBACK_MAPPING",
    "DEFAULT_REPORT_MAPPING",
    "DEFAULT_STATUS_VALUES",
    "FIELDS",
    "KINDS",
    "REPORT_FIELDS",
    "Decision",
    "EarningStatus",
    "NetworkRuleError",
    "Reported",
    "check_mapping",
    "check_status_values",
    "conversion_rate",
    "corrects",
    "decide",
    "epc",
    "hash_secret",
    "month_of",
    "parse_reported",
    "secret_matches",
    "storable_params",
]

KINDS = ("network", "merchant")
FIELDS = ("click_id", "order_id", "amount", "commission", "currency", "status")
REPORT_FIELDS = (*FIELDS, "date")
DEFAULT_POSTBACK_MAPPING = {
    "click_id": "subid", "order_id": "oid", "amount": "amount", "commission": "payout",
    "currency": "currency", "status": "status",
}  # fmt: skip
DEFAULT_REPORT_MAPPING = {
    "click_id": "sub_id", "order_id": "order_id", "amount": "sale_amount",
    "commission": "commission", "currency": "currency", "status": "status", "date": "date",
}  # fmt: skip
DEFAULT_STATUS_VALUES = {
    "pending": "pending", "approved": "approved", "reversed": "reversed",
    "declined": "reversed", "paid": "approved",
}  # fmt: skip
_PLACES = Decimal("0.0001")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # a NUL, a lone surrogate
_PERCENT = Decimal("0.01")


class NetworkRuleError(InputError):
    """A network's value that breaks a rule; `field` names what to fix."""


class EarningStatus(StrEnum):
    """Where a network says a commission stands; reversed is final."""

    PENDING = "pending"
    APPROVED = "approved"
    REVERSED = "reversed"


_RANK = {EarningStatus.PENDING: 0, EarningStatus.APPROVED: 1, EarningStatus.REVERSED: 2}


@dataclass(frozen=True)
class Reported:
    """One sale as a network reported it, checked and typed."""

    order_id: str
    click_id: str
    amount: Decimal | None
    commission: Decimal
    currency: str
    status: EarningStatus
    occurred_at: datetime | None


def hash_secret(secret: str) -> str:
    """Only a digest of a postback secret is stored; the secret itself is shown once."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(stored_digest: str, given: str | None) -> bool:
    """Compare in constant time, so the secret cannot be guessed one character at a time."""
    if not given:
        return False
    return hmac.compare_digest(hash_secret(given), stored_digest)


def check_mapping(mapping: Mapping[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """A mapping names, for each of our fields, the parameter or column that carries it."""
    clean: dict[str, str] = {}
    for key, value in mapping.items():
        if key not in fields:
            raise NetworkRuleError(key, f"is not a field; use one of {', '.join(fields)}")
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            raise NetworkRuleError(key, "must name a parameter or column (1 to 100 characters)")
        clean[key] = value.strip()
    if "order_id" not in clean:
        raise NetworkRuleError("order_id", "the mapping must say where the order ID is")
    if "commission" not in clean:
        raise NetworkRuleError("commission", "the mapping must say where the commission is")
    return clean


def check_status_values(values: Mapping[str, str]) -> dict[str, str]:
    """The network's words for a status, each meaning pending, approved or reversed."""
    allowed = [s.value for s in EarningStatus]
    clean: dict[str, str] = {}
    for word, meaning in values.items():
        if meaning not in allowed:
            raise NetworkRuleError(
                "status_values", f"{word!r} must mean one of {', '.join(allowed)}, not {meaning!r}"
            )
        clean[word.strip().lower()] = meaning
    return clean


def _text(values: Mapping[str, str], mapping: Mapping[str, str], field: str) -> str:
    name = mapping.get(field)
    if not name:
        return ""
    value = values.get(name)
    return "" if value is None else str(value).strip()


def _number(field: str, text: str, decimal_mark: str | None) -> Decimal:
    """A reported amount read exactly (money.read_amount), or refused so the report is reviewed.

    "1,234" is refused unless the network's decimal mark is known: a network that writes 1.234
    for one euro and a quarter and one that writes 1,234 for a thousand send the same text, and
    storing either guess would silently shrink or inflate a commission.
    """
    try:
        return read_amount(field, text, decimal_mark=decimal_mark).quantize(_PLACES)
    except InputError as exc:
        raise NetworkRuleError(field, exc.message) from None


def _when(text: str) -> datetime:
    """A reported moment in UTC; one whose offset moves it past year 1 or 9999 is refused."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise NetworkRuleError(
            "date", f"{text!r} is not a date like 2026-03-01 or 2026-03-01T10:00:00Z"
        ) from None


def parse_reported(
    values: Mapping[str, str],
    mapping: Mapping[str, str],
    status_values: Mapping[str, str],
    *,
    default_currency: str = "USD",
    decimal_mark: str | None = None,
) -> Reported:
    """Read one postback or report row through the network's mapping; errors name the field."""
    order_id = _text(values, mapping, "order_id")
    if not order_id:
        raise NetworkRuleError("order_id", f"missing (expected in {mapping.get('order_id')!r})")
    if len(order_id) > 200:
        raise NetworkRuleError("order_id", "is longer than 200 characters")
    click_id = _text(values, mapping, "click_id")[:64]
    commission_text = _text(values, mapping, "commission")
    if not commission_text:
        raise NetworkRuleError("commission", f"missing (expected in {mapping.get('commission')!r})")
    commission = _number("commission", commission_text, decimal_mark)
    amount_text = _text(values, mapping, "amount")
    amount = _number("amount", amount_text, decimal_mark) if amount_text else None
    currency_text = _text(values, mapping, "currency") or default_currency
    try:
        currency = check_currency("currency", currency_text)
    except InputError as exc:
        raise NetworkRuleError("currency", exc.message) from None
    word = _text(values, mapping, "status").lower() or "pending"
    words = {k.lower(): v for k, v in status_values.items()}
    if word not in words:
        known = ", ".join(sorted(words))
        raise NetworkRuleError("status", f"{word!r} is not a known status (known: {known})")
    status = EarningStatus(words[word])
    date_text = _text(values, mapping, "date")
    occurred_at = _when(date_text) if date_text else None
    return Reported(order_id, click_id, amount, commission, currency, status, occurred_at)


@dataclass(frozen=True)
class Decision:
    """What a report does to a stored earning: create it, move it, or nothing (and why)."""

    action: str  # "create" | "update" | "noop" | "ignore"
    note: str = ""


def decide(current: str | None, reported: EarningStatus) -> Decision:
    """Statuses only move forward: pending → approved → reversed; reversed is final."""
    if current is None:
        return Decision("create")
    now = EarningStatus(current)
    if now == reported:
        return Decision("noop")
    if now == EarningStatus.REVERSED:
        return Decision("ignore", f"reported {reported.value} after reversal; reversed is final")
    if _RANK[reported] < _RANK[now]:
        return Decision("ignore", f"reported {reported.value} after {now.value}; kept {now.value}")
    return Decision("update")


def corrects(status: str, commission: Decimal, reported: Reported) -> bool:
    """A report of the same status with another commission corrects it (networks adjust a
    commission before they pay it); a reversed earning stays as it was, and 0 means the
    report did not say, as when a status moves."""
    return (
        reported.status.value == status
        and status != EarningStatus.REVERSED.value
        and reported.commission > 0
        and reported.commission != commission
    )


def epc(earned: Decimal, clicks: int) -> Decimal | None:
    """Earnings per human click, in cents; None when nobody clicked."""
    if clicks <= 0:
        return None
    return cents(earned / clicks)


def conversion_rate(conversions: int, clicks: int) -> Decimal | None:
    """Conversions per 100 human clicks, two decimals; None when nobody clicked."""
    if clicks <= 0:
        return None
    return (Decimal(conversions) * 100 / clicks).quantize(_PERCENT, rounding=ROUND_HALF_UP)


def month_of(moment: datetime | date) -> str:
    """The monthly bucket a moment falls in: "2026-03"."""
    return f"{moment.year:04d}-{moment.month:02d}"


def storable_params(params: Mapping[str, str]) -> dict[str, str]:
    """A postback's fields with each NUL or lone surrogate as U+FFFD: a network's garbled value
    is kept for review like any unreadable one (PostgreSQL stores no NUL in text, and no
    database a lone surrogate), never a refusal the network would not retry."""
    return {_UNSTORABLE.sub("\ufffd", k): _UNSTORABLE.sub("\ufffd", v) for k, v in params.items()}
