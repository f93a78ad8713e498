"""Dynamic segments: a small, safe query language over a subscriber's fields, tags, lists,
status, consent and activity; parsed to a frozen tree, printed back, evaluated in plain Python.
The SQL compiler lives in the audience's service (it needs SQLAlchemy)."""

from evergreen.audience.rules.segments.evaluate import (
    SubscriberFacts,
    fold,
    matches,
    since,
)
from evergreen.audience.rules.segments.lexer import MAX_LENGTH, Token, tokenize
from evergreen.audience.rules.segments.parser import (
    MAX_DEPTH,
    MAX_FIELD_NAME,
    MAX_TERMS,
    MAX_TEXT,
    parse,
)
from evergreen.audience.rules.segments.printer import quote, show
from evergreen.audience.rules.segments.syntax import (
    ACTIVITY_KINDS,
    CONSENT_ACTIONS,
    FIELD_OPERATORS,
    LIST_STATUSES,
    SOURCES,
    STATUSES,
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

__all__ = [
    "ACTIVITY_KINDS",
    "CONSENT_ACTIONS",
    "FIELD_OPERATORS",
    "LIST_STATUSES",
    "MAX_DEPTH",
    "MAX_FIELD_NAME",
    "MAX_LENGTH",
    "MAX_TERMS",
    "MAX_TEXT",
    "SOURCES",
    "STATUSES",
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
    "SubscriberFacts",
    "Tag",
    "Token",
    "Value",
    "canonical",
    "fold",
    "list_names",
    "matches",
    "parse",
    "quote",
    "show",
    "since",
    "tokenize",
]


def canonical(query: str) -> str:
    """A query in its canonical form (refused like parse when it is not one)."""
    return show(parse(query))


def list_names(node: Node) -> set[str]:
    """The list names a tree mentions (the service checks that each exists)."""
    if isinstance(node, AllOf | AnyOf):
        return set().union(*(list_names(part) for part in node.parts))
    if isinstance(node, Not):
        return list_names(node.part)
    return {node.name} if isinstance(node, InList) else set()
