"""Web addresses every area accepts the same way: absolute http(s), a host, nothing hidden."""

from __future__ import annotations

from urllib.parse import urlsplit

from evergreen.errors import InputError

__all__ = ["MAX_URL", "check_http_url"]

MAX_URL = 2048


def check_http_url(field: str, url: str, error: type[InputError] = InputError) -> str:
    """The stripped URL, or `error(field, why)`: absolute http(s) with a host, no credentials,
    no whitespace or control characters, at most MAX_URL characters."""
    value = url.strip()
    if not value:
        raise error(field, "is required")
    if len(value) > MAX_URL:
        raise error(field, f"must be at most {MAX_URL} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise error(field, "must not contain spaces or control characters")
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
