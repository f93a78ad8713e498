"""Pure rules of the steps that reach outside: Notify (a mail to the owner), Webhook (a signed
POST), and API events (their names, and which of them count as purchases).

Every Notify or Webhook step of an enrolment becomes one action row keyed by `action_key`, so
it is performed once per enrolment run and step, however many ticks pass it. A webhook carries
the key in `Idempotency-Key`, so a receiver that saw a retry of a delivery it already handled
can tell. Bodies are signed as the partners' webhooks are (Stripe's scheme): the header is
`t=<unix time>,v1=<HMAC-SHA256(secret, "t.body")>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from evergreen.sequences.errors import SequenceInputError
from evergreen.signatures import sign, verify

__all__ = [
    "IDEMPOTENCY_HEADER",
    "MAX_ATTEMPTS",
    "SIGNATURE_HEADER",
    "action_key",
    "check_event_name",
    "purchase_of",
    "retry_delay",
    "sign",
    "verify",
    "webhook_body",
]

SIGNATURE_HEADER = "Evergreen-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_ATTEMPTS = 8
_DELAYS = (60, 300, 1800, 7200, 21600, 43200, 86400)  # seconds after attempt 1, 2, …
_EVENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$")


def action_key(enrolment_id: int, step_id: str, run_started: datetime) -> str:
    """The one key of a step's action in one run of an enrolment (a yearly run gets new ones)."""
    return f"seq-{enrolment_id}-{step_id}-{int(run_started.astimezone(UTC).timestamp())}"


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed tries, or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return timedelta(seconds=_DELAYS[min(attempts, len(_DELAYS)) - 1])


def webhook_body(
    key: str, sequence: str, step_id: str, subscriber: Mapping[str, Any], at: datetime
) -> bytes:
    """The JSON a Webhook step posts: the step, the subscriber, when, and the idempotency key."""
    return orjson.dumps(
        {
            "type": "sequence.step",
            "idempotency_key": key,
            "sequence": sequence,
            "step": step_id,
            "at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "subscriber": dict(subscriber),
        },
        option=orjson.OPT_SORT_KEYS,
    )


def check_event_name(name: object, field: str = "name") -> str:
    """An API event's name: 1 to 100 letters, digits and _ . : - (e.g. "purchase:course")."""
    if not isinstance(name, str) or not _EVENT_NAME.match(name.strip()):
        raise SequenceInputError(
            field, "must be 1 to 100 letters, digits, _ . : or -, starting with a letter or digit"
        )
    return name.strip()


def purchase_of(event_name: str) -> str | None:
    """The product an API event reports bought ("purchase" → "", "purchase:X" → "X"), or None."""
    if event_name == "purchase":
        return ""
    if event_name.startswith("purchase:") and len(event_name) > len("purchase:"):
        return event_name.removeprefix("purchase:")
    return None
