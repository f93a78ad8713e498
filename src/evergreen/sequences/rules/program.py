"""A step program: its steps with stable ids, the validator, and how live edits are recorded.

Ids ("s1", "s2", …) come from a counter kept with the program and are never reused, so an id an
enrolment remembers always means the same step. When an edit removes a step, the program notes
where its enrolments go next (`moved`: the first later step that survived, or None: the end).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from urllib.parse import urlsplit

from evergreen.digits import is_digits
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.rules.conditions import AllOf, AnyOf, Condition, FieldIs, HasTag, Not
from evergreen.sequences.rules.steps import (
    WEEKDAYS,
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
from evergreen.sequences.rules.triggers import Trigger, WebinarTrigger

__all__ = [
    "MAX_STEPS",
    "MAX_WAIT",
    "Program",
    "check_program",
    "make_program",
    "revise",
    "webinar_in_view",
    "with_ids",
]

MAX_STEPS = 200
MAX_WAIT = timedelta(days=366)


@dataclass(frozen=True)
class Program:
    """Steps in order, the next id to hand out, and where removed steps' enrolments continue."""

    steps: tuple[Step, ...]
    next_id: int
    moved: Mapping[str, str | None] = field(default_factory=dict)

    def index_of(self, step_id: str | None) -> int | None:
        """Where an enrolment at `step_id` stands now, following removals (None: the end)."""
        seen: set[str] = set()
        while step_id is not None and step_id not in seen:
            seen.add(step_id)
            for index, step in enumerate(self.steps):
                if step.id == step_id:
                    return index
            step_id = self.moved.get(step_id)
        return None


def _number(step_id: str) -> int:
    """The counter value inside an id ("s12" → 12), 0 for ids of another shape."""
    return int(step_id[1:]) if step_id[:1] == "s" and is_digits(step_id[1:]) else 0


def _with_ids(steps: Sequence[Step], next_id: int) -> tuple[tuple[Step, ...], int]:
    """Give every step without an id the next one from the counter."""
    out: list[Step] = []
    for step in steps:
        if not step.id:
            step = dataclasses.replace(step, id=f"s{next_id}")
            next_id += 1
        out.append(step)
    return tuple(out), next_id


def with_ids(steps: Sequence[Step], next_id: int | None = None) -> tuple[tuple[Step, ...], int]:
    """Steps where those without an id get one from `next_id` (default: above every id given)."""
    if next_id is None:
        next_id = max((_number(step.id) for step in steps), default=0) + 1
    return _with_ids(steps, next_id)


def make_program(steps: Sequence[Step]) -> Program:
    """A new, checked program; steps without ids get s1, s2, … in order."""
    return check_program(Program(*with_ids(steps)))


def revise(old: Program, steps: Sequence[Step]) -> Program:
    """The edited program: kept steps keep their ids, new ones get fresh ids, removals are noted."""
    known = {step.id for step in old.steps}
    fresh = old.next_id
    for index, step in enumerate(steps):
        if step.id and step.id not in known:
            if _number(step.id) < old.next_id:  # a removed step's id, or another shape
                raise SequenceInputError(
                    f"steps[{index}].id", f"{step.id!r} is not a step of this sequence"
                )
            fresh = max(fresh, _number(step.id) + 1)  # an id the editor reserved for a new step
    numbered, next_id = _with_ids(steps, fresh)
    kept = {step.id for step in numbered}
    moved = dict(old.moved)
    for index, step in enumerate(old.steps):
        if step.id not in kept:
            later = (s.id for s in old.steps[index + 1 :] if s.id in kept)
            moved[step.id] = next(later, None)
    return check_program(Program(numbered, next_id, MappingProxyType(moved)))


def _need(path: str, text: str, what: str, limit: int = 200) -> None:
    """Refuse empty or over-long text."""
    if not text.strip():
        raise SequenceInputError(path, f"{what} is required")
    if len(text) > limit:
        raise SequenceInputError(path, f"{what} is longer than {limit} characters")


def _check_condition(path: str, condition: Condition, depth: int = 0) -> None:
    """Names present, groups non-empty, nesting at most 8 deep."""
    if depth > 8:
        raise SequenceInputError(path, "conditions nest more than 8 deep")
    match condition:
        case HasTag(name) | FieldIs(name, _):
            _need(f"{path}.name", name, "a name")
        case AllOf(inner) | AnyOf(inner):
            if not inner:
                raise SequenceInputError(path, "a group needs at least one condition")
            for i, each in enumerate(inner):
                _check_condition(f"{path}.of[{i}]", each, depth + 1)
        case Not(inner_one):
            _check_condition(f"{path}.condition", inner_one, depth + 1)
        case _:
            pass


def _check_step(path: str, step: Step, ids: set[str]) -> None:
    """One step's own fields."""
    match step:
        case Send(ref):
            _need(f"{path}.message", ref, "a message")
        case Wait(duration):
            if not timedelta(0) < duration <= MAX_WAIT:
                raise SequenceInputError(
                    f"{path}.seconds", "must be more than 0 and at most 366 days"
                )
        case WaitUntil(weekdays, hour, minute, window):
            if not weekdays or not weekdays <= WEEKDAYS:
                raise SequenceInputError(f"{path}.weekdays", "list one or more of mon … sun")
            if hour is not None and not 0 <= hour <= 23:
                raise SequenceInputError(f"{path}.hour", "must be 0 to 23")
            if not 0 <= minute <= 59:
                raise SequenceInputError(f"{path}.minute", "must be 0 to 59")
            if window is not None and not 0 <= window.start < window.end <= 24:
                raise SequenceInputError(
                    f"{path}.window", "start and end are hours 0 to 24, start first"
                )
            if hour is None and window is None:
                raise SequenceInputError(f"{path}.hour", "give an hour, a window, or both")
            if hour is not None and window is not None and not window.start <= hour < window.end:
                raise SequenceInputError(f"{path}.hour", "the hour lies outside the window")
        case WaitRelative(event, offset, stale_after):
            _need(f"{path}.event", event, "an event name", 100)
            if abs(offset) > MAX_WAIT:
                raise SequenceInputError(f"{path}.offset_seconds", "at most 366 days either way")
            if stale_after is not None and not timedelta(0) < stale_after <= MAX_WAIT:
                raise SequenceInputError(  # past it, a send's deadline leaves the calendar
                    f"{path}.stale_after_seconds", "must be more than 0 and at most 366 days"
                )
        case Branch(condition, then_step, else_step):
            _check_condition(f"{path}.condition", condition)
            for name, target in (("then", then_step), ("else", else_step)):
                if target is not None and target not in ids:
                    raise SequenceInputError(
                        f"{path}.{name}", f"no step {target!r} in this sequence"
                    )
        case Goal(condition):
            _check_condition(f"{path}.condition", condition)
        case Tag(name) | Untag(name):
            _need(f"{path}.name", name, "a tag", 100)
        case MoveTo(ref):
            _need(f"{path}.sequence", ref, "a sequence")
        case Notify(text):
            _need(f"{path}.text", text, "a text", 1000)
        case Webhook(url):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise SequenceInputError(f"{path}.url", "must be an http(s) address with a host")


def _successors(steps: tuple[Step, ...], index: int, where: dict[str, int]) -> list[int]:
    """Where control can go after a step (the end is not a node)."""
    step = steps[index]
    if isinstance(step, Branch):
        return [where[t] for t in (step.then_step, step.else_step) if t is not None]
    if isinstance(step, MoveTo) or index + 1 >= len(steps):
        return []
    return [index + 1]


def _check_loops(steps: tuple[Step, ...]) -> None:
    """Refuse a loop without a fixed-duration Wait: it would run forever without time passing.

    A Send is sent once per enrolment and a WaitUntil or WaitRelative may already be due, so only
    a `Wait` guarantees that each turn of a loop takes time.
    """
    where = {step.id: index for index, step in enumerate(steps)}
    state = [0] * len(steps)  # 0 unseen, 1 on the path, 2 done
    for root in range(len(steps)):
        if state[root] or isinstance(steps[root], Wait):
            continue
        stack = [(root, iter(_successors(steps, root, where)))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif isinstance(steps[child], Wait) or state[child] == 2:
                continue
            elif state[child] == 1:
                raise SequenceInputError(
                    f"steps[{node}]",
                    f"steps {child} and {node} are in a loop without a Wait; add a Wait to it",
                )
            else:
                state[child] = 1
                stack.append((child, iter(_successors(steps, child, where))))


def check_program(program: Program, max_steps: int = MAX_STEPS) -> Program:
    """The program itself when every rule holds; else the first broken rule, with its path."""
    steps = program.steps
    if not steps:
        raise SequenceInputError("steps", "a sequence needs at least one step")
    if len(steps) > max_steps:
        raise SequenceInputError("steps", f"at most {max_steps} steps; this one has {len(steps)}")
    seen: set[str] = set()
    for index, step in enumerate(steps):
        path = f"steps[{index}]"
        if not step.id or len(step.id) > 40:
            raise SequenceInputError(f"{path}.id", "every step needs an id of 1 to 40 characters")
        if step.id in seen:
            raise SequenceInputError(f"{path}.id", f"{step.id!r} is used twice")
        seen.add(step.id)
    for index, step in enumerate(steps):
        _check_step(f"steps[{index}]", step, seen)
    if program.next_id <= max(_number(step.id) for step in steps):
        raise SequenceInputError("next_id", "must be above every step number, so no id is reused")
    _check_loops(steps)
    return program


def webinar_in_view(trigger: Trigger, program: Program) -> str:
    """The webinar a sequence is about, whose registration `{{ webinar.… }}` prints in its
    messages: the one its trigger names, else the one its waits name (`webinar:NAME`) when
    they name exactly one; "" for none (each person's latest registration, as `webinar` waits)."""
    if isinstance(trigger, WebinarTrigger) and trigger.webinar_ref:
        return trigger.webinar_ref
    named = {
        step.event.removeprefix("webinar:")
        for step in program.steps
        if isinstance(step, WaitRelative) and step.event.startswith("webinar:")
    }
    return named.pop() if len(named) == 1 else ""
