"""What the sequences' forms send, read once: the trigger picker and the steps document, and the
steps in words beside the document (each step read alone, so one bad step does not hide the rest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Form

from evergreen.digits import is_digits
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.rules import parse_step
from evergreen.sequences.rules.words import step_words

__all__ = [
    "DOCUMENT_LIMIT",
    "ROW_KINDS",
    "STARTER",
    "TRIGGERS",
    "UNITS",
    "DocStr",
    "FormStr",
    "Line",
    "document_of",
    "pretty",
    "readable",
    "step_of_row",
    "trigger_of",
]

DOCUMENT_LIMIT = 200_000
FormStr = Annotated[str, Form(max_length=2_000)]
DocStr = Annotated[str, Form(max_length=DOCUMENT_LIMIT)]

# The trigger picker: kind → (label, the key its one value fills, whether it may stay empty).
TRIGGERS: dict[str, tuple[str, str, bool]] = {
    "joined_list": ("Joins a list (empty: the list it sends from)", "list", True),
    "got_tag": ("Gets a tag", "name", False),
    "clicked_link": ("Clicks a link (its slug)", "link", False),
    "bought": ("Buys a product (empty: anything)", "product", True),
    "date_field": ("A date field comes round, e.g. birthday", "field", False),
    "api_event": ("An API event by name", "name", False),
}

STARTER: dict[str, Any] = {
    "steps": [
        {"kind": "goal", "condition": {"kind": "tag", "name": "buyer"}},
        {"kind": "send", "message": "welcome"},
        {"kind": "wait", "seconds": 2 * 86400},
        {"kind": "send", "message": "day2"},
    ],
    "messages": {
        "welcome": {
            "subject": "Welcome!",
            "body": "Hello {{ subscriber.name }}, thanks for joining.",
        },
        "day2": {"subject": "Two days in", "body": "Here is what to do next."},
    },
}


def pretty(document: Mapping[str, Any]) -> str:
    """A document as indented JSON, as the textarea shows it."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()


def trigger_of(kind: str, value: str, list_name: str) -> dict[str, Any]:
    """The trigger dict the picker stands for (its kind checked by the rules afterwards)."""
    if kind not in TRIGGERS:
        raise SequenceInputError("trigger.kind", f"{kind[:40]!r} is not a trigger kind")
    _label, key, may_be_empty = TRIGGERS[kind]
    text = value.strip()
    if kind == "joined_list" and not text:
        text = list_name.strip()
    if not text and not may_be_empty:
        raise SequenceInputError(f"trigger.{key}", "is required")
    return {"kind": kind} | ({key: text} if text else {})


def document_of(text: str) -> dict[str, Any]:
    """The steps document typed in the textarea: a JSON object."""
    if len(text) > DOCUMENT_LIMIT:
        raise SequenceInputError("document", f"at most {DOCUMENT_LIMIT:,} characters")
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise SequenceInputError("document", f"is not JSON: {exc}") from None
    if not isinstance(found, dict):
        raise SequenceInputError("document", "must be an object with steps and messages")
    return found


@dataclass(frozen=True)
class Line:
    """One step as the list beside the document shows it: in words, or why it is refused."""

    index: int
    id: str
    words: str
    error: str


def readable(text: str) -> list[Line]:
    """Each step of the typed document in words; a step that cannot be read says why."""
    try:
        document = document_of(text)
    except SequenceInputError:
        return []
    steps = document.get("steps")
    messages = document.get("messages")
    subjects: dict[str, str] = {}
    if isinstance(messages, dict):
        subjects = {
            str(ref): str(value.get("subject") or ref)
            for ref, value in messages.items()
            if isinstance(value, dict)
        }
    lines: list[Line] = []
    for index, raw in enumerate(steps[:200] if isinstance(steps, list) else []):
        try:
            step = parse_step(raw, f"steps[{index}]")
        except SequenceInputError as exc:
            lines.append(Line(index, "", "", f"{exc.field}: {exc.message}"))
            continue
        lines.append(Line(index, step.id, step_words(step, subjects), ""))
    return lines


# The add-a-step row: kind → its label (the common steps; the document takes every kind).
ROW_KINDS: dict[str, str] = {
    "send": "Send a message",
    "wait": "Wait",
    "tag": "Add a tag",
    "untag": "Remove a tag",
    "goal_tag": "Goal: has a tag",
    "goal_purchased": "Goal: bought (a product, or anything)",
}
UNITS = {"minutes": 60, "hours": 3600, "days": 86400}


def _amount(text: str) -> int:
    value = text.strip()
    if not is_digits(value) or len(value) > 6 or int(value) == 0:
        raise SequenceInputError("amount", f"give a whole number above 0, not {value[:20]!r}")
    return int(value)


def step_of_row(
    row: Mapping[str, str], refs: set[str]
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """One step (and its new message, for a Send) from the add-a-step row's fields."""
    kind, name = row.get("kind", ""), row.get("name", "").strip()
    if kind == "send":
        subject, body = row.get("subject", ""), row.get("body", "")
        if not subject.strip():
            raise SequenceInputError("subject", "is required")
        if not body.strip():
            raise SequenceInputError("body", "is required")
        ref = next(f"m{n}" for n in range(1, len(refs) + 2) if f"m{n}" not in refs)
        return {"kind": "send", "message": ref}, {ref: {"subject": subject, "body": body}}
    if kind == "wait":
        unit = UNITS.get(row.get("unit", ""))
        if unit is None:
            raise SequenceInputError("unit", "choose minutes, hours or days")
        return {"kind": "wait", "seconds": _amount(row.get("amount", "")) * unit}, {}
    if kind in ("tag", "untag", "goal_tag") and not name:
        raise SequenceInputError("name", "give the tag's name")
    if kind in ("tag", "untag"):
        return {"kind": kind, "name": name}, {}
    if kind == "goal_tag":
        return {"kind": "goal", "condition": {"kind": "tag", "name": name}}, {}
    if kind == "goal_purchased":
        condition = {"kind": "purchased"} | ({"product": name} if name else {})
        return {"kind": "goal", "condition": condition}, {}
    raise SequenceInputError("kind", f"{kind[:40]!r} is not a step this form adds")
