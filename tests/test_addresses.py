"""The client address behind trusted reverse proxies (the rule the redirect path applies)."""

from __future__ import annotations

import pytest

from evergreen.addresses import Addresses, TrustedProxies


def test_an_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    proxies = TrustedProxies("127.0.0.1")
    assert proxies.client("198.51.100.9", "203.0.113.7") == "198.51.100.9"


def test_a_trusted_proxy_passes_on_the_nearest_untrusted_address() -> None:
    proxies = TrustedProxies("127.0.0.1, 10.0.0.0/8")
    assert proxies.client("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    # A spoofed first entry is ignored: the hop our proxies saw is the right-most untrusted one.
    assert proxies.client("127.0.0.1", "1.2.3.4, 203.0.113.7, 10.1.2.3") == "203.0.113.7"
    assert proxies.client("127.0.0.1", None) == "127.0.0.1"
    assert proxies.client("127.0.0.1", " , ") == "127.0.0.1"


def test_all_hops_trusted_or_any_proxy_trusted() -> None:
    assert TrustedProxies("127.0.0.1, 10.0.0.0/8").client("127.0.0.1", "10.0.0.5") == "10.0.0.5"
    assert TrustedProxies("*").client("198.51.100.9", "203.0.113.7, 10.0.0.1") == "203.0.113.7"


def test_membership_by_address_network_or_name() -> None:
    proxies = TrustedProxies("192.0.2.1, 10.0.0.0/8, ::1, unix:")
    assert "192.0.2.1" in proxies
    assert "10.200.3.4" in proxies
    assert "::1" in proxies
    assert "unix:" in proxies
    assert "192.0.2.2" not in proxies
    assert "not an address" not in proxies


def test_address_lists_for_the_owners_own_traffic_take_addresses_only() -> None:
    internal = Addresses("203.0.113.0/24, 2001:db8::1")
    assert "203.0.113.77" in internal
    assert "2001:0db8:0:0:0:0:0:1" in internal  # the same address, written longer
    assert "198.51.100.1" not in internal
    assert not Addresses("")
    with pytest.raises(ValueError, match="office-router"):
        Addresses("office-router")
