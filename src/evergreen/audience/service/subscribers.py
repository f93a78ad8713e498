"""Subscribers: subscribe with consent, confirm, unsubscribe, tags, fields, time zone, activity."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import (
    Activity,
    AudienceList,
    ConsentEvent,
    ErasedAddress,
    Membership,
    Subscriber,
    SubscriberTag,
)
from evergreen.audience.rules import (
    Action,
    CheckedEmail,
    Profile,
    Source,
    Status,
    check_email,
    check_fields,
    check_name,
    check_tags,
    check_time_zone,
    confirm_token,
    consent_step,
    legacy_email_key,
    merged_profile,
    read_confirm_token,
)
from evergreen.audience.service.lists import get_list
from evergreen.db import utcnow
from evergreen.errors import NotFound
from evergreen.hashing import derive_key, keyed_hash

__all__ = [
    "Consent",
    "Subscribed",
    "add_tags",
    "confirm",
    "confirm_url",
    "count_soft_bounce",
    "erased_hash",
    "erased_hashes",
    "find_or_add",
    "get_subscriber",
    "ip_hash",
    "record_activity",
    "remove_tags",
    "subscribe",
    "suppress",
    "unsubscribe",
    "update_subscriber",
]

_ACTIVITY_KINDS = frozenset(
    {
        "sent",
        "opened",
        "opened_proxy",
        "clicked",
        "bounced",
        "complained",
        "purchased",
        "registered",
        "attended",
    }
)


@dataclass(frozen=True)
class Consent:
    """What the person saw and where: recorded with every opt-in and opt-out."""

    source: Source = Source.MANUAL
    form: str = ""
    wording: str = ""
    ip: str | None = None
    at: datetime | None = None
    detail: str = ""


@dataclass(frozen=True)
class Subscribed:
    """The outcome of a subscribe: the person, their status on the list, and a confirmation
    token (with its expiry) when they must confirm."""

    subscriber: Subscriber
    status: Status
    token: str | None = None
    expires_at: datetime | None = None
    created: bool = False


# FOR NO KEY UPDATE: a change of the person waits for another's, while rows that refer to
# them (consent events, memberships) can still be added. Every writer takes the person before
# their memberships, so two writers never wait for each other.
_HOLD: dict[str, bool] = {"key_share": True}


def ip_hash(secret: str, ip: str | None) -> str | None:
    """A consent IP as a keyed hash (the same helper clicks use); the IP is never stored."""
    return keyed_hash(derive_key(secret, "audience-ip"), ip) if ip else None


def erased_hash(secret: str, key: str) -> str:
    """The keyed hash an erased address is remembered by."""
    return keyed_hash(derive_key(secret, "audience-erased"), key, digest_size=32)


def erased_hashes(secret: str, checked: CheckedEmail) -> set[str]:
    """Every hash an erased address may be kept under: its key, and (erased before migration
    0064) its legacy case-folded key, so sign-ups and imports look under the same ones."""
    return {erased_hash(secret, key) for key in (checked.key, legacy_email_key(checked.email))}


def get_subscriber(session: Session, subscriber_id: int, *, lock: bool = False) -> Subscriber:
    """The subscriber with this id; with `lock`, held (and read afresh) until the commit, so a
    change decided on their suppression or profile is not written over another's."""
    found = (
        session.get(Subscriber, subscriber_id, with_for_update=_HOLD, populate_existing=True)
        if lock
        else session.get(Subscriber, subscriber_id)
    )
    if found is None:
        raise NotFound("subscriber_id", f"no subscriber {subscriber_id}")
    return found


def _event(
    session: Session,
    subscriber: Subscriber,
    list_id: int | None,
    action: str,
    consent: Consent,
    secret: str,
    detail: str = "",
) -> None:
    session.add(
        ConsentEvent(
            subscriber_id=subscriber.id,
            list_id=list_id,
            action=action,
            at=consent.at or utcnow(),
            source=consent.source.value,
            form=consent.form[:200],
            wording=consent.wording,
            ip_hash=ip_hash(secret, consent.ip),
            detail="; ".join(part for part in (consent.detail, detail) if part)[:500],
        )
    )


def _by_key(key: str) -> Select[Subscriber]:
    """The person with this address key, held (and read afresh) until the commit."""
    return (
        select(Subscriber)
        .where(Subscriber.email_key == key)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def _person(
    session: Session, secret: str, email: str, source: Source, name: str
) -> tuple[Subscriber, bool]:
    """The subscriber for an address, created once even when many ask at the same moment."""
    checked = check_email(email)
    found = session.scalar(_by_key(checked.key))
    if found is not None:
        return found, False
    erased = any(
        session.get(ErasedAddress, key_hash) is not None
        for key_hash in erased_hashes(secret, checked)
    )
    if erased and source is not Source.FORM:
        raise AudienceInputError(
            "email", "this person asked to be erased; only their own sign-up can add them again"
        )
    row = Subscriber(
        email=checked.email, email_key=checked.key, name=name, fields={}, source=source.value
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another request created the same person first
        found = session.scalar(_by_key(checked.key))
        if found is None:
            raise
        return found, False
    return row, True


def find_or_add(
    session: Session,
    secret: str,
    email: str,
    source: Source,
    *,
    name: str = "",
    time_zone: str | None = None,
    name_if_none: bool = False,
    fill_only: bool = False,
) -> Subscriber:
    """The subscriber for an address, created without joining a list (e.g. a webinar's
    registrant who did not tick the list's consent); a given name or zone is kept. With
    `name_if_none`, the name only fills an empty one (a card's billing name may be someone
    else's: it does not rename the reader the mails greet); with `fill_only` (a public page,
    where anyone can type any address) the zone too."""
    checked_name = check_name(name) if name else ""
    zone = check_time_zone(time_zone)
    subscriber, _created = _person(session, secret, email, source, checked_name)
    _take_profile(
        subscriber, Profile(checked_name, {}, zone), fill_only=fill_only, keep_name=name_if_none
    )
    session.flush()
    return subscriber


def _take_profile(
    subscriber: Subscriber, given: Profile, *, fill_only: bool, keep_name: bool = False
) -> None:
    """Store what `merged_profile` decides, writing only what changed (JSON compares by value)."""
    merged = merged_profile(
        Profile(subscriber.name, subscriber.fields or {}, subscriber.time_zone),
        given,
        fill_only=fill_only,
        keep_name=keep_name,
    )
    if merged.name != subscriber.name:
        subscriber.name = merged.name
    if merged.fields != (subscriber.fields or {}):
        subscriber.fields = dict(merged.fields)
    if merged.time_zone != subscriber.time_zone:
        subscriber.time_zone = merged.time_zone
    subscriber.updated_at = utcnow()


def _membership(session: Session, subscriber_id: int, list_id: int) -> Membership | None:
    return session.scalar(
        select(Membership)
        .where(Membership.subscriber_id == subscriber_id, Membership.list_id == list_id)
        .with_for_update()
    )


def _set_status(
    session: Session, subscriber: Subscriber, audience_list: AudienceList, status: Status
) -> None:
    now = utcnow()
    member = _membership(session, subscriber.id, audience_list.id)
    if member is not None:
        member.status, member.updated_at = status.value, now
        return
    try:
        with session.begin_nested():
            session.add(
                Membership(
                    subscriber_id=subscriber.id,
                    list_id=audience_list.id,
                    status=status.value,
                    created_at=now,
                    updated_at=now,
                )
            )
            session.flush()
    except IntegrityError:  # the same person joined at the same moment
        member = _membership(session, subscriber.id, audience_list.id)
        if member is None:
            raise
        member.status, member.updated_at = status.value, now


def subscribe(
    session: Session,
    secret: str,
    email: str,
    list_id: int,
    consent: Consent,
    *,
    name: str | None = None,
    fields: Mapping[str, Any] | None = None,
    tags: Iterable[str] = (),
    time_zone: str | None = None,
    fill_only: bool = False,
) -> Subscribed:
    """Add someone to a list with the consent they gave; a double opt-in list leaves them
    unconfirmed and returns the signed link's token that confirms them. With `fill_only` (a
    public form) the given name, fields and zone only fill blanks: anyone can type an address."""
    audience_list = get_list(session, list_id)
    checked_name = check_name(name) if name is not None else None
    checked_fields = check_fields(fields) if fields is not None else None
    checked_tags = check_tags(tags)
    zone = check_time_zone(time_zone)
    subscriber, created = _person(session, secret, email, consent.source, checked_name or "")
    member = _membership(session, subscriber.id, audience_list.id)
    current = Status(member.status) if member is not None else None
    step = consent_step(
        current,
        Action.SUBSCRIBE,
        double_opt_in=audience_list.double_opt_in,
        source=consent.source,
        suppressed=subscriber.suppressed,
    )
    _take_profile(
        subscriber, Profile(checked_name or "", checked_fields or {}, zone), fill_only=fill_only
    )
    _tag(session, subscriber.id, checked_tags)
    if step.status is not None and step.status != current:
        _set_status(session, subscriber, audience_list, step.status)
    if step.event:
        _event(session, subscriber, audience_list.id, step.event, consent, secret, step.detail)
    session.flush()
    status = step.status or Status.UNSUBSCRIBED
    if status is Status.UNCONFIRMED and step.event:
        token, expires = confirm_token(secret, subscriber.id, audience_list.id, utcnow())
        return Subscribed(subscriber, status, token, expires, created)
    return Subscribed(subscriber, status, created=created)


def confirm_url(base_url: str, token: str) -> str:
    """The double opt-in link of a confirmation token (`Subscribed.token`), for mails, the
    page that adds someone by hand and the command that does."""
    return f"{base_url.rstrip('/')}/audience/confirm/{token}"


def confirm(
    session: Session, secret: str, token: str, consent: Consent | None = None
) -> Subscribed:
    """The person clicked their confirmation link: subscribed, recorded, suppression lifted."""
    found = read_confirm_token(secret, token, utcnow())
    subscriber = session.get(
        Subscriber, found.subscriber_id, with_for_update=_HOLD, populate_existing=True
    )
    audience_list = session.get(AudienceList, found.list_id)
    if subscriber is None or audience_list is None:
        raise AudienceInputError("token", "this confirmation link no longer matches a subscriber")
    member = _membership(session, subscriber.id, audience_list.id)
    current = Status(member.status) if member is not None else None
    step = consent_step(
        current,
        Action.CONFIRM,
        double_opt_in=audience_list.double_opt_in,
        source=Source.FORM,
        suppressed=subscriber.suppressed,
    )
    if step.event:
        _set_status(session, subscriber, audience_list, Status.SUBSCRIBED)
        if step.lift_suppression:
            subscriber.suppressed, subscriber.soft_bounces = None, 0
        _event(
            session,
            subscriber,
            audience_list.id,
            step.event,
            consent or Consent(Source.FORM),
            secret,
            step.detail,
        )
        session.flush()
    return Subscribed(subscriber, Status.SUBSCRIBED)


def unsubscribe(
    session: Session,
    secret: str,
    subscriber_id: int,
    list_id: int | None = None,
    consent: Consent | None = None,
) -> list[int]:
    """Take someone off one list, or off every list; the ids of the lists they left."""
    subscriber = get_subscriber(session, subscriber_id, lock=True)
    query = select(Membership).where(Membership.subscriber_id == subscriber.id)
    if list_id is not None:
        get_list(session, list_id)
        query = query.where(Membership.list_id == list_id)
    left: list[int] = []
    for member in session.scalars(query.with_for_update()).all():
        step = consent_step(
            Status(member.status), Action.UNSUBSCRIBE, double_opt_in=False, source=Source.MANUAL
        )
        if step.event and step.status is not None:
            member.status, member.updated_at = step.status.value, utcnow()
            _event(
                session,
                subscriber,
                member.list_id,
                step.event,
                consent or Consent(Source.MANUAL),
                secret,
            )
            left.append(member.list_id)
    session.flush()
    return left


def suppress(
    session: Session, secret: str, subscriber_id: int, kind: str, detail: str = ""
) -> Subscriber:
    """A hard bounce or a complaint (from the mail area): the address gets nothing any more."""
    action = {"bounced": Action.BOUNCE, "complained": Action.COMPLAIN}.get(kind)
    if action is None:
        raise AudienceInputError("kind", "must be bounced or complained")
    subscriber = get_subscriber(session, subscriber_id, lock=True)
    members = session.scalars(
        select(Membership).where(Membership.subscriber_id == subscriber.id).with_for_update()
    ).all()
    recorded = False
    for member in members:
        step = consent_step(
            Status(member.status),
            action,
            double_opt_in=False,
            source=Source.MANUAL,
            suppressed=subscriber.suppressed,
        )
        if step.status is not None and step.status.value != member.status:
            member.status, member.updated_at = step.status.value, utcnow()
    step = consent_step(
        None, action, double_opt_in=False, source=Source.MANUAL, suppressed=subscriber.suppressed
    )
    if step.suppress and subscriber.suppressed != step.suppress:
        subscriber.suppressed = step.suppress
        recorded = True
    if recorded:
        _event(
            session,
            subscriber,
            None,
            "suppress",
            Consent(Source.MANUAL, detail=detail),
            secret,
            kind,
        )
    session.flush()
    return subscriber


def count_soft_bounce(session: Session, subscriber_id: int) -> int:
    """A soft bounce (from the mail area, which decides when they suppress): the count after,
    added in SQL so two bounces at once both count."""
    get_subscriber(session, subscriber_id)
    count = session.scalar(
        update(Subscriber)
        .where(Subscriber.id == subscriber_id)
        .values(soft_bounces=Subscriber.soft_bounces + 1, updated_at=utcnow())
        .returning(Subscriber.soft_bounces)
        .execution_options(synchronize_session="fetch")
    )
    if count is None:  # erased since it was read
        raise NotFound("subscriber_id", f"no subscriber {subscriber_id}")
    return count


def _tag(session: Session, subscriber_id: int, tags: Iterable[str]) -> None:
    wanted = list(tags)
    if not wanted:
        return
    have = set(
        session.scalars(
            select(SubscriberTag.tag).where(SubscriberTag.subscriber_id == subscriber_id)
        )
    )
    for tag in wanted:
        if tag in have:
            continue
        try:
            with session.begin_nested():
                session.add(SubscriberTag(subscriber_id=subscriber_id, tag=tag))
                session.flush()
        except IntegrityError:  # tagged at the same moment by another request
            pass


def add_tags(session: Session, subscriber_id: int, tags: Iterable[str]) -> list[str]:
    """Tag a subscriber; their tags afterwards (held: an import tagging them waits its turn)."""
    subscriber = get_subscriber(session, subscriber_id, lock=True)
    _tag(session, subscriber.id, check_tags(tags))
    return _tags_of(session, subscriber.id)


def remove_tags(session: Session, subscriber_id: int, tags: Iterable[str]) -> list[str]:
    """Take tags off a subscriber; their tags afterwards."""
    subscriber = get_subscriber(session, subscriber_id)
    session.execute(
        delete(SubscriberTag).where(
            SubscriberTag.subscriber_id == subscriber.id, SubscriberTag.tag.in_(check_tags(tags))
        )
    )
    return _tags_of(session, subscriber.id)


def _tags_of(session: Session, subscriber_id: int) -> list[str]:
    return list(
        session.scalars(
            select(SubscriberTag.tag)
            .where(SubscriberTag.subscriber_id == subscriber_id)
            .order_by(SubscriberTag.tag)
        )
    )


_KEEP = object()


def update_subscriber(
    session: Session,
    subscriber_id: int,
    *,
    name: str | None = None,
    fields: Mapping[str, Any] | None = None,
    replace_fields: bool = False,
    time_zone: object = _KEEP,
) -> Subscriber:
    """Change a subscriber's name, fields (merged, or replaced) or time zone (None clears it)."""
    subscriber = get_subscriber(session, subscriber_id, lock=True)
    if name is not None:
        subscriber.name = check_name(name)
    if fields is not None:
        checked = check_fields(fields)
        merged = checked if replace_fields else {**(subscriber.fields or {}), **checked}
        subscriber.fields = {key: value for key, value in merged.items() if value is not None}
    if time_zone is not _KEEP:
        subscriber.time_zone = check_time_zone(time_zone)
    subscriber.updated_at = utcnow()
    session.flush()
    return subscriber


def record_activity(
    session: Session, subscriber_id: int, kind: str, ref: str = "", at: datetime | None = None
) -> None:
    """Note something a subscriber did or was sent, for segments and their history (any area)."""
    if kind not in _ACTIVITY_KINDS:
        raise AudienceInputError("kind", f"must be one of {', '.join(sorted(_ACTIVITY_KINDS))}")
    get_subscriber(session, subscriber_id)
    session.add(Activity(subscriber_id=subscriber_id, kind=kind, ref=ref[:200], at=at or utcnow()))
    session.flush()
