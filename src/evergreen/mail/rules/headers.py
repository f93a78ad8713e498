"""Addresses and header values, checked: no CR, LF or NUL anywhere a header is made from text
(header injection), addresses valid, names encoded by the standard library."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from evergreen.mail.errors import MailInputError

__all__ = ["Address", "check_header_text", "parse_address", "plain_address"]

_FORBIDDEN = ("\r", "\n", "\x00")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*\Z")


def check_header_text(field: str, value: str) -> str:
    """The value, if it can go into a header as it is; CR, LF and NUL are refused."""
    if any(ch in value for ch in _FORBIDDEN):
        raise MailInputError(field, "must be one line (no line breaks or NUL characters)")
    return value


@dataclass(frozen=True)
class Address:
    """A checked mailbox: the address and the name shown with it."""

    email: str
    name: str = ""

    @property
    def domain(self) -> str:
        """The part after the @, for Message-ID and the return path."""
        return self.email.rsplit("@", 1)[1]


def parse_address(field: str, email: str, name: str = "") -> Address:
    """A mailbox, checked (syntax only, no DNS): a bad one is a MailInputError naming `field`."""
    check_header_text(field, email)
    check_header_text(f"{field} name", name)
    plain = plain_address(email)
    if plain is not None:
        return Address(plain, " ".join(name.split()))
    try:
        valid = validate_email(email.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise MailInputError(field, f"{email!r} is not an email address: {exc}") from None
    return Address(valid.normalized, " ".join(name.split()))


@functools.lru_cache(maxsize=4096)
def _domain(domain: str) -> str | None:
    """A domain as email-validator normalises it, or None when it refuses it (checked once per
    domain: a broadcast's addresses share a few hundred domains)."""
    try:
        found = validate_email(f"a@{domain}", check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    return found.domain if found.domain.isascii() else None


def plain_address(email: str) -> str | None:
    """The address email-validator would give for a plain ASCII one (a dot-atom before the @, a
    domain it accepts), without its per-address work; None: ask email-validator."""
    local, at, domain = email.strip().rpartition("@")
    if not at or len(local) > 64 or not _DOT_ATOM.match(local):
        return None
    normalised = _domain(domain)
    if normalised is None or len(local) + 1 + len(normalised) > 254:
        return None
    return f"{local}@{normalised}"
