"""DKIM: sign outgoing mail (dkimpy), make a key pair, and say which DNS record to publish."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from evergreen.mail.errors import MailInputError

__all__ = ["DkimKey", "DnsRecord", "dns_record", "generate_key", "sign"]

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
# Signed headers: what a receiver shows or acts on, List-Unsubscribe included (RFC 8058 asks
# that it be covered by the signature).
_SIGNED = (
    b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"mime-version",
    b"content-type", b"list-unsubscribe", b"list-unsubscribe-post", b"list-id",
)  # fmt: skip


def _check_name(field: str, value: str) -> str:
    labels = value.strip().rstrip(".").split(".")
    if not value.strip() or not all(_LABEL.fullmatch(label) for label in labels):
        raise MailInputError(field, f"{value!r} is not a DNS name such as example.com")
    return ".".join(labels).lower()


@dataclass(frozen=True)
class DkimKey:
    """A signing key: the domain, the selector and the private key in PEM."""

    domain: str
    selector: str
    private_pem: bytes

    def __post_init__(self) -> None:
        _check_name("domain", self.domain)
        _check_name("selector", self.selector)


@dataclass(frozen=True)
class DnsRecord:
    """The TXT record to publish: its name and its value."""

    name: str
    value: str


def generate_key(domain: str, selector: str, bits: int = 2048) -> DkimKey:
    """A new RSA key pair (2048 bits unless asked otherwise)."""
    if bits < 2048:
        raise MailInputError("bits", "must be at least 2048")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return DkimKey(_check_name("domain", domain), _check_name("selector", selector), pem)


def dns_record(key: DkimKey) -> DnsRecord:
    """`selector._domainkey.domain` and `v=DKIM1; k=rsa; p=…` for that key."""
    try:
        private = serialization.load_pem_private_key(key.private_pem, password=None)
    except ValueError:
        raise MailInputError("key", "is not a PEM private key") from None
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    value = f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"
    return DnsRecord(f"{key.selector}._domainkey.{key.domain}", value)


def sign(message: bytes, key: DkimKey) -> bytes:
    """The message with a `DKIM-Signature` header first (relaxed/relaxed, rsa-sha256)."""
    present = {
        line.split(b":", 1)[0].strip().lower()
        for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        if line and line[:1] not in (b" ", b"\t")
    }
    try:
        header = dkim.sign(
            message,
            key.selector.encode(),
            key.domain.encode(),
            key.private_pem,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h for h in _SIGNED if h in present],
        )
    except dkim.DKIMException as exc:
        raise MailInputError("dkim", f"cannot sign: {exc}") from None
    return bytes(header) + message
