"""Bounces and complaints applied: suppression, soft-bounce counting, the send log, and the
mailto unsubscribe; read from one message (the CLI) or from a polled Maildir.

Hard bounce → the address is suppressed (bounced) and the broadcast's row marked bounced.
Soft bounce → counted; the `SOFT_LIMIT`-th within `SOFT_WINDOW` suppresses (rules.delivery_health).
Complaint → unsubscribed from every list and suppressed (complained).
A message to the List-Unsubscribe mailto (`bounces+u-…`) unsubscribes that person from the list.
The person is found by the signed VERP token of the address the report came back to, else by
the failed address itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience
from evergreen.audience import service as audience_service
from evergreen.db import Database, utcnow
from evergreen.errors import NotFound
from evergreen.mail.models import Broadcast, MailBounce, MailSend
from evergreen.mail.rules import verp
from evergreen.mail.rules.bounces import BounceRecipient, BounceResult, Kind, parse_bounce
from evergreen.mail.rules.delivery_health import SOFT_WINDOW, soft_bounce_suppresses
from evergreen.mail.service import tally

__all__ = ["Applied", "apply_message", "apply_recipient", "apply_recipients", "poll_maildir"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    """One message read and applied: the reading, and whether it unsubscribed someone."""

    result: BounceResult
    unsubscribed: bool = False


def apply_recipient(
    session: Session,
    secret: str,
    *,
    subscriber_id: int | None,
    message_id: int | None,
    address: str,
    kind: Kind,
    status: str,
    diagnostic: str,
    now: datetime,
    mark_send: bool = True,
) -> None:
    """Apply one bounced or complaining recipient."""
    if message_id is not None and session.get(Broadcast, message_id) is None:
        message_id = None
    session.add(
        MailBounce(
            at=now,
            address=address[:320],
            subscriber_id=subscriber_id,
            message_id=message_id,
            kind=kind,
            status=status[:12],
            diagnostic=diagnostic[:500],
        )
    )
    session.flush()
    if subscriber_id is None:
        return
    if kind == "hard":
        audience_service.suppress(session, secret, subscriber_id, "bounced", diagnostic[:200])
    elif kind == "soft":
        audience_service.count_soft_bounce(session, subscriber_id)
        recent = session.scalar(
            select(func.count()).where(
                MailBounce.subscriber_id == subscriber_id,
                MailBounce.kind == "soft",
                MailBounce.at > now - SOFT_WINDOW,
            )
        )
        if soft_bounce_suppresses(recent or 0):
            audience_service.suppress(
                session, secret, subscriber_id, "bounced", f"{recent} soft bounces in 30 days"
            )
    else:
        audience_service.unsubscribe(
            session, secret, subscriber_id, consent=audience_service.Consent(
                form="complaint", detail="spam complaint (feedback report)"
            ),
        )  # fmt: skip
        audience_service.suppress(session, secret, subscriber_id, "complained", diagnostic[:200])
    if message_id is None:
        return
    row = MailSend.message_id == message_id, MailSend.subscriber_id == subscriber_id
    if kind == "complaint":  # the first complaint's time is kept, and counted once
        first = tally.changed(
            session,
            update(MailSend)
            .where(*row, MailSend.complained_at.is_(None))
            .values(complained_at=now),
        )
        tally.add(session, message_id, {"complaint": first})
    elif kind == "hard" and mark_send:
        error = f"{status} {diagnostic}"[:500]
        was_sent = tally.changed(
            session,
            update(MailSend)
            .where(*row, MailSend.status == "sent")
            .values(status="bounced", error=error),
        )
        was_open = tally.changed(
            session,
            update(MailSend)
            .where(*row, MailSend.status.in_(("queued", "deferred")))
            .values(status="bounced", error=error),
        )
        tally.add(session, message_id, {"sent": -was_sent, "bounced": was_sent + was_open})


def _subscriber(session: Session, token: verp.BounceToken | None, address: str) -> int | None:
    if token is not None and audience.card(session, token.subscriber_id) is not None:
        return token.subscriber_id
    try:
        card = audience.find_by_email(session, address)
    except Exception:
        return None
    return card.id if card is not None else None


def _mailto_unsubscribe(session: Session, secret: str, raw: bytes) -> bool:
    """A message to the List-Unsubscribe mailto: that person leaves that broadcast's list."""
    import email

    message = email.message_from_bytes(raw)
    for name in ("To", "Delivered-To", "X-Original-To", "Envelope-To"):
        for value in message.get_all(name) or []:
            token = verp.token_from_address(secret, str(value))
            if token is None or token.kind != "u":
                continue
            broadcast = session.get(Broadcast, token.message_id)
            if broadcast is None or broadcast.list_id is None:
                return False
            with contextlib.suppress(NotFound):
                audience_service.unsubscribe(
                    session,
                    secret,
                    token.subscriber_id,
                    broadcast.list_id,
                    audience_service.Consent(
                        form="List-Unsubscribe mailto",
                        detail=f"broadcast {broadcast.id}",
                    ),
                )
            return True
    return False


def apply_message(
    session: Session, secret: str, raw: bytes, now: datetime | None = None
) -> Applied:
    """Read one returned message and apply it; a message that is neither a bounce, a complaint
    nor a mailto unsubscribe changes nothing."""
    now = now or utcnow()
    result = parse_bounce(raw, secret)
    if not result.bounce:
        return Applied(result, _mailto_unsubscribe(session, secret, raw))
    token = result.token if result.token is not None and result.token.kind == "b" else None
    apply_recipients(session, secret, result.recipients, now, token)
    return Applied(result)


def apply_recipients(
    session: Session,
    secret: str,
    recipients: Sequence[BounceRecipient],
    now: datetime,
    token: verp.BounceToken | None = None,
) -> None:
    """Apply each recipient of one report (a returned message or a provider's webhook event)."""
    for recipient in recipients:
        apply_recipient(
            session,
            secret,
            subscriber_id=_subscriber(session, token, recipient.address),
            message_id=token.message_id if token else None,
            address=recipient.address,
            kind=recipient.kind,
            status=recipient.status,
            diagnostic=recipient.diagnostic,
            now=now,
        )


def poll_maildir(db: Database, secret: str, maildir: Path, limit: int = 1000) -> int:
    """Apply the new messages of a Maildir, each in its own transaction, moving each to cur/
    once applied (a crash before the move applies it again, which changes nothing twice)."""
    new, cur = maildir / "new", maildir / "cur"
    if not new.is_dir():
        return 0
    cur.mkdir(exist_ok=True)
    done = 0
    for path in sorted(new.iterdir())[:limit]:
        if path.name.startswith("."):
            continue
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        try:
            with db.session() as session:
                apply_message(session, secret, raw)
        except Exception:
            log.exception("bounce %s could not be applied; left in new/", path.name)
            continue
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, cur / f"{path.name}:2,S")
        done += 1
    return done
