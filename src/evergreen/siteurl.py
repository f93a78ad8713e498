"""The site's own address: every absolute URL Evergreen hands out (short links, QR codes,
invitations, postback URLs) starts with what `site_url` or `cli_site_url` answers.

EVERGREEN_BASE_URL wins when it is set. Otherwise a request's address is the one it reached —
the scheme and socket address `serve` accepted it on — or, from a trusted proxy, what the proxy
says the visitor asked for (X-Forwarded-Proto/Host/Port, else Host). A command, having no
request, uses the address `serve` last listened on (recorded in the data folder).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from evergreen.addresses import TrustedProxies
from evergreen.config import Settings
from evergreen.digits import is_digits

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection

__all__ = [
    "DEFAULT_URL",
    "ORIGIN_KEY",
    "SiteUrl",
    "cli_site_url",
    "origin_of",
    "record_served_url",
    "served_url",
    "site_url",
]

DEFAULT_URL = "http://127.0.0.1:8000"  # `evergreen serve` with no options
ORIGIN_KEY = "evergreen.origin"  # where the app's middleware leaves a request's origin
_SERVED_FILE = "served_url"
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))(?::\d{1,5})?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class SiteUrl:
    """A base URL and, for people reading a command's output, where it came from."""

    url: str
    source: str


def served_url(scheme: str, host: str, port: int | None) -> str:
    """scheme://host[:port] for a socket address: IPv6 in brackets, default ports left out."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host  # noqa: S104
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{shown}"
    return f"{scheme}://{shown}:{port}"


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first value of a header (the hop nearest the visitor for a comma-separated list)."""
    for key, value in headers:
        if key == name:
            return value.decode("latin-1").split(",")[0].strip()
    return None


def origin_of(
    scheme: str,
    server: tuple[str, int | None] | None,
    headers: Iterable[tuple[bytes, bytes]],
    peer: str | None,
    proxies: TrustedProxies,
) -> str:
    """The origin a request reached. Only a trusted proxy's forwarded headers (and Host) count:
    anyone else gets the socket address `serve` accepted the connection on."""
    scheme = "https" if scheme in ("https", "wss") else "http"
    if peer is not None and peer in proxies:
        headers = list(headers)
        proto = (_header(headers, b"x-forwarded-proto") or scheme).lower()
        if proto not in _DEFAULT_PORTS:
            proto = scheme
        host = _header(headers, b"x-forwarded-host") or _header(headers, b"host") or ""
        port = _header(headers, b"x-forwarded-port")
        if host and _HOST.match(host):
            has_port = ":" in host.rsplit("]", 1)[-1]
            if port and is_digits(port) and not has_port and int(port) != _DEFAULT_PORTS[proto]:
                host = f"{host}:{port}"
            return f"{proto}://{host.lower()}"
    if server is None:
        return DEFAULT_URL
    return served_url(scheme, server[0], server[1])


def site_url(request: HTTPConnection) -> str:
    """The base of every absolute URL in a response to this request (no trailing slash)."""
    settings: Settings = request.app.state.settings
    if settings.base_url:
        return settings.base_url
    origin = request.scope.get(ORIGIN_KEY)
    if isinstance(origin, str):
        return origin
    # Not through the app's middleware (a sub-application): trust no header.
    scope = request.scope
    return origin_of(scope["scheme"], scope.get("server"), [], None, TrustedProxies(""))


def record_served_url(settings: Settings, url: str) -> None:
    """Keep the address `serve` listens on, for commands that print URLs without a request."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / _SERVED_FILE).write_text(url + "\n", encoding="utf-8")


def cli_site_url(settings: Settings) -> SiteUrl:
    """The base URL a command uses: EVERGREEN_BASE_URL, else where `serve` last listened."""
    if settings.base_url:
        return SiteUrl(settings.base_url, "EVERGREEN_BASE_URL")
    try:
        recorded = (settings.data_dir / _SERVED_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        recorded = ""
    if recorded.startswith(("http://", "https://")):
        return SiteUrl(recorded, "the address `evergreen serve` last listened on")
    return SiteUrl(DEFAULT_URL, "the default address of `evergreen serve`")
