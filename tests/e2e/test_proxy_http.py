"""Behind a trusted reverse proxy the real server sees the visitor's address, on redirects too."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from tests.e2e.conftest import start_server

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _click(url: str, forwarded_for: str) -> int:
    request = urllib.request.Request(
        url, headers={"User-Agent": UA, "X-Forwarded-For": forwarded_for}
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as answer:  # the 302 itself, not followed
        return int(answer.code)


def test_the_forwarded_address_decides_internal_traffic(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env={"EVERGREEN_INTERNAL_IPS": "203.0.113.0/24"})
    try:
        server.cli("links", "create", "https://shop.example/", "--slug", "px")
        # The test client is 127.0.0.1, a trusted proxy by default: its X-Forwarded-For counts.
        assert _click(server.url + "/go/px", "203.0.113.7") == 302  # the owner's office
        assert _click(server.url + "/go/px", "198.51.100.1") == 302  # a visitor
        assert _click(server.url + "/go/px", "203.0.113.9, 198.51.100.2") == 302  # spoofed first
        stats = json.loads(server.cli("links", "stats", "px", "--json"))
    finally:
        server.close()
    assert stats["total_clicks"] == 3
    assert stats["non_human_by_class"] == {"internal": 1}
    assert stats["clicks"] == 2
