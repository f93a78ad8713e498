"""The segment language's tree: frozen values the parser builds, the printer and compilers read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

__all__ = [
    "ACTIVITY_KINDS",
    "CONSENT_ACTIONS",
    "FIELD_OPERATORS",
    "LIST_STATUSES",
    "SOURCES",
    "STATUSES",
    "UNITS",
    "Activity",
    "AllOf",
    "AnyOf",
    "Consent",
    "Created",
    "Duration",
    "Field",
    "InList",
    "Node",
    "Not",
    "Source",
    "Status",
    "Tag",
    "Value",
]

# The statuses a subscriber has on one list, and `any` for a membership in whatever status.
LIST_STATUSES = ("subscribed", "unconfirmed", "unsubscribed", "bounced", "complained")
# A subscriber's overall status (docs/SEGMENTS.md says how it is derived).
STATUSES = LIST_STATUSES
SOURCES = ("form", "import", "api", "partner", "webinar", "purchase", "manual")
# Term word -> the activity kind it reads; a proxy open (Apple MPP) is never an `opened`.
ACTIVITY_KINDS = {
    "sent": "sent",
    "opened": "opened",
    "clicked": "clicked",
    "bounced": "bounced",
    "complained": "complained",
    "purchased": "purchased",
    "registered": "registered",
    "attended": "attended",
}
# Term word -> the consent ledger's action it reads.
CONSENT_ACTIONS = {"opted_in": "opt_in", "confirmed": "confirm", "opted_out": "opt_out"}
FIELD_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "contains", "exists")
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}

# A literal: text, a number (compared with numbers only), true or false; None for `exists`.
Value = str | Decimal | bool | None


@dataclass(frozen=True)
class Duration:
    """A span back from now: `30d`, `12h`, `2w`."""

    amount: int
    unit: str

    def delta(self) -> timedelta:
        """The span as a timedelta."""
        return self.amount * UNITS[self.unit]


@dataclass(frozen=True)
class Tag:
    """`tag:buyer`: the subscriber carries the tag (compared case-folded, as tags are stored)."""

    name: str


@dataclass(frozen=True)
class InList:
    """`list:"Weekly tips"`: a membership of that list in `status` (`any`: whatever status)."""

    name: str
    status: str = "subscribed"


@dataclass(frozen=True)
class Status:
    """`status:subscribed`: the subscriber's overall status."""

    value: str


@dataclass(frozen=True)
class Source:
    """`source:import`: how the subscriber first arrived."""

    value: str


@dataclass(frozen=True)
class Field:
    """`field.country = "DE"`: a custom field compared with a literal (`exists`: no literal)."""

    name: str
    op: str
    value: Value = None


@dataclass(frozen=True)
class Created:
    """`created:<30d` (within the last 30 days), `created:>2026-01-01` (on or after that day)."""

    op: str  # "<" or ">"
    when: Duration | date


@dataclass(frozen=True)
class Activity:
    """`clicked:30d`: at least one such event within the span (`None`: ever, written `any`)."""

    kind: str  # the term word, a key of ACTIVITY_KINDS
    within: Duration | None


@dataclass(frozen=True)
class Consent:
    """`confirmed:30d`: an entry of the consent ledger within the span (`None`: ever)."""

    action: str  # the term word, a key of CONSENT_ACTIONS
    within: Duration | None


@dataclass(frozen=True)
class AllOf:
    """`a and b and …`: every part holds."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    """`a or b or …`: at least one part holds."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """`not a`: the part does not hold (every term is true or false, never unknown)."""

    part: Node


Node = Tag | InList | Status | Source | Field | Created | Activity | Consent | AllOf | AnyOf | Not
