"""DKIM at speed: OpenSSL signs, dkimpy canonicalises; the header is byte for byte dkimpy's own,
its own verifier accepts it, and any change to a signed header or the body breaks it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import dkim as dkimpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evergreen.mail import dkim
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.headers import parse_address
from evergreen.mail.rules.message import BulkHeaders, build_message
from evergreen.mail.rules.render import Footer, Personal, compile_message

KEY = dkim.generate_key("example.com", "s2026")
RECORD = dkim.dns_record(KEY)
SENDER = parse_address("from", "news@example.com", "News")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _dns(name: bytes, timeout: int = 5) -> bytes | None:
    return RECORD.value.encode() if name == RECORD.name.encode() + b"." else None


def _message(name: str = "Bob", body: str = "Hi *there*, {{ subscriber.name }}") -> bytes:
    template = compile_message("Hello {{ subscriber.name }}", body, strict=False)
    person = Personal("bob@example.org", name, unsubscribe_url="https://example.com/u/1")
    rendered = template.render(person, footer=Footer("1 Main St"))
    bulk = BulkHeaders("https://example.com/u/1", "mailto:u@example.com", "news.example.com")
    to = parse_address("to", "bob@example.org", name)
    return build_message(sender=SENDER, to=to, rendered=rendered, now=NOW, bulk=bulk).as_bytes()


def _dkimpy_sign(message: bytes) -> tuple[bytes, int]:
    """dkimpy's own signature of the same headers, and the time it wrote in t=."""
    head = message.split(b"\r\n\r\n")[0]
    present = {line.split(b":", 1)[0].lower() for line in head.split(b"\r\n")}
    header = dkimpy.sign(
        message, b"s2026", b"example.com", KEY.private_pem,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[h for h in dkim._SIGNED if h in present],
    )  # fmt: skip
    found = re.search(rb"t=(\d+)", header)
    assert found is not None
    return bytes(header), int(found.group(1))


def test_the_header_is_byte_for_byte_dkimpys() -> None:
    message = _message()
    expected, when = _dkimpy_sign(message)
    signed = dkim.signer(KEY).sign(message, timestamp=when)
    assert signed == expected + message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=40),
    body=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400),
)
def test_dkimpy_verifies_every_signature_and_refuses_a_tampered_one(name: str, body: str) -> None:
    message = _message(name.strip() or "x", body.replace("{", "(").replace("\x00", "") + "\n\nend")
    signed = dkim.sign(message, KEY)
    assert dkimpy.verify(signed, dnsfunc=_dns)
    head, rest = signed.split(b"\r\n\r\n", 1)
    assert not dkimpy.verify(head + b"\r\n\r\n" + rest.replace(b"end", b"End"), dnsfunc=_dns)
    assert not dkimpy.verify(signed.replace(b"Subject: ", b"Subject: Re: ", 1), dnsfunc=_dns)
    assert not dkimpy.verify(
        signed.replace(b"<https://example.com/u/1>", b"<https://evil.test/u/1>", 1), dnsfunc=_dns
    )


def test_unsigned_headers_can_change_and_relaxed_whitespace_is_forgiven() -> None:
    signed = dkim.sign(_message(), KEY)
    assert dkimpy.verify(signed.replace(b"Precedence: bulk", b"Precedence:   bulk"), dnsfunc=_dns)
    assert dkimpy.verify(signed.replace(b"Subject: Hello", b"Subject:  Hello"), dnsfunc=_dns)


def test_one_signer_per_key_and_bad_keys_or_messages_are_input_errors() -> None:
    assert dkim.signer(KEY) is dkim.signer(KEY)
    with pytest.raises(MailInputError) as refused:
        dkim.Signer(dkim.DkimKey("example.com", "s1", b"not a key"))
    assert refused.value.field == "key"
    with pytest.raises(MailInputError, match="From"):
        dkim.sign(b"Subject: x\r\n\r\nbody\r\n", KEY)
    with pytest.raises(MailInputError, match="cannot sign"):
        dkim.sign(b"From: a@example.com\r\n\x01bad header\r\n\r\nbody\r\n", KEY)


_NAMES = st.sampled_from(
    ["From", "from", "To", "Subject", "subject", "Date", "Message-ID", "List-Id", "X-Other", "b"]
)
_VALUES = st.lists(st.sampled_from([*"ab b=;\t:é", "\r\n ", "\r\n\t"]), max_size=30).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(st.tuples(_NAMES, _VALUES), max_size=8),
    body=st.binary(max_size=200).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"\r\n")),
)
def test_the_signature_is_dkimpys_for_any_header_block(
    headers: list[tuple[str, str]], body: bytes
) -> None:
    """Duplicated, folded and oddly spaced fields: the signed header set and the digest of the
    headers (computed without dkimpy's hash_headers) are still byte for byte dkimpy's."""
    fields = [("From", " news@example.com"), *headers]
    head = b"".join(f"{name}:{value}\r\n".encode() for name, value in fields)
    message = head + b"\r\n" + body
    present = {name.encode().lower() for name, _ in fields}
    expected = dkimpy.sign(
        message, b"s2026", b"example.com", KEY.private_pem,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[h for h in dkim._SIGNED if h in present],
    )  # fmt: skip
    when = re.search(rb"t=(\d+)", expected)
    assert when is not None
    signed = dkim.signer(KEY).sign(message, timestamp=int(when.group(1)))
    assert signed == bytes(expected) + message


_LINES = st.lists(st.sampled_from([*b"aF :\t\r\x01", b"From "]), max_size=12).map(
    lambda parts: b"".join(p if isinstance(p, bytes) else bytes([p]) for p in parts)
)


@given(st.lists(_LINES, max_size=8))
def test_header_blocks_are_split_as_dkimpy_splits_them(lines: list[bytes]) -> None:
    block = b"".join(line + b"\r\n" for line in lines) + b"\r\n"
    try:
        expected: object = dkimpy.rfc822_parse(block)[0]
    except (dkimpy.MessageFormatError, IndexError) as exc:
        expected = type(exc)
    try:
        found: object = dkim._header_fields(block)
    except (dkimpy.MessageFormatError, IndexError) as exc:
        found = type(exc)
    assert found == expected
