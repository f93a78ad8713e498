"""The base of every absolute URL: the configured one, else the address a request reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from evergreen.addresses import TrustedProxies
from evergreen.config import Settings
from evergreen.siteurl import DEFAULT_URL, cli_site_url, origin_of, record_served_url, served_url

PROXY = TrustedProxies("10.0.0.1")
FORWARDED = [
    (b"host", b"10.0.0.2:8000"),
    (b"x-forwarded-proto", b"https"),
    (b"x-forwarded-host", b"money.example.com"),
]


@pytest.mark.parametrize(
    ("scheme", "host", "port", "url"),
    [
        ("http", "127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("http", "0.0.0.0", 8123, "http://127.0.0.1:8123"),
        ("http", "::", 8123, "http://[::1]:8123"),
        ("http", "::1", 9000, "http://[::1]:9000"),
        ("http", "192.0.2.5", 80, "http://192.0.2.5"),
        ("https", "192.0.2.5", 443, "https://192.0.2.5"),
        ("https", "192.0.2.5", 80, "https://192.0.2.5:80"),
    ],
)
def test_a_served_address_as_a_url(scheme: str, host: str, port: int, url: str) -> None:
    assert served_url(scheme, host, port) == url


def test_a_direct_client_gets_the_socket_address_whatever_it_sends() -> None:
    origin = origin_of("http", ("192.0.2.5", 8123), FORWARDED, "198.51.100.7", PROXY)
    assert origin == "http://192.0.2.5:8123"


def test_a_trusted_proxy_names_scheme_and_host() -> None:
    assert origin_of("http", ("10.0.0.2", 8000), FORWARDED, "10.0.0.1", PROXY) == (
        "https://money.example.com"
    )


def test_a_trusted_proxy_without_forwarded_host_vouches_for_host() -> None:
    headers = [(b"host", b"Money.Example.com"), (b"x-forwarded-proto", b"https")]
    assert origin_of("http", ("10.0.0.2", 8000), headers, "10.0.0.1", PROXY) == (
        "https://money.example.com"
    )


def test_a_forwarded_port_is_kept_unless_it_is_the_default() -> None:
    headers = [(b"x-forwarded-host", b"money.example.com"), (b"x-forwarded-port", b"8443"),
               (b"x-forwarded-proto", b"https")]  # fmt: skip
    assert origin_of("http", None, headers, "10.0.0.1", PROXY) == "https://money.example.com:8443"
    headers[1] = (b"x-forwarded-port", b"443")
    assert origin_of("http", None, headers, "10.0.0.1", PROXY) == "https://money.example.com"


@pytest.mark.parametrize(
    "bad_host", [b"evil.example/path", b"a b", b"", b"host:port", b"x@evil.example"]
)
def test_a_malformed_forwarded_host_falls_back_to_the_socket(bad_host: bytes) -> None:
    headers = [(b"x-forwarded-host", bad_host), (b"host", bad_host)]
    assert origin_of("http", ("10.0.0.2", 8000), headers, "10.0.0.1", PROXY) == (
        "http://10.0.0.2:8000"
    )


def test_an_unknown_forwarded_scheme_is_ignored() -> None:
    headers = [(b"x-forwarded-proto", b"javascript"), (b"host", b"money.example.com")]
    assert origin_of("http", None, headers, "10.0.0.1", PROXY) == "http://money.example.com"


def test_commands_use_the_setting_then_the_served_address_then_the_default(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    assert cli_site_url(settings).url == DEFAULT_URL
    assert "default" in cli_site_url(settings).source
    record_served_url(settings, "http://127.0.0.1:8123")
    assert cli_site_url(settings).url == "http://127.0.0.1:8123"
    assert "evergreen serve" in cli_site_url(settings).source
    fixed = Settings(data_dir=tmp_path, base_url="https://money.example.com/")
    assert cli_site_url(fixed).url == "https://money.example.com"
    assert cli_site_url(fixed).source == "EVERGREEN_BASE_URL"


def test_an_unset_base_url_is_none_and_cookies_are_not_secure(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, base_url="")
    assert settings.base_url is None
    assert not settings.secure_cookies
