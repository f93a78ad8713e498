"""Pure fraud signals: each one a sentence, so a held commission says why it is held."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from evergreen.money import check_utc
from evergreen.partners.rules.errors import PartnerRuleError

__all__ = ["DEFAULT_DISPOSABLE", "FraudRules", "Signals", "fraud_email_key", "fraud_reasons"]

DEFAULT_DISPOSABLE = frozenset(
    {
        "mailinator.com", "guerrillamail.com", "guerrillamail.net", "sharklasers.com",
        "10minutemail.com", "temp-mail.org", "tempmail.com", "yopmail.com", "trashmail.com",
        "getnada.com", "maildrop.cc", "dispostable.com", "throwawaymail.com", "fakeinbox.com",
        "mailnesia.com", "mintemail.com", "emailondeck.com", "moakt.com",
    }
)  # fmt: skip
_GMAIL = frozenset({"gmail.com", "googlemail.com"})


@dataclass(frozen=True)
class FraudRules:
    """Which signals put a commission on hold; each can be switched off per program."""

    self_referral: bool = True
    disposable_email: bool = True
    duplicate_customer: bool = True
    click_flood: bool = True
    min_seconds_click_to_conversion: int = 10
    disposable_domains: frozenset[str] = field(default=DEFAULT_DISPOSABLE)

    def __post_init__(self) -> None:
        """Domains are compared in lower case; a negative minimum is a typo."""
        seconds = self.min_seconds_click_to_conversion
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise PartnerRuleError(
                "min_seconds_click_to_conversion", f"must be 0 or more seconds ({seconds!r})"
            )
        domains = frozenset(d.strip().lower().lstrip("@") for d in self.disposable_domains)
        object.__setattr__(self, "disposable_domains", domains)


@dataclass(frozen=True)
class Signals:
    """What is known about a conversion and its partner when the commission is created."""

    partner_email: str
    partner_visitors: frozenset[str]
    customer_email: str | None
    customer_visitor: str | None
    customer_seen_before: bool
    click_class: str | None
    click_at: datetime | None
    conversion_at: datetime


def fraud_email_key(email: str) -> str:
    """One mailbox, one key for the self-referral check: no case, no +tag, no Gmail dots."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at or not local or not domain:
        return email.strip().lower()
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def _disposable(email: str, domains: frozenset[str]) -> str | None:
    """The disposable domain the address is at, its own or a parent's (x.mailinator.com)."""
    domain = email.strip().lower().rpartition("@")[2]
    labels = domain.split(".")
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        if candidate in domains:
            return candidate
    return None


def fraud_reasons(signals: Signals, rules: FraudRules) -> list[str]:
    """Every enabled signal that fires, as a sentence; an empty list means nothing suspicious."""
    conversion_at = check_utc("conversion_at", signals.conversion_at)
    reasons: list[str] = []
    email = (signals.customer_email or "").strip()
    if rules.self_referral:
        same_email = bool(email) and fraud_email_key(email) == fraud_email_key(
            signals.partner_email
        )
        same_visitor = bool(signals.customer_visitor) and (
            signals.customer_visitor in signals.partner_visitors
        )
        if same_email or same_visitor:
            how = " and ".join(
                text
                for text, hit in (
                    ("the customer's email address is the partner's own", same_email),
                    ("the customer's browser is one the partner used", same_visitor),
                )
                if hit
            )
            reasons.append(f"Self-referral: {how}.")
    if rules.disposable_email and email:
        domain = _disposable(email, rules.disposable_domains)
        if domain:
            reasons.append(f"Disposable email address: {domain} hands out throwaway inboxes.")
    if rules.duplicate_customer and signals.customer_seen_before:
        reasons.append("Duplicate customer: this customer has been seen before.")
    if rules.click_flood and signals.click_class == "flood":
        reasons.append("Click flooding: the click behind this sale was part of a click flood.")
    minimum = rules.min_seconds_click_to_conversion
    if signals.click_at is not None and minimum > 0:  # 0 switches the timing rule off
        seconds = (conversion_at - check_utc("click_at", signals.click_at)).total_seconds()
        if seconds < 0:
            reasons.append("Conversion before its click: the click is dated after the sale.")
        elif seconds < minimum:
            reasons.append(
                f"Too fast: the conversion came {seconds:g} seconds after the click "
                f"(the minimum is {minimum})."
            )
    return reasons
