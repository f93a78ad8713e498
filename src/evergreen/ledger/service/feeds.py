"""Automatic postings from the areas that earn or pay: network earnings, partner commissions and
payouts. A producer calls one function per event, with plain values, inside the transaction
that records the event, so the journal and the event commit or fail together.

Each source event has a row in `ledger_feeds`, locked while it is fed: what stands for it, and
how many transactions it posted, which numbers the keys ("networks:earning:12:approved:2").
A replay (the same postback twice, a report imported again, `ledger sync` run twice, the same
event in two sessions at once) finds what it asks for standing already and posts nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evergreen.errors import Conflict
from evergreen.ledger.models import FeedState, JournalEntry, Stream
from evergreen.ledger.rules import StreamKind
from evergreen.ledger.rules.feeds import (
    Standing,
    Want,
    commission_want,
    currency_problem,
    fee_want,
    network_want,
    payout_want,
    sale_want,
    steps,
    stream_names,
)
from evergreen.ledger.rules.journal import Leg
from evergreen.ledger.service.journal import EntryDraft, post, reverse
from evergreen.ledger.service.streams import StreamDraft, add_stream

__all__ = [
    "Fed",
    "Step",
    "Unposted",
    "post_commerce_fee",
    "post_commerce_sale",
    "post_lending_movement",
    "post_network_earning",
    "post_partner_commission",
    "post_partner_payout",
    "unposted",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fed:
    """What an event did to the journal: the stream it counts in, how many transactions it
    posted (reversals included), the stream made for its source when the source had none, and
    why nothing stands when something should ("" when all is posted)."""

    stream_id: int | None
    posted: int
    made_stream: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Step:
    """An earlier state of a source event (from its history), replayed by `ledger sync`."""

    status: str
    amount: Decimal
    on: date


@dataclass(frozen=True)
class Unposted:
    """A source event the journal could not take, and why (e.g. it needs a price)."""

    origin: str
    note: str


@dataclass(frozen=True)
class _Source:
    """Where an event comes from, the stream it goes to, and how its entries read."""

    origin: str
    scope: str
    stream_id: int | None
    name: str  # of the network or program: the name of a stream made for it
    kind: StreamKind
    payee: str
    narration: str
    source: str


def post_network_earning(
    session: Session,
    *,
    earning_id: int,
    network_id: int,
    network_name: str,
    stream_id: int | None,
    order_id: str,
    status: str,
    commission: Decimal,
    currency: str,
    sold_on: date,
    today: date,
    valid: bool = True,
    history: Sequence[Step] = (),
) -> Fed:
    """A network's earning as it stands now: pending ("!"), approved ("*"), or nothing once
    reversed or declined; a changed amount is reversed and posted again. `history`, used only
    the first time the earning is fed (by `ledger sync`), replays its earlier states."""
    src = _Source(
        f"networks:earning:{earning_id}", f"networks:{network_id}", stream_id, network_name,
        StreamKind.AFFILIATE, network_name[:200], f"Commission on order {order_id}", "networks",
    )  # fmt: skip
    past = [(network_want(s.status, s.amount, currency, sold_on), s.on) for s in history]
    now = network_want(status, commission, currency, sold_on, valid=valid)
    return _feed(session, src, past, (now, today))


def post_partner_commission(
    session: Session,
    *,
    commission_id: int,
    program_id: int,
    program_name: str,
    stream_id: int | None,
    partner_name: str,
    kind: str,
    status: str,
    amount: Decimal,
    currency: str,
    today: date,
    history: Sequence[Step] = (),
) -> Fed:
    """A partner's commission (or clawback, or recruiter bonus) as it stands now: the program's
    cost owed to the partner once approved, reversed when it is reversed, held or refunded,
    reposted when a partial refund changes it. `history` as for network earnings."""
    words = {"clawback": "Clawback", "recruiter_bonus": "Recruiter bonus"}.get(kind, "Commission")
    src = _Source(
        f"partners:commission:{commission_id}", f"partners:{program_id}", stream_id,
        program_name, StreamKind.PARTNER_PROGRAM, partner_name[:200],
        f"{words} {commission_id} of partner {partner_name}"[:500], "partners",
    )  # fmt: skip
    past = [(commission_want(s.status, s.amount, currency, s.on), s.on) for s in history]
    return _feed(session, src, past, (commission_want(status, amount, currency, today), today))


_PRODUCT_STREAMS = {
    "digital": StreamKind.DIGITAL_PRODUCT,
    "bundle": StreamKind.DIGITAL_PRODUCT,
    "subscription": StreamKind.SUBSCRIPTION,
    "service": StreamKind.SERVICE,
}


def post_commerce_sale(
    session: Session,
    *,
    line_id: int,
    order_number: str,
    product_id: int,
    product_name: str,
    product_kind: str,
    paid: bool,
    amount: Decimal,
    currency: str,
    paid_on: date,
    today: date,
) -> Fed:
    """An order line as it stands now: its net amount (tax and refunds out) is income in a stream
    made for its product (a digital product's stream for digital ones); a refund reverses what
    stood and reposts what is left on its own day. A replay finds it standing and posts nothing."""
    src = _Source(
        f"commerce:line:{line_id}", f"commerce:{product_id}", None, product_name,
        _PRODUCT_STREAMS.get(product_kind, StreamKind.OTHER), "Buyer",
        f"Order {order_number}: {product_name}"[:500], "commerce",
    )  # fmt: skip
    return _feed(session, src, [], (sale_want(paid, amount, currency, paid_on), today))


def post_commerce_fee(
    session: Session,
    *,
    order_id: int,
    order_number: str,
    product_id: int,
    product_name: str,
    amount: Decimal,
    currency: str,
    paid_on: date,
) -> Fed:
    """The payment provider's fee on an order, a cost in the main product's stream, once."""
    src = _Source(
        f"commerce:fee:{order_id}", f"commerce:{product_id}", None, product_name,
        StreamKind.OTHER, "Payment provider", f"Payment fee on order {order_number}", "commerce",
    )  # fmt: skip
    return _feed(session, src, [], (fee_want(amount, currency, paid_on), paid_on))


def post_partner_payout(
    session: Session,
    *,
    payout_id: int,
    program_id: int,
    program_name: str,
    stream_id: int | None,
    currency: str,
    totals: Mapping[str, Decimal],
    paid_on: date,
) -> Fed:
    """A paid payout: what was owed to partners leaves the bank. Lines in a currency other
    than the program's are noted, not posted (the journal converts nothing)."""
    src = _Source(
        f"partners:payout:{payout_id}", f"partners:{program_id}", stream_id, program_name,
        StreamKind.PARTNER_PROGRAM, "Partners", f"Payout {payout_id} to partners", "partners",
    )  # fmt: skip
    want = payout_want(totals.get(currency, Decimal(0)), currency, paid_on)
    fed = _feed(session, src, [], (want, paid_on))
    others = sorted(c for c, total in totals.items() if c != currency and total != 0)
    if not others:
        return fed
    note = f"needs a price: the {', '.join(others)} lines are not in the {currency} ledger"
    row = session.get(FeedState, src.origin)
    assert row is not None
    row.note = (f"{row.note}; {note}" if row.note else note)[:300]
    return Fed(fed.stream_id, fed.posted, fed.made_stream, row.note)


def post_lending_movement(
    session: Session, *, movement_id: int, loan_id: int, loan_name: str, stream_id: int | None,
    legs: Sequence[tuple[str, Decimal]], currency: str, on: date, narration: str,
) -> Fed:  # fmt: skip
    """A loan's money movement (its legs split by lending), posted once in the loan's lending
    stream, made on its first movement; movements never change, so a replay posts nothing."""
    src = _Source(f"lending:movement:{movement_id}", f"lending:{loan_id}", stream_id, loan_name,
                  StreamKind.LENDING, loan_name[:200], narration[:500], "lending")  # fmt: skip
    row, _new = _locked_row(session, src.origin, src.scope)
    if row.transaction_id is not None:
        return Fed(row.stream_id, 0, None, row.note)
    stream = (session.get(Stream, stream_id) if stream_id else None) or _stream_made_for(
        session, src, currency, on)  # fmt: skip
    row.note = currency_problem(currency, stream.currency, stream.name)[:300]
    if row.note:
        return Fed(stream.id, 0, None if stream.id == stream_id else stream.id, row.note)
    key = f"{src.origin}:posted:1"
    draft = EntryDraft(on, [Leg(a, v, currency, stream.id) for a, v in legs], src.narration,
                       src.payee, source="lending", source_key=key)  # fmt: skip
    row.posted, row.transaction_id, row.state = 1, post(session, draft).id, "posted"
    row.currency, row.posted_on, row.stream_id = currency, on, stream.id
    row.amount = sum((v for _, v in legs if v > 0), Decimal(0))
    return Fed(stream.id, 1, None if stream.id == stream_id else stream.id)


def stream_of_scope(session: Session, scope: str) -> Stream | None:
    """The stream the feeds made (or found) for a scope, such as a product's "commerce:<id>";
    None before its first posting."""
    row = session.get(FeedState, f"{scope}:stream")
    return session.get(Stream, row.stream_id) if row is not None and row.stream_id else None


def unposted(session: Session, area: str, owner_id: int, limit: int = 200) -> list[Unposted]:
    """Events of a network ("networks", its id) or a program ("partners", its id) that the
    journal could not take, latest first."""
    rows = session.scalars(
        select(FeedState)
        .where(FeedState.scope == f"{area}:{owner_id}", FeedState.note != "")
        .order_by(FeedState.updated_at.desc(), FeedState.origin)
        .limit(limit)
    )
    return [Unposted(row.origin, row.note) for row in rows]


def _feed(
    session: Session,
    src: _Source,
    history: Sequence[tuple[Want | None, date]],
    final: tuple[Want | None, date],
) -> Fed:
    row, new = _locked_row(session, src.origin, src.scope)
    posted, made = 0, None
    for want, today in [*history, final] if new else [final]:
        count, stream = _apply(session, row, src, want, today)
        posted += count
        made = made or stream
    return Fed(row.stream_id, posted, made, row.note)


def _locked_row(session: Session, origin: str, scope: str) -> tuple[FeedState, bool]:
    """The event's row, locked until this unit of work ends (PostgreSQL: FOR UPDATE; SQLite:
    a writer holds the database); made on first use. True when it was made now."""
    query = (
        select(FeedState)
        .where(FeedState.origin == origin)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = session.scalar(query)
    if row is not None:
        return row, False
    row = FeedState(origin=origin, scope=scope, state="", currency="", posted=0, note="")
    try:
        with session.begin_nested():  # the same event fed by two sessions at once: one makes it
            session.add(row)
            session.flush()
    except IntegrityError:
        stored = session.scalar(query)
        assert stored is not None
        return stored, False
    return row, True


def _standing(session: Session, row: FeedState) -> Standing | None:
    if row.transaction_id is None or row.posted_on is None:
        return None
    undone = session.scalar(
        select(JournalEntry.id).where(JournalEntry.reverses_id == row.transaction_id)
    )
    if undone is not None:  # reversed by hand: nothing stands for the event any more
        _clear(row)
        return None
    return Standing(
        row.transaction_id, row.state, row.amount or Decimal(0), row.currency, row.posted_on
    )


def _clear(row: FeedState) -> None:
    """Nothing stands for the event any more."""
    row.transaction_id, row.amount, row.posted_on = None, None, None
    row.state, row.currency = "", ""


def _apply(
    session: Session, row: FeedState, src: _Source, want: Want | None, today: date
) -> tuple[int, int | None]:
    """Take the journal from what stands to `want`; (transactions posted, stream made)."""
    standing = _standing(session, row)
    stream_id = row.stream_id if standing is not None and row.stream_id else src.stream_id
    made = None
    note = ""
    if want is not None:
        stream = session.get(Stream, stream_id) if stream_id is not None else None
        if stream is None:
            stream = _stream_made_for(session, src, want.currency, min(want.on, today))
            stream_id = made = stream.id
        note = currency_problem(want.currency, stream.currency, stream.name)
        if note:
            log.warning("ledger: %s not posted: %s", src.origin, note)
            want = None
    plan = steps(standing, want, today)
    posted = 0
    if plan.reverse_on is not None and standing is not None:
        why = f"now {want.state} {want.amount}" if want is not None else "no longer counts"
        reverse(session, standing.transaction_id, plan.reverse_on, why)
        _clear(row)
        posted += 1
    if plan.post_on is not None and want is not None and stream_id is not None:
        row.posted += 1
        entry = post(
            session,
            EntryDraft(
                date=plan.post_on, legs=want.legs(stream_id), narration=src.narration,
                payee=src.payee, flag=want.flag, source=src.source,
                source_key=f"{src.origin}:{want.state}:{row.posted}",
            ),
        )  # fmt: skip
        row.transaction_id, row.state, row.amount = entry.id, want.state, want.amount
        row.currency, row.posted_on, row.stream_id = want.currency, plan.post_on, stream_id
        posted += 1
    row.note = note[:300]
    return posted, made


def _stream_made_for(session: Session, src: _Source, currency: str, started_on: date) -> Stream:
    """The stream made for a network or program that has none: named after it (numbered when
    the name is taken), made once and remembered, however many sessions ask at once."""
    row, _new = _locked_row(session, f"{src.scope}:stream", src.scope)
    if row.stream_id is not None:
        stream = session.get(Stream, row.stream_id)
        if stream is not None:
            return stream
    for name in stream_names(src.name):
        try:
            made = add_stream(
                session, StreamDraft(name, src.kind, currency, started_on), started_on
            )
        except Conflict:
            continue
        row.stream_id = made.id
        return made
    raise AssertionError("stream_names never runs out")
