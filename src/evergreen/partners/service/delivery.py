"""Sending a webhook: resolve the host, refuse addresses that are not public, connect to the
address that was checked (so a second DNS answer cannot redirect the request), follow no redirect.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

from evergreen.addresses import Addresses
from evergreen.outbound import resolve
from evergreen.partners.rules import PartnerRuleError
from evergreen.partners.rules.webhooks import address_refusal

__all__ = [
    "DeliveryRefused",
    "Sender",
    "check_target",
    "http_sender",
    "resolve",
]

# A sender posts (url, body, headers) and returns the HTTP status, 0 when nothing answered;
# it raises DeliveryRefused for an address it will not send to. Tests use the real one against
# a local server (allowed by name), or a stand-in.
Sender = Callable[[str, bytes, dict[str, str]], int]
_TIMEOUT = 10.0


class DeliveryRefused(Exception):
    """A delivery that was not attempted, and why (the address is not public)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _target(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return host, port, parts.scheme


def _checked(host: str, addresses: list[str], allow: Addresses) -> list[str]:
    """The addresses, or DeliveryRefused naming the first that is not public: one bad answer
    refuses the host, since which answer a connection gets is not ours to choose."""
    for address in addresses:
        reason = address_refusal(host, address, allow)
        if reason is not None:
            raise DeliveryRefused(reason)
    return addresses


def check_target(url: str, allow: Addresses) -> None:
    """When an endpoint is saved: refuse a host that resolves to an address that is not public.

    A name that does not resolve yet is accepted (its DNS may be set up later); every delivery
    resolves and checks again, and connects only to the address it checked.
    """
    host, port, _scheme = _target(url)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        return
    try:
        _checked(host, addresses, allow)
    except DeliveryRefused as refused:
        raise PartnerRuleError("url", refused.reason) from None


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to a checked address; the Host header still names the host."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=_TIMEOUT)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), _TIMEOUT)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address; the certificate is verified for the host's name."""

    def __init__(self, host: str, port: int, address: str) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=_TIMEOUT, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), _TIMEOUT)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def _post(url: str, address: str, body: bytes, headers: dict[str, str]) -> int:
    host, port, scheme = _target(url)
    pinned = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = pinned(host, port, address)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # the receiver's answer is not kept
        return int(response.status)
    finally:
        connection.close()


def http_sender(allow: Addresses) -> Sender:
    """The real sender: public addresses only (and those allowed), 10 s timeouts, no redirects."""

    def send(url: str, body: bytes, headers: dict[str, str]) -> int:
        host, port, _scheme = _target(url)
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            return 0
        for address in _checked(host, addresses, allow):
            try:
                return _post(url, address, body, headers)
            except (OSError, http.client.HTTPException, ValueError):
                continue  # try the host's next address
        return 0

    return send
