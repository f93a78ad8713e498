"""Bounces read from real returned messages of many servers; garbage never raises."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules import verp
from evergreen.mail.rules.bounces import classify, parse_bounce

SAMPLES = Path(__file__).parent / "bounces"
EXPECTED = {
    "rfc3464-01": [("userunknown@bouncehammer.jp", "hard", "5.1.1")],
    "rfc3464-03": [("kijitora@example.com", "soft", "5.0.0")],
    "lhost-postfix-01": [("kijitora@example.org", "hard", "5.1.1")],
    "lhost-postfix-02": [
        ("filtered@example.co.jp", "hard", "5.2.1"),
        ("userunknown@example.co.jp", "hard", "5.1.1"),
    ],
    "lhost-postfix-03": [("kijitora@example.net", "hard", "5.0.0")],
    "lhost-sendmail-01": [("userunknown@bouncehammer.jp", "hard", "5.1.1")],
    "lhost-amazonses-01": [("shironeko@example.co.jp", "hard", "5.0.0")],
    "lhost-outlook-01": [("kijitora@example.jp", "soft", "5.2.2")],
    "lhost-exim-01": [("kijitora@example.ed.jp", "soft", "5.7.0")],
    "lhost-exim-02": [
        ("kijitora@example.jp", "hard", "5.1.1"),
        ("sabatora@example.jp", "hard", "5.2.1"),
    ],
    "lhost-exim-03": [("kijitora@example.jp", "soft", "5.7.0")],
    "lhost-qmail-01": [("kijitora@example.ne.jp", "hard", "5.5.0")],
    "lhost-qmail-02": [
        ("userunknown@example.jp", "hard", "5.1.1"),
        ("filtered@example.jp", "hard", "5.2.1"),
    ],
    "lhost-qmail-03": [("kijitora@example.org", "soft", "5.7.1")],
    "lhost-gmail-01": [("userunknown@example.jp", "hard", "5.1.1")],
    "lhost-office365-01": [("kijitora@example.com", "hard", "5.1.10")],
    "lhost-yahoo-01": [("kijitora@example.org", "hard", "5.1.1")],
    "lhost-yahoo-02": [("kijitora@example.ed.jp", "soft", "5.2.2")],
    "arf-01": [("redacted@example.net", "complaint", "")],
    "arf-02": [("this-local-part-does-not-exist-on-yahoo@yahoo.com", "complaint", "")],
    "rfc3834-01": [],
    "rfc3834-02": [],
}


def test_every_sample_has_an_expectation() -> None:
    assert {p.stem for p in SAMPLES.glob("*.eml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_bounces_are_read(name: str) -> None:
    result = parse_bounce((SAMPLES / f"{name}.eml").read_bytes())
    assert result.bounce is bool(EXPECTED[name])
    assert [(r.address, r.kind, r.status) for r in result.recipients] == EXPECTED[name]


@pytest.mark.parametrize(
    ("status", "words", "kind"),
    [
        ("5.1.1", "user unknown", "hard"),
        ("5.2.2", "", "soft"),
        ("5.0.0", "mailbox full", "soft"),
        ("5.5.0", "Quota exceeded", "soft"),
        ("5.7.1", "", "soft"),
        ("5.0.0", "blocked using zen.spamhaus.org", "soft"),
        ("4.4.1", "connection timed out", "soft"),
        ("5.0.0", "", "hard"),
    ],
)
def test_classification(status: str, words: str, kind: str) -> None:
    assert classify(status, words) == kind


_DSN = """From: MAILER-DAEMON@mx.example.net
To: {address}
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 no such user

--b1--
"""


def _dsn_to_verp(address: str) -> bytes:
    return _DSN.format(address=address).replace("\n", "\r\n").encode()


def test_the_verp_token_of_the_return_path_is_decoded() -> None:
    secret = "s" * 40
    address = verp.return_path(secret, verp.BounceToken("b", 9, 41), "example.com")
    result = parse_bounce(_dsn_to_verp(address), secret)
    assert result.source == "dsn"
    assert result.recipients[0].address == "gone@example.org"
    assert result.token == verp.BounceToken("b", 9, 41)
    assert parse_bounce(_dsn_to_verp(address), "another secret").token is None


def test_ordinary_mail_is_not_a_bounce() -> None:
    message = EmailMessage()
    message["From"] = "friend@example.org"
    message["To"] = "me@example.com"
    message["Subject"] = "Lunch?"
    message.set_content("Are you free on Tuesday? My address is friend@example.org.")
    assert not parse_bounce(message.as_bytes()).bounce


def test_a_huge_message_is_refused_clearly() -> None:
    with pytest.raises(MailInputError, match="larger"):
        parse_bounce(b"x" * (10 * 1024 * 1024 + 1))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    assert parse_bounce(raw).bounce in (True, False)


_CORPUS = [p.read_bytes() for p in sorted(SAMPLES.glob("*.eml"))]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_CORPUS), st.integers(0, 10**9), st.integers(1, 400), st.binary(max_size=64))
def test_mutated_samples_never_raise(sample: bytes, at: int, cut: int, junk: bytes) -> None:
    start = at % max(len(sample), 1)
    mutated = sample[:start] + junk + sample[start + cut :]
    assert parse_bounce(mutated).bounce in (True, False)
