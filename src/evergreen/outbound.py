"""Requests the server makes on its own (webhooks, link checks): public addresses only.

A host is resolved, every address it resolves to is checked, and the connection goes to the
address that was checked, so a second DNS answer cannot point the request at the machine's own
loopback, private network or cloud metadata service. Owners allow named hosts or networks.
"""

from __future__ import annotations

import ipaddress
import socket

from evergreen.addresses import Addresses

__all__ = ["Refused", "checked_socket", "not_public", "refusal", "resolve"]

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


def refusal(host: str, address: str, allow: Addresses, what: str, setting: str) -> str | None:
    """Why `what` for `host` may not go to `address` (one it resolved to), or None."""
    name = host.lower().rstrip(".").strip("[]")
    if name in allow or address in allow:
        return None
    kind = not_public(address)
    if kind is None:
        return None
    if kind == "non-IP":
        return f"{host} resolves to {address!r}, which is not an IP address"
    where = address if name == address else f"{host} ({address})"
    return (
        f"{where} is a {kind} address: {what} go to public addresses only "
        f"(to allow it, the owner adds it to {setting})"
    )


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to now (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_socket(
    host: str, port: int, timeout: float | None, allow: Addresses, what: str, setting: str
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
