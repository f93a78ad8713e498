"""Consent as a pure function: a list status, an action and who asked → the new status and the
consent event to record.

Statuses per list: unconfirmed, subscribed, unsubscribed, bounced, complained. The rules:

- subscribe: a new or unsubscribed person is ``subscribed`` on a single opt-in list and
  ``unconfirmed`` on a double opt-in list until they confirm. An import asserts consent given
  elsewhere (its opt-in time and IP are recorded), so it subscribes directly, but an import
  never brings back anyone who unsubscribed, bounced or complained.
- A suppressed address (bounced or complained, on any list) is re-subscribed only by the
  person's own confirmed opt-in: a sign-up form makes them ``unconfirmed`` even on a single
  opt-in list, and only confirming the link sent to that address lifts the suppression. Every
  other source is refused.
- confirm: only an ``unconfirmed`` membership becomes ``subscribed``; a link from before an
  unsubscribe does not bring the person back.
- unsubscribe: anyone on the list becomes ``unsubscribed`` (bounced and complained stay: they
  say more).
- bounce / complain: ``bounced`` / ``complained``, and the address is suppressed; a complaint is
  never turned back into a bounce.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from evergreen.audience.errors import AudienceInputError

__all__ = [
    "Action",
    "Source",
    "Status",
    "Step",
    "consent_step",
    "overall_status",
]


class Status(StrEnum):
    """A person's status on one list (and overall)."""

    UNCONFIRMED = "unconfirmed"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class Action(StrEnum):
    """What happened: the person or the owner asked, or the mail system reported."""

    SUBSCRIBE = "subscribe"
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"
    BOUNCE = "bounce"
    COMPLAIN = "complain"


class Source(StrEnum):
    """Where a subscriber or a consent came from."""

    FORM = "form"
    IMPORT = "import"
    API = "api"
    PARTNER = "partner"
    WEBINAR = "webinar"
    PURCHASE = "purchase"
    MANUAL = "manual"


_SUPPRESSING = frozenset({Status.BOUNCED, Status.COMPLAINED})


@dataclass(frozen=True)
class Step:
    """The outcome: the new status, the consent event to record (None: nothing changed), and
    whether the address becomes suppressed or stops being so."""

    status: Status | None
    event: str | None
    suppress: str | None = None
    lift_suppression: bool = False
    detail: str = ""


def overall_status(list_statuses: Iterable[str], suppressed: str | None) -> Status:
    """One word for a person: bounced/complained win, then subscribed, then unconfirmed, else
    unsubscribed (also for someone on no list)."""
    seen = set(list_statuses)
    if suppressed in (Status.COMPLAINED, Status.BOUNCED):
        return Status(suppressed)
    for status in (Status.COMPLAINED, Status.BOUNCED, Status.SUBSCRIBED, Status.UNCONFIRMED):
        if status in seen:
            return status
    return Status.UNSUBSCRIBED


def _subscribe(
    current: Status | None, double_opt_in: bool, source: Source, suppressed: str | None
) -> Step:
    if suppressed or current in _SUPPRESSING:
        if source is Source.IMPORT:
            return Step(current, None, detail="suppressed: an import does not bring it back")
        if source is not Source.FORM:
            why = suppressed or str(current)
            raise AudienceInputError(
                "email",
                f"this address is suppressed ({why}); only the person's own sign-up, "
                "confirmed from their mailbox, can add it back",
            )
        return Step(Status.UNCONFIRMED, "opt_in", detail="suppressed: confirmation required")
    if current is Status.SUBSCRIBED:
        return Step(current, None)
    if current is Status.UNCONFIRMED and double_opt_in and source is not Source.IMPORT:
        return Step(Status.UNCONFIRMED, "opt_in", detail="asked again")
    if current is Status.UNSUBSCRIBED and source is Source.IMPORT:
        return Step(current, None, detail="unsubscribed: an import does not bring them back")
    if double_opt_in and source is not Source.IMPORT:
        return Step(Status.UNCONFIRMED, "opt_in")
    return Step(Status.SUBSCRIBED, "opt_in")


def consent_step(
    current: Status | None,
    action: Action,
    *,
    double_opt_in: bool,
    source: Source,
    suppressed: str | None = None,
) -> Step:
    """The new status of one membership (None: not on the list) and the event to record."""
    if action is Action.SUBSCRIBE:
        return _subscribe(current, double_opt_in, source, suppressed)
    if action is Action.CONFIRM:
        if current is Status.SUBSCRIBED:
            return Step(current, None)
        if current is not Status.UNCONFIRMED:
            raise AudienceInputError(
                "token", "this confirmation is no longer valid; sign up again to get a new link"
            )
        return Step(Status.SUBSCRIBED, "confirm", lift_suppression=suppressed is not None)
    if action is Action.UNSUBSCRIBE:
        if current is None or current is Status.UNSUBSCRIBED or current in _SUPPRESSING:
            return Step(current, None)
        return Step(Status.UNSUBSCRIBED, "opt_out")
    if action is Action.BOUNCE:
        if current is Status.COMPLAINED or suppressed == Status.COMPLAINED:
            return Step(current, None)
        event = None if current is Status.BOUNCED else "suppress"
        return Step(Status.BOUNCED, event, suppress=Status.BOUNCED.value)
    event = None if current is Status.COMPLAINED else "suppress"
    return Step(Status.COMPLAINED, event, suppress=Status.COMPLAINED.value)
