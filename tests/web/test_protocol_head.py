"""The head a front door's immediate answer is written with (web.protocol._head): pure."""

from __future__ import annotations

import pytest

from evergreen.web.protocol import _head

DATE = [(b"date", b"Sun, 06 Dec 2026 16:00:00 GMT")]


def test_status_date_headers_and_the_body_length_the_server_counts() -> None:
    head = _head(302, DATE, [(b"location", b"https://x.example/"), (b"content-length", b"99")],
                 b"", keep_alive=True)  # fmt: skip
    assert head == (
        b"HTTP/1.1 302 Found\r\ndate: Sun, 06 Dec 2026 16:00:00 GMT\r\n"
        b"location: https://x.example/\r\ncontent-length: 0\r\n\r\n"
    )


def test_no_headers_and_a_long_body_and_closing() -> None:
    head = _head(404, [], [], b"x" * 5000, keep_alive=False)
    assert head == b"HTTP/1.1 404 Not Found\r\ncontent-length: 5000\r\nconnection: close\r\n\r\n"


@pytest.mark.parametrize("value", [b"a\r\nset-cookie: x=1", b"a\nb", b"a\rb"])
def test_a_line_break_in_a_value_is_not_written(value: bytes) -> None:
    assert _head(302, DATE, [(b"location", value)], b"", keep_alive=True) is None
