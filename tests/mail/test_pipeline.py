"""The message as a pipelined DATA carries it is byte for byte what aiosmtplib would send."""

from __future__ import annotations

from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from hypothesis import given
from hypothesis import strategies as st

from evergreen.mail.sending.pipeline import wire_message

PIECES = st.sampled_from([b"\r\n", b"\n", b"\r", b".", b"..", b"a", b" ", b"\r\n.", b"\xff"])


@given(st.lists(PIECES, max_size=30).map(b"".join))
def test_wire_message_is_what_aiosmtplib_sends_after_data(payload: bytes) -> None:
    expected = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(payload)) + b".\r\n"
    assert wire_message(payload) == expected


def test_a_well_formed_message_is_only_ended() -> None:
    payload = b"Subject: x\r\n\r\nbody\r\n"
    assert wire_message(payload) == payload + b".\r\n"
