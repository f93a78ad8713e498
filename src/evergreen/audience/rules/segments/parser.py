"""Recursive descent from tokens to the tree; precedence `not` > `and` > `or`, with limits."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from evergreen.audience.rules.segments.lexer import Token, refuse, tokenize
from evergreen.audience.rules.segments.syntax import (
    ACTIVITY_KINDS,
    CONSENT_ACTIONS,
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

__all__ = ["MAX_DEPTH", "MAX_FIELD_NAME", "MAX_TERMS", "MAX_TEXT", "parse"]

MAX_DEPTH = 20  # parentheses and `not`s inside one another
MAX_TERMS = 100
MAX_TEXT = 200  # a tag, list name or literal
MAX_FIELD_NAME = 64
# Most of each unit a span may have: about 100 years.
_MAX_SPAN = {"h": 876_600, "d": 36_525, "w": 5_218}
_NUMBER = re.compile(r"-?[0-9]{1,30}(?:\.[0-9]{1,30})?")
_SPAN = re.compile(r"([0-9]{1,7})([hdw])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TERMS = 'a term such as tag:NAME, list:NAME, status:subscribed, field.NAME = "…" or clicked:30d'


def _shown(token: Token) -> str:
    if token.kind == "end":
        return "the end of the query"
    if token.kind == "text":
        return "a quoted text"
    return f'"{token.value}"'


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = tokenize(query)
        self.i = 0
        self.depth = 0
        self.terms = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        if token.kind != "end":
            self.i += 1
        return token

    def keyword(self, word: str) -> bool:
        return self.token.kind == "word" and self.token.value.lower() == word

    def expected(self, what: str) -> Exception:
        return refuse(self.token.at, f"expected {what}, found {_shown(self.token)}")

    def query(self) -> Node:
        node = self.any_()
        if self.token.kind == "close":
            raise refuse(self.token.at, "this ) closes no open parenthesis")
        if self.token.kind != "end":
            raise self.expected('"and", "or" or the end of the query')
        return node

    def any_(self) -> Node:
        parts = [self.all_()]
        while self.keyword("or"):
            self.take()
            parts.append(self.all_())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def all_(self) -> Node:
        parts = [self.unary()]
        while self.keyword("and"):
            self.take()
            parts.append(self.unary())
        if self.token.kind not in ("end", "close") and not self.keyword("or"):
            raise self.expected('"and", "or", ")" or the end of the query')
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def deeper(self, at: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise refuse(at, f"nested more than {MAX_DEPTH} deep; write it flatter")

    def unary(self) -> Node:
        start = self.token
        if self.keyword("not"):
            self.take()
            self.deeper(start.at)
            node: Node = Not(self.unary())
            self.depth -= 1
            return node
        if start.kind == "open":
            self.take()
            self.deeper(start.at)
            node = self.any_()
            if self.token.kind != "close":
                raise self.expected(f'")" to close the parenthesis at character {start.at + 1}')
            self.take()
            self.depth -= 1
            return node
        return self.term()

    def term(self) -> Node:
        token = self.token
        if token.kind != "word" or token.value.lower() in ("and", "or", "not"):
            raise self.expected(_TERMS)
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise refuse(token.at, f"more than {MAX_TERMS} terms; split the segment")
        word = token.value.lower()
        if word.startswith("field."):
            return self.field()
        self.take()
        if self.token.kind != "colon":
            if word in ("tag", "list", "status", "source", "created", *ACTIVITY_KINDS,
                        *CONSENT_ACTIONS):  # fmt: skip
                raise self.expected(f'":" after {word}')
            raise refuse(token.at, f'"{token.value}" is not a term; expected {_TERMS}')
        self.take()
        if word == "tag":
            return Tag(self.name("a tag"))
        if word == "list":
            return self.in_list()
        if word == "status":
            return Status(self.choice("a status", STATUSES))
        if word == "source":
            return Source(self.choice("a source", SOURCES))
        if word == "created":
            return self.created()
        if word in ACTIVITY_KINDS:
            return Activity(word, self.within(word))
        if word in CONSENT_ACTIONS:
            return Consent(word, self.within(word))
        raise refuse(token.at, f'"{token.value}" is not a term; expected {_TERMS}')

    def name(self, what: str) -> str:
        token = self.token
        if token.kind not in ("word", "text"):
            raise self.expected(f"{what} (a word, or a quoted text)")
        self.take()
        if not token.value.strip():
            raise refuse(token.at, f"{what} may not be empty")
        if len(token.value) > MAX_TEXT:
            raise refuse(token.at, f"{what} is longer than {MAX_TEXT} characters")
        return token.value

    def choice(self, what: str, allowed: tuple[str, ...]) -> str:
        token = self.token
        if token.kind != "word" or token.value.lower() not in allowed:
            raise self.expected(f"{what}: " + ", ".join(allowed))
        self.take()
        return token.value.lower()

    def in_list(self) -> InList:
        name = self.name("a list name")
        if self.token.kind != "colon":
            return InList(name)
        self.take()
        return InList(name, self.choice("a list status", (*LIST_STATUSES, "any")))

    def span(self, token: Token) -> Duration | None:
        match = _SPAN.fullmatch(token.value.lower()) if token.kind == "word" else None
        if match is None:
            return None
        amount, unit = int(match.group(1)), match.group(2)
        if not 1 <= amount <= _MAX_SPAN[unit]:
            raise refuse(token.at, f"a span of 1 to {_MAX_SPAN[unit]:,}{unit}, not {amount}{unit}")
        return Duration(amount, unit)

    def within(self, word: str) -> Duration | None:
        token = self.token
        if token.kind == "word" and token.value.lower() == "any":
            self.take()
            return None
        span = self.span(token)
        if span is None:
            raise self.expected(f"a span after {word}: such as 30d, 12h, 2w, or any")
        self.take()
        return span

    def created(self) -> Created:
        op = self.token
        if op.kind != "op" or op.value not in ("<", ">"):
            raise self.expected('"<" or ">" after created: (created:<30d, created:>2026-01-01)')
        self.take()
        token = self.token
        span = self.span(token)
        if span is not None:
            self.take()
            return Created(op.value, span)
        if token.kind == "word" and _DATE.fullmatch(token.value):
            try:
                day = date.fromisoformat(token.value)
            except ValueError:
                raise refuse(token.at, f"{token.value} is not a date") from None
            self.take()
            return Created(op.value, day)
        raise self.expected("a span such as 30d or a date such as 2026-01-01")

    def field(self) -> Field:
        word = self.take()
        name = word.value[len("field.") :]
        if not name and self.token.kind == "text" and self.token.at == word.end:
            name = self.take().value
            if any(c in name for c in '"\\') or any(ord(c) < 32 for c in name):
                raise refuse(word.at, "a field name may not hold quotes, backslashes or controls")
        if not name.strip():
            raise refuse(word.at, 'expected a field name after "field.", e.g. field.country')
        if len(name) > MAX_FIELD_NAME:
            raise refuse(word.at, f"a field name is at most {MAX_FIELD_NAME} characters")
        op = self.token
        if op.kind == "word" and op.value.lower() == "exists":
            self.take()
            return Field(name, "exists")
        if op.kind == "word" and op.value.lower() == "contains":
            self.take()
            value = self.literal()
            if not isinstance(value, str):
                raise refuse(self.tokens[self.i - 1].at, 'contains needs a text, e.g. "gmail"')
            return Field(name, "contains", value)
        if op.kind != "op":
            raise self.expected(f"=, !=, <, <=, >, >=, contains or exists after field.{name}")
        self.take()
        value = self.literal()
        if isinstance(value, bool) and op.value not in ("=", "!="):
            raise refuse(op.at, "true and false compare only with = and !=")
        return Field(name, op.value, value)

    def literal(self) -> Value:
        token = self.token
        if token.kind == "text":
            self.take()
            if len(token.value) > MAX_TEXT:
                raise refuse(token.at, f"a text is at most {MAX_TEXT} characters")
            return token.value
        if token.kind != "word":
            raise self.expected('a value: a quoted text such as "DE", a number, true or false')
        self.take()
        if _NUMBER.fullmatch(token.value):
            return Decimal(token.value)
        if token.value.lower() in ("true", "false"):
            return token.value.lower() == "true"
        if len(token.value) > MAX_TEXT:
            raise refuse(token.at, f"a text is at most {MAX_TEXT} characters")
        return token.value


def parse(query: str) -> Node:
    """The tree of a segment query, or AudienceInputError(field="query") saying where and why."""
    if not query.strip():
        raise refuse(0, "the query is empty; write a term such as tag:buyer")
    return _Parser(query).query()
