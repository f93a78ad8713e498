"""A preview: what one subscriber would receive and when, by running `advance` on a pretend clock.

The clock jumps to each due time; tags the program adds or removes are applied to the facts so
later branches see them, and nothing else about the subscriber changes (no clicks, no purchases).
The same loop is what the engine runs, with real actions in place of the bookkeeping here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from evergreen.sequences.rules.advance import ENDS, Do, Next, Position, advance, start
from evergreen.sequences.rules.conditions import Facts
from evergreen.sequences.rules.program import Program
from evergreen.sequences.rules.steps import Tag, Untag

__all__ = ["Planned", "apply_tags", "timeline"]


@dataclass(frozen=True)
class Planned:
    """One outcome on the timeline: the instant it happens and what happens."""

    at: datetime
    next: Next


def apply_tags(facts: Facts, outcome: Next) -> Facts:
    """The facts after a Tag or Untag outcome (unchanged for any other)."""
    step = outcome.step
    if outcome.do is Do.TAG and isinstance(step, Tag):
        return replace(facts, tags=facts.tags | {step.name.casefold()})
    if outcome.do is Do.UNTAG and isinstance(step, Untag):
        wanted = step.name.casefold()
        return replace(facts, tags=frozenset(t for t in facts.tags if t.casefold() != wanted))
    return facts


def timeline(
    program: Program,
    facts: Facts,
    enrolled_at: datetime,
    subscriber_zone: str | None,
    default_zone: str = "UTC",
    days: int = 60,
    position: Position | None = None,
    limit: int = 1000,
) -> list[Planned]:
    """Every outcome from `enrolled_at` (or `position`) for `days`, waits included, in order."""
    now = enrolled_at.astimezone(UTC)
    until = now + timedelta(days=days)
    position = position or start(program, now)
    out: list[Planned] = []
    for _ in range(limit):
        if position.due is not None and position.due > now:
            if position.due > until:
                break
            now = position.due
        outcome = advance(program, position, facts, now, subscriber_zone, default_zone)
        facts = apply_tags(facts, outcome)
        position = outcome.position
        if outcome.do is Do.WAIT and outcome.step is None:
            continue  # "not due yet": the clock jumps at the top of the loop
        out.append(Planned(now, outcome))
        if outcome.do in ENDS or (outcome.do is Do.WAIT and position.due is None):
            break
    return out
