"""Digits from outside are ASCII digits: what `str.isdigit` also calls digits, `int` may refuse."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from evergreen.accounts.rules import session_claim
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.payments import verify_signature
from evergreen.digits import MAX_ID, is_digits, row_id
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.providers.mailgun import parse_mailgun
from evergreen.mail.rules.providers.sendgrid import parse_sendgrid


@given(st.text(max_size=30))
def test_whatever_is_digits_int_reads_as_its_ascii_value(text: str) -> None:
    if is_digits(text):
        assert int(text) == sum(10**i * (ord(c) - 48) for i, c in enumerate(reversed(text)))


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_ascii_digits_are_digits(text: str) -> None:
    assert is_digits(text)


@given(st.integers(min_value=1, max_value=MAX_ID))
def test_a_row_id_reads_back_as_written(number: int) -> None:
    assert row_id(str(number)) == number
    assert row_id(f" {number}\n") == number  # a form's surrounding spaces
    assert row_id(f"00{number}") == number


def test_what_no_row_can_have_is_no_row_id() -> None:
    for text in ("", " ", "0", "000", "-1", "+1", "1.0", "1e3", "\u00b2", "\u0661", "1 2", "0x10",
                 str(MAX_ID + 1), "9" * 19, "9" * 5000, "1" + "0" * 4400, "0" * 5000):  # fmt: skip
        assert row_id(text) is None, text[:30]
    assert row_id(str(MAX_ID)) == MAX_ID  # PostgreSQL's `integer` holds it
    assert row_id("0" * 5000 + "7") == 7


def test_other_digits_and_signs_are_not() -> None:
    for text in ("", "\u00b2", "1\u00b2", "\u0661\u0662", "\U0001d7d9", "-1", "+1", " 1", "1_000"):
        assert not is_digits(text), text
    assert "\u00b2".isdigit()  # why: int("²") raises ValueError


def test_a_stripe_signature_stamped_with_an_odd_digit_is_refused_by_name() -> None:
    """Header bytes are read as latin-1, where byte B2 is "²"."""
    with pytest.raises(CommerceInputError, match="has no timestamp"):
        verify_signature("secret", "t=\u00b2,v1=ab", b"{}", datetime.now(UTC))


def test_a_session_cookie_stamped_with_an_odd_digit_claims_nothing() -> None:
    assert session_claim("secret", "token.owner.\u00b2.mac", datetime.now(UTC)) is None


def test_mail_provider_webhooks_stamped_with_an_odd_digit_are_refused_by_name() -> None:
    block = {"timestamp": "\u00b2", "token": "t", "signature": "00"}
    body = json.dumps({"signature": block, "event-data": {}})
    with pytest.raises(MailInputError, match="Unix time"):
        parse_mailgun(body, "key", now=datetime.now(UTC))
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(MailInputError, match="Unix time"):
        parse_sendgrid(
            b"[]", signature="sig", timestamp="\u00b2", public_key=base64.b64encode(der).decode(),
            now=datetime.now(UTC),
        )  # fmt: skip
