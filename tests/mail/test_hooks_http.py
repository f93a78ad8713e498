"""Provider bounce and complaint webhooks over HTTP: each provider's real-shaped event applied
(the person suppressed or unsubscribed), replays absorbed, forged or unconfigured requests
refused in words, garbage a 4xx, and 64 posts at once never a 5xx, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from evergreen.audience import queries as audience_queries
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.mail.errors import MailInputError
from evergreen.mail.models import MailBounce
from evergreen.mail.service import SnsFetcher
from evergreen.web import create_app
from tests.live_server import Call, live_server, send_until_answered
from tests.mail.test_broadcasts import _people

N = 64
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"
_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
_TODAY = datetime.now(UTC)
CERT = (
    x509.CertificateBuilder().subject_name(_NAME).issuer_name(_NAME)
    .public_key(_RSA.public_key()).serial_number(1)
    .not_valid_before(_TODAY - timedelta(days=1)).not_valid_after(_TODAY + timedelta(days=30))
    .sign(_RSA, hashes.SHA256())
    .public_bytes(serialization.Encoding.PEM)
)  # fmt: skip
_EC = ec.generate_private_key(ec.SECP256R1())
SENDGRID_KEY = base64.b64encode(
    _EC.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
MAILGUN_KEY = "mailgun-signing-key-0123456789"
POSTMARK = ("hook", "postmark-pass-0123456789")
GOOD_AUTH = "Basic " + base64.b64encode(f"{POSTMARK[0]}:{POSTMARK[1]}".encode()).decode()


class FakeSns:
    """Amazon's side with no network: our certificate, and the confirmations visited."""

    def __init__(self) -> None:
        self.fetched: list[str] = []
        self.confirmed: list[str] = []

    def certificate(self, url: str) -> bytes:
        self.fetched.append(url)
        return CERT

    def confirm(self, url: str) -> None:
        self.confirmed.append(url)


def _hooks(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "mail_hook_postmark_user": POSTMARK[0],
            "mail_hook_postmark_password": SecretStr(POSTMARK[1]),
            "mail_hook_sendgrid_public_key": SENDGRID_KEY,
            "mail_hook_mailgun_signing_key": SecretStr(MAILGUN_KEY),
            "mail_hook_ses_topics": f"arn:aws:sns:us-east-1:1:other, {TOPIC}",
        }
    )


@pytest.fixture
def sns() -> FakeSns:
    return FakeSns()


@pytest.fixture
def hooks(settings: Settings, db: Database, sns: FakeSns) -> Iterator[TestClient]:
    """The real app with every webhook configured and the fake SNS network in place."""
    app = create_app(_hooks(settings), database=db)
    app.state.mail_sns = sns
    with TestClient(app) as client:
        yield client


# --- real-shaped payloads, signed as each provider signs them --------------------------------


def _sns(message: dict[str, Any] | None, message_id: str = "m-1", **change: Any) -> bytes:
    kind = change.pop("Type", "Notification")
    body = {
        "Type": kind, "MessageId": message_id, "TopicArn": TOPIC,
        "Message": json.dumps(message) if message is not None else "You have chosen to subscribe",
        "Timestamp": "2026-03-01T12:00:01.000Z", "SignatureVersion": "2",
        "SigningCertURL": CERT_URL,
    }  # fmt: skip
    names = ["Message", "MessageId", "Timestamp", "TopicArn", "Type"]
    if kind == "SubscriptionConfirmation":
        body["SubscribeURL"] = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
        body["Token"] = "2336412f37"
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    body.update({k: v for k, v in change.items() if k in body and k != "Signature"})
    signed = "".join(f"{n}\n{body[n]}\n" for n in names).encode()
    signature = _RSA.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    body["Signature"] = change.get("Signature", base64.b64encode(signature).decode())
    return json.dumps(body).encode()


def _ses_bounce(email: str, permanent: bool = True) -> dict[str, Any]:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent" if permanent else "Transient", "bounceSubType": "General",
            "bouncedRecipients": [{
                "emailAddress": email, "action": "failed",
                "status": "5.1.1" if permanent else "4.2.2",
                "diagnosticCode": "smtp; 550 5.1.1 user unknown" if permanent else "4.2.2 full",
            }],
            "timestamp": "2026-03-01T11:59:00.000Z", "feedbackId": "0102015fd91a6479-ae22",
        },
        "mail": {"source": "news@example.com", "destination": [email]},
    }  # fmt: skip


def _postmark(email: str, record_id: int = 1, kind: str = "HardBounce") -> bytes:
    record = "SpamComplaint" if kind == "SpamComplaint" else "Bounce"
    return json.dumps({
        "RecordType": record, "MessageStream": "outbound", "ID": record_id, "Type": kind,
        "TypeCode": 1, "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email, "From": "news@example.com", "BouncedAt": "2026-03-01T12:00:00Z",
    }).encode()  # fmt: skip


def _sendgrid(
    events: list[dict[str, Any]], when: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(events).encode()
    stamp = str(int(datetime.now(UTC).timestamp()) if when is None else when)
    signature = _EC.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return body, {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        "Content-Type": "application/json",
    }


def _mailgun(
    event: dict[str, Any], token: str = "a8ce0edb2dd8301dee6c", key: str = MAILGUN_KEY
) -> bytes:
    stamp = str(int(datetime.now(UTC).timestamp()))
    digest = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps({
        "signature": {"timestamp": stamp, "token": token, "signature": digest},
        "event-data": event,
    }).encode()  # fmt: skip


def _failed(email: str, event_id: str = "G9Bn5sl1TC6nu79C8C0bwg") -> dict[str, Any]:
    return {
        "event": "failed", "severity": "permanent", "reason": "bounce", "recipient": email,
        "id": event_id, "log-level": "error",
        "delivery-status": {"code": 550, "enhanced-code": "5.1.1", "message": "550 5.1.1 no"},
    }  # fmt: skip


JSON = {"Content-Type": "application/json"}


def _post(client: TestClient, provider: str, body: bytes, **headers: str) -> Any:
    return client.post(f"/mail/hooks/{provider}", content=body, headers={**JSON, **headers})


def _card(db: Database, email: str) -> audience_queries.SubscriberCard:
    with db.session(writer=False) as session:
        card = audience_queries.find_by_email(session, email)
    assert card is not None
    return card


def _bounces(db: Database) -> list[tuple[str, str]]:
    with db.session(writer=False) as session:
        rows = session.execute(select(MailBounce.address, MailBounce.kind).order_by(MailBounce.id))
        return [(address, kind) for address, kind in rows]


# --- each provider applied --------------------------------------------------------------------


def test_each_providers_bounce_or_complaint_suppresses_or_unsubscribes_the_person(
    hooks: TestClient, db: Database, sns: FakeSns
) -> None:
    emails = [f"{n}@example.com" for n in ("ses", "pm", "sgh", "sgc", "mg", "mgc")]
    _people(db, emails)
    answer = _post(hooks, "ses", _sns(_ses_bounce("SES@Example.com")))
    assert answer.status_code == 200, answer.text
    assert answer.json()["recipients"] == [
        {"address": "ses@example.com", "kind": "hard", "status": "5.1.1"}
    ]
    assert sns.fetched == [CERT_URL]
    answer = _post(hooks, "postmark", _postmark("pm@example.com", 7, "SpamComplaint"),
                   Authorization=GOOD_AUTH)  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] == 1, answer.text
    body, headers = _sendgrid([
        {"email": "sgh@example.com", "event": "bounce", "type": "bounce", "status": "5.1.1",
         "reason": "550 5.1.1 does not exist", "sg_event_id": "e1", "timestamp": 1},
        {"email": "nobody@example.com", "event": "delivered", "sg_event_id": "e2"},
        {"email": "sgc@example.com", "event": "spamreport", "sg_event_id": "e3"},
    ])  # fmt: skip
    answer = _post(hooks, "sendgrid", body, **headers)
    assert answer.json()["applied"] == 2, answer.text
    assert _post(hooks, "mailgun", _mailgun(_failed("mg@example.com"))).json()["applied"] == 1
    complained = {"event": "complained", "recipient": "mgc@example.com", "id": "c-1"}
    assert _post(hooks, "mailgun", _mailgun(complained, token="t-2")).json()["applied"] == 1

    for email in ("ses@example.com", "sgh@example.com", "mg@example.com"):
        assert _card(db, email).suppressed == "bounced", email
    for email in ("pm@example.com", "sgc@example.com", "mgc@example.com"):
        card = _card(db, email)
        assert card.suppressed == "complained", email
        assert set(card.lists.values()) == {"complained"}, (email, card.lists)  # off the list
    assert len(_bounces(db)) == 6


def test_a_sendgrid_bounce_is_claimed_by_its_own_event_not_a_skipped_one(
    hooks: TestClient, db: Database
) -> None:
    _people(db, ["sgx@example.com", "sgy@example.com"])
    bounce = {
        "email": "sgx@example.com",
        "event": "bounce",
        "status": "5.1.1",
        "reason": "550 5.1.1 does not exist",
        "timestamp": 5,
        "sg_event_id": "b-1",
    }
    dropped = {"email": "sgx@example.com", "event": "dropped", "reason": "Unsubscribed Address",
               "timestamp": 4, "sg_event_id": "d-1"}  # fmt: skip
    body, headers = _sendgrid([dropped, bounce])
    assert _post(hooks, "sendgrid", body, **headers).json()["applied"] == 1
    # SendGrid posts the bounce again, alone: it is the event already applied.
    body, headers = _sendgrid([bounce])
    answer = _post(hooks, "sendgrid", body, **headers).json()
    assert (answer["applied"], answer["duplicates"]) == (0, 1), answer
    # Events without sg_event_id: keyed by content, so a resent one (in another key order) is
    # a duplicate and a different one is applied.
    plain = {"email": "sgy@example.com", "event": "bounce", "status": "5.1.1", "timestamp": 7}
    body, headers = _sendgrid([plain])
    assert _post(hooks, "sendgrid", body, **headers).json()["applied"] == 1
    body, headers = _sendgrid([dict(reversed(list(plain.items()))), {**plain, "timestamp": 8}])
    answer = _post(hooks, "sendgrid", body, **headers).json()
    assert (answer["applied"], answer["duplicates"]) == (1, 1), answer
    assert _bounces(db) == [("sgx@example.com", "hard"), ("sgy@example.com", "hard"),
                            ("sgy@example.com", "hard")]  # fmt: skip


def test_sns_subscription_is_confirmed_through_the_checked_fetcher(
    hooks: TestClient, sns: FakeSns
) -> None:
    answer = _post(hooks, "ses", _sns(None, Type="SubscriptionConfirmation"))
    assert answer.status_code == 200, answer.text
    assert sns.confirmed == ["https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"]


# --- replays absorbed -------------------------------------------------------------------------


@pytest.mark.both_databases
def test_a_replayed_event_changes_nothing_twice(hooks: TestClient, db: Database) -> None:
    _people(db, ["soft@example.com", "pm@example.com", "sg@example.com", "mg@example.com"])
    soft = _sns(_ses_bounce("soft@example.com", permanent=False), message_id="soft-1")
    body, headers = _sendgrid(
        [
            {
                "email": "sg@example.com",
                "event": "bounce",
                "type": "blocked",
                "status": "4.7.1",
                "reason": "later",
                "sg_event_id": "s1",
            }
        ]
    )
    mailgun = _mailgun({**_failed("mg@example.com"), "severity": "temporary"})
    sends = [
        lambda: _post(hooks, "ses", soft),
        lambda: _post(hooks, "postmark", _postmark("pm@example.com", 9, "SoftBounce"),
                      Authorization=GOOD_AUTH),
        lambda: _post(hooks, "sendgrid", body, **headers),
        lambda: _post(hooks, "mailgun", mailgun),
    ]  # fmt: skip
    for send in sends:
        first, again = send(), send()
        assert (first.json()["applied"], first.json()["duplicates"]) == (1, 0), first.text
        assert again.status_code == 200, again.text
        assert (again.json()["applied"], again.json()["duplicates"]) == (0, 1), again.text
    # A soft bounce is counted toward suppression: a replay counted twice would hasten it.
    assert sorted(_bounces(db)) == sorted(
        (e, "soft") for e in ("soft@example.com", "pm@example.com", "sg@example.com",
                              "mg@example.com")
    )  # fmt: skip


# --- refused ----------------------------------------------------------------------------------


def _forged_ses() -> list[tuple[bytes, str]]:
    bounce = _ses_bounce("v@example.com")
    other = base64.b64encode(_RSA.sign(b"else", padding.PKCS1v15(), hashes.SHA256())).decode()
    return [
        (_sns(bounce, Signature=other), "Signature"),
        (_sns(bounce).replace(b"v@example.com", b"w@example.com"), "Signature"),
        (_sns(bounce, TopicArn="arn:aws:sns:eu-west-1:666:attacker"), "TopicArn"),
        (_sns(bounce, SigningCertURL="https://evil.example/cert.pem"), "SigningCertURL"),
    ]


def test_forged_signatures_and_wrong_credentials_are_refused_in_words(
    hooks: TestClient, db: Database
) -> None:
    _people(db, ["v@example.com"])
    for body, field in _forged_ses():
        answer = _post(hooks, "ses", body)
        assert answer.status_code == 403, answer.text
        assert answer.json()["field"] == field
    for auth in ("", "Basic " + base64.b64encode(b"hook:guess").decode(), "Bearer x"):
        answer = _post(hooks, "postmark", _postmark("v@example.com"), Authorization=auth)
        assert answer.status_code == 401, answer.text
        assert "user name and password" in answer.json()["detail"]
        assert answer.headers["WWW-Authenticate"].startswith("Basic")
    event = [{"email": "v@example.com", "event": "bounce", "status": "5.1.1", "sg_event_id": "f"}]
    body, headers = _sendgrid(event)
    answer = _post(hooks, "sendgrid", body.replace(b"v@ex", b"w@ex"), **headers)
    assert answer.status_code == 403
    assert "does not match" in answer.json()["detail"]
    body, headers = _sendgrid(event, when=int(datetime.now(UTC).timestamp()) - 3600)
    assert _post(hooks, "sendgrid", body, **headers).status_code == 403
    assert _post(hooks, "sendgrid", body).status_code == 403  # unsigned
    answer = _post(hooks, "mailgun", _mailgun(_failed("v@example.com"), key="guessed"))
    assert answer.status_code == 403
    assert "signing key" in answer.json()["detail"]
    assert _bounces(db) == []
    assert _card(db, "v@example.com").suppressed is None


def test_a_mailgun_token_cannot_sign_a_second_event(hooks: TestClient, db: Database) -> None:
    _people(db, ["a@example.com", "b@example.com"])
    first = _post(hooks, "mailgun", _mailgun(_failed("a@example.com", "ev-a"), token="tok"))
    assert first.json()["applied"] == 1, first.text
    # The signature covers timestamp + token only: the same block on another event is a forgery.
    reused = _post(hooks, "mailgun", _mailgun(_failed("b@example.com", "ev-b"), token="tok"))
    assert reused.status_code == 403, reused.text
    assert "already used" in reused.json()["detail"]
    assert _card(db, "b@example.com").suppressed is None
    assert _bounces(db) == [("a@example.com", "hard")]


def test_an_unconfigured_webhook_answers_404_saying_what_to_set(client: TestClient) -> None:
    for provider, setting in (
        ("ses", "EVERGREEN_MAIL_HOOK_SES_TOPICS"),
        ("postmark", "EVERGREEN_MAIL_HOOK_POSTMARK_USER"),
        ("sendgrid", "EVERGREEN_MAIL_HOOK_SENDGRID_PUBLIC_KEY"),
        ("mailgun", "EVERGREEN_MAIL_HOOK_MAILGUN_SIGNING_KEY"),
    ):
        answer = _post(client, provider, b"{}", Authorization=GOOD_AUTH)
        assert answer.status_code == 404, answer.text
        assert setting in answer.json()["detail"]


GARBAGE = [
    b"", b"{", b"[]", b"null", b"0", b'"x"', b"\xff\xfe\x00", b"[" * 50_000,
    b'{"Type": 5}', b'{"Type": "Notification"}', b'{"RecordType": "Bounce"}',
    b'{"RecordType": "Bounce", "Type": "HardBounce", "Email": ["x"]}',
    b'{"signature": [], "event-data": 1}', b'{"signature": {"timestamp": "x"}}',
    json.dumps({"Type": "Notification", "SignatureVersion": "2", "SigningCertURL": CERT_URL,
                "Message": "x", "MessageId": "1", "Timestamp": "t", "TopicArn": TOPIC,
                "Signature": "!!"}).encode(),
]  # fmt: skip


@pytest.mark.both_databases
@pytest.mark.parametrize("provider", ["ses", "postmark", "sendgrid", "mailgun"])
def test_garbage_bodies_are_a_4xx_never_a_500(
    hooks: TestClient, db: Database, provider: str
) -> None:
    for body in GARBAGE:
        if provider == "sendgrid" and body == b"[]":
            continue  # an empty batch of events is a batch SendGrid may send
        headers = {"Authorization": GOOD_AUTH}
        if provider == "sendgrid":
            headers = _sendgrid([])[1]
            headers.update(_sendgrid_headers_for(body))
        answer = _post(hooks, provider, body, **headers)
        assert 400 <= answer.status_code < 500, (body[:40], answer.status_code, answer.text)
        assert "Traceback" not in answer.text
    # A signed SES message whose Message is not SES JSON: read, refused by field, not a 500.
    if provider == "ses":
        answer = _post(hooks, "ses", _sns({"notificationType": "Bounce", "bounce": 3}))
        assert answer.status_code == 422, answer.text
    assert _bounces(db) == []


def _sendgrid_headers_for(body: bytes) -> dict[str, str]:
    """Garbage signed with the right key: past the signature, the reader must refuse it."""
    stamp = str(int(datetime.now(UTC).timestamp()))
    signature = _EC.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
    }


def test_the_real_fetcher_reaches_amazons_sns_host_over_https_only() -> None:
    fetcher = SnsFetcher(timeout_s=0.5)
    for url in (
        "https://evil.example/cert.pem",
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
    ):
        with pytest.raises(MailInputError) as refused:
            fetcher.certificate(url)
        assert refused.value.field == "SigningCertURL"
        assert "https URL on sns." in refused.value.message
    with pytest.raises(MailInputError):
        fetcher.confirm("https://example.com/?Action=ConfirmSubscription")


@pytest.mark.parametrize(
    ("address", "kind"),
    [("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("169.254.169.254", "link-local")],
)
def test_the_real_fetcher_refuses_an_amazon_name_that_resolves_to_a_non_public_address(
    monkeypatch: pytest.MonkeyPatch, address: str, kind: str
) -> None:
    # A DNS answer (poisoned, or a rebinding attack) pointing Amazon's name at this machine, its
    # network or the cloud metadata service: the checked client connects to none of them.
    real = socket.getaddrinfo
    host = "sns.eu-west-1.amazonaws.com"

    def answer(name: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if name == host:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(name, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    fetcher = SnsFetcher(timeout_s=0.5)
    for call, field in ((fetcher.certificate, "SigningCertURL"), (fetcher.confirm, "SubscribeURL")):
        with pytest.raises(MailInputError) as refused:
            call(f"https://{host}/SimpleNotificationService-abc.pem")
        assert refused.value.field == field
        assert f"was not fetched: {host} ({address}) is a {kind} address" in refused.value.message
        assert "public addresses only" in refused.value.message


# --- 64 at once -------------------------------------------------------------------------------


def _count(db: Database) -> int:
    with db.session(writer=False) as session:
        return int(session.scalar(select(func.count(MailBounce.id))) or 0)


def _at_once(settings: Settings, db: Database, calls: list[Call]) -> list[Any]:
    """All in flight together; a 503 (the bounded wait for the write turn) is sent again, as
    providers retry; never a 500."""

    def prepare(app: Any) -> None:
        app.state.mail_sns = FakeSns()

    with live_server(_hooks(settings), db, prepare) as url:
        responses = send_until_answered(url, calls)
    assert {r.status_code for r in responses} == {200}
    return responses


@pytest.mark.both_databases
def test_64_posts_of_the_same_event_at_once_apply_it_once(settings: Settings, db: Database) -> None:
    _people(db, ["same@example.com", "pm@example.com", "mg@example.com"])
    ses = Call("POST", "/mail/hooks/ses", content=_sns(_ses_bounce("same@example.com")).decode(),
               headers=JSON)  # fmt: skip
    postmark = Call("POST", "/mail/hooks/postmark", headers={**JSON, "Authorization": GOOD_AUTH},
                    content=_postmark("pm@example.com", 5).decode())  # fmt: skip
    mailgun = Call("POST", "/mail/hooks/mailgun", headers=JSON,
                   content=_mailgun(_failed("mg@example.com")).decode())  # fmt: skip
    for call in (ses, postmark, mailgun):
        responses = _at_once(settings, db, [call] * N)
        assert sum(r.json()["applied"] for r in responses) == 1
        assert sum(r.json()["duplicates"] for r in responses) == N - 1
    assert _count(db) == 3


@pytest.mark.both_databases
def test_64_different_events_at_once_are_all_applied(settings: Settings, db: Database) -> None:
    emails = [f"p{i}@example.com" for i in range(N)]
    _people(db, emails)
    calls = []
    for i, email in enumerate(emails):
        if i % 2:
            content = _postmark(email, 1000 + i)
            calls.append(Call("POST", "/mail/hooks/postmark", content=content.decode(),
                              headers={**JSON, "Authorization": GOOD_AUTH}))  # fmt: skip
        else:
            content = _sns(_ses_bounce(email), message_id=f"m-{i}")
            calls.append(Call("POST", "/mail/hooks/ses", content=content.decode(), headers=JSON))
    responses = _at_once(settings, db, calls)
    assert sum(r.json()["applied"] for r in responses) == N
    assert _count(db) == N
    assert {_card(db, email).suppressed for email in emails} == {"bounced"}
