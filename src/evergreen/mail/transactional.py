"""One transactional message sent now (sign-up confirmations, password-reset links, partner
invitations, payout notices): the
same engine as bulk mail — a sandboxed template, `build_message` without bulk headers, DKIM
when a key is kept for the sender's domain, the SMTP sender with its failover — on its own
stream: no send log, no List-Unsubscribe, the plain sender address as return path.

Nothing is retried here: the caller says what a failed send means (a person who signs up again
gets a new confirmation; a payout notice stays due). `deliver` sends and never raises: it says
in words why a message did not go, and logs it. Every other area reaches it as
`evergreen.mail.transactional`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evergreen.config import Settings
from evergreen.errors import InputError
from evergreen.mail import dkim
from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.headers import parse_address
from evergreen.mail.rules.message import Outgoing, build_message
from evergreen.mail.rules.render import Personal, TemplateFormat, compile_message
from evergreen.mail.sending.sender import Delivery, Sender
from evergreen.mail.sending.servers import servers_from_settings

__all__ = [
    "Transactional",
    "build_transactional",
    "deliver",
    "deliver_async",
    "mail_problem",
    "send_now",
    "send_now_async",
    "signing_key",
]


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transactional:
    """One message: who gets it, and a template (ours, never the person's text) filled with
    their values; values are escaped, so a name cannot add markup or template code."""

    to: str
    subject: str
    body: str
    format: TemplateFormat = "html"
    name: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)


def mail_problem(settings: Settings) -> str | None:
    """Why mail cannot be sent with these settings (for the owner's pages), or None."""
    if not settings.mail_from:
        return "set EVERGREEN_MAIL_FROM to the sender's address"
    if not settings.smtp_host and not settings.smtp_servers.strip():
        return "set EVERGREEN_SMTP_HOST (or EVERGREEN_SMTP_SERVERS) to your SMTP server"
    return None


def signing_key(data_dir: Path, domain: str) -> dkim.DkimKey | None:
    """The first DKIM key kept for the sender's domain (`evergreen mail dkim-keygen`), if any."""
    for path in sorted((data_dir / "dkim").glob(f"*.{domain}.pem")):
        selector = path.name.removesuffix(f".{domain}.pem")
        return dkim.DkimKey(domain, selector, path.read_bytes())
    return None


def build_transactional(
    settings: Settings, message: Transactional, now: datetime | None = None
) -> tuple[Outgoing, bytes]:
    """The message as it goes on the wire (DKIM-signed when a key is kept); MailInputError when
    mail is not configured or an address or the template is refused."""
    problem = mail_problem(settings)
    if problem is not None:
        raise MailInputError("mail_from" if not settings.mail_from else "smtp_host", problem)
    assert settings.mail_from is not None
    sender = parse_address("mail_from", settings.mail_from)
    recipient = parse_address("to", message.to, message.name)
    template = compile_message(message.subject, message.body, message.format, strict=True)
    rendered = template.render(Personal(recipient.email, recipient.name, dict(message.values)))
    outgoing = build_message(
        sender=sender, to=recipient, rendered=rendered, now=now or datetime.now(UTC)
    )
    data = outgoing.as_bytes()
    key = signing_key(settings.data_dir, sender.domain)
    if key is not None:
        data = dkim.sign(data, key)
    return outgoing, data


async def send_now_async(settings: Settings, message: Transactional) -> Delivery:
    """Build and send one message through the configured servers; never raises for SMTP."""
    outgoing, data = build_transactional(settings, message)
    async with Sender(servers_from_settings(settings)) as mailer:
        return await mailer.send(outgoing, data)


def send_now(settings: Settings, message: Transactional) -> Delivery:
    """`send_now_async` for callers outside an event loop (commands, worker threads)."""
    return asyncio.run(send_now_async(settings, message))


async def deliver_async(settings: Settings, message: Transactional, purpose: str) -> str | None:
    """Send one message; None when the server took it, else why not in words (also logged with
    `purpose`). Never raises: a page or a task that mails something must not fail with it."""
    try:
        delivery = await send_now_async(settings, message)
    except InputError as exc:  # mail not configured, or an address or template it refuses
        problem = exc.message
    except Exception as exc:
        log.exception("%s to %s failed", purpose, message.to)
        return f"sending failed ({type(exc).__name__})"
    else:
        if delivery.outcome == "sent":
            return None
        code = f"{delivery.code} " if delivery.code else ""
        problem = f"{delivery.outcome}: {code}{delivery.text}".strip()
    log.warning("%s to %s not sent: %s", purpose, message.to, problem)
    return problem


def deliver(settings: Settings, message: Transactional, purpose: str) -> str | None:
    """`deliver_async` for callers outside an event loop (pages' worker threads, commands)."""
    return asyncio.run(deliver_async(settings, message, purpose))
