"""The preference centre: a person, from the signed link in every email and without signing
in, chooses their lists and how often they hear from us, or leaves everything."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import AudienceList, Membership, Subscriber
from evergreen.audience.rules import Source, Status, email_key, legacy_email_key
from evergreen.audience.rules.forms import (
    FREQUENCIES,
    preference_token,
    preference_token_matches,
    read_preference_token,
)
from evergreen.audience.service.subscribers import (
    Consent,
    subscribe,
    unsubscribe,
    update_subscriber,
)

__all__ = [
    "PREFERENCE_WORDING",
    "ListChoice",
    "Preferences",
    "SavedPreferences",
    "leave_everything",
    "preference_url",
    "preferences",
    "save_preferences",
]

PREFERENCE_WORDING = "preference centre"
_INVALID = "this preferences link is not valid; use the link in the newest email"
_CHANGEABLE = frozenset({Status.SUBSCRIBED, Status.UNCONFIRMED, Status.UNSUBSCRIBED})


@dataclass(frozen=True)
class ListChoice:
    """One of the person's lists: whether they are on it and whether they may change it."""

    id: int
    name: str
    description: str
    status: str

    @property
    def checked(self) -> bool:
        """Ticked on the page: subscribed, or waiting for their confirmation."""
        return self.status in (Status.SUBSCRIBED, Status.UNCONFIRMED)

    @property
    def changeable(self) -> bool:
        """A bounced or complained address is not re-added from here."""
        return self.status in _CHANGEABLE


@dataclass(frozen=True)
class Preferences:
    """What the preference centre shows."""

    subscriber_id: int
    email: str
    name: str
    frequency: str
    lists: list[ListChoice]


@dataclass(frozen=True)
class SavedPreferences:
    """What a save changed: lists left, lists joined, and confirmations to mail."""

    left: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    confirmations: list[tuple[str, str]] = field(default_factory=list)
    email: str = ""
    name: str = ""


def preference_url(base_url: str, secret: str, subscriber_id: int, email: str) -> str:
    """A subscriber's preference-centre link (for mail footers); no database needed."""
    token = preference_token(secret, subscriber_id, email_key(email))
    return f"{base_url.rstrip('/')}/audience/preferences/{token}"


def _person(session: Session, secret: str, token: str) -> Subscriber:
    subscriber_id = read_preference_token(token)
    person = session.get(Subscriber, subscriber_id)
    if person is None or not any(
        preference_token_matches(secret, token, person.id, key)
        for key in (person.email_key, legacy_email_key(person.email))  # links mailed before 0064
    ):
        raise AudienceInputError("token", _INVALID)
    return person


def preferences(session: Session, secret: str, token: str) -> Preferences:
    """The person a link is for, with their lists and chosen frequency."""
    person = _person(session, secret, token)
    rows = session.execute(
        select(AudienceList, Membership.status)
        .join(Membership, Membership.list_id == AudienceList.id)
        .where(Membership.subscriber_id == person.id)
        .order_by(AudienceList.name)
    ).all()
    frequency = str((person.fields or {}).get("frequency") or "all")
    return Preferences(
        person.id,
        person.email,
        person.name,
        frequency if frequency in FREQUENCIES else "all",
        [ListChoice(row.id, row.name, row.description, status) for row, status in rows],
    )


def save_preferences(
    session: Session,
    secret: str,
    token: str,
    keep: Iterable[int],
    frequency: str,
    ip: str | None = None,
) -> SavedPreferences:
    """Stay on the ticked lists, leave the others, keep the frequency; every change is a
    consent event worded "preference centre". Re-joining a double opt-in list asks for a
    confirmation by mail, as a sign-up does."""
    if frequency not in FREQUENCIES:
        raise AudienceInputError("frequency", f"must be one of {', '.join(FREQUENCIES)}")
    wanted = set(keep)
    shown = preferences(session, secret, token)
    consent = Consent(Source.FORM, form=PREFERENCE_WORDING, wording=PREFERENCE_WORDING, ip=ip)
    saved = SavedPreferences(email=shown.email, name=shown.name)
    for choice in shown.lists:
        if not choice.changeable or (choice.id in wanted) == choice.checked:
            continue
        if choice.checked:
            unsubscribe(session, secret, shown.subscriber_id, choice.id, consent)
            saved.left.append(choice.name)
            continue
        done = subscribe(session, secret, shown.email, choice.id, consent)
        saved.joined.append(choice.name)
        if done.token:
            saved.confirmations.append((choice.name, done.token))
    if frequency != shown.frequency:
        update_subscriber(session, shown.subscriber_id, fields={"frequency": frequency})
    return saved


def leave_everything(session: Session, secret: str, token: str, ip: str | None = None) -> list[int]:
    """Unsubscribe from every list at once; the ids of the lists left."""
    person = _person(session, secret, token)
    consent = Consent(Source.FORM, form=PREFERENCE_WORDING, wording=PREFERENCE_WORDING, ip=ip)
    return unsubscribe(session, secret, person.id, None, consent)
