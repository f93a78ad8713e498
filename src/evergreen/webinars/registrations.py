"""Registrations: a person registers for a webinar's session (the public page, the owner's API);
the only writer of webinar_registrations. The person is found or added in the audience, their
consent recorded there when they ticked it, and the confirmation mail built here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.audience import service as audience
from evergreen.db import utcnow
from evergreen.errors import NotFound
from evergreen.mail.transactional import Transactional
from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.models import Webinar, WebinarRegistration
from evergreen.webinars.rules import (
    OFFERED,
    check_zone,
    clip_source,
    ics_invitation,
    local_time,
    next_sessions,
    parse_schedule,
    pick_session,
    read_link_token,
    registrant_links,
)

__all__ = [
    "Links",
    "Registered",
    "RegistrationInput",
    "confirmation_mail",
    "ics_for",
    "links_for",
    "local_time",
    "offered_sessions",
    "public_webinar",
    "register",
    "registration_by_link",
]


@dataclass(frozen=True)
class RegistrationInput:
    """What a registrant gave: address, name, zone, consent, an optional chosen session, the
    page address's traffic source, the client's address (for the consent record) and when the
    page they chose from was shown (its signed render time), whose sessions stay choosable."""

    email: str
    viewer_timezone: str
    name: str = ""
    consent: bool = False
    session_start: datetime | None = None
    source: Mapping[str, str] = field(default_factory=dict)
    client: str | None = None
    shown_at: datetime | None = None


@dataclass(frozen=True)
class Registered:
    """A registration and what followed: `created` False when the address had registered
    before; `confirm_tokens` are (list name, token) when the list asks to confirm."""

    registration: WebinarRegistration
    webinar: Webinar
    created: bool
    confirm_tokens: list[tuple[str, str]]


@dataclass(frozen=True)
class Links:
    """A registrant's signed links: their page, the .ics download and the room."""

    page: str
    ics: str
    room: str


def public_webinar(session: Session, slug: str) -> Webinar:
    """The webinar whose registration page is /w/<slug>."""
    found = session.scalar(select(Webinar).where(Webinar.slug == slug.strip().lower()))
    if found is None:
        raise NotFound("slug", "there is no webinar registration page at this address")
    return found


def _webinar(session: Session, webinar_id: int) -> Webinar:
    found = session.get(Webinar, webinar_id)
    if found is None:
        raise NotFound("webinar_id", f"no webinar {webinar_id}")
    return found


def offered_sessions(
    webinar: Webinar, viewer_zone: str, now: datetime, count: int = OFFERED
) -> tuple[datetime, ...]:
    """The sessions (UTC) a person registering now from `viewer_zone` may choose from."""
    zone = check_zone(viewer_zone, "viewer_timezone", allow_viewer=False)
    schedule = parse_schedule(webinar.schedule, webinar.timezone, webinar.blackout_dates)
    return next_sessions(schedule, now, zone, count)


def register(
    session: Session,
    secret: str,
    webinar_id: int,
    data: RegistrationInput,
    now: datetime | None = None,
    *,
    public: bool = False,
) -> Registered:
    """Register someone; registering again returns the same registration (a new session is
    picked only when theirs has passed or they chose another that is offered). From the
    `public` page, where anyone can type any address, the name and zone given only fill a
    subscriber's blanks and an existing registration keeps its session and zone: a stranger
    cannot rename someone, move their mails' hours or their session."""
    now = now or utcnow()
    webinar = _webinar(session, webinar_id)
    zone = check_zone(data.viewer_timezone, "viewer_timezone", allow_viewer=False)
    offered = offered_sessions(webinar, zone, now)
    consent_given = data.consent and webinar.list_id is not None
    tokens: list[tuple[str, str]] = []
    if consent_given and webinar.list_id is not None:
        where = f"webinar {webinar.name}" + (f" (/w/{webinar.slug})" if webinar.slug else "")
        consent = audience.Consent(
            audience.Source.WEBINAR, form=where, wording=webinar.consent_wording, ip=data.client
        )
        done = audience.subscribe(
            session,
            secret,
            data.email,
            webinar.list_id,
            consent,
            name=data.name.strip() or None,
            time_zone=zone,
            fill_only=public,
        )
        person = done.subscriber
        if done.token:
            tokens.append((audience.get_list(session, webinar.list_id).name, done.token))
    else:
        person = audience.find_or_add(
            session, secret, data.email, audience.Source.WEBINAR, name=data.name, time_zone=zone,
            fill_only=public,
        )  # fmt: skip
    row = _find(session, webinar.id, person.email_key)
    created = row is None
    chosen = data.session_start
    if chosen is not None:
        chosen = chosen.replace(tzinfo=UTC) if chosen.tzinfo is None else chosen.astimezone(UTC)
    shown_at = data.shown_at
    shown = offered_sessions(webinar, zone, shown_at) if shown_at and shown_at < now else ()
    previous = None if row is None else row.session_start
    if public and row is not None:
        # Anyone can type a registrant's address: from the public page their registration is
        # only given its next session once theirs has passed (in their own zone), never moved
        # or re-zoned, and the page sends the links to the address rather than showing them.
        zone, shown = row.viewer_timezone, ()
        passed = row.session_start <= now
        chosen, offered = None, offered_sessions(webinar, zone, now) if passed else ()
    start = pick_session(offered, now, chosen=chosen, previous=previous, shown=shown)
    if row is None:
        row = _insert(session, webinar, person, zone, start, now, clip_source(data.source))
        created = row.registered_at == now
    elif start != row.session_start:
        row.session_start, row.viewer_timezone, row.updated_at = start, zone, now
    if data.name.strip():
        row.name = person.name
    session.flush()
    if created:
        audience.record_activity(session, person.id, "registered", f"webinar:{webinar.id}", now)
    return Registered(row, webinar, created, tokens)


def _find(session: Session, webinar_id: int, email_key: str) -> WebinarRegistration | None:
    return session.scalar(
        select(WebinarRegistration).where(
            WebinarRegistration.webinar_id == webinar_id,
            WebinarRegistration.email_key == email_key,
        )
    )


def _insert(
    session: Session,
    webinar: Webinar,
    person: Any,
    zone: str,
    start: datetime,
    now: datetime,
    source: dict[str, str],
) -> WebinarRegistration:
    row = WebinarRegistration(
        webinar_id=webinar.id,
        subscriber_id=person.id,
        email=person.email,
        email_key=person.email_key,
        name=person.name or "",
        viewer_timezone=zone,
        session_start=start,
        registered_at=now,
        source=source,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same address registered at the same moment
        found = _find(session, webinar.id, person.email_key)
        if found is None:
            raise
        return found
    return row


def registration_by_link(
    session: Session, secret: str, purpose: str, token: str
) -> WebinarRegistration:
    """The registration a signed link names; a tampered or stale link is refused (404)."""
    try:
        registration_id = read_link_token(secret, purpose, token)
    except WebinarInputError:
        raise NotFound("token", "this link is not valid") from None
    found = session.get(WebinarRegistration, registration_id)
    if found is None:
        raise NotFound("token", "this link is not valid")
    return found


def links_for(secret: str, base_url: str, webinar: Webinar, registration_id: int) -> Links:
    """The registrant's signed links, absolute."""
    page, ics, room = registrant_links(secret, base_url, webinar.slug or str(webinar.id),
                                       registration_id)  # fmt: skip
    return Links(page=page, ics=ics, room=room)


def ics_for(
    webinar: Webinar, registration: WebinarRegistration, links: Links, now: datetime
) -> bytes:
    """The registrant's .ics invitation."""
    return ics_invitation(
        uid=f"webinar-{webinar.id}-registration-{registration.id}@evergreen",
        title=webinar.title or webinar.name,
        presenter=webinar.presenter,
        start=registration.session_start,
        duration_minutes=webinar.duration_minutes,
        url=links.room,
        now=now,
    )


_BODY = """<p>Hello{% if subscriber.name %} {{ subscriber.name }}{% endif %},</p>
<p>You are registered for <strong>{{ subscriber.fields.title }}</strong>.</p>
<p>Your session starts <strong>{{ subscriber.fields.when }}</strong>.</p>
<p><a href="{{ subscriber.fields.room }}">Your link to the room</a> (it opens at that time).</p>
<p><a href="{{ subscriber.fields.ics }}">Add it to your calendar (.ics)</a></p>
{% for link in subscriber.fields.confirm %}
<p>You also asked to join {{ link.list }}: <a href="{{ link.url }}">confirm it here</a>.</p>
{% endfor %}
<p>This is a recording of an earlier presentation, played at the time you chose.</p>
"""


def confirmation_mail(done: Registered, links: Links, base_url: str) -> Transactional:
    """The "you're registered" message: the session in the registrant's zone and the links."""
    row, webinar = done.registration, done.webinar
    confirm = [
        {"list": name, "url": audience.confirm_url(base_url, token)}
        for name, token in done.confirm_tokens
    ]
    return Transactional(
        to=row.email,
        name=row.name,
        subject=f"You're registered: {webinar.title or webinar.name}",
        body=_BODY,
        values={
            "title": webinar.title or webinar.name,
            "when": local_time(row.session_start, row.viewer_timezone),
            "room": links.room,
            "ics": links.ics,
            "confirm": confirm,
        },
    )
