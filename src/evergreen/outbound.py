"""Requests the server makes on its own (webhooks, link checks, SNS): public addresses only.

A host is resolved, every address it resolves to is checked, and the connection goes to the
address that was checked, so a second DNS answer cannot point the request at the machine's own
loopback, private network or cloud metadata service. Owners allow named hosts or networks.
`opener` is the urllib client built on it: every connection, redirects included, is checked.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from evergreen.addresses import Addresses

__all__ = [
    "Refused",
    "checked_socket",
    "not_public",
    "opener",
    "post_sender",
    "refusal",
    "resolve",
]

_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(OSError):
    """A connection not attempted, and why (an address that is not public)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


def _kind(address: _IP) -> str | None:
    """What makes an address not a public one (None: it is public)."""
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "reserved"
    return None


def _embedded(address: _IP) -> list[_IP]:
    """Any IPv4 address the address carries (mapped, 6to4, Teredo: where a packet to it really
    goes), then the address itself."""
    found: list[_IP] = []
    if isinstance(address, ipaddress.IPv6Address):
        for inner in (address.ipv4_mapped, address.sixtofour):
            if inner is not None:
                found.append(inner)
        if address.teredo is not None:
            found.extend(address.teredo)
    return [*found, address]


def not_public(address: str) -> str | None:
    """The kind of address that may not be reached (loopback, private, …), or None if public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "non-IP"
    for candidate in _embedded(ip):
        kind = _kind(candidate)
        if kind is not None:
            return kind
    return None


def refusal(
    host: str, address: str, allow: Addresses, what: str, setting: str | None
) -> str | None:
    """Why `what` for `host` may not go to `address` (one it resolved to), or None; `setting`
    names where the owner allows an address (None: nothing may allow one)."""
    name = host.lower().rstrip(".").strip("[]")
    if name in allow or address in allow:
        return None
    kind = not_public(address)
    if kind is None:
        return None
    if kind == "non-IP":
        return f"{host} resolves to {address!r}, which is not an IP address"
    where = address if name == address else f"{host} ({address})"
    allowing = f" (to allow it, the owner adds it to {setting})" if setting else ""
    return f"{where} is a {kind} address: {what} go to public addresses only{allowing}"


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to now (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_socket(
    host: str, port: int, timeout: float | None, allow: Addresses, what: str, setting: str | None
) -> socket.socket:
    """A connection to the first address of `host`, once every address it has is checked:
    one bad answer refuses the host, since which answer a connection gets is not ours to choose."""
    addresses = resolve(host, port)
    for address in addresses:
        reason = refusal(host, address, allow, what, setting)
        if reason is not None:
            raise Refused(reason)
    error: OSError | None = None
    for address in addresses:  # in the resolver's order, as socket.create_connection does
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error or OSError(f"{host} resolves to no address")


def _checked_class(
    base: type[http.client.HTTPConnection], allow: Addresses, what: str, setting: str | None
) -> type[http.client.HTTPConnection]:
    """A connection class that connects only to a checked, public address of its host."""

    class Checked(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)

            def create(
                address: tuple[str, int], timeout: float | None = None, source: object = None
            ) -> socket.socket:
                return checked_socket(*address, timeout, allow, what, setting)

            self._create_connection = create

    return Checked


class _CheckedHTTP(urllib.request.HTTPHandler):
    """Plain HTTP to public addresses only, every redirect hop included."""

    def __init__(self, allow: Addresses, what: str, setting: str | None) -> None:
        super().__init__()
        self._class = _checked_class(http.client.HTTPConnection, allow, what, setting)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._class, req)


class _CheckedHTTPS(urllib.request.HTTPSHandler):
    """HTTPS to public addresses only, the certificate verified for the host's name."""

    def __init__(self, allow: Addresses, what: str, setting: str | None) -> None:
        super().__init__(context=ssl.create_default_context())  # verifies chain and host name
        self._class = _checked_class(http.client.HTTPSConnection, allow, what, setting)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._class, req, context=self._context)  # type: ignore[attr-defined]


def opener(
    allow: Addresses, what: str, setting: str | None, *handlers: urllib.request.BaseHandler
) -> urllib.request.OpenerDirector:
    """A urllib opener whose every connection (redirects too) goes to a checked public address
    and never through a proxy from the environment; `handlers` add a redirect policy."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _CheckedHTTP(allow, what, setting),
        _CheckedHTTPS(allow, what, setting),
        *handlers,
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook follows no redirect: a 3xx is an answer, and a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post_sender(
    allow: Addresses, timeout: float = 10.0
) -> Callable[[str, bytes, dict[str, str]], int]:
    """The webhooks' sender: a POST to a checked public address (or one allowed by
    EVERGREEN_WEBHOOK_ALLOW), no redirects followed; the HTTP status it answered."""
    client = opener(allow, "webhooks", "EVERGREEN_WEBHOOK_ALLOW", _NoRedirect())

    def send(url: str, body: bytes, headers: dict[str, str]) -> int:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url[:60]!r} is not an http(s) address")
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) checked above)
        try:
            with client.open(request, timeout=timeout) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    return send
