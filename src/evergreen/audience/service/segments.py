"""Dynamic segments: the tree compiled to one SQL condition over subscribers, counted live, and
the saved segments (name, canonical query). Every literal is a bound parameter."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, exists, false, func, not_, or_, select
from sqlalchemy import literal as literal_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql import type_coerce

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import (
    Activity,
    AudienceList,
    ConsentEvent,
    Membership,
    Segment,
    Subscriber,
    SubscriberTag,
)
from evergreen.audience.rules import segments as lang
from evergreen.db import utcnow, write_unless_taken
from evergreen.errors import Conflict, NotFound

__all__ = [
    "CHUNK",
    "compile_tree",
    "condition",
    "count",
    "count_segment",
    "create_segment",
    "delete_segment",
    "get_segment",
    "member_ids",
    "segment_member_ids",
    "segments",
    "update_segment",
]

CHUNK = 1000
_NAME_MAX = 100
_Condition = ColumnElement[bool]


def _bool(expr: _Condition) -> _Condition:
    """Never unknown: a missing field makes a term false, so `not` is its complement."""
    return func.coalesce(expr, false())


def _nullable(node: lang.Node) -> bool:
    """Whether the SQL of a tree can be NULL (only field terms can: a missing field). In a
    WHERE, NULL already reads as false; only under `not` must it be made false first."""
    if isinstance(node, lang.AllOf | lang.AnyOf):
        return any(_nullable(part) for part in node.parts)
    if isinstance(node, lang.Not):
        return _nullable(node.part)
    return isinstance(node, lang.Field)


def _having(subscriber_id: Any, dialect: str, *where: Any) -> _Condition:
    """A row of another table for the subscriber. PostgreSQL plans EXISTS as a semi-join (NOT
    EXISTS as an anti-join); SQLite answers IN from a list it builds once, and can walk that
    list instead of every subscriber. Both columns are NOT NULL, so the two mean the same."""
    if dialect == "postgresql":
        return exists(select(1).where(subscriber_id == Subscriber.id, *where))
    return Subscriber.id.in_(select(subscriber_id).where(*where))


def _member(dialect: str, *where: Any) -> _Condition:
    return _having(Membership.subscriber_id, dialect, *where)


def _on_any_list(status: str) -> _Condition:
    """A membership in `status` on any list: most subscribers have one, so a probe per
    subscriber into the (subscriber, status) index beats building the list of them, on both
    databases (three probes for `status:subscribed`, none visiting the table)."""
    return exists(
        select(1).where(Membership.subscriber_id == Subscriber.id, Membership.status == status)
    )


def _tag(name: str, dialect: str) -> _Condition:
    # Tags are stored case-folded (the audience's rules), so the folded name is compared as
    # it is, on the tag's own index and statistics.
    return _having(SubscriberTag.subscriber_id, dialect, SubscriberTag.tag == lang.fold(name))


_LADDER = ("complained", "bounced", "subscribed", "unconfirmed")  # the first one held wins


def _status(value: str) -> _Condition:
    """The overall status (rules.consent.overall_status) as a condition, never unknown."""
    complained = Subscriber.suppressed.is_not_distinct_from("complained")
    bounced = Subscriber.suppressed.is_not_distinct_from("bounced")
    above = _LADDER[: _LADDER.index(value)] if value in _LADDER else _LADDER
    listed = and_(
        not_(complained),
        not_(bounced),
        *(not_(_on_any_list(status)) for status in above),
        *([_on_any_list(value)] if value in _LADDER else []),
    )
    if value == "complained":
        return or_(complained, listed)
    if value == "bounced":
        return or_(bounced, listed)
    return listed


_INT64 = range(-(2**63), 2**63)


def _sqlite_number(value: Decimal) -> int | float:
    """An exact integer where SQLite can bind one (64 bits), else a real: SQLite holds a JSON
    integer beyond 64 bits as a real too, and compares integers with reals exactly."""
    if value == value.to_integral_value() and int(value) in _INT64:
        return int(value)
    return float(value)


def _compare(left: Any, op: str, right: Any) -> _Condition:
    if op == "=":
        return left == right  # type: ignore[no-any-return]
    if op == "<":
        return left < right  # type: ignore[no-any-return]
    if op == "<=":
        return left <= right  # type: ignore[no-any-return]
    if op == ">":
        return left > right  # type: ignore[no-any-return]
    return left >= right  # type: ignore[no-any-return]


def _plain(text: str) -> bool:
    """Text that json.dumps (SQLAlchemy's JSON writer) never escapes: printable ASCII but
    quotes and backslashes. A document holding such a value holds these very characters."""
    return all(" " <= c <= "~" and c not in '"\\' for c in text)


def _field_sqlite(node: lang.Field) -> _Condition:
    path = f'$."{node.name}"'  # the parser refuses quotes and backslashes in field names
    kind = func.json_type(Subscriber.fields, path)
    value = func.json_extract(Subscriber.fields, path)
    # The value is compared first and its type checked after: SQLite stops at the first false
    # part, and parsing the document is the cost.
    if node.op == "exists":
        return and_(kind.is_not(None), kind != "null")
    if isinstance(node.value, bool):
        return kind == ("true" if node.value else "false")
    if isinstance(node.value, Decimal):
        number = _sqlite_number(node.value)
        return and_(_compare(value, node.op, number), kind.in_(("integer", "real")))
    assert isinstance(node.value, str)
    if node.op == "contains":
        test = func.instr(value, node.value) > 0
    else:
        test = _compare(value, node.op, node.value)
    if node.op in ("=", "contains") and node.value and _plain(node.value):
        # A cheap look at the raw text first skips the parse for most documents.
        return and_(func.instr(Subscriber.fields, node.value) > 0, test, kind == "text")
    return and_(test, kind == "text")


def _field_postgres(node: lang.Field) -> _Condition:
    value = type_coerce(Subscriber.fields, JSONB)[node.name]
    kind = func.jsonb_typeof(value)
    if node.op == "exists":
        return and_(kind.is_not(None), kind != "null")
    if node.op == "contains":
        return and_(kind == "string", func.strpos(value.astext, node.value) > 0)
    if isinstance(node.value, bool):
        return and_(kind == "boolean", value.astext == ("true" if node.value else "false"))
    if isinstance(node.value, Decimal):
        # jsonb orders numbers by value and never fails on a cast, whatever else is stored.
        literal = cast(literal_text(format(node.value, "f"), String), JSONB)
        return and_(kind == "number", _compare(value, node.op, literal))
    text = value.astext.collate("C")  # code-point order, as SQLite and Python compare
    return and_(kind == "string", _compare(text, node.op, node.value))


def _field(node: lang.Field, dialect: str) -> _Condition:
    if node.op == "!=":
        return not_(_bool(_field(lang.Field(node.name, "=", node.value), dialect)))
    return _field_postgres(node) if dialect == "postgresql" else _field_sqlite(node)


def _since(now: datetime, within: lang.Duration | None) -> list[Any]:
    return [] if within is None else [lang.since(now, within)]


def compile_tree(
    node: lang.Node, *, now: datetime, dialect: str, lists: Mapping[str, int]
) -> _Condition:
    """The tree as a condition on Subscriber; `lists` maps list names to ids (unknown: nobody)."""

    def build(node: lang.Node) -> _Condition:
        if isinstance(node, lang.AllOf):
            return and_(*(build(part) for part in sorted(node.parts, key=_cost)))
        if isinstance(node, lang.AnyOf):
            return or_(*(build(part) for part in node.parts))
        if isinstance(node, lang.Not):
            part = build(node.part)
            return not_(_bool(part) if _nullable(node.part) else part)
        if isinstance(node, lang.Tag):
            return _tag(node.name, dialect)
        if isinstance(node, lang.InList):
            list_id = lists.get(node.name)
            if list_id is None:
                return false()
            where = [Membership.list_id == list_id]
            if node.status != "any":
                where.append(Membership.status == node.status)
            return _member(dialect, *where)
        if isinstance(node, lang.Status):
            return _status(node.value)
        if isinstance(node, lang.Source):
            return Subscriber.source == node.value
        if isinstance(node, lang.Created):
            start = lang.since(now, node.when)
            if isinstance(node.when, lang.Duration):
                if node.op == "<":
                    return Subscriber.created_at > start
                return Subscriber.created_at <= start
            if node.op == "<":
                return Subscriber.created_at < start
            return Subscriber.created_at >= start
        if isinstance(node, lang.Activity):
            after = _since(now, node.within)
            kind = Activity.kind == lang.ACTIVITY_KINDS[node.kind]
            return _having(Activity.subscriber_id, dialect, kind, *(Activity.at > s for s in after))
        if isinstance(node, lang.Consent):
            after = _since(now, node.within)
            action = ConsentEvent.action == lang.CONSENT_ACTIONS[node.action]
            return _having(
                ConsentEvent.subscriber_id, dialect, action, *(ConsentEvent.at > s for s in after)
            )
        return _field(node, dialect)

    return build(node)


def _cost(node: lang.Node) -> int:
    """The order `and` evaluates its parts in (the meaning is the same in any order): SQLite
    stops at the first false part, so lookups and plain columns come before parsing JSON."""
    if isinstance(node, lang.Tag | lang.InList | lang.Activity | lang.Consent):
        return 0
    if isinstance(node, lang.Source | lang.Created):
        return 1
    if isinstance(node, lang.Field):
        text = node.value if isinstance(node.value, str) else ""
        return 2 if node.op in ("=", "contains") and text and _plain(text) else 3
    return 3


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _lists(session: Session, names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = session.execute(
        select(AudienceList.name, AudienceList.id).where(AudienceList.name.in_(names))
    )
    return {str(name): int(list_id) for name, list_id in rows}


def condition(
    session: Session, query: str, *, now: datetime | None = None, strict: bool = True
) -> _Condition:
    """A query checked and compiled; `strict` refuses a list that does not exist."""
    tree = lang.parse(query)
    names = lang.list_names(tree)
    lists = _lists(session, names)
    missing = sorted(names - lists.keys())
    if strict and missing:
        raise AudienceInputError("query", f"there is no list named {lang.quote(missing[0])}")
    return compile_tree(tree, now=now or utcnow(), dialect=_dialect(session), lists=lists)


def count(session: Session, query: str, *, now: datetime | None = None, strict: bool = True) -> int:
    """How many subscribers the query selects now."""
    where = condition(session, query, now=now, strict=strict)
    return int(session.scalar(select(func.count()).select_from(Subscriber).where(where)) or 0)


def member_ids(
    session: Session,
    query: str,
    *,
    after_id: int = 0,
    chunk: int = CHUNK,
    now: datetime | None = None,
    strict: bool = True,
) -> Iterator[list[int]]:
    """The selected subscribers' ids in id order, `chunk` at a time, from past `after_id` (a
    broadcast resumes from the last id it queued); `now` is fixed for the whole walk."""
    where = condition(session, query, now=now or utcnow(), strict=strict)
    last = after_id
    while True:
        ids = list(
            session.scalars(
                select(Subscriber.id)
                .where(Subscriber.id > last, where)
                .order_by(Subscriber.id)
                .limit(chunk)
            )
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def segments(session: Session) -> list[Segment]:
    """Every saved segment, by name."""
    return list(session.scalars(select(Segment).order_by(Segment.name, Segment.id)))


def get_segment(session: Session, segment_id: int) -> Segment:
    """One saved segment, or NotFound."""
    row = session.get(Segment, segment_id)
    if row is None:
        raise NotFound("segment_id", f"there is no segment {segment_id}")
    return row


def count_segment(session: Session, segment: Segment, *, now: datetime | None = None) -> int:
    """A saved segment's members now (a list deleted since it was saved selects nobody)."""
    return count(session, segment.query, now=now, strict=False)


def segment_member_ids(
    session: Session, segment_id: int, *, after_id: int = 0, chunk: int = CHUNK
) -> Iterator[list[int]]:
    """A saved segment's members in id order, in chunks (see member_ids)."""
    query = get_segment(session, segment_id).query
    return member_ids(session, query, after_id=after_id, chunk=chunk, strict=False)


def _checked(session: Session, name: str, query: str) -> tuple[str, str]:
    clean = name.strip()
    if not clean:
        raise AudienceInputError("name", "a segment needs a name")
    if len(clean) > _NAME_MAX:
        raise AudienceInputError("name", f"a segment name is at most {_NAME_MAX} characters")
    if any(ord(c) < 32 for c in clean):
        raise AudienceInputError("name", "a segment name is one line of text")
    canonical = lang.show(lang.parse(query))
    condition(session, canonical)  # refuses a list that does not exist
    return clean, canonical


def _name_taken(session: Session, name: str, segment_id: int | None) -> bool:
    holder = session.scalar(select(Segment.id).where(Segment.name == name))
    return holder is not None and holder != segment_id


def _store(session: Session, row: Segment, name: str, query: str, now: datetime) -> Segment:
    """A name another segment has, or another request takes at the same moment, is a
    Conflict, not a unique-key error."""

    def write() -> None:
        row.name, row.query, row.updated_at = name, query, now
        session.add(row)

    if not write_unless_taken(session, write, lambda: _name_taken(session, name, row.id)):
        raise Conflict("name", f"a segment named {lang.quote(name)} already exists")
    return row


def create_segment(session: Session, name: str, query: str) -> Segment:
    """Save a segment under a unique name; its query is checked and kept in canonical form."""
    clean, canonical = _checked(session, name, query)
    now = utcnow()
    return _store(session, Segment(created_at=now), clean, canonical, now)


def update_segment(session: Session, segment_id: int, name: str, query: str) -> Segment:
    """Rename a segment or change its query."""
    # Locked and read afresh: a change racing the segment's deletion finds it gone (404).
    row = session.get(Segment, segment_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound("segment_id", f"there is no segment {segment_id}")
    clean, canonical = _checked(session, name, query)
    return _store(session, row, clean, canonical, utcnow())


def delete_segment(session: Session, segment_id: int) -> None:
    """Forget a saved segment (its subscribers are untouched)."""
    session.delete(get_segment(session, segment_id))
    session.flush()
