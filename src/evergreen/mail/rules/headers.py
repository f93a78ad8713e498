"""Addresses and header values, checked: no CR, LF or NUL anywhere a header is made from text
(header injection), addresses valid, names encoded by the standard library."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from evergreen.mail.errors import MailInputError

__all__ = ["Address", "check_header_text", "parse_address"]

_FORBIDDEN = ("\r", "\n", "\x00")


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
    try:
        valid = validate_email(email.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise MailInputError(field, f"{email!r} is not an email address: {exc}") from None
    return Address(valid.normalized, " ".join(name.split()))
