"""Messages on the wire: headers checked against injection, bulk headers (RFC 8058, 2919) and
the footer on bulk mail only, a VERP return path that only we can make, DKIM that verifies."""

from __future__ import annotations

import email
import email.header
import email.policy
from datetime import UTC, datetime

import dkim as dkimpy
import pytest

from evergreen.mail import dkim
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules import verp
from evergreen.mail.rules.headers import parse_address
from evergreen.mail.rules.message import BulkHeaders, build_message
from evergreen.mail.rules.render import Footer, Personal, compile_message

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET = "k" * 40
SENDER = parse_address("from", "news@example.com", "Ann Ärger")
TO = parse_address("to", "bob@example.org", "Bøb, Jr.")
BULK = BulkHeaders(
    "https://example.com/u/abc", "mailto:unsubscribe@example.com?subject=abc",
    "weekly.example.com", "Weekly",
)  # fmt: skip


def _rendered(footer: bool = True, subject: str = "Hello {{ subscriber.name }}"):  # type: ignore[no-untyped-def]
    template = compile_message(subject, "Hi *there*, Jürgen")
    person = Personal("bob@example.org", "Bøb", unsubscribe_url="https://example.com/u/abc")
    return template.render(person, footer=Footer("1 Main St") if footer else None)


def test_bulk_message_carries_the_one_click_headers_and_parses_back() -> None:
    path = verp.return_path(SECRET, verp.BounceToken("b", 12, 345678), "example.com")
    outgoing = build_message(
        sender=SENDER, to=TO, rendered=_rendered(), now=NOW, bulk=BULK, return_path=path,
        message_id="m1",
    )  # fmt: skip
    parsed = email.message_from_bytes(outgoing.as_bytes(), policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == (
        "<https://example.com/u/abc>, <mailto:unsubscribe@example.com?subject=abc>"
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == '"Weekly" <weekly.example.com>'
    assert parsed["Precedence"] == "bulk"
    assert parsed["Message-ID"] == "<m1@example.com>"
    assert str(email.header.make_header(email.header.decode_header(parsed["From"]))) == (
        "Ann Ärger <news@example.com>"
    )
    assert outgoing.envelope_from.startswith("bounces+b-")
    assert outgoing.recipient == TO.email
    assert verp.token_from_address(SECRET, outgoing.envelope_from) == verp.BounceToken(
        "b", 12, 345678
    )
    parts = {p.get_content_type(): p.get_content() for p in parsed.walk() if not p.is_multipart()}
    assert "1 Main St" in parts["text/plain"]
    assert "1 Main St" in parts["text/html"]


def test_transactional_mail_has_no_bulk_headers_and_needs_no_footer() -> None:
    outgoing = build_message(sender=SENDER, to=TO, rendered=_rendered(footer=False), now=NOW)
    for header in ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence"):
        assert header not in outgoing.message
    assert outgoing.envelope_from == SENDER.email


def test_bulk_mail_without_the_footer_is_refused() -> None:
    with pytest.raises(MailInputError) as refused:
        build_message(sender=SENDER, to=TO, rendered=_rendered(footer=False), now=NOW, bulk=BULK)
    assert refused.value.field == "footer"


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("to name", lambda: parse_address("to", "a@example.com", "Bob\r\nBcc: x@evil.test")),
        ("to", lambda: parse_address("to", "a@example.com\nBcc: x@evil.test")),
        ("to", lambda: parse_address("to", "not an address")),
        ("from name", lambda: parse_address("from", "a@example.com", "A\x00")),
    ],
)
def test_header_injection_and_bad_addresses_are_refused(field: str, make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MailInputError) as refused:
        make()
    assert refused.value.field == field


def test_a_subject_cannot_inject_a_header() -> None:
    rendered = _rendered(subject="Hi {{ subscriber.name }}")
    hostile = type(rendered)("Hi\r\nBcc: x@evil.test", rendered.html, rendered.text, True)
    with pytest.raises(MailInputError, match="subject"):
        build_message(sender=SENDER, to=TO, rendered=hostile, now=NOW)
    # A subject template cannot make a line break from a person's name: it is one line.
    name = Personal("bob@example.org", "Bob\r\nBcc: x@evil.test")
    assert compile_message("Hi {{ subscriber.name }}", "x").render(name).subject == (
        "Hi Bob Bcc: x@evil.test"
    )


def test_bulk_headers_refuse_what_the_rfcs_do_not_allow() -> None:
    with pytest.raises(MailInputError, match="https"):
        BulkHeaders("http://x.example/u", "mailto:u@x.example", "l.example").check()
    with pytest.raises(MailInputError, match="list_id"):
        BulkHeaders("https://x.example/u", "mailto:u@x.example", "a list").check()


def test_verp_tokens_are_signed_compact_and_case_proof() -> None:
    token = verp.BounceToken("s", 2**40, 7)
    text = verp.encode(SECRET, token)
    assert len(text) < 50
    assert text == text.lower()
    assert verp.decode(SECRET, text.upper()) == token
    assert verp.decode("another secret" * 3, text) is None
    forged = text.replace("-7-", "-8-")
    assert verp.decode(SECRET, forged) is None
    assert verp.decode(SECRET, "garbage") is None


def test_dkim_signature_verifies_against_the_published_record() -> None:
    key = dkim.generate_key("Example.com", "s2026")
    record = dkim.dns_record(key)
    assert record.name == "s2026._domainkey.example.com"
    assert record.value.startswith("v=DKIM1; k=rsa; p=")
    outgoing = build_message(sender=SENDER, to=TO, rendered=_rendered(), now=NOW, bulk=BULK)
    signed = dkim.sign(outgoing.as_bytes(), key)
    assert signed.startswith(b"DKIM-Signature:")

    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        return record.value.encode() if name == record.name.encode() + b"." else None

    assert dkimpy.verify(signed, dnsfunc=dns)
    header = signed.split(b"\r\n\r\n", 1)[0].lower()
    assert b"list-unsubscribe" in header.split(b"b=")[0]  # RFC 8058: the header is signed
    tampered = signed.replace(b"Hi there", b"Hi THERE")
    assert not dkimpy.verify(tampered, dnsfunc=dns)


def test_dkim_refuses_bad_names() -> None:
    with pytest.raises(MailInputError, match="domain"):
        dkim.generate_key("not a domain", "s1")


def test_a_non_ascii_address_is_written_as_utf8_and_ascii_ones_as_before() -> None:
    """An address beyond ASCII is UTF-8 in the headers (RFC 6532): an encoded word such as
    =?utf-8?q?=C3=BC?=@example.com is no address at all. ASCII addresses keep 7-bit headers."""
    to = parse_address("to", "jürgen@example.org", "Jürgen")
    outgoing = build_message(sender=SENDER, to=to, rendered=_rendered(footer=False), now=NOW)
    head = outgoing.as_bytes().split(b"\r\n\r\n", 1)[0]
    assert "To: Jürgen <jürgen@example.org>".encode() in head
    assert b"=?utf-8?" not in head.split(b"To:", 1)[1].split(b"\r\n", 1)[0]
    parsed = email.message_from_string(outgoing.as_bytes().decode(), policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec == "jürgen@example.org"  # a reader's UTF-8
    plain = build_message(sender=SENDER, to=TO, rendered=_rendered(footer=False), now=NOW)
    assert plain.as_bytes().split(b"\r\n\r\n", 1)[0].isascii()  # 7-bit as before
