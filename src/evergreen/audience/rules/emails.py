"""Email addresses: checked with email-validator (no DNS), written one way, keyed one way.

The case rule: the domain is lower-cased and IDNA-encoded (``Müller.DE`` → ``xn--mller-kva.de``),
the local part is kept as typed (``Jane.Doe`` stays ``Jane.Doe``: a few servers still tell
``Jane`` from ``jane``), and two addresses are the same person when their lower-cased forms
match. That lower-cased form is `email_key`, the unique key of a subscriber. Not casefold():
it folds distinct letters together (``straße`` → ``strasse``), merging two people; keys made
that way before migration 0064 are `legacy_email_key`.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from evergreen.audience.errors import AudienceInputError

__all__ = ["MAX_EMAIL", "CheckedEmail", "check_email", "email_key", "legacy_email_key"]

MAX_EMAIL = 320


@dataclass(frozen=True)
class CheckedEmail:
    """An address as Evergreen stores it, and the key that makes two spellings one person."""

    email: str
    key: str


def email_key(email: str) -> str:
    """The lower-cased address: equal keys are the same person, and only case is ignored."""
    return email.lower()


def legacy_email_key(email: str) -> str:
    """The key before 0064 (case-folded), still in erased-address hashes and sent links."""
    return email.casefold()


def check_email(value: object, field: str = "email") -> CheckedEmail:
    """The address in its stored form, or a refusal that says what is wrong with it."""
    if not isinstance(value, str) or not value.strip():
        raise AudienceInputError(field, "is required, e.g. jane@example.com")
    text = value.strip()
    if len(text) > MAX_EMAIL:
        raise AudienceInputError(field, f"is longer than {MAX_EMAIL} characters")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AudienceInputError(field, f"{text!r} is not a valid email address: {exc}") from None
    email = f"{checked.local_part}@{checked.ascii_domain}"
    return CheckedEmail(email=email, key=email_key(email))
