"""Bounce and complaint webhooks of mail providers, applied once each.

Each request is verified and read by the pure readers (rules.providers); each event is then
claimed by the provider's own id in `mail_hook_events` (a unique key, so a retry, a replay or
the same event posted many times at once is applied once) and applied as a returned message is
(service.bounces). A Mailgun token signs one event only: the same token on another event is
refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.mail.errors import MailInputError
from evergreen.mail.models import MailHookEvent
from evergreen.mail.rules.bounces import BounceRecipient
from evergreen.mail.rules.hook_events import hook_events_cutoff
from evergreen.mail.rules.providers import (
    SnsMessage,
    check_basic_auth,
    parse_mailgun,
    parse_postmark,
    parse_ses,
    sendgrid_events,
    verify_sns,
)
from evergreen.mail.service.bounces import apply_recipients
from evergreen.mail.service.sns import SnsNetwork

__all__ = [
    "HookReport",
    "prune_hook_events",
    "receive_mailgun",
    "receive_postmark",
    "receive_sendgrid",
    "receive_ses",
    "verify_ses",
]


@dataclass
class HookReport:
    """What one request did: events applied now, events seen before, recipients applied."""

    applied: int = 0
    duplicates: int = 0
    recipients: list[BounceRecipient] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer to the provider (and to whoever reads the logs)."""
        return {
            "applied": self.applied,
            "duplicates": self.duplicates,
            "recipients": [
                {"address": r.address, "kind": r.kind, "status": r.status} for r in self.recipients
            ],
            **({"note": self.note} if self.note else {}),
        }


def _claim(session: Session, provider: str, key: str, ref: str, now: datetime) -> str | None:
    """Record (provider, key); None when it is new, else the `ref` stored with it first."""
    row = MailHookEvent(provider=provider, event_id=key[:200], ref=ref[:200], received_at=now)
    try:
        with session.begin_nested():  # the same event at the same moment from another request
            session.add(row)
            session.flush()
    except IntegrityError:
        stored = session.scalar(
            select(MailHookEvent.ref).where(
                MailHookEvent.provider == provider, MailHookEvent.event_id == key[:200]
            )
        )
        return stored or ""
    return None


def _apply(
    session: Session,
    secret: str,
    provider: str,
    events: Sequence[tuple[str, Sequence[BounceRecipient]]],
    now: datetime,
) -> HookReport:
    report = HookReport()
    for key, recipients in events:
        if _claim(session, provider, key, "", now) is not None:
            report.duplicates += 1
            continue
        apply_recipients(session, secret, recipients, now)
        report.applied += 1
        report.recipients.extend(recipients)
    return report


def _digest(value: bytes) -> str:
    return "sha256:" + hashlib.sha256(value).hexdigest()


def receive_postmark(
    session: Session,
    secret: str,
    body: bytes,
    *,
    authorization: str | None,
    user: str,
    password: str,
    now: datetime,
) -> HookReport:
    """A Postmark Bounce or SpamComplaint record, under the webhook's basic-auth pair."""
    check_basic_auth(authorization, user, password)
    result = parse_postmark(body)
    if not result.bounce:
        return HookReport(note="not a bounce or a complaint: nothing changed")
    record = json.loads(body)  # parse_postmark has read it: a JSON object
    given = record.get("ID")
    key = f"{record.get('RecordType')}:{given}" if given not in (None, "") else _digest(body)
    return _apply(session, secret, "postmark", [(key, result.recipients)], now)


def receive_sendgrid(
    session: Session,
    secret: str,
    body: bytes,
    *,
    signature: str | None,
    timestamp: str | None,
    public_key: str,
    now: datetime,
) -> HookReport:
    """A batch of SendGrid events signed with its key; each bounce-like event applied once, by
    the key of the event it was read from (rules.providers.sendgrid.event_key)."""
    found = sendgrid_events(
        body, signature=signature, timestamp=timestamp, public_key=public_key, now=now
    )
    if not found:
        return HookReport(note="no bounce or complaint in the batch: nothing changed")
    return _apply(session, secret, "sendgrid", [(key, [read]) for key, read in found], now)


def receive_mailgun(
    session: Session, secret: str, body: bytes, *, signing_key: str, now: datetime
) -> HookReport:
    """A Mailgun failed or complained event; its token signs this event and no other."""
    result = parse_mailgun(body, signing_key, now=now)
    payload = json.loads(body)  # parse_mailgun has verified it: a JSON object with both blocks
    token = str(payload["signature"]["token"])
    given = payload["event-data"].get("id")
    key = str(given) if isinstance(given, (str, int)) and given != "" else "token:" + token
    if len(token) > 200:
        raise MailInputError("signature.token", "is longer than 200 characters")
    signed = _claim(session, "mailgun-token", token, key, now)
    if signed is not None and signed != key:
        raise MailInputError("signature.token", "was already used to sign another event")
    if not result.bounce:
        return HookReport(note="not a failure or a complaint: nothing changed")
    return _apply(session, secret, "mailgun", [(key, result.recipients)], now)


def verify_ses(
    body: bytes, *, network: SnsNetwork, topics: Sequence[str], now: datetime
) -> SnsMessage:
    """The SNS message, signed by Amazon and from an accepted topic (network, no database)."""
    message = verify_sns(body, network.certificate, now=now)
    if message.topic_arn not in topics:
        raise MailInputError(
            "TopicArn", "is not one of the accepted topics (EVERGREEN_MAIL_HOOK_SES_TOPICS)"
        )
    return message


def receive_ses(
    session: Session,
    secret: str,
    body: bytes,
    message: SnsMessage,
    *,
    network: SnsNetwork,
    now: datetime,
) -> HookReport:
    """A verified SNS message: a subscription confirmed, or an SES bounce or complaint
    notification applied once by its MessageId."""
    if message.type == "SubscriptionConfirmation":
        network.confirm(message.subscribe_url)
        return HookReport(note="subscription confirmed")
    if message.type != "Notification":
        return HookReport(note=f"{message.type}: nothing changed")
    result = parse_ses(message.message)
    if not result.bounce:
        return HookReport(note="not a bounce or a complaint: nothing changed")
    message_id = str(json.loads(body)["MessageId"])  # signed, so verify_sns has read it
    return _apply(session, secret, "ses", [(message_id, result.recipients)], now)


def prune_hook_events(session: Session, now: datetime) -> int:
    """Forget event ids past every provider's retry window (rules.hook_events), so the dedupe
    table stays the size of a month of events; the number of rows removed."""
    cutoff = hook_events_cutoff(now)
    removed = session.execute(delete(MailHookEvent).where(MailHookEvent.received_at < cutoff))
    return int(removed.rowcount or 0)  # type: ignore[attr-defined]
