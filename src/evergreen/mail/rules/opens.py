"""Whether an open-pixel request is a person or Apple Mail Privacy Protection's proxy.

Since iOS 15, Apple Mail with Privacy Protection fetches every image through Apple's proxy when
the message arrives, whether anyone reads it or not. Those requests come from Apple's network
(17.0.0.0/8, Apple's own allocation, which its proxy egress uses) and send the bare user agent
`Mozilla/5.0` with nothing after it. Either sign marks the open `opened_proxy`, shown apart from
`opened` so open rates stay honest. (Apple's relay also uses partner CDN ranges; those opens
count as `opened` unless their user agent gives them away.)
"""

from __future__ import annotations

import ipaddress

__all__ = ["APPLE_NETWORKS", "PROXY_USER_AGENT", "open_kind"]

APPLE_NETWORKS = (ipaddress.ip_network("17.0.0.0/8"),)
PROXY_USER_AGENT = "Mozilla/5.0"


def open_kind(user_agent: str, ip: str | None) -> str:
    """`opened_proxy` for Apple's privacy proxy, else `opened`."""
    if user_agent.strip() == PROXY_USER_AGENT:
        return "opened_proxy"
    if ip:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return "opened"
        if any(address in network for network in APPLE_NETWORKS):
            return "opened_proxy"
    return "opened"
