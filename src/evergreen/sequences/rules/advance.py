"""The next thing an enrolment does: one action per call, and where it stands afterwards.

The engine stores a `Position` per enrolment, calls `advance` when the position is due (or when
the subscriber's facts change, so a goal reached mid-wait takes them out at once), performs the
returned action, stores the returned position, and calls again while the new position is due.

A position names its step by id, never by index, and remembers which Send steps it has had, so
a Send is returned at most once per enrolment: not after an edit that inserts, removes or
reorders steps (program.py), and not when a branch loops back over it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from evergreen.sequences.rules.catchup import Late, decide, stale_at
from evergreen.sequences.rules.conditions import Facts, holds
from evergreen.sequences.rules.program import Program
from evergreen.sequences.rules.steps import (
    Branch,
    Goal,
    MoveTo,
    Notify,
    Send,
    Step,
    Tag,
    Untag,
    Wait,
    WaitRelative,
    WaitUntil,
    Webhook,
)
from evergreen.sequences.rules.timing import due_after_wait

__all__ = ["ENDS", "Do", "Next", "Position", "advance", "start"]


class Do(StrEnum):
    """What the engine does now; the last four end the call's work for this enrolment."""

    SEND = "send"
    SKIP_STALE = "skip_stale"
    TAG = "tag"
    UNTAG = "untag"
    NOTIFY = "notify"
    WEBHOOK = "webhook"
    MOVE = "move"
    EXIT_GOAL = "exit_goal"
    COMPLETE = "complete"
    WAIT = "wait"


ENDS = frozenset({Do.MOVE, Do.EXIT_GOAL, Do.COMPLETE})


@dataclass(frozen=True)
class Position:
    """Where an enrolment stands: the next step's id and when it is due.

    `step_id` None: the program is finished. `due` None: waiting at a relative wait for its event
    to be known. `stale_at`: sends reached from the last wait are skipped from this instant on.
    `sent`: ids of Send steps already handled (sent, or skipped as stale) for this enrolment.
    `relative`: the relative wait `due` was computed from, so a moved event (a registrant who
    changes session) moves the wait with it.
    """

    step_id: str | None
    due: datetime | None
    stale_at: datetime | None = None
    sent: frozenset[str] = frozenset()
    relative: str | None = None


@dataclass(frozen=True)
class Next:
    """One outcome: what to do, the step it comes from (its fields say how), the new position."""

    do: Do
    position: Position
    step: Step | None = None
    reason: str = ""


def start(program: Program, enrolled_at: datetime) -> Position:
    """A new enrolment: at the first step, due when enrolled."""
    return Position(program.steps[0].id, enrolled_at.astimezone(UTC))


def _id_after(program: Program, index: int) -> str | None:
    """The id of the step after `index`, None past the end."""
    return program.steps[index + 1].id if index + 1 < len(program.steps) else None


def _goal_reached(program: Program, facts: Facts) -> Goal | None:
    """The first goal whose condition holds, wherever it stands in the program."""
    for step in program.steps:
        if isinstance(step, Goal) and holds(step.condition, facts):
            return step
    return None


_ACTIONS: dict[type, Do] = {Tag: Do.TAG, Untag: Do.UNTAG, Notify: Do.NOTIFY, Webhook: Do.WEBHOOK}


def _follow_event(
    program: Program,
    position: Position,
    facts: Facts,
    now: datetime,
    subscriber_zone: str | None,
    default_zone: str,
) -> Position:
    """A wait timed from an event that has since moved, timed again from where it is now (a
    session changed: reminders follow it); any other position as it was."""
    index = program.index_of(position.relative)
    step = program.steps[index] if index is not None else None
    if not isinstance(step, WaitRelative) or step.id != position.relative:
        return position
    until = due_after_wait(now, step, subscriber_zone, facts.events, default_zone)
    if until is None or until == position.due:
        return position
    return replace(position, due=until, stale_at=stale_at(step, until, facts.events))


def advance(
    program: Program,
    position: Position,
    facts: Facts,
    now: datetime,
    subscriber_zone: str | None,
    default_zone: str = "UTC",
) -> Next:
    """The one next outcome for this enrolment at `now` (see the module docstring for the loop)."""
    now = now.astimezone(UTC)
    goal = _goal_reached(program, facts) if position.step_id is not None else None
    if goal is not None:
        done = replace(position, step_id=None, due=None)
        return Next(Do.EXIT_GOAL, done, goal, "goal reached")
    index = program.index_of(position.step_id)
    if index is None:
        return Next(Do.COMPLETE, replace(position, step_id=None, due=None), None, "end of sequence")
    if position.due is not None and position.due > now:
        position = _follow_event(program, position, facts, now, subscriber_zone, default_zone)
        if position.due is not None and position.due > now:
            return Next(Do.WAIT, position, None, "not due yet")
    due, stale = position.due or now, position.stale_at
    for _ in range(len(program.steps) + 1):
        step = program.steps[index]
        after = Position(_id_after(program, index), due, stale, position.sent)
        match step:
            case Send():
                if step.id in position.sent:
                    index += 1  # had it already (a branch looped back over it)
                else:
                    late = decide(due, now, stale)
                    sent = replace(after, sent=position.sent | {step.id})
                    do = Do.SEND if late.action is Late.SEND else Do.SKIP_STALE
                    return Next(do, sent, step, late.reason)
            case Tag() | Untag() | Notify() | Webhook():
                return Next(_ACTIONS[type(step)], after, step)
            case MoveTo():
                return Next(Do.MOVE, replace(after, step_id=None, due=None), step)
            case Goal():
                index += 1  # not reached (checked above): walk past it
            case Branch(condition, then_step, else_step):
                target = program.index_of(then_step if holds(condition, facts) else else_step)
                if target is None:
                    return Next(
                        Do.COMPLETE, replace(after, step_id=None, due=None), step, "branch ends"
                    )
                index = target
            case Wait() | WaitUntil() | WaitRelative():
                until = due_after_wait(now, step, subscriber_zone, facts.events, default_zone)
                if until is None:
                    waiting = Position(step.id, None, None, position.sent)
                    event = step.event if isinstance(step, WaitRelative) else ""
                    return Next(Do.WAIT, waiting, step, f"waiting for {event!r} to be known")
                due, stale = until, stale_at(step, until, facts.events)
                if due > now:
                    relative = step.id if isinstance(step, WaitRelative) else None
                    waiting = Position(
                        _id_after(program, index), due, stale, position.sent, relative
                    )
                    return Next(Do.WAIT, waiting, step)
                index += 1  # already due (a moment that has passed): go on now
        if index >= len(program.steps):
            return Next(
                Do.COMPLETE, Position(None, None, stale, position.sent), None, "end of sequence"
            )
    # Unreachable for checked programs: every loop holds a Wait, which returns above.
    return Next(
        Do.COMPLETE, Position(None, None, stale, position.sent), None, "loop without a wait"
    )
