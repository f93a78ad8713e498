"""One person's message as it goes on the wire: headers, HTML and text parts, envelope.

Bulk mail (broadcasts, sequences) carries `List-Unsubscribe` with an https URL and a mailto,
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), `List-Id`, `Precedence: bulk`
and must contain the postal-address footer. Transactional mail (password resets, invitations,
confirmations) uses the same builder without any of these.
"""

from __future__ import annotations

import email
import secrets
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.headers import Address, check_header_text, parse_address
from evergreen.mail.rules.render import Rendered

__all__ = ["BulkHeaders", "Outgoing", "build_message"]

# Lines end in CRLF (what SMTP and DKIM expect); headers fold only past 998 characters, so
# List-Unsubscribe and the like stay on one line for receivers that read them strictly.
POLICY = policy.SMTP.clone(max_line_length=998)
# An address with letters beyond ASCII (ü@example.com) can only be written in headers as UTF-8
# (RFC 6532; an encoded word is not allowed in an address), and goes only to a server that
# offers SMTPUTF8 (the sender checks): such a message is written with this policy instead.
POLICY_UTF8 = policy.SMTPUTF8.clone(max_line_length=998)


@dataclass(frozen=True)
class BulkHeaders:
    """The headers that make a message bulk mail, with its one-click unsubscribe."""

    unsubscribe_url: str
    unsubscribe_mailto: str
    list_id: str  # e.g. "weekly.example.com"
    list_name: str = ""
    # A site served without TLS (development, tests): its http:// URL, since https would not
    # answer at all. Production refuses it before a broadcast is queued.
    allow_http: bool = False

    def check(self) -> None:
        """Refuse what RFC 8058 and RFC 2919 do not allow."""
        check_header_text("unsubscribe_url", self.unsubscribe_url)
        check_header_text("unsubscribe_mailto", self.unsubscribe_mailto)
        check_header_text("list_id", self.list_id)
        check_header_text("list_name", self.list_name)
        schemes = ("https://", "http://") if self.allow_http else ("https://",)
        if not self.unsubscribe_url.startswith(schemes):
            raise MailInputError("unsubscribe_url", "must be an https:// URL (RFC 8058)")
        if not self.unsubscribe_mailto.startswith("mailto:"):
            raise MailInputError("unsubscribe_mailto", "must be a mailto: URL")
        if any(ch in self.unsubscribe_url + self.unsubscribe_mailto for ch in "<>, "):
            raise MailInputError("unsubscribe_url", "must not contain <, >, commas or spaces")
        if not self.list_id or any(ch in self.list_id for ch in "<> @"):
            raise MailInputError("list_id", "must be a dotted name such as weekly.example.com")


@dataclass(frozen=True)
class Outgoing:
    """What the sender needs: the message's bytes, the envelope sender and recipient."""

    data: bytes
    envelope_from: str
    recipient: str

    def as_bytes(self) -> bytes:
        """The message as SMTP carries it (CRLF line ends)."""
        return self.data

    @property
    def message(self) -> EmailMessage:
        """The message parsed back, for reading its headers and parts."""
        parsed = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def _header_address(address: Address) -> HeaderAddress:
    local, domain = address.email.rsplit("@", 1)
    return HeaderAddress(display_name=address.name, username=local, domain=domain)


def build_message(
    *,
    sender: Address,
    to: Address,
    rendered: Rendered,
    now: datetime,
    bulk: BulkHeaders | None = None,
    return_path: str | None = None,
    reply_to: Address | None = None,
    message_id: str | None = None,
) -> Outgoing:
    """The message for one person; `bulk` makes it bulk mail (and requires the footer)."""
    if now.tzinfo is None:
        raise MailInputError("now", "must be an aware time")
    subject = check_header_text("subject", rendered.subject)
    # Re-check addresses made elsewhere: a dataclass can be built without parse_address.
    sender = parse_address("from", sender.email, sender.name)
    to = parse_address("to", to.email, to.name)
    if reply_to is not None:
        reply_to = parse_address("reply_to", reply_to.email, reply_to.name)
    addresses = [sender, to] + ([reply_to] if reply_to is not None else [])
    chosen = POLICY if all(a.email.isascii() for a in addresses) else POLICY_UTF8
    message = EmailMessage(policy=chosen)
    message["From"] = _header_address(sender)
    message["To"] = _header_address(to)
    if reply_to is not None:
        message["Reply-To"] = _header_address(reply_to)
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    local = check_header_text("message_id", message_id or secrets.token_hex(16))
    if any(ch in local for ch in "<>@ "):
        raise MailInputError("message_id", "must not contain <, >, @ or spaces")
    message["Message-ID"] = f"<{local}@{sender.domain}>"
    message["MIME-Version"] = "1.0"
    if bulk is not None:
        bulk.check()
        if not rendered.has_footer:
            raise MailInputError("footer", "bulk mail needs the postal-address footer")
        message["List-Unsubscribe"] = f"<{bulk.unsubscribe_url}>, <{bulk.unsubscribe_mailto}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        name = bulk.list_name.replace('"', "")
        message["List-Id"] = f'"{name}" <{bulk.list_id}>' if name else f"<{bulk.list_id}>"
        message["Precedence"] = "bulk"
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    envelope_from = return_path or sender.email
    check_header_text("return_path", envelope_from)
    return Outgoing(message.as_bytes(policy=chosen), envelope_from, to.email)
