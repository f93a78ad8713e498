"""Web addresses every area accepts the same way: absolute http(s), a host, nothing hidden."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from evergreen.errors import InputError

__all__ = ["MAX_URL", "check_http_url"]

MAX_URL = 2048
# Control characters (C0, DEL, C1) and lone surrogates: no HTTP header may carry them.
_UNSENDABLE = frozenset({"Cc", "Cs"})


def check_http_url(field: str, url: str, error: type[InputError] = InputError) -> str:
    """The stripped URL, or `error(field, why)`: absolute http(s) with a host, no credentials,
    no whitespace, control characters (DEL included) or lone surrogates — none can travel in a
    Location header — and at most MAX_URL characters."""
    value = url.strip()
    if not value:
        raise error(field, "is required")
    if len(value) > MAX_URL:
        raise error(field, f"must be at most {MAX_URL} characters")
    for ch in value:
        if ch.isspace() or unicodedata.category(ch) in _UNSENDABLE:
            raise error(
                field,
                f"must not contain spaces or control characters (found U+{ord(ch):04X}); "
                "percent-encode them, e.g. %20 for a space",
            )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (reading the port validates it)
    except ValueError:
        raise error(field, "is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise error(field, "must start with http:// or https://")
    if not parts.hostname:
        raise error(field, "must include a host name, e.g. https://example.com/")
    if parts.username or parts.password:
        raise error(field, "must not contain a user name or password")
    return value
