"""Bounces and complaints read from a returned message: who failed, how badly, and why.

Three readers, tried in order: a DSN (RFC 3464, `multipart/report; report-type=delivery-status`),
an ARF feedback report (RFC 5965, `report-type=feedback-report`), then the plain-text notices of
common mail servers and providers (Exim, qmail, postfix without a DSN, Gmail, Outlook/Office 365,
Yahoo and the like), recognised by their wording. Anything else, auto-replies included, is not a
bounce. Garbage never raises anything but MailInputError (too large); it reads as not a bounce.

Classification (`classify`): 4.x.x is soft; 5.x.x is hard except a full mailbox (5.2.2, or
words such as "quota" or "mailbox full") and policy or spam blocks (5.7.x, or words such as
"spam", "blocked", "blacklisted", "reputation", "policy"), which are soft: the address exists
and a later message may pass. An ARF report of type abuse is a complaint.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses
from typing import Literal

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.verp import BounceToken, token_from_address

__all__ = ["BounceRecipient", "BounceResult", "Kind", "classify", "parse_bounce"]

Kind = Literal["hard", "soft", "complaint"]
MAX_BYTES = 10 * 1024 * 1024

_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_REPLY_CODE = re.compile(r"(?<![\d.#-])([45])[0-5]\d(?![\d.])[ -]")
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_FULL = re.compile(
    r"quota|mailbox (is )?full|mailbox size|storage|insufficient|too much mail|over ?quota", re.I
)
_POLICY = re.compile(
    r"spam|blocked|block ?list|black ?list|reputation|policy|rejected for policy|"
    r"denied by|rate limit|too many|unsolicited|listed at|dnsbl|spamhaus",
    re.I,
)
_BOUNCE_MARKERS = re.compile(
    r"this message was created automatically by mail delivery software|"
    r"this is the qmail-send program|"
    r"i'm sorry to have to inform you that your message could not|"
    r"delivery to the following recipients? failed|"
    r"delivery has failed to these recipients|"
    r"your message (couldn't|could not|wasn't|was not) (be )?delivered|"
    r"sorry, we were unable to deliver your message|"
    r"message you sent (could not|couldn't) be delivered|"
    r"undeliverable|returned mail|delivery status notification \(failure\)|"
    r"mail delivery failed|failure notice|delivery failure|could not be delivered|"
    r"unable to deliver|permanent error|user unknown|no such user|"
    r"the following address(es)? failed",
    re.I,
)
_ORIGINAL = re.compile(
    r"^\s*-*\s*(below this line is a copy of the message|this is a copy of (the|your) message|"
    r"original message( follows| headers)?|the original message was received|"
    r"a copy of the original message below this line|undelivered message attached|"
    r"content-type: message/rfc822)",
    re.I | re.M,
)
_DAEMON = re.compile(r"mailer-daemon|postmaster|mail delivery|mail administrator", re.I)


@dataclass(frozen=True)
class BounceRecipient:
    """One address the report is about, how it failed, and the server's words."""

    address: str
    kind: Kind
    status: str
    diagnostic: str = ""


@dataclass(frozen=True)
class BounceResult:
    """The reading of one message: a bounce or complaint, for whom, and the VERP token."""

    bounce: bool
    recipients: tuple[BounceRecipient, ...] = ()
    token: BounceToken | None = None
    source: str = ""  # dsn, arf, text, or "" when not a bounce

    def to_dict(self) -> dict[str, object]:
        """The CLI's and API's JSON shape."""
        return {
            "bounce": self.bounce,
            "recipients": [
                {"address": r.address, "kind": r.kind, "status": r.status} for r in self.recipients
            ],
        }


def classify(status: str, diagnostic: str = "") -> Kind:
    """Hard or soft, from an enhanced status code and the server's words."""
    if status.startswith("4"):
        return "soft"
    if status == "5.2.2" or _FULL.search(diagnostic):
        return "soft"
    if status.startswith("5.7") or _POLICY.search(diagnostic):
        return "soft"
    return "hard"


def _status_in(text: str, default: str = "") -> str:
    found = _STATUS.search(text)
    if found:
        return ".".join(found.groups())
    code = _REPLY_CODE.search(text + " ")
    if code:
        return f"{code.group(1)}.0.0"
    return default


def _text_of(part: Message) -> str:
    """A part's decoded text, whatever its charset or transfer encoding claims."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            return payload.decode("utf-8", errors="replace")
    raw = part.get_payload()
    return raw if isinstance(raw, str) else ""


def _address(value: str | None) -> str:
    """The address of a `rfc822; someone@example.com` field or a header."""
    if not value:
        return ""
    text = str(value).split(";", 1)[-1]
    found = _ADDRESS.search(text)
    return found.group(0).lower() if found else ""


def _blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status or feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    return [email.message_from_string(chunk) for chunk in re.split(r"\r?\n\s*\r?\n", text)]


def _from_dsn(report: Message) -> list[BounceRecipient]:
    found: list[BounceRecipient] = []
    for part in report.walk():
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        for block in _blocks(part):
            address = _address(block.get("Original-Recipient")) or _address(
                block.get("Final-Recipient")
            )
            action = str(block.get("Action", "")).strip().lower()
            if not address or action in ("delivered", "relayed", "expanded"):
                continue
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            diagnostic = diagnostic.split(";", 1)[-1].strip()
            status = _status_in(str(block.get("Status", ""))) or _status_in(diagnostic)
            if not status:
                status = "4.0.0" if action == "delayed" else "5.0.0"
            found.append(BounceRecipient(address, classify(status, diagnostic), status, diagnostic))
    return found


def _from_arf(report: Message) -> tuple[bool, list[BounceRecipient]]:
    feedback_type = ""
    recipients: list[str] = []
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/feedback-report":
            for block in _blocks(part):
                feedback_type = feedback_type or str(block.get("Feedback-Type", "")).strip().lower()
                for name in ("Original-Rcpt-To", "Removal-Recipient"):
                    recipients += [_address(v) for v in block.get_all(name) or []]
        elif kind in ("message/rfc822", "text/rfc822-headers") and not recipients:
            inner = part.get_payload()
            embedded = inner[0] if isinstance(inner, list) and inner else None
            if not isinstance(embedded, Message):
                embedded = email.message_from_string(_text_of(part))
            recipients += [a.lower() for _, a in getaddresses(embedded.get_all("To") or [])]
    if feedback_type != "abuse":
        return False, []
    addresses = [a for a in dict.fromkeys(recipients) if "@" in a]
    return True, [BounceRecipient(a, "complaint", "", "abuse") for a in addresses]


def _notice_text(message: Message) -> str:
    """The notice part of a plain-text bounce, up to where the original message is quoted."""
    texts = []
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            break
        if part.get_content_type() == "text/plain":
            texts.append(_text_of(part))
    if not texts:
        for part in message.walk():
            if part.get_content_type() == "text/html":
                texts.append(re.sub(r"<[^>]+>", " ", _text_of(part)))
                break
    text = "\n".join(texts)
    cut = _ORIGINAL.search(text)
    return text[: cut.start()] if cut else text


def _from_text(message: Message) -> list[BounceRecipient]:
    notice = _notice_text(message)
    sender = str(message.get("From", ""))
    subject = str(message.get("Subject", ""))
    if not (_BOUNCE_MARKERS.search(notice) or _BOUNCE_MARKERS.search(subject)):
        return []
    if not (_DAEMON.search(sender) or message.get("X-Failed-Recipients")
            or _BOUNCE_MARKERS.search(notice[:2000])):  # fmt: skip
        return []
    own = {_address(message.get(name)) for name in ("From", "To", "Return-Path", "Reply-To")}
    failed = [
        a.lower()
        for value in message.get_all("X-Failed-Recipients") or []
        for a in _ADDRESS.findall(str(value))
    ]
    spots = [(m.start(), m.group(0).lower()) for m in _ADDRESS.finditer(notice)]
    candidates = failed or [
        a for _, a in spots if a not in own and not _DAEMON.search(a.split("@")[0])
    ]
    addresses = list(dict.fromkeys(candidates))
    default = "4.0.0" if re.search(r"temporar|delayed|will (be )?retr", notice, re.I) else "5.0.0"
    found = []
    for address in addresses:
        starts = [at for at, a in spots if a == address]
        start = starts[0] if starts else 0
        later = [at for at, a in spots if at > start and a != address and a in addresses]
        section = notice[start : later[0] if later else len(notice)]
        status = _status_in(section) or _status_in(notice, default)
        found.append(BounceRecipient(address, classify(status, section), status,
                                     " ".join(section.split())[:500]))  # fmt: skip
    return found


def _token(message: Message, secret: str | None) -> BounceToken | None:
    if not secret:
        return None
    for name in ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"):
        for value in message.get_all(name) or []:
            token = token_from_address(secret, str(value))
            if token is not None:
                return token
    return None


def _report_type(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "multipart/report":
            return str(part.get_param("report-type") or "").lower()
    return ""


def parse_bounce(raw: bytes, secret: str | None = None) -> BounceResult:
    """Read one message; `secret` checks the VERP token of the address it came back to."""
    if len(raw) > MAX_BYTES:
        raise MailInputError("message", f"is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        message = email.message_from_bytes(raw)
        return _parse(message, secret)
    except (RecursionError, LookupError, ValueError, TypeError, AttributeError, IndexError):
        return BounceResult(False)  # unreadable structure: not something we can act on


def _parse(message: Message, secret: str | None) -> BounceResult:
    token = _token(message, secret)
    report = _report_type(message)
    if report == "feedback-report" or any(
        p.get_content_type() == "message/feedback-report" for p in message.walk()
    ):
        is_complaint, recipients = _from_arf(message)
        return BounceResult(is_complaint, tuple(recipients), token, "arf" if is_complaint else "")
    if report in ("delivery-status", "global-delivery-status"):
        recipients = _from_dsn(message)
        if recipients:
            return BounceResult(True, tuple(recipients), token, "dsn")
    if str(message.get("Auto-Submitted", "")).lower().startswith("auto-replied") and not (
        message.get("X-Failed-Recipients") or _DAEMON.search(str(message.get("From", "")))
    ):
        return BounceResult(False)
    recipients = _from_text(message)
    if recipients:
        return BounceResult(True, tuple(recipients), token, "text")
    return BounceResult(False)
