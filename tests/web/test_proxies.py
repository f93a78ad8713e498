"""The client address behind trusted reverse proxies (the rule the redirect path applies)."""

from __future__ import annotations

from evergreen.web.proxies import TrustedProxies


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
