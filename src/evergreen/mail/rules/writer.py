"""Many people's messages from one sender, as bytes, byte for byte what `build_message` writes.

`build_message` builds an `EmailMessage` per person: every header parsed by the policy's header
registry, the parts quoted-printable through `quoprimime`, the whole flattened by a generator
(about 4 ms a message). Here the sender's own headers are checked and written once, each
person's headers are written directly when they are plain ASCII (the policy's own folding
otherwise), and the parts are encoded by rules.qp. Only the MIME boundary differs between two
writes of the same message, as it does between two calls of `build_message`. A message to or
from an address beyond ASCII (rare: UTF-8 headers throughout, RFC 6532) is `build_message`'s own.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.headers import Address, check_header_text, parse_address
from evergreen.mail.rules.message import (
    POLICY,
    BulkHeaders,
    Outgoing,
    _header_address,
    build_message,
)
from evergreen.mail.rules.qp import encode_body
from evergreen.mail.rules.render import Rendered

__all__ = ["MessageWriter"]

_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_ASCII_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")
_PLAIN_TEXT = re.compile(r"[!-~]+(?: [!-~]+)*")  # printable ASCII words, single spaces
_MESSAGE_ID = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+")
_LONGEST = 900  # under the policy's 998-character fold, with room for the name
_TEXT_PART = (
    b'Content-Type: text/plain; charset="utf-8"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
)
_HTML_PART = (
    b'Content-Type: text/html; charset="utf-8"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\n"
)


def _folded(name: str, value: Any) -> bytes:
    """The header as the policy writes it (encoded words, quoting, folding)."""
    return POLICY.fold_binary(*POLICY.header_store_parse(name, value))


def _address_line(name: str, address: Address) -> bytes:
    if _ASCII_ADDRESS.fullmatch(address.email) and len(address.email) < _LONGEST // 2:
        if not address.name:
            return f"{name}: {address.email}\r\n".encode("ascii")
        if (
            len(address.name) < _LONGEST // 2
            and "=?" not in address.name
            and _ATOMS.fullmatch(address.name)
        ):
            return f"{name}: {address.name} <{address.email}>\r\n".encode("ascii")
    return _folded(name, _header_address(address))


def _text_line(name: str, value: str) -> bytes:
    if len(value) < _LONGEST and "=?" not in value and _PLAIN_TEXT.fullmatch(value):
        return f"{name}: {value}\r\n".encode("ascii")
    return _folded(name, value)


def _crlf(encoded: str) -> bytes:
    return encoded.replace("\n", "\r\n").encode("ascii")


class MessageWriter:
    """Writes one sender's messages; `write` takes what `build_message` takes, per person."""

    def __init__(self, *, sender: Address, reply_to: Address | None = None) -> None:
        self.sender = parse_address("from", sender.email, sender.name)
        self._from = _folded("From", _header_address(self.sender))
        self._reply_to = b""
        if reply_to is not None:
            reply_to = parse_address("reply_to", reply_to.email, reply_to.name)
            self._reply_to = _folded("Reply-To", _header_address(reply_to))
        self.reply_to = reply_to
        self._ascii = self.sender.email.isascii() and (reply_to is None or reply_to.email.isascii())
        self._lists: dict[tuple[str, str], bytes] = {}
        self._dated: tuple[tuple[datetime, timedelta | None], bytes] | None = None

    def _list_lines(self, bulk: BulkHeaders) -> bytes:
        """List-Unsubscribe-Post, List-Id and Precedence, checked once per list."""
        key = (bulk.list_id, bulk.list_name)
        if key not in self._lists:
            bulk.check()
            name = bulk.list_name.replace('"', "")
            list_id = f'"{name}" <{bulk.list_id}>' if name else f"<{bulk.list_id}>"
            self._lists[key] = (
                _folded("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
                + _folded("List-Id", list_id)
                + _folded("Precedence", "bulk")
            )
        return self._lists[key]

    def write(
        self,
        *,
        to: Address,
        rendered: Rendered,
        now: datetime,
        bulk: BulkHeaders | None = None,
        return_path: str | None = None,
        message_id: str | None = None,
    ) -> Outgoing:
        """One person's message, refused for the reasons `build_message` refuses it."""
        if now.tzinfo is None:
            raise MailInputError("now", "must be an aware time")
        subject = check_header_text("subject", rendered.subject)
        to = parse_address("to", to.email, to.name)
        if not (self._ascii and to.email.isascii()):
            return build_message(
                sender=self.sender, to=to, rendered=rendered, now=now, bulk=bulk,
                return_path=return_path, reply_to=self.reply_to, message_id=message_id,
            )  # fmt: skip
        local = check_header_text("message_id", message_id or secrets.token_hex(16))
        if any(ch in local for ch in "<>@ "):
            raise MailInputError("message_id", "must not contain <, >, @ or spaces")
        lists = b""
        if bulk is not None:
            lists = self._list_lines(bulk)
            bulk.check()
            if not rendered.has_footer:
                raise MailInputError("footer", "bulk mail needs the postal-address footer")
        envelope_from = return_path or self.sender.email
        check_header_text("return_path", envelope_from)
        message_id = f"<{local}@{self.sender.domain}>"
        text = _crlf(encode_body(rendered.text))
        html = _crlf(encode_body(rendered.html))
        boundary = self._boundary(text, html)
        head = [
            self._from,
            _address_line("To", to),
            self._reply_to,
            _text_line("Subject", subject),
            self._date(now),
            f"Message-ID: {message_id}\r\n".encode("ascii")
            if _MESSAGE_ID.fullmatch(message_id[1:-1])
            else _folded("Message-ID", message_id),
            b"MIME-Version: 1.0\r\n",
        ]
        if bulk is not None:
            unsubscribe = f"<{bulk.unsubscribe_url}>, <{bulk.unsubscribe_mailto}>"
            head += [_text_line("List-Unsubscribe", unsubscribe), lists]
        head += [
            b'Content-Type: multipart/alternative; boundary="', boundary, b'"\r\n\r\n',
            b"--", boundary, b"\r\n", _TEXT_PART, text,
            b"\r\n--", boundary, b"\r\n", _HTML_PART, html,
            b"\r\n--", boundary, b"--\r\n",
        ]  # fmt: skip
        return Outgoing(b"".join(head), envelope_from, to.email)

    def _date(self, now: datetime) -> bytes:
        """The Date line, made once per moment (a sender writes a whole batch at one `now`)."""
        # Equal datetimes in other zones print other offsets: the offset is part of the key.
        key = (now, now.utcoffset())
        if self._dated is None or self._dated[0] != key:
            date = format_datetime(now)
            line = (
                f"Date: {date}\r\n".encode("ascii")
                if now.utcoffset() == timedelta(0)
                else _folded("Date", date)
            )
            self._dated = (key, line)
        return self._dated[1]

    def _boundary(self, *parts: bytes) -> bytes:
        """A boundary in the generator's form that no part contains."""
        while True:
            boundary = b"===============%019d==" % secrets.randbelow(2**63 - 1)
            if not any(boundary in part for part in parts):
                return boundary
