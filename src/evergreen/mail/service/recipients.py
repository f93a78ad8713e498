"""What a recipient does from a message: leave the list in one click, open it (the pixel)."""

from __future__ import annotations

import contextlib
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from evergreen.audience import service as audience_service
from evergreen.errors import NotFound
from evergreen.mail.errors import MailInputError
from evergreen.mail.models import MailSend
from evergreen.mail.rules import recipient_tokens
from evergreen.mail.rules.opens import open_kind

__all__ = ["read_unsubscribe_token", "record_open", "unsubscribe"]


def read_unsubscribe_token(secret: str, token: str) -> recipient_tokens.RecipientToken:
    """The unsubscribe link's content, or a MailInputError when it is not one of ours."""
    found = recipient_tokens.decode(secret, token, "u")
    if found is None:
        raise MailInputError("token", "this unsubscribe link is damaged or not from this site")
    return found


def unsubscribe(session: Session, secret: str, token: str, how: str) -> bool:
    """Take the link's person off the link's list (RFC 8058 one-click, or the page's button);
    idempotent: False when they had already left, or were erased."""
    found = read_unsubscribe_token(secret, token)
    consent = audience_service.Consent(form=how, detail=f"broadcast {found.message_id}")
    with contextlib.suppress(NotFound):  # erased, or the list deleted: nothing left to leave
        return bool(
            audience_service.unsubscribe(
                session, secret, found.subscriber_id, found.list_id, consent
            )
        )
    return False


def record_open(
    session: Session, secret: str, token: str, user_agent: str, ip: str | None, now: datetime
) -> str | None:
    """Note the first open (person or Apple's proxy) of a broadcast by one person; the kind
    recorded, or None for a token that is not ours or an open already noted."""
    found = recipient_tokens.decode(secret, token, "o")
    if found is None:
        return None
    kind = open_kind(user_agent, ip)
    column = MailSend.opened_at if kind == "opened" else MailSend.proxy_opened_at
    changed = session.execute(
        update(MailSend)
        .where(
            MailSend.message_id == found.message_id,
            MailSend.subscriber_id == found.subscriber_id,
            column.is_(None),
        )
        .values({column.key: now})
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        return None
    with contextlib.suppress(NotFound):
        audience_service.record_activity(
            session, found.subscriber_id, kind, f"broadcast:{found.message_id}", now
        )
    return kind
