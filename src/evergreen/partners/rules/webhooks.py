"""Pure rules of outgoing webhooks: how a payload is signed and verified, when to retry, and
which addresses a delivery may go to."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import datetime, timedelta

from evergreen.addresses import Addresses
from evergreen.partners.rules.errors import PartnerRuleError
from evergreen.urls import MAX_URL, check_http_url

__all__ = [
    "ALLOW_SETTING",
    "MAX_ATTEMPTS",
    "MAX_URL",
    "SIGNATURE_HEADER",
    "address_refusal",
    "check_url",
    "retry_delay",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "Evergreen-Signature"
MAX_ATTEMPTS = 8
_DELAYS = (60, 300, 1800, 7200, 21600, 43200, 86400)  # seconds after attempt 1, 2, …


def check_url(url: str) -> str:
    """A receiver is an absolute http(s) URL with a host, no credentials and no whitespace."""
    return check_http_url("url", url, PartnerRuleError)


ALLOW_SETTING = "EVERGREEN_WEBHOOK_ALLOW"
_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


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


def address_refusal(host: str, address: str, allow: Addresses) -> str | None:
    """Why a webhook for `host` may not be sent to `address` (one it resolved to), or None.

    Only public addresses receive webhooks, so an endpoint cannot make the server reach its
    own loopback, private network or cloud metadata service; the owner can allow named hosts
    or networks with EVERGREEN_WEBHOOK_ALLOW (a receiver on the same machine, a test).
    """
    name = host.lower().rstrip(".").strip("[]")
    if name in allow or address in allow:
        return None
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{host} resolves to {address!r}, which is not an IP address"
    for candidate in _embedded(ip):
        kind = _kind(candidate)
        if kind is not None:
            where = address if name == address else f"{host} ({address})"
            return (
                f"{where} is a {kind} address: webhooks go to public addresses only "
                f"(to allow it, the owner adds it to {ALLOW_SETTING})"
            )
    return None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: t=<unix time>,v1=<HMAC-SHA256 of "t.body">, as Stripe does."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: datetime, tolerance: int = 300) -> bool:
    """What a receiver checks: the MAC matches and the timestamp is recent (no replays)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed tries, or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return timedelta(seconds=_DELAYS[min(attempts, len(_DELAYS)) - 1])
