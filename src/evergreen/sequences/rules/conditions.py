"""Branch and goal conditions, evaluated over plain facts about one subscriber.

Facts are what the engine loads before deciding: tags, fields, clicked link ids, purchased
products, webinar attendance, opens and event instants. An open fetched by Apple's privacy
proxy (`proxy=True`, see evergreen.mail.rules.opens) never counts as an open: the proxy fetches
every image when the message arrives, whether anyone reads it or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "AllOf",
    "AnyOf",
    "Attendance",
    "Clicked",
    "Condition",
    "Facts",
    "FieldIs",
    "HasTag",
    "Not",
    "Open",
    "Opened",
    "Purchased",
    "WebinarIs",
    "attendance_meets",
    "holds",
]


class Attendance(StrEnum):
    """Where a subscriber stands with one webinar session; attended and missed imply registered,
    left early (joined, then left before the end) implies attended and so registered."""

    REGISTERED = "registered"
    ATTENDED = "attended"
    LEFT_EARLY = "left_early"
    MISSED = "missed"


@dataclass(frozen=True)
class Open:
    """One recorded open of a message; `proxy` marks Apple's privacy proxy, which never counts."""

    message_ref: str
    proxy: bool


@dataclass(frozen=True)
class Facts:
    """What is known about one subscriber when a step is decided (plain values, no database)."""

    tags: frozenset[str] = frozenset()
    fields: Mapping[str, str] = field(default_factory=dict)
    clicked: frozenset[str] = frozenset()
    purchased: frozenset[str] = frozenset()
    webinars: Mapping[str, Attendance] = field(default_factory=dict)
    opens: tuple[Open, ...] = ()
    events: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class HasTag:
    """The subscriber carries this tag (compared case-folded, as the audience stores tags)."""

    name: str


@dataclass(frozen=True)
class FieldIs:
    """A custom field equals a value (case-folded, trimmed); `equals=None`: the field is set."""

    name: str
    equals: str | None = None


@dataclass(frozen=True)
class Clicked:
    """The subscriber clicked this tracking link, or any link when `link_id` is None."""

    link_id: str | None = None


@dataclass(frozen=True)
class Purchased:
    """The subscriber bought this product, or anything when `product_ref` is None."""

    product_ref: str | None = None


@dataclass(frozen=True)
class WebinarIs:
    """Attendance of one webinar (any webinar when `webinar_ref` is None) reached `status`."""

    status: Attendance
    webinar_ref: str | None = None


@dataclass(frozen=True)
class Opened:
    """A person opened this message (any message when None); proxy opens are never counted."""

    message_ref: str | None = None


@dataclass(frozen=True)
class AllOf:
    """Every inner condition holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one inner condition holds."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """The inner condition does not hold."""

    condition: Condition


Condition = HasTag | FieldIs | Clicked | Purchased | WebinarIs | Opened | AllOf | AnyOf | Not


def attendance_meets(actual: Attendance, wanted: Attendance) -> bool:
    """Registered is met by any status; attended also by left early; the rest by themselves."""
    if wanted is Attendance.REGISTERED or actual is wanted:
        return True
    return wanted is Attendance.ATTENDED and actual is Attendance.LEFT_EARLY


def holds(condition: Condition, facts: Facts) -> bool:
    """Whether `condition` is true of the subscriber described by `facts`."""
    match condition:
        case HasTag(name):
            wanted = name.strip().casefold()
            return any(tag.casefold() == wanted for tag in facts.tags)
        case FieldIs(name, equals):
            value = facts.fields.get(name, "").strip()
            if equals is None:
                return value != ""
            return value.casefold() == equals.strip().casefold()
        case Clicked(link_id):
            return bool(facts.clicked) if link_id is None else link_id in facts.clicked
        case Purchased(product_ref):
            return bool(facts.purchased) if product_ref is None else product_ref in facts.purchased
        case WebinarIs(status, webinar_ref):
            if webinar_ref is None:
                return any(attendance_meets(a, status) for a in facts.webinars.values())
            actual = facts.webinars.get(webinar_ref)
            return actual is not None and attendance_meets(actual, status)
        case Opened(message_ref):
            return any(
                not o.proxy and (message_ref is None or o.message_ref == message_ref)
                for o in facts.opens
            )
        case AllOf(conditions):
            return all(holds(inner, facts) for inner in conditions)
        case AnyOf(conditions):
            return any(holds(inner, facts) for inner in conditions)
        case Not(inner):
            return not holds(inner, facts)
