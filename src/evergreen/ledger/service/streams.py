"""Streams: create, find by name or id, change the owner's rates for one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import write_unless_taken
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import Stream
from evergreen.ledger.rules import StreamKind, check_name, check_own_rates
from evergreen.money import check_currency

__all__ = [
    "StreamDraft",
    "add_stream",
    "all_streams",
    "get_stream",
    "require_stream",
    "set_stream_rates",
    "stream_named",
    "update_stream",
]


@dataclass(frozen=True)
class StreamDraft:
    """What the owner says about a new stream; rates left None follow the owner's defaults."""

    name: str
    kind: StreamKind
    currency: str = "USD"
    started_on: date | None = None
    recurring: bool = False
    hourly_rate: Decimal | None = None
    required_return: Decimal | None = None
    persistence: Decimal | None = None


def add_stream(session: Session, draft: StreamDraft, today: date) -> Stream:
    """A new stream; a name already taken is a clear conflict, not a second stream."""
    name = check_name(draft.name)
    check_own_rates(draft.required_return, draft.persistence)
    stream = Stream(
        name=name,
        kind=draft.kind.value,
        currency=check_currency("currency", draft.currency.upper()),
        started_on=draft.started_on or today,
        recurring=draft.recurring,
        hourly_rate=draft.hourly_rate,
        required_return=draft.required_return,
        persistence=draft.persistence,
    )
    taken = select(Stream.id).where(Stream.name == name)
    if not write_unless_taken(
        session, lambda: session.add(stream), lambda: session.scalar(taken) is not None
    ):
        raise Conflict("name", f"a stream named {name!r} exists already")
    return stream


def get_stream(session: Session, stream_id: int, *, lock: bool = False) -> Stream:
    """A stream by id, or a 404 that says so; `lock`: locked until the unit of work ends and
    read again (a caller's copy of it may predate another change that committed meanwhile)."""
    if lock:
        stream = session.get(Stream, stream_id, with_for_update=True, populate_existing=True)
    else:
        stream = session.get(Stream, stream_id)
    if stream is None:
        raise NotFound("stream", f"there is no stream {stream_id}")
    return stream


def require_stream(session: Session, stream_id: int | None, error: type[InputError]) -> None:
    """A stream another area's record names must exist; refused as that area's input error
    on field `stream_id` (None: no stream named, nothing to check)."""
    if stream_id is not None and session.get(Stream, stream_id) is None:
        raise error("stream_id", f"there is no stream {stream_id}")


def stream_named(session: Session, name: str, field: str = "stream") -> Stream:
    """A stream by its name (as people type it), or an error listing the names there are."""
    wanted = " ".join(name.split())
    stream = session.scalar(select(Stream).where(Stream.name == wanted))
    if stream is None:
        names = session.scalars(select(Stream.name).order_by(Stream.name).limit(10)).all()
        known = f"; streams: {', '.join(names)}" if names else "; add one with `streams add`"
        raise NotFound(field, f"there is no stream named {wanted[:100]!r}{known}")
    return stream


def all_streams(session: Session) -> list[Stream]:
    """Every stream, oldest first."""
    return list(session.scalars(select(Stream).order_by(Stream.started_on, Stream.id)))


_OWN_RATES = ("hourly_rate", "required_return", "persistence")


def update_stream(
    session: Session, stream: Stream, changes: Mapping[str, Decimal | None]
) -> Stream:
    """Set a stream's own hourly rate, required return or persistence; None clears one, so the
    stream follows the owner's defaults (or its estimated persistence) again."""
    for name in changes:
        if name not in _OWN_RATES:
            raise LedgerInputError(name, f"cannot be changed; change {', '.join(_OWN_RATES)}")
    # Locked and read again: the pair is checked with the other rate as it is now, not as it
    # was when the caller read the stream (another change of it may have committed since).
    locked = session.get(Stream, stream.id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise NotFound("stream", f"there is no stream {stream.id}")
    stream = locked
    check_own_rates(
        changes.get("required_return", stream.required_return),
        changes.get("persistence", stream.persistence),
    )
    if "hourly_rate" in changes:
        stream.hourly_rate = changes["hourly_rate"]
    if "required_return" in changes:
        stream.required_return = changes["required_return"]
    if "persistence" in changes:
        stream.persistence = changes["persistence"]
    session.flush()
    return stream


def set_stream_rates(
    session: Session,
    stream: Stream,
    *,
    hourly_rate: Decimal | None,
    required_return: Decimal | None,
    persistence: Decimal | None,
) -> Stream:
    """All three of a stream's own rates at once (the stream page's form); None follows the
    owner's defaults again (persistence: the estimate from the stream's history)."""
    return update_stream(
        session,
        stream,
        {"hourly_rate": hourly_rate, "required_return": required_return,
         "persistence": persistence},
    )  # fmt: skip
