"""Notify and Webhook steps: recorded once in the enrolment's transaction, performed after it.

When an enrolment passes a Notify or Webhook step, the step is written as one `sequence_actions`
row (unique key per enrolment run and step, rules.actions.action_key) in the same transaction
that moves the enrolment past it: a tick that dies before committing leaves neither, one that
commits leaves both, and a later tick or a loop back over the step finds the key taken.

Rows are performed after the tick's enrolments, never inside their transactions: a batch of due
rows is claimed (status `claimed`, a lease; `FOR UPDATE SKIP LOCKED` on PostgreSQL) and the claim
committed, then each is performed with a short timeout and its outcome committed. A failure is
retried with backoff (1 min, 5 min, 30 min, … a day; 8 tries), so a dead receiver never holds a
tick. A row whose performer died (kill -9) is claimed again once its lease has ended: like the
mail engine's `maybe_delivered`, only such a row may reach its receiver twice, and a webhook's
`Idempotency-Key` header (the row's key) lets the receiver fold the two.

- Notify: a transactional mail (mail.transactional, as password resets) to the owner's address
  (accounts) naming the sequence, the step's text and the subscriber.
- Webhook: a POST of signed JSON (rules.actions.webhook_body; `Evergreen-Signature` as partners'
  webhooks, with the secret `evergreen sequences webhook-secret` prints) to public addresses
  only (evergreen.outbound; EVERGREEN_WEBHOOK_ALLOW allows others), following no redirect.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.addresses import Addresses
from evergreen.audience.queries import Member
from evergreen.config import Settings, resolve_secret_key
from evergreen.db import Database, utcnow
from evergreen.mail.transactional import Transactional, deliver
from evergreen.outbound import post_sender
from evergreen.sequences.models import Enrolment, Sequence, SequenceAction
from evergreen.sequences.rules import Notify, Webhook
from evergreen.sequences.rules.actions import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    action_key,
    retry_delay,
    sign,
    webhook_body,
)

__all__ = [
    "ACTION_LEASE",
    "Done",
    "Performer",
    "perform_due",
    "queue_action",
    "webhook_secret",
]

ACTION_LEASE = timedelta(minutes=5)
_SUBJECT = "{{ subscriber.fields.sequence }}: {{ subscriber.fields.person }}"
_BODY = """<p>{{ subscriber.fields.text }}</p>
<p>Subscriber: <strong>{{ subscriber.fields.person }}</strong>{% if subscriber.fields.who %}
({{ subscriber.fields.who }}){% endif %}</p>
<p>Sequence {{ subscriber.fields.sequence }}, step {{ subscriber.fields.step }}.</p>"""


def webhook_secret(secret_key: str) -> str:
    """The key webhook bodies are signed with, derived from the site's secret key."""
    mac = hmac.new(secret_key.encode(), b"evergreen sequences webhooks", hashlib.sha256)
    return mac.hexdigest()


def _insert(session: Session) -> Any:
    return postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


@dataclass(frozen=True)
class Performer:
    """What performing needs: mail settings (Notify), the signing secret and allowed addresses
    (Webhook), a per-request timeout and how many rows one tick performs at most."""

    settings: Settings
    secret: str
    allow: Addresses = field(default_factory=lambda: Addresses(""))
    timeout: float = 5.0
    limit: int = 50
    budget: float = 60.0  # seconds one tick spends performing; the rest go back for the next

    @classmethod
    def from_settings(cls, settings: Settings) -> Performer:
        """The server's performer: its mail settings, secret key and webhook allow list."""
        return cls(
            settings,
            webhook_secret(resolve_secret_key(settings)),
            Addresses(settings.webhook_allow, names=True),
        )


@dataclass
class Done:
    """What performing did: rows done, retried later, and given up."""

    done: int = 0
    retried: int = 0
    failed: int = 0


def queue_action(
    session: Session,
    row: Enrolment,
    sequence: Sequence,
    step: Notify | Webhook,
    member: Member,
    now: datetime,
) -> bool:
    """Record the step's action for this enrolment run, due now; False when recorded already."""
    key = action_key(row.id, step.id, row.created_at)
    person = {"id": member.id, "email": member.email, "name": member.name}
    if isinstance(step, Notify):
        kind = "notify"
        payload: dict[str, Any] = {"text": step.text, "sequence": sequence.name} | person
    else:
        kind = "webhook"
        body = webhook_body(key, sequence.name, step.id, person | {"fields": member.fields}, now)
        payload = {"url": step.url, "body": body.decode()}
    statement = (
        _insert(session)(SequenceAction)
        .values(
            key=key,
            enrolment_id=row.id,
            step_id=step.id,
            kind=kind,
            payload=payload,
            status="pending",
            attempts=0,
            next_at=now,
            last_error="",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(SequenceAction.id)
    )
    return session.execute(statement).first() is not None


def _claim(session: Session, now: datetime, limit: int) -> list[SequenceAction]:
    """Take up to `limit` due rows (and rows whose performer's lease ran out) for this run."""
    ids = list(
        session.scalars(
            select(SequenceAction.id)
            .where(
                or_(
                    and_(SequenceAction.status == "pending", SequenceAction.next_at <= now),
                    and_(
                        SequenceAction.status == "claimed",
                        SequenceAction.claimed_until < utcnow(),
                    ),
                )
            )
            .order_by(SequenceAction.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    session.execute(
        update(SequenceAction)
        .where(SequenceAction.id.in_(ids))
        .values(
            status="claimed",
            claimed_until=utcnow() + ACTION_LEASE,
            attempts=SequenceAction.attempts + 1,
        )
    )
    rows = list(session.scalars(select(SequenceAction).where(SequenceAction.id.in_(ids))))
    for row in rows:
        session.expunge(row)
    return sorted(rows, key=lambda r: r.id)


def _notify(performer: Performer, owner: str | None, row: SequenceAction) -> str | None:
    """Mail the owner; None when the server took it, else why not."""
    if owner is None:
        return "no owner account to notify"
    payload = row.payload
    message = Transactional(
        to=owner,
        subject=_SUBJECT,
        body=_BODY,
        values={
            "text": payload.get("text", ""),
            "sequence": payload.get("sequence", ""),
            "person": payload.get("email", ""),
            "who": payload.get("name", ""),
            "step": row.step_id,
        },
    )
    return deliver(performer.settings, message, "sequence notification")


def _webhook(
    performer: Performer, send: Callable[[str, bytes, dict[str, str]], int], row: SequenceAction
) -> str | None:
    """Post the stored body, signed now; None on a 2xx answer, else why not."""
    body = str(row.payload.get("body", "")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Evergreen-Sequences",
        IDEMPOTENCY_HEADER: row.key,
        SIGNATURE_HEADER: sign(performer.secret, int(utcnow().timestamp()), body),
    }
    try:
        status = send(str(row.payload.get("url", "")), body, headers)
    except (OSError, ValueError) as exc:  # refused address, DNS, timeout, connection
        return f"not delivered: {str(exc)[:300] or type(exc).__name__}"
    return None if 200 <= status < 300 else f"answered HTTP {status}"


def _release(db: Database, ids: list[int]) -> None:
    """Give claimed rows back untried (the tick ran out of time)."""
    with db.session() as session:
        session.execute(
            update(SequenceAction)
            .where(SequenceAction.id.in_(ids), SequenceAction.status == "claimed")
            .values(status="pending", claimed_until=None, attempts=SequenceAction.attempts - 1)
        )


def perform_due(
    db: Database,
    now: datetime,
    performer: Performer,
    send: Callable[[str, bytes, dict[str, str]], int] | None = None,
) -> Done:
    """Perform one batch of due actions (see the module docstring); `send` replaces the HTTP
    sender (none of the tests do: they run a local receiver). Rows not reached within the
    performer's budget go back to pending, their try not counted."""
    result = Done()
    deadline = time.monotonic() + performer.budget
    with db.session() as session:
        claimed = _claim(session, now, performer.limit)
        owner = accounts.owner_email(session) if claimed else None
    post = send or post_sender(performer.allow, performer.timeout)
    for index, row in enumerate(claimed):
        if time.monotonic() > deadline:
            _release(db, [r.id for r in claimed[index:]])
            break
        if row.kind == "notify":
            problem = _notify(performer, owner, row)
        else:
            problem = _webhook(performer, post, row)
        delay = None if problem is None else retry_delay(row.attempts)
        values: dict[str, Any] = {"claimed_until": None, "updated_at": utcnow()}
        if problem is None:
            values |= {"status": "done", "done_at": now, "last_error": ""}
            result.done += 1
        elif delay is None:
            values |= {"status": "failed", "last_error": problem[:500]}
            result.failed += 1
        else:
            values |= {"status": "pending", "next_at": now + delay, "last_error": problem[:500]}
            result.retried += 1
        with db.session() as session:
            session.execute(
                update(SequenceAction)
                .where(SequenceAction.id == row.id, SequenceAction.status == "claimed")
                .values(values)
            )
    return result
