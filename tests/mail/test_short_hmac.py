"""The tokens' pieces are the same text as the formulas they replace (base64's base 32 over a
fresh HMAC, base 36 digit by digit), so every link and return path already sent still checks."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from evergreen.mail.rules import recipient_tokens, verp
from evergreen.mail.rules.short_hmac import base36, signature


def _old_signature(secret: str, purpose: bytes, payload: str) -> str:
    digest = hmac.new(secret.encode(), purpose + payload.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def _old_base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
        if number == 0:
            return digits


@given(st.text(max_size=40), st.sampled_from([b"mail-link:", b"verp:"]), st.text(max_size=60))
def test_the_signature_is_base64s_base32_of_the_hmac(
    secret: str, purpose: bytes, payload: str
) -> None:
    assert signature(secret, purpose, payload) == _old_signature(secret, purpose, payload)


@given(st.integers(0, 2**63 - 1))
def test_base36_is_the_digit_by_digit_form(number: int) -> None:
    assert base36(number) == _old_base36(number)
    assert int(base36(number), 36) == number


@given(st.integers(0, 2**40), st.integers(0, 2**40), st.integers(0, 2**40))
def test_tokens_are_unchanged(message: int, subscriber: int, list_id: int) -> None:
    secret = "s" * 32
    token = recipient_tokens.encode(
        secret, recipient_tokens.RecipientToken("u", message, subscriber, list_id)
    )
    payload = f"u{_old_base36(message)}-{_old_base36(subscriber)}-{_old_base36(list_id)}"
    assert token == f"{payload}-{_old_signature(secret, b'mail-link:', payload)}"
    address = verp.return_path(secret, verp.BounceToken("b", message, subscriber), "x.example")
    payload = f"b-{_old_base36(message)}-{_old_base36(subscriber)}"
    assert address == f"bounces+{payload}-{_old_signature(secret, b'verp:', payload)}@x.example"
    assert recipient_tokens.header_id(secret, message, subscriber).endswith(
        "." + _old_signature(secret, b"mail-link:", f"id:b{_old_base36(message)}."
                             f"s{_old_base36(subscriber)}")[:10]
    )  # fmt: skip
