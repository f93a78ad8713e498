"""Provider webhooks: real payload shapes, signatures made with our own keys and verified, a
forged or stale one refused, and garbage of any kind a MailInputError, never another error."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.providers import (
    check_basic_auth,
    parse_mailgun,
    parse_postmark,
    parse_sendgrid,
    parse_ses,
    sendgrid_events,
    verify_sns,
)
from evergreen.mail.rules.providers.sendgrid import event_key

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"
_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
CERT = (
    x509.CertificateBuilder().subject_name(_NAME).issuer_name(_NAME)
    .public_key(_RSA.public_key()).serial_number(1)
    .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=365))
    .sign(_RSA, hashes.SHA256())
    .public_bytes(serialization.Encoding.PEM)
)  # fmt: skip
SES_BOUNCE = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{
            "emailAddress": "Jane@Example.com", "action": "failed", "status": "5.1.1",
            "diagnosticCode": "smtp; 550 5.1.1 user unknown",
        }],
        "timestamp": "2026-03-01T11:59:00.000Z",
        "feedbackId": "0102015fd91a6479-ae22395c-000000",
        "reportingMTA": "dsn; a4-8.smtp-out.eu-west-1.amazonses.com",
    },
    "mail": {
        "timestamp": "2026-03-01T11:58:58.000Z", "source": "news@example.com",
        "messageId": "0102015fd91a5ca3-93c245fe-000000", "destination": ["jane@example.com"],
    },
}  # fmt: skip
SES_COMPLAINT = {
    "notificationType": "Complaint",
    "complaint": {
        "complainedRecipients": [{"emailAddress": "richard@example.com"}],
        "timestamp": "2026-03-01T12:00:00.000Z", "feedbackId": "0102015-abc",
        "complaintFeedbackType": "abuse",
    },
    "mail": {"source": "news@example.com", "destination": ["richard@example.com"]},
}  # fmt: skip


def _sns(message: dict[str, Any], version: str = "1", **change: Any) -> bytes:
    """An SNS notification signed as Amazon signs it, with our certificate."""
    body = {
        "Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses-bounces",
        "Message": json.dumps(message), "Timestamp": "2026-03-01T12:00:01.000Z",
        "SignatureVersion": version, "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }  # fmt: skip
    names = ("Message", "MessageId", "Timestamp", "TopicArn", "Type")
    signed = "".join(f"{n}\n{body[n]}\n" for n in names).encode()
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    body["Signature"] = base64.b64encode(_RSA.sign(signed, padding.PKCS1v15(), algorithm)).decode()
    body.update(change)
    return json.dumps(body).encode()


def _fetch(url: str) -> bytes:
    assert url == CERT_URL
    return CERT


@pytest.mark.parametrize("version", ["1", "2"])
def test_ses_bounce_and_complaint_through_a_verified_sns_notification(version: str) -> None:
    sns = verify_sns(_sns(SES_BOUNCE, version), _fetch, now=NOW)
    assert sns.type == "Notification"
    bounce = parse_ses(sns.message)
    assert bounce.to_dict() == {
        "bounce": True,
        "recipients": [{"address": "jane@example.com", "kind": "hard", "status": "5.1.1"}],
    }
    complaint = parse_ses(verify_sns(_sns(SES_COMPLAINT, version), _fetch, now=NOW).message)
    assert [(r.address, r.kind) for r in complaint.recipients] == [
        ("richard@example.com", "complaint")
    ]
    transient = dict(SES_BOUNCE, bounce=dict(SES_BOUNCE["bounce"], bounceType="Transient"))
    assert parse_ses(json.dumps(transient)).recipients[0].kind == "soft"
    assert not parse_ses(json.dumps({"notificationType": "Delivery", "mail": {}})).bounce


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"Message": json.dumps(SES_COMPLAINT)}, "Signature"),  # the message was swapped
        ({"SigningCertURL": "https://evil.test/cert.pem"}, "SigningCertURL"),
        ({"SigningCertURL": "http://sns.eu-west-1.amazonaws.com/c.pem"}, "SigningCertURL"),
        ({"SigningCertURL": "https://sns.eu-west-1.amazonaws.com.evil.test/c.pem"},
         "SigningCertURL"),
        ({"SignatureVersion": "3"}, "SignatureVersion"),
        ({"Signature": "%%%"}, "Signature"),
    ],
)  # fmt: skip
def test_a_forged_or_misdirected_sns_message_is_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(MailInputError) as refused:
        verify_sns(_sns(SES_BOUNCE, **change), lambda url: CERT, now=NOW)
    assert refused.value.field == field


def test_an_expired_signing_certificate_is_refused() -> None:
    with pytest.raises(MailInputError, match="not valid now"):
        verify_sns(_sns(SES_BOUNCE), _fetch, now=NOW + timedelta(days=400))


def test_postmark_bounce_and_complaint_behind_basic_auth() -> None:
    bounce = {
        "RecordType": "Bounce", "MessageStream": "outbound", "ID": 4323372036854775807,
        "Type": "HardBounce", "TypeCode": 1, "Name": "Hard bounce", "Tag": "Weekly",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": "john@example.com", "From": "news@example.com",
        "BouncedAt": "2026-03-01T12:00:00Z", "Inactive": True, "CanActivate": True,
    }  # fmt: skip
    assert parse_postmark(json.dumps(bounce)).to_dict()["recipients"] == [
        {"address": "john@example.com", "kind": "hard", "status": "5.1.1"}
    ]
    soft = dict(bounce, Type="SoftBounce", TypeCode=4096, Details="mailbox full")
    assert parse_postmark(json.dumps(soft)).recipients[0].kind == "soft"
    complaint = dict(bounce, RecordType="SpamComplaint", Type="SpamComplaint", TypeCode=512)
    assert parse_postmark(json.dumps(complaint)).recipients[0].kind == "complaint"
    assert not parse_postmark(json.dumps(dict(bounce, Type="AutoResponder"))).bounce
    assert not parse_postmark(json.dumps({"RecordType": "Delivery"})).bounce
    good = "Basic " + base64.b64encode(b"hook:s3cret").decode()
    check_basic_auth(good, "hook", "s3cret")
    for bad in (None, "", "Basic " + base64.b64encode(b"hook:guess").decode(), "Bearer x"):
        with pytest.raises(MailInputError):
            check_basic_auth(bad, "hook", "s3cret")


_EC = ec.generate_private_key(ec.SECP256R1())
SENDGRID_KEY = base64.b64encode(
    _EC.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()


def _sendgrid(events: Any, when: int) -> tuple[bytes, str, str]:
    body = json.dumps(events).encode()
    signature = _EC.sign(str(when).encode() + body, ec.ECDSA(hashes.SHA256()))
    return body, base64.b64encode(signature).decode(), str(when)


def test_sendgrid_events_verified_with_the_public_key() -> None:
    events = [
        {"email": "a@example.com", "timestamp": 1772366400, "event": "bounce", "type": "bounce",
         "status": "5.1.1", "reason": "550 5.1.1 The email account does not exist.",
         "sg_event_id": "e1", "sg_message_id": "m1"},
        {"email": "b@example.com", "timestamp": 1772366400, "event": "bounce", "type": "blocked",
         "status": "5.7.1", "reason": "blocked by policy", "sg_event_id": "e2"},
        {"email": "c@example.com", "timestamp": 1772366400, "event": "dropped",
         "reason": "Bounced Address", "sg_event_id": "e3"},
        {"email": "d@example.com", "timestamp": 1772366400, "event": "spamreport",
         "sg_event_id": "e4"},
        {"email": "e@example.com", "timestamp": 1772366400, "event": "delivered",
         "response": "250 OK", "sg_event_id": "e5"},
    ]  # fmt: skip
    body, signature, when = _sendgrid(events, int(NOW.timestamp()))
    found = parse_sendgrid(
        body, signature=signature, timestamp=when, public_key=SENDGRID_KEY, now=NOW
    )
    assert [(r.address, r.kind, r.status) for r in found.recipients] == [
        ("a@example.com", "hard", "5.1.1"), ("b@example.com", "soft", "5.7.1"),
        ("c@example.com", "hard", "5.0.0"), ("d@example.com", "complaint", ""),
    ]  # fmt: skip
    with pytest.raises(MailInputError) as refused:
        parse_sendgrid(body.replace(b"a@ex", b"z@ex"), signature=signature, timestamp=when,
                       public_key=SENDGRID_KEY, now=NOW)  # fmt: skip
    assert refused.value.field == "signature"
    with pytest.raises(MailInputError) as refused:
        parse_sendgrid(body, signature=signature, timestamp=when, public_key=SENDGRID_KEY,
                       now=NOW + timedelta(hours=1))  # fmt: skip
    assert refused.value.field == "timestamp"


def test_each_sendgrid_recipient_carries_the_key_of_its_own_event() -> None:
    # A skipped event (dropped for an unsubscribed address, not a bounce) for the same address,
    # and one for an address that contains it, come first: neither lends its key to the bounce.
    bounce = {"email": "a@example.com", "timestamp": 2, "event": "bounce", "status": "5.1.1"}
    events = [
        {"email": "a@example.com", "timestamp": 1, "event": "dropped",
         "reason": "Unsubscribed Address", "sg_event_id": "d1"},
        {"email": "ba@example.com", "timestamp": 1, "event": "dropped",
         "reason": "Unsubscribed Address"},
        {**bounce, "sg_event_id": "b1"},
        bounce,  # no sg_event_id: keyed by its content
        {**bounce, "timestamp": 3},  # another event without an id: another key
    ]  # fmt: skip
    body, signature, when = _sendgrid(events, int(NOW.timestamp()))
    found = sendgrid_events(
        body, signature=signature, timestamp=when, public_key=SENDGRID_KEY, now=NOW
    )
    digest = hashlib.sha256(json.dumps(bounce, sort_keys=True).encode()).hexdigest()
    assert [(key, read.address) for key, read in found] == [
        ("b1", "a@example.com"),
        (f"sha256:{digest}", "a@example.com"),
        (event_key({**bounce, "timestamp": 3}), "a@example.com"),
    ]
    assert len({key for key, _ in found}) == 3


def test_a_sendgrid_event_without_an_id_keeps_its_key_in_any_key_order() -> None:
    event = {"email": "a@example.com", "event": "bounce", "timestamp": 1, "status": "5.1.1"}
    shuffled = dict(reversed(list(event.items())))
    assert event_key(event) == event_key(shuffled)
    assert event_key(event).startswith("sha256:")
    assert event_key({**event, "timestamp": 2}) != event_key(event)
    assert event_key({**event, "sg_event_id": "x1"}) == "x1"
    assert event_key({**event, "sg_event_id": ""}) == event_key({**event, "sg_event_id": ""})
    assert event_key({**event, "sg_event_id": True}).startswith("sha256:")


def _mailgun(event: Any, key: str = "key-secret", when: int | None = None) -> bytes:
    timestamp = str(int(NOW.timestamp()) if when is None else when)
    token = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    digest = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps({
        "signature": {"timestamp": timestamp, "token": token, "signature": digest},
        "event-data": event,
    }).encode()  # fmt: skip


def test_mailgun_failed_and_complained_events_signed_with_the_key() -> None:
    failed = {
        "event": "failed", "severity": "permanent", "reason": "bounce",
        "recipient": "alice@example.com", "id": "G9Bn5sl1TC6nu79C8C0bwg", "log-level": "error",
        "delivery-status": {
            "code": 550, "enhanced-code": "5.1.1", "attempt-no": 1,
            "message": "550 5.1.1 The email account that you tried to reach does not exist.",
            "description": "",
        },
    }  # fmt: skip
    assert parse_mailgun(_mailgun(failed), "key-secret", now=NOW).to_dict()["recipients"] == [
        {"address": "alice@example.com", "kind": "hard", "status": "5.1.1"}
    ]
    full = {"code": 452, "message": "4.2.2 mailbox full"}
    temporary = {**failed, "severity": "temporary", "delivery-status": full}
    assert parse_mailgun(_mailgun(temporary), "key-secret", now=NOW).recipients[0].kind == "soft"
    complained = {"event": "complained", "recipient": "bob@example.com", "id": "x"}
    assert parse_mailgun(_mailgun(complained), "key-secret", now=NOW).recipients[0].kind == (
        "complaint"
    )
    assert not parse_mailgun(
        _mailgun({"event": "delivered", "recipient": "c@example.com"}), "key-secret", now=NOW
    ).bounce
    with pytest.raises(MailInputError) as refused:
        parse_mailgun(_mailgun(failed, key="other"), "key-secret", now=NOW)
    assert refused.value.field == "signature"
    with pytest.raises(MailInputError) as refused:
        parse_mailgun(_mailgun(failed, when=int(NOW.timestamp()) - 3600), "key-secret", now=NOW)
    assert refused.value.field == "signature.timestamp"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=5),
    max_leaves=20,
)  # fmt: skip
_KEYS = st.sampled_from([
    "Type", "Message", "RecordType", "Email", "event", "recipient", "signature", "event-data",
    "notificationType", "bounce", "bouncedRecipients", "SigningCertURL", "SignatureVersion",
])  # fmt: skip
_GARBAGE = st.one_of(
    st.binary(max_size=200),
    _JSON.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(_KEYS, _JSON, max_size=6).map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=300, deadline=None)
@given(body=_GARBAGE, value=_JSON)
def test_garbage_is_an_input_error_and_nothing_else(body: bytes, value: Any) -> None:
    signed, signature, when = _sendgrid(value, int(NOW.timestamp()))  # signed, yet garbage
    readers = [
        lambda: parse_mailgun(_mailgun(value), "key-secret", now=NOW),
        lambda: parse_sendgrid(signed, signature=signature, timestamp=when,
                               public_key=SENDGRID_KEY, now=NOW),
        lambda: verify_sns(body, _fetch, now=NOW),
        lambda: parse_ses(body.decode("utf-8", "replace")),
        lambda: parse_postmark(body),
        lambda: parse_mailgun(body, "key-secret", now=NOW),
        lambda: parse_sendgrid(body, signature="MEUC", timestamp="1", public_key=SENDGRID_KEY,
                               now=NOW),
    ]  # fmt: skip
    for read in readers:
        with contextlib.suppress(MailInputError):  # anything else fails the test
            read()
