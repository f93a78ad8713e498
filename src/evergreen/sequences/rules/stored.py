"""The stored form: programs, steps, conditions and triggers as JSON-able dicts, and back.

Parsing is the one door for what people and the API send: unknown kinds or keys, wrong types and
broken rules come back as `SequenceInputError` naming the path (`steps[3].hour`). A parsed
program is checked (program.check_program); `dump_program(parse_program(d)) == d` for any
program this module dumped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.rules import conditions as c
from evergreen.sequences.rules import steps as s
from evergreen.sequences.rules import triggers as t
from evergreen.sequences.rules.advance import Position
from evergreen.sequences.rules.program import Program, check_program, with_ids

__all__ = [
    "dump_condition",
    "dump_position",
    "dump_program",
    "dump_step",
    "dump_trigger",
    "parse_condition",
    "parse_position",
    "parse_program",
    "parse_step",
    "parse_trigger",
]

_STATUSES = "must be registered, attended, left_early or missed"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
VERSION = 1
MAX_NUMBER = 10**12  # far beyond any rule's limit, and well inside what timedelta takes
Data = dict[str, Any]


class _Reader:
    """One dict being read at `path`: typed getters that name the path, and a check for extras."""

    def __init__(self, path: str, value: object) -> None:
        if not isinstance(value, Mapping):
            raise SequenceInputError(path, "must be an object")
        self.path, self.data, self.used = path, value, {"kind"}

    def get(self, key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
        """The value at `key` when it has the expected type (bool is never an int here)."""
        self.used.add(key)
        value = self.data.get(key)
        if value is None:
            if required:
                raise SequenceInputError(f"{self.path}.{key}", "is required")
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise SequenceInputError(f"{self.path}.{key}", "has the wrong type")
        if isinstance(value, int) and abs(value) > MAX_NUMBER:
            raise SequenceInputError(f"{self.path}.{key}", "is out of range")
        return value

    def done(self) -> None:
        """Refuse keys nobody asked for (a typo should not pass silently)."""
        extra = sorted(set(self.data) - self.used)
        if extra:
            raise SequenceInputError(f"{self.path}.{extra[0]}", "is not a known key")


def _seconds(value: timedelta) -> int:
    """A duration as whole seconds."""
    return int(value.total_seconds())


def parse_condition(value: object, path: str = "condition", depth: int = 0) -> c.Condition:
    """A condition from its dict, e.g. {"kind": "tag", "name": "buyer"}."""
    if depth > 8:
        raise SequenceInputError(path, "conditions nest more than 8 deep")
    r = _Reader(path, value)
    kind = r.get("kind", str)
    result: c.Condition
    if kind == "tag":
        result = c.HasTag(r.get("name", str))
    elif kind == "field":
        result = c.FieldIs(r.get("name", str), r.get("equals", str, False))
    elif kind == "clicked":
        result = c.Clicked(r.get("link", str, False))
    elif kind == "purchased":
        result = c.Purchased(r.get("product", str, False))
    elif kind == "webinar":
        status = r.get("status", str)
        if status not in {a.value for a in c.Attendance}:
            raise SequenceInputError(f"{path}.status", _STATUSES)
        result = c.WebinarIs(c.Attendance(status), r.get("webinar", str, False))
    elif kind == "opened":
        result = c.Opened(r.get("message", str, False))
    elif kind in ("all", "any"):
        items = r.get("of", list)
        inner = tuple(parse_condition(v, f"{path}.of[{i}]", depth + 1) for i, v in enumerate(items))
        result = c.AllOf(inner) if kind == "all" else c.AnyOf(inner)
    elif kind == "not":
        result = c.Not(parse_condition(r.get("condition", dict), f"{path}.condition", depth + 1))
    else:
        raise SequenceInputError(f"{path}.kind", f"{kind!r} is not a condition kind")
    r.done()
    return result


def dump_condition(condition: c.Condition) -> Data:
    """The stored dict of a condition (optional keys left out when empty)."""
    match condition:
        case c.HasTag(name):
            return {"kind": "tag", "name": name}
        case c.FieldIs(name, equals):
            return {"kind": "field", "name": name} | (
                {"equals": equals} if equals is not None else {}
            )
        case c.Clicked(link):
            return {"kind": "clicked"} | ({"link": link} if link is not None else {})
        case c.Purchased(product):
            return {"kind": "purchased"} | ({"product": product} if product is not None else {})
        case c.WebinarIs(status, webinar):
            found = {"webinar": webinar} if webinar is not None else {}
            return {"kind": "webinar", "status": status.value} | found
        case c.Opened(message):
            return {"kind": "opened"} | ({"message": message} if message is not None else {})
        case c.AllOf(inner) | c.AnyOf(inner):
            kind = "all" if isinstance(condition, c.AllOf) else "any"
            return {"kind": kind, "of": [dump_condition(each) for each in inner]}
        case c.Not(inner_one):
            return {"kind": "not", "condition": dump_condition(inner_one)}


def _weekdays(r: _Reader) -> frozenset[int]:
    """Weekday names (mon … sun) as datetime.weekday() numbers; all days when absent."""
    names = r.get("weekdays", list, False)
    if names is None:
        return s.WEEKDAYS
    if not all(isinstance(n, str) and n.lower() in DAYS for n in names):
        raise SequenceInputError(
            f"{r.path}.weekdays", "list days as mon, tue, wed, thu, fri, sat, sun"
        )
    return frozenset(DAYS.index(n.lower()) for n in names)


def _window(r: _Reader) -> s.Window | None:
    """The send window, {"start": 9, "end": 17} in local hours, or None."""
    raw = r.get("window", dict, False)
    if raw is None:
        return None
    w = _Reader(f"{r.path}.window", raw)
    window = s.Window(w.get("start", int), w.get("end", int))
    w.used.discard("kind")
    w.done()
    return window


def _optional_seconds(r: _Reader, key: str) -> timedelta | None:
    """An optional duration stored as whole seconds."""
    value = r.get(key, int, False)
    return None if value is None else timedelta(seconds=value)


_STEP_READERS: dict[str, Callable[[_Reader], s.Step]] = {
    "send": lambda r: s.Send(r.get("message", str)),
    "wait": lambda r: s.Wait(timedelta(seconds=r.get("seconds", int))),
    "wait_until": lambda r: s.WaitUntil(
        _weekdays(r), r.get("hour", int, False), r.get("minute", int, False) or 0, _window(r)
    ),
    "wait_relative": lambda r: s.WaitRelative(
        r.get("event", str),
        timedelta(seconds=r.get("offset_seconds", int)),
        _optional_seconds(r, "stale_after_seconds"),
    ),
    "branch": lambda r: s.Branch(
        parse_condition(r.get("condition", dict), f"{r.path}.condition"),
        r.get("then", str, False),
        r.get("else", str, False),
    ),
    "tag": lambda r: s.Tag(r.get("name", str)),
    "untag": lambda r: s.Untag(r.get("name", str)),
    "move_to": lambda r: s.MoveTo(r.get("sequence", str)),
    "notify": lambda r: s.Notify(r.get("text", str)),
    "webhook": lambda r: s.Webhook(r.get("url", str)),
    "goal": lambda r: s.Goal(parse_condition(r.get("condition", dict), f"{r.path}.condition")),
}


def parse_step(value: object, path: str = "step") -> s.Step:
    """One step from its dict (not yet checked against the program; parse_program does that)."""
    r = _Reader(path, value)
    kind = r.get("kind", str)
    reader = _STEP_READERS.get(kind)
    if reader is None:
        raise SequenceInputError(f"{path}.kind", f"{kind!r} is not a step kind")
    step = reader(r)
    step_id = r.get("id", str, False) or ""
    r.done()
    return step if not step_id else _with_id(step, step_id)


def _with_id(step: s.Step, step_id: str) -> s.Step:
    """The step carrying `step_id`."""
    return replace(step, id=step_id)


def _step_fields(step: s.Step) -> Data:
    """The kind-specific keys of a step's dict."""
    match step:
        case s.Send(message):
            return {"message": message}
        case s.Wait(duration):
            return {"seconds": _seconds(duration)}
        case s.WaitUntil(weekdays, hour, minute, window):
            out: Data = {
                "weekdays": [DAYS[d] for d in sorted(weekdays)],
                "hour": hour,
                "minute": minute,
            }
            return out | ({"window": {"start": window.start, "end": window.end}} if window else {})
        case s.WaitRelative(event, offset, stale_after):
            out = {"event": event, "offset_seconds": _seconds(offset)}
            return out | (
                {"stale_after_seconds": _seconds(stale_after)} if stale_after is not None else {}
            )
        case s.Branch(condition, then_step, else_step):
            return {"condition": dump_condition(condition), "then": then_step, "else": else_step}
        case s.Tag(name) | s.Untag(name):
            return {"name": name}
        case s.MoveTo(ref):
            return {"sequence": ref}
        case s.Notify(text):
            return {"text": text}
        case s.Webhook(url):
            return {"url": url}
        case s.Goal(condition):
            return {"condition": dump_condition(condition)}


def dump_step(step: s.Step) -> Data:
    """The stored dict of a step: id, kind, then its own keys."""
    return {"id": step.id, "kind": s.kind_of(step)} | _step_fields(step)


def parse_program(value: object) -> Program:
    """A checked program from its stored dict ({"version": 1, "next_id", "steps", "moved"}).

    Steps sent without ids (a new program from the API) get s1, s2, … as make_program gives.
    """
    r = _Reader("program", value)
    r.used.discard("kind")
    version = r.get("version", int, False) or VERSION
    if version != VERSION:
        raise SequenceInputError(
            "version", f"version {version} is not known; this Evergreen reads 1"
        )
    items = r.get("steps", list)
    steps = tuple(parse_step(v, f"steps[{i}]") for i, v in enumerate(items))
    numbered, next_id = with_ids(steps, r.get("next_id", int, False))
    moved_raw = r.get("moved", dict, False) or {}
    if not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in moved_raw.items()
    ):
        raise SequenceInputError("moved", "maps removed step ids to step ids or null")
    r.done()
    return check_program(Program(numbered, next_id, MappingProxyType(dict(moved_raw))))


def dump_program(program: Program) -> Data:
    """The stored dict of a program."""
    return {
        "version": VERSION,
        "next_id": program.next_id,
        "steps": [dump_step(step) for step in program.steps],
        "moved": dict(program.moved),
    }


def _trigger(r: _Reader, kind: str) -> t.Trigger:
    """The trigger of one kind, its names required."""
    if kind == "joined_list":
        return t.JoinedList(r.get("list", str))
    if kind == "got_tag":
        return t.GotTag(r.get("name", str))
    if kind == "webinar":
        status = r.get("status", str)
        if status not in {a.value for a in c.Attendance}:
            raise SequenceInputError(f"{r.path}.status", _STATUSES)
        return t.WebinarTrigger(c.Attendance(status), r.get("webinar", str, False))
    if kind == "clicked_link":
        return t.ClickedLink(r.get("link", str))
    if kind == "bought":
        return t.BoughtProduct(r.get("product", str, False))
    if kind == "date_field":
        hour, minute = r.get("hour", int, False), r.get("minute", int, False) or 0
        hour = 9 if hour is None else hour
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise SequenceInputError(f"{r.path}.hour", "hour 0 to 23, minute 0 to 59")
        return t.DateField(r.get("field", str), hour, minute)
    if kind == "api_event":
        return t.ApiEvent(r.get("name", str))
    raise SequenceInputError(f"{r.path}.kind", f"{kind!r} is not a trigger kind")


def parse_trigger(value: object, path: str = "trigger") -> t.Trigger:
    """A trigger from its dict, e.g. {"kind": "got_tag", "name": "lead"}."""
    r = _Reader(path, value)
    trigger = _trigger(r, r.get("kind", str))
    for key in ("list", "name", "link", "field"):
        text = r.data.get(key)
        if isinstance(text, str) and not text.strip():
            raise SequenceInputError(f"{path}.{key}", "is required")
    r.done()
    return trigger


def dump_trigger(trigger: t.Trigger) -> Data:
    """The stored dict of a trigger."""
    match trigger:
        case t.JoinedList(ref):
            return {"kind": "joined_list", "list": ref}
        case t.GotTag(name):
            return {"kind": "got_tag", "name": name}
        case t.WebinarTrigger(status, webinar):
            found = {"webinar": webinar} if webinar is not None else {}
            return {"kind": "webinar", "status": status.value} | found
        case t.ClickedLink(link):
            return {"kind": "clicked_link", "link": link}
        case t.BoughtProduct(product):
            return {"kind": "bought"} | ({"product": product} if product is not None else {})
        case t.DateField(name, hour, minute):
            return {"kind": "date_field", "field": name, "hour": hour, "minute": minute}
        case t.ApiEvent(name):
            return {"kind": "api_event", "name": name}


def _iso(value: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC, or None."""
    return None if value is None else value.astimezone(UTC).isoformat()


def _instant(path: str, value: object) -> datetime | None:
    """A stored ISO 8601 instant (UTC when it has no offset), or None."""
    if value is None:
        return None
    try:
        found = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        found = None
    if found is None:
        raise SequenceInputError(path, "must be an ISO 8601 instant")
    return (found if found.tzinfo else found.replace(tzinfo=UTC)).astimezone(UTC)


def dump_position(position: Position) -> Data:
    """The stored dict of an enrolment's position (instants in UTC, sends sorted)."""
    stored: Data = {
        "step_id": position.step_id,
        "due": _iso(position.due),
        "stale_at": _iso(position.stale_at),
        "sent": sorted(position.sent),
    }
    if position.relative is not None:
        stored["relative"] = position.relative
    return stored


def parse_position(value: object) -> Position:
    """A position from its stored dict; `dump_position(parse_position(d)) == d`."""
    r = _Reader("position", value)
    r.used.discard("kind")
    step_id = r.get("step_id", str, False)
    due = _instant("position.due", r.get("due", str, False))
    stale = _instant("position.stale_at", r.get("stale_at", str, False))
    sent = r.get("sent", list, False) or []
    if not all(isinstance(each, str) for each in sent):
        raise SequenceInputError("position.sent", "lists step ids")
    relative = r.get("relative", str, False)
    r.done()
    return Position(step_id, due, stale, frozenset(sent), relative)
