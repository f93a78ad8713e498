"""DKIM: sign outgoing mail (dkimpy's canonical forms, OpenSSL's RSA), make a key pair, and say
which DNS record to publish."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import time
from dataclasses import dataclass

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from dkim.canonicalization import CanonicalizationPolicy

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.canonical import RelaxedRelaxed

__all__ = ["DkimKey", "DnsRecord", "Signer", "dns_record", "generate_key", "sign", "signer"]

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
# Signed headers: what a receiver shows or acts on, List-Unsubscribe included (RFC 8058 asks
# that it be covered by the signature).
_SIGNED = (
    b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"mime-version",
    b"content-type", b"list-unsubscribe", b"list-unsubscribe-post", b"list-id",
)  # fmt: skip
_POLICY = CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")  # for its c= value
_FAST = RelaxedRelaxed()  # the same forms, computed faster (rules.canonical)
_NAME = b"DKIM-Signature"
_NAME_LENGTH = len(_NAME)
_FIELD_NAME = re.compile(rb"[\x21-\x7e]+")


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


def _parse(message: bytes) -> tuple[list[list[bytes]], bytes]:
    """dkimpy's (headers, body), without re-splitting a CRLF body line by line."""
    end = message.find(b"\r\n\r\n")
    body = message[end + 4 :]
    if end < 0 or body.count(b"\n") != body.count(b"\r\n"):
        headers, whole = dkim.rfc822_parse(message)
        return headers, whole
    block = message[: end + 4]
    if block.count(b"\n") != block.count(b"\r\n"):
        headers, _ = dkim.rfc822_parse(block)
        return headers, body
    return _header_fields(block), body


def _header_fields(block: bytes) -> list[list[bytes]]:
    """dkimpy's `rfc822_parse` of a header block whose lines all end in CRLF: the same fields
    and the same errors, without its regular expressions (a split, and a match per line)."""
    headers: list[list[bytes]] = []
    for line in block.split(b"\r\n"):
        if not line:
            break
        if line[0] in (0x09, 0x20):  # a folded line continues the field above it
            headers[-1][1] += line + b"\r\n"
            continue
        # dkimpy's ([\x21-\x7e]+?): is the first colon after the first byte, printable before
        colon = line.find(b":", 1)
        if colon > 0 and _FIELD_NAME.fullmatch(line, 0, colon):
            headers.append([line[:colon], line[colon + 1 :] + b"\r\n"])
        elif not line.startswith(b"From "):
            raise dkim.MessageFormatError(f"Unexpected characters in RFC822 header: {line!r}")
    return headers


def _headers_digest(
    canonical: list[tuple[bytes, bytes]], include: tuple[bytes, ...], value: bytes
) -> bytes:
    """dkimpy's `hash_headers` for names each included once and a signature whose b= is already
    empty: the last field of each name, then the signature without its line end. dkimpy would
    also empty b= with a regular expression (RE_BTAG, ~0.05 ms), which changes nothing here."""
    hasher = hashlib.sha256()
    last = dict(canonical)  # relaxed names are lower case; a later field of a name wins
    for name in include:
        if name in last:
            hasher.update(name + b":" + last[name])
    ((_, signature),) = _FAST.canonicalize_headers([(_NAME, b" " + value)])
    hasher.update(b"dkim-signature:" + signature.rstrip())
    return hasher.digest()


class Signer:
    """One key loaded once (OpenSSL through `cryptography`), signing many messages.

    dkimpy keeps the parts that make a signature right: parsing the header block, relaxed
    canonicalisation, header selection and the `DKIM-Signature` layout. Only the RSA step is
    OpenSSL's (dkimpy's pure-Python RSA takes ~28 ms a message); PKCS#1 v1.5 is
    deterministic, so the header is byte for byte what `dkim.sign` makes for the same time.
    """

    def __init__(self, key: DkimKey) -> None:
        try:
            private = serialization.load_pem_private_key(key.private_pem, password=None)
        except (ValueError, TypeError):
            raise MailInputError("key", "is not a PEM private key") from None
        if not isinstance(private, rsa.RSAPrivateKey):
            raise MailInputError("key", "must be an RSA key (rsa-sha256)")
        if private.key_size < 1024:
            raise MailInputError("key", "must be at least 1024 bits (receivers refuse less)")
        self.key = key
        self._private = private
        self._domain = key.domain.encode()
        self._selector = key.selector.encode()

    def sign(self, message: bytes, *, timestamp: int | None = None) -> bytes:
        """The message with a `DKIM-Signature` header first (relaxed/relaxed, rsa-sha256)."""
        try:
            headers, body = _parse(message)
        except dkim.DKIMException as exc:
            raise MailInputError("dkim", f"cannot sign: {exc}") from None
        present = {name.lower() for name, _ in headers}
        include = tuple(h for h in _SIGNED if h in present)
        if b"from" not in include:
            raise MailInputError("dkim", "cannot sign: the message has no From header")
        body_hash = hashlib.sha256(_FAST.canonicalize_body(body)).digest()
        when = int(time.time()) if timestamp is None else timestamp
        fields = [
            (b"v", b"1"), (b"a", b"rsa-sha256"), (b"c", _POLICY.to_c_value()),
            (b"d", self._domain), (b"i", b"@" + self._domain), (b"q", b"dns/txt"),
            (b"s", self._selector), (b"t", str(when).encode("ascii")),
            (b"h", b" : ".join(include)), (b"bh", base64.b64encode(body_hash)),
            (b"b", b"0" * 60),  # as dkimpy: b= folds onto its own line
        ]  # fmt: skip
        # What dkimpy's DomainSigner.gen_header does, with the digest signed by OpenSSL.
        value = dkim.fold(b"; ".join(b"=".join(f) for f in fields), namelen=_NAME_LENGTH)
        value = value[: value.rindex(b"b=") + 2]  # b= emptied (dkimpy's RE_BTAG, which is slow)
        digest = _headers_digest(_FAST.canonicalize_headers(headers), include, value)
        signature = self._private.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        fields[-1] = (b"b", base64.b64encode(signature))
        value = b"; ".join(b"=".join(f) for f in fields) + b"\r\n"
        folded: bytes = dkim.fold(value, namelen=_NAME_LENGTH)
        return _NAME + b": " + folded + message


@functools.lru_cache(maxsize=64)
def signer(key: DkimKey) -> Signer:
    """The signer of a key, loaded once per process (a sender signs with a handful of keys)."""
    return Signer(key)


def sign(message: bytes, key: DkimKey) -> bytes:
    """The message with a `DKIM-Signature` header first (relaxed/relaxed, rsa-sha256)."""
    return signer(key).sign(message)
