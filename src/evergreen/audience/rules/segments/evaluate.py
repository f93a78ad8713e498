"""One subscriber against a tree, in plain Python: the meaning the SQL compiler must agree with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from evergreen.audience.rules.consent import overall_status
from evergreen.audience.rules.segments.syntax import (
    ACTIVITY_KINDS,
    CONSENT_ACTIONS,
    Activity,
    AllOf,
    AnyOf,
    Consent,
    Created,
    Duration,
    Field,
    InList,
    Node,
    Not,
    Source,
    Status,
    Tag,
)

__all__ = ["SubscriberFacts", "fold", "matches", "since"]


def fold(text: str) -> str:
    """A tag as the audience stores it (case-folded), so `tag:Buyer` finds the tag `buyer`."""
    return text.casefold()


@dataclass(frozen=True)
class SubscriberFacts:
    """What a segment can ask about one subscriber, as plain values."""

    created_at: datetime
    source: str = "manual"
    suppressed: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    tags: frozenset[str] = frozenset()  # as stored: case-folded
    lists: Mapping[str, str] = field(default_factory=dict)  # list name -> status on it
    activity: Sequence[tuple[str, datetime]] = ()  # (kind, at)
    consent: Sequence[tuple[str, datetime]] = ()  # (action, at)


def since(now: datetime, when: Duration | date) -> datetime:
    """The instant a span or a date stands for: now less the span, or the day's 00:00 UTC."""
    if isinstance(when, Duration):
        return now - when.delta()
    return datetime(when.year, when.month, when.day, tzinfo=UTC)


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _field(node: Field, fields: Mapping[str, Any]) -> bool:
    value = fields.get(node.name)
    if node.op == "exists":
        return value is not None
    if node.op == "!=":
        return not _field(Field(node.name, "=", node.value), fields)
    if node.op == "contains":
        return isinstance(value, str) and isinstance(node.value, str) and node.value in value
    if isinstance(node.value, bool):
        return value is node.value
    if isinstance(node.value, Decimal):
        return _number(value) and _compare(node.op, Decimal(str(value)), node.value)
    # Text compares with text only, character by character (code points, as UTF-8 bytes sort).
    return isinstance(value, str) and _compare(node.op, value, node.value)


def _recent(events: Sequence[tuple[str, datetime]], kind: str, start: datetime | None) -> bool:
    return any(k == kind and (start is None or at > start) for k, at in events)


def matches(node: Node, facts: SubscriberFacts, now: datetime) -> bool:
    """Whether the subscriber belongs to the segment at `now` (docs/SEGMENTS.md, exactly)."""
    if isinstance(node, AllOf):
        return all(matches(part, facts, now) for part in node.parts)
    if isinstance(node, AnyOf):
        return any(matches(part, facts, now) for part in node.parts)
    if isinstance(node, Not):
        return not matches(node.part, facts, now)
    if isinstance(node, Tag):
        return fold(node.name) in facts.tags
    if isinstance(node, InList):
        status = facts.lists.get(node.name)
        return status is not None and node.status in ("any", status)
    if isinstance(node, Status):
        return overall_status(facts.lists.values(), facts.suppressed) == node.value
    if isinstance(node, Source):
        return facts.source == node.value
    if isinstance(node, Created):
        start = since(now, node.when)
        if isinstance(node.when, Duration):  # <30d: within the span; >30d: longer ago
            return facts.created_at > start if node.op == "<" else facts.created_at <= start
        return facts.created_at < start if node.op == "<" else facts.created_at >= start
    if isinstance(node, Activity):
        after = None if node.within is None else since(now, node.within)
        return _recent(facts.activity, ACTIVITY_KINDS[node.kind], after)
    if isinstance(node, Consent):
        after = None if node.within is None else since(now, node.within)
        return _recent(facts.consent, CONSENT_ACTIONS[node.action], after)
    return _field(node, facts.fields)
