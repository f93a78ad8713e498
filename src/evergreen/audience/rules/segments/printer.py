"""The canonical text of a tree: lower-case words, texts quoted only where they must be."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from evergreen.audience.rules.segments.lexer import is_word_char
from evergreen.audience.rules.segments.syntax import (
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
    Value,
)

__all__ = ["quote", "show"]

_ESCAPED = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def quote(text: str) -> str:
    """A text in double quotes, with its quotes, backslashes and controls escaped."""
    out = []
    for char in text:
        if char in _ESCAPED:
            out.append(_ESCAPED[char])
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _name(text: str) -> str:
    """A tag or list name: bare when it is one word, quoted otherwise."""
    return text if text and all(is_word_char(c) for c in text) else quote(text)


def _value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return quote(value or "")


def _span(span: Duration | date | None) -> str:
    if span is None:
        return "any"
    if isinstance(span, Duration):
        return f"{span.amount}{span.unit}"
    return span.isoformat()


def _term(node: Node) -> str:
    if isinstance(node, Tag):
        return f"tag:{_name(node.name)}"
    if isinstance(node, InList):
        tail = "" if node.status == "subscribed" else f":{node.status}"
        return f"list:{_name(node.name)}{tail}"
    if isinstance(node, Status):
        return f"status:{node.value}"
    if isinstance(node, Source):
        return f"source:{node.value}"
    if isinstance(node, Created):
        return f"created:{node.op}{_span(node.when)}"
    if isinstance(node, Activity):
        return f"{node.kind}:{_span(node.within)}"
    if isinstance(node, Consent):
        return f"{node.action}:{_span(node.within)}"
    if isinstance(node, Field):
        bare = all(is_word_char(c) for c in node.name)
        name = f"field.{node.name}" if bare else f"field.{quote(node.name)}"
        if node.op == "exists":
            return f"{name} exists"
        return f"{name} {node.op} {_value(node.value)}"
    raise TypeError(f"not a segment term: {node!r}")


def show(node: Node) -> str:
    """The canonical query text: parsing it gives the same tree back."""
    if isinstance(node, Not):
        inner = show(node.part)
        return f"not ({inner})" if isinstance(node.part, AllOf | AnyOf) else f"not {inner}"
    if isinstance(node, AllOf | AnyOf):
        word = " and " if isinstance(node, AllOf) else " or "
        # A nested `and` in `or` needs no parentheses (precedence); every other nesting keeps
        # them, so the tree's shape survives the round trip.
        return word.join(
            f"({show(part)})"
            if isinstance(part, AllOf | AnyOf)
            and not (isinstance(node, AnyOf) and isinstance(part, AllOf))
            else show(part)
            for part in node.parts
        )
    return _term(node)
