"""Amazon SES bounces and complaints, delivered as Amazon SNS notifications.

`verify_sns` checks an SNS message's signature (SignatureVersion 1: SHA1withRSA, 2:
SHA256withRSA) with the certificate at `SigningCertURL`, which must be an https URL on
`sns.<region>.amazonaws.com`; the fetch is a parameter (the route caches it by URL and fetches
over verified TLS). String to sign and fields: https://docs.aws.amazon.com/sns/latest/dg/
sns-verify-signature-of-message.html. `parse_ses` reads the notification's Message, the SES
JSON: https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.bounces import BounceRecipient, BounceResult, classify
from evergreen.mail.rules.providers._common import (
    address,
    load_json,
    mapping,
    recipient,
    result,
    status_in,
    text,
)

__all__ = ["SnsMessage", "parse_ses", "verify_sns"]

FetchCertificate = Callable[[str], bytes]
_HOST = re.compile(r"sns\.[a-z0-9-]{1,30}\.amazonaws\.com")
_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip
_SIGNED["UnsubscribeConfirmation"] = _SIGNED["SubscriptionConfirmation"]


@dataclass(frozen=True)
class SnsMessage:
    """A verified SNS message: its type, topic, body, and the URL confirming a subscription."""

    type: str
    topic_arn: str
    message: str
    subscribe_url: str = ""


def _sns_url(value: str, field: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not _HOST.fullmatch(parts.hostname or "") or parts.port:
        raise MailInputError(field, "must be an https URL on sns.<region>.amazonaws.com")
    return value


def verify_sns(
    body: bytes | str, fetch_certificate: FetchCertificate, *, now: datetime
) -> SnsMessage:
    """The SNS message, once its signature holds under a certificate Amazon serves."""
    if now.tzinfo is None:
        raise MailInputError("now", "must be an aware time")
    data = mapping(load_json(body), "body")
    kind = text(data.get("Type"), "Type")
    if kind not in _SIGNED:
        raise MailInputError("Type", f"{kind[:40]!r} is not an SNS message type")
    version = text(data.get("SignatureVersion"), "SignatureVersion")
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)  # noqa: S303 (SNS v1)
    if algorithm is None:
        raise MailInputError("SignatureVersion", "must be 1 or 2")
    url = _sns_url(text(data.get("SigningCertURL"), "SigningCertURL"), "SigningCertURL")
    lines = []
    for name in _SIGNED[kind]:
        if name == "Subject" and data.get(name) is None:
            continue
        lines.append(f"{name}\n{text(data.get(name), name)}\n")
    try:
        signature = base64.b64decode(text(data.get("Signature"), "Signature"), validate=True)
    except (binascii.Error, ValueError):
        raise MailInputError("Signature", "is not base64") from None
    try:
        certificate = x509.load_pem_x509_certificate(fetch_certificate(url))
    except ValueError:
        raise MailInputError("SigningCertURL", "does not serve a PEM certificate") from None
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise MailInputError("SigningCertURL", "the certificate is not valid now")
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise MailInputError("SigningCertURL", "the certificate's key is not RSA")
    try:
        key.verify(signature, "".join(lines).encode(), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise MailInputError("Signature", "does not match the SNS signing certificate") from None
    subscribe = ""
    if kind != "Notification":
        subscribe = _sns_url(text(data.get("SubscribeURL"), "SubscribeURL"), "SubscribeURL")
    message = text(data.get("Message"), "Message")
    return SnsMessage(kind, text(data.get("TopicArn"), "TopicArn"), message, subscribe)


def _bounced(bounce: dict[str, object]) -> list[BounceRecipient]:
    permanent = text(bounce.get("bounceType"), "bounce.bounceType") == "Permanent"
    people = bounce.get("bouncedRecipients")
    if not isinstance(people, list):
        raise MailInputError("bounce.bouncedRecipients", "must be a list")
    found = []
    for i, item in enumerate(people):
        person = mapping(item, f"bounce.bouncedRecipients[{i}]")
        email = address(person.get("emailAddress"), f"bounce.bouncedRecipients[{i}].emailAddress")
        words = text(person.get("diagnosticCode"), "diagnosticCode", required=False)
        given = text(person.get("status"), "status", required=False)
        status = status_in(f"{given} {words}", "5.0.0" if permanent else "4.0.0")
        kind = classify(status, words) if permanent and status.startswith("5") else "soft"
        found.append(recipient(email, kind, status, words))
    return found


def parse_ses(message: str) -> BounceResult:
    """An SES notification (the SNS Message): Bounce and Complaint; Delivery is no bounce."""
    data = mapping(load_json(message, "Message"), "Message")
    kind = text(data.get("notificationType") or data.get("eventType"), "notificationType")
    if kind == "Bounce":
        return result(_bounced(mapping(data.get("bounce"), "bounce")), "ses")
    if kind == "Complaint":
        complaint = mapping(data.get("complaint"), "complaint")
        people = complaint.get("complainedRecipients")
        if not isinstance(people, list):
            raise MailInputError("complaint.complainedRecipients", "must be a list")
        feedback = text(complaint.get("complaintFeedbackType"), "type", required=False)
        return result([
            recipient(address(mapping(p, "complainedRecipients").get("emailAddress"),
                              "complainedRecipients.emailAddress"),
                      "complaint", "", feedback or "complaint")
            for p in people
        ], "ses")  # fmt: skip
    return BounceResult(False)
