"""What the provider readers share: bounded JSON, typed field access, results."""

from __future__ import annotations

import json
import re
from typing import Any

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.bounces import BounceRecipient, BounceResult, Kind

MAX_BYTES = 1024 * 1024
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_ADDRESS = re.compile(r"[^\s@<>\"]+@[^\s@<>\"]+\.[^\s@<>\"]+")


def load_json(body: bytes | str, field: str = "body") -> Any:
    """The parsed body; too large, not UTF-8 or not JSON is a MailInputError."""
    if len(body) > MAX_BYTES:
        raise MailInputError(field, f"is larger than {MAX_BYTES // 1024} KB")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise MailInputError(field, "is not JSON") from None


def mapping(value: Any, field: str) -> dict[str, Any]:
    """A JSON object, or a MailInputError naming the field."""
    if not isinstance(value, dict):
        raise MailInputError(field, "must be a JSON object")
    return value


def text(value: Any, field: str, *, required: bool = True) -> str:
    """A JSON string (a number is read as its digits), or a MailInputError naming the field."""
    if isinstance(value, bool) or value is None:
        if required:
            raise MailInputError(field, "is missing")
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise MailInputError(field, "must be a string")
    return value


def address(value: Any, field: str) -> str:
    """A recipient address as the provider reports it, lower case."""
    found = _ADDRESS.search(text(value, field))
    if found is None:
        raise MailInputError(field, "is not an email address")
    return found.group(0).lower()


def status_in(words: str, default: str) -> str:
    """The first enhanced status code (5.1.1) in the provider's words, else the default."""
    found = _STATUS.search(words)
    return ".".join(found.groups()) if found else default


def result(recipients: list[BounceRecipient], source: str) -> BounceResult:
    """A bounce result, or 'not a bounce' when no recipient is about one."""
    if not recipients:
        return BounceResult(False)
    return BounceResult(True, tuple(recipients), None, source)


def recipient(email: str, kind: Kind, status: str, diagnostic: str) -> BounceRecipient:
    """One recipient, the diagnostic kept short and on one line."""
    return BounceRecipient(email, kind, status, " ".join(diagnostic.split())[:500])
