"""Address lists from settings, and which address a request comes from behind trusted proxies.

The pages get this from uvicorn's proxy-headers middleware; the redirect hot path, which runs
before any middleware, reads the one header it needs itself, with the same rule.
"""

from __future__ import annotations

import ipaddress

__all__ = ["Addresses", "TrustedProxies"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Addresses:
    """Addresses and networks from a comma-separated setting ("192.0.2.1, 10.0.0.0/8"; * for any).

    Proxies may also be named (uvicorn accepts e.g. "unix:"); other lists take addresses only.
    """

    def __init__(self, spec: str, *, names: bool = False) -> None:
        items = [item.strip() for item in spec.split(",") if item.strip()]
        self.anyone = "*" in items
        self.literals: set[str] = set()
        self.networks: list[_Network] = []
        for item in items:
            if item == "*":
                continue
            try:
                if "/" in item:
                    self.networks.append(ipaddress.ip_network(item, strict=False))
                else:
                    self.literals.add(str(ipaddress.ip_address(item)))
            except ValueError:
                if not names:
                    raise
                self.literals.add(item)  # a name such as "unix:": matched as is

    def __bool__(self) -> bool:
        return self.anyone or bool(self.literals) or bool(self.networks)

    def __contains__(self, host: str) -> bool:
        if self.anyone or host in self.literals:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return str(address) in self.literals or any(address in net for net in self.networks)


class TrustedProxies(Addresses):
    """EVERGREEN_TRUSTED_PROXIES, and the client address they vouch for."""

    def __init__(self, spec: str) -> None:
        super().__init__(spec, names=True)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client: the peer itself, or — when the peer is a trusted proxy — the nearest
        address in X-Forwarded-For that is not a trusted proxy (each proxy appends one)."""
        if not forwarded_for or peer not in self:
            return peer
        hosts = [host.strip() for host in forwarded_for.split(",") if host.strip()]
        if not hosts:
            return peer
        if self.anyone:
            return hosts[0]
        for host in reversed(hosts):
            if host not in self:
                return host
        return hosts[0]  # every hop is trusted: the first is the client
