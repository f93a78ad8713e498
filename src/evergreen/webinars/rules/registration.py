"""Registering for a webinar, as pure rules: the public page's slug, the assigned session, the
traffic source kept from the page's address, the signed links a registrant gets, and the
.ics invitation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from evergreen.webinars.errors import WebinarInputError
from evergreen.webinars.rules.schedule import VIEWER

__all__ = [
    "LINK_PURPOSES",
    "MAX_SOURCE_KEYS",
    "MAX_SOURCE_VALUE",
    "OFFERED",
    "check_slug",
    "check_wording",
    "clip_source",
    "ics_invitation",
    "link_token",
    "local_time",
    "pick_session",
    "read_link_token",
    "registrant_links",
]

OFFERED = 3  # sessions the registration page offers to choose from
MAX_SOURCE_KEYS = 12
MAX_SOURCE_VALUE = 100
MAX_WORDING = 2000
LINK_PURPOSES = ("page", "ics", "room")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
_SOURCE_KEYS = re.compile(r"^(channel|sub[1-5]|subid|utm_(source|medium|campaign|term|content))$")
_TOKEN = re.compile(r"^([0-9]{1,19})\.([A-Za-z0-9_-]{20,64})$")


def check_slug(value: str | None) -> str | None:
    """The public page's address part: lower-case letters, digits and dashes; "" means none."""
    text = (value or "").strip().lower()
    if not text:
        return None
    if not _SLUG.match(text):
        raise WebinarInputError(
            "slug", "use 1 to 60 lower-case letters, digits and dashes, not at either end"
        )
    return text


def check_wording(value: str, list_id: int | None) -> str:
    """The consent's exact words; required when the webinar offers to join a list."""
    text = value.strip()
    if len(text) > MAX_WORDING:
        raise WebinarInputError("consent_wording", f"is longer than {MAX_WORDING} characters")
    if list_id is not None and not text:
        raise WebinarInputError(
            "consent_wording", "write what the person agrees to when a list is chosen"
        )
    return text


def pick_session(
    offered: Sequence[datetime],
    now: datetime,
    *,
    chosen: datetime | None = None,
    previous: datetime | None = None,
    shown: Sequence[datetime] = (),
) -> datetime:
    """The session a registrant gets: the one they already have while it is still ahead, else
    the one they chose among those offered now or on the page they chose from (`shown`, while
    it is still ahead: a just-in-time page shown at 10:14:58 offers 10:30, which is no longer
    offered at 10:15:01), else the first offered."""
    if previous is not None and previous > now and chosen in (None, previous):
        return previous
    if chosen is not None:
        if chosen not in offered and not (chosen in shown and chosen > now):
            raise WebinarInputError(
                "session_start", "is not one of the sessions offered; choose one on the page"
            )
        return chosen
    if not offered:
        raise WebinarInputError("session_start", "this webinar offers no session now")
    return offered[0]


def clip_source(query: Mapping[str, str]) -> dict[str, str]:
    """The traffic source of the page's address (channel, sub1…sub5, subid, utm_*), each value
    clipped; anything else in the address is dropped."""
    kept: dict[str, str] = {}
    for key, value in query.items():
        name = key.strip().lower()
        text = "".join(ch for ch in str(value) if ch.isprintable()).strip()[:MAX_SOURCE_VALUE]
        if _SOURCE_KEYS.match(name) and text and name not in kept:
            kept[name] = text
        if len(kept) >= MAX_SOURCE_KEYS:
            break
    return kept


def _signature(secret: str, purpose: str, registration_id: int) -> str:
    key = hashlib.sha256(f"evergreen-key:webinar-link:{secret}".encode()).digest()
    digest = hmac.new(key, f"{purpose}:{registration_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).rstrip(b"=").decode("ascii")


def local_time(start: datetime, zone: str) -> str:
    """A session start as the registrant reads it: Monday 7 December 2026, 09:00 (Europe/Paris)."""
    local = start.astimezone(ZoneInfo(zone if zone != VIEWER else "UTC"))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({zone})"


def registrant_links(
    secret: str, base_url: str, webinar: str, registration_id: int
) -> tuple[str, str, str]:
    """A registrant's signed links, absolute: (their page, the .ics, the room); `webinar` is its
    slug (or id) in the address."""
    root = f"{base_url.rstrip('/')}/w/{webinar}"
    return (
        f"{root}/r/{link_token(secret, 'page', registration_id)}",
        f"{root}/ics/{link_token(secret, 'ics', registration_id)}",
        f"{root}/room/{link_token(secret, 'room', registration_id)}",
    )


def link_token(secret: str, purpose: str, registration_id: int) -> str:
    """The signed part of a registrant's link (its page, the .ics or the room)."""
    if purpose not in LINK_PURPOSES:
        raise ValueError(purpose)
    return f"{registration_id}.{_signature(secret, purpose, registration_id)}"


def read_link_token(secret: str, purpose: str, token: str) -> int:
    """The registration a link names; a changed or foreign link is refused."""
    found = _TOKEN.match(token.strip())
    if found is None or purpose not in LINK_PURPOSES:
        raise WebinarInputError("token", "this link is not valid")
    registration_id = int(found.group(1))
    expected = _signature(secret, purpose, registration_id)
    if not hmac.compare_digest(expected.encode(), found.group(2).encode()):
        raise WebinarInputError("token", "this link is not valid")
    return registration_id


def ics_invitation(
    *,
    uid: str,
    title: str,
    presenter: str,
    start: datetime,
    duration_minutes: int,
    url: str,
    now: datetime,
) -> bytes:
    """An .ics calendar with one event: the session in UTC (calendars show it in their own
    zone), the room's link as its URL and location."""
    calendar = Calendar()
    calendar.add("prodid", "-//Evergreen//Webinars//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", start.astimezone(UTC) + timedelta(minutes=duration_minutes))
    event.add("summary", title)
    by = f"Presented by {presenter}. " if presenter else ""
    event.add("description", f"{by}Recorded webinar. Join here: {url}")
    event.add("location", url)
    event.add("url", url)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
