"""The relaxed canonical forms equal dkimpy's on any input (they replace them when signing)."""

from __future__ import annotations

from dkim.canonicalization import Relaxed
from hypothesis import given
from hypothesis import strategies as st

from evergreen.mail.rules.canonical import relaxed_body, relaxed_headers

# Mostly the bytes the forms care about, so runs, line ends and trailing blanks are common.
_PIECES = st.sampled_from([b" ", b"  ", b"\t", b"\r\n", b"\n", b"\r", b"a", b"=20", b"\x0b", b"."])
_BYTES = st.lists(st.one_of(_PIECES, st.binary(max_size=3)), max_size=40).map(b"".join)


@given(_BYTES)
def test_the_relaxed_body_is_dkimpys(body: bytes) -> None:
    assert relaxed_body(body) == Relaxed.canonicalize_body(body)


@given(st.lists(st.tuples(_BYTES, _BYTES), max_size=5))
def test_relaxed_headers_are_dkimpys(headers: list[tuple[bytes, bytes]]) -> None:
    assert relaxed_headers(headers) == Relaxed.canonicalize_headers(headers)


def test_what_relaxed_changes_and_what_it_keeps() -> None:
    assert relaxed_body(b"a  b\t c \r\n\r\n\r\n") == b"a b c\r\n"
    assert relaxed_body(b"one space stays\r\nno final line end") == (
        b"one space stays\r\nno final line end\r\n"
    )
    assert relaxed_body(b"\r\n\r\n") == b""
    assert relaxed_headers([(b"Subject ", b" Hello \r\n  there\t \r\n")]) == [
        (b"subject", b"Hello there\r\n")
    ]
