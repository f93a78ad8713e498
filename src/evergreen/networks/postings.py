"""The network's earnings in the ledger: the stream they count in, and their postings, made in
the transaction that stores each postback or report row (and by `evergreen ledger sync`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.ledger import service as ledger
from evergreen.links import queries as links_queries
from evergreen.networks.models import EarningEvent, Network, NetworkEarning
from evergreen.networks.rules import NetworkRuleError

__all__ = ["check_stream", "post_to_ledger", "set_stream", "to_ledger"]


def check_stream(session: Session, stream_id: int | None) -> None:
    """A stream the owner names must exist (the ledger's streams)."""
    ledger.require_stream(session, stream_id, NetworkRuleError)


def set_stream(session: Session, network: Network, stream_id: int | None) -> Network:
    """Put the network's earnings in a stream from now on (entries already posted stay where
    they are: the journal is history); None lets the next earning make one named after it."""
    check_stream(session, stream_id)
    network.stream_id = stream_id
    session.flush()
    return network


def to_ledger(
    session: Session,
    network: Network,
    earning: NetworkEarning,
    today: date,
    history: Sequence[ledger.Step] = (),
) -> int:
    """Post the earning as it stands now, in the same transaction: in its link's stream, else
    the network's (made for the network at its first earning when it has none)."""
    stream_id = network.stream_id
    if earning.link_id is not None:
        stream_id = links_queries.link_streams(session, [earning.link_id]).get(
            earning.link_id, stream_id
        )
    fed = ledger.post_network_earning(
        session, earning_id=earning.id, network_id=network.id, network_name=network.name,
        stream_id=stream_id, order_id=earning.order_id, status=earning.status,
        commission=earning.commission, currency=earning.currency,
        sold_on=earning.occurred_at.date(), today=today, valid=earning.valid, history=history,
    )  # fmt: skip
    if fed.made_stream is not None and network.stream_id is None:
        network.stream_id = fed.made_stream
    return fed.posted


def post_to_ledger(session: Session, today: date) -> int:
    """Post every earning stored before the ledger fed on them (`evergreen ledger sync`): an
    earning never fed replays its history of states, one fed already is checked against what
    stands; returns the transactions posted (0 when run again)."""
    posted = 0
    networks = {n.id: n for n in session.scalars(select(Network).order_by(Network.id))}
    history: dict[int, list[ledger.Step]] = {}
    for event in session.scalars(select(EarningEvent).order_by(EarningEvent.id)):
        history.setdefault(event.earning_id, []).append(
            ledger.Step(event.to_status, event.commission, event.at.date())
        )
    earnings = session.scalars(
        select(NetworkEarning).where(NetworkEarning.valid.is_(True)).order_by(NetworkEarning.id)
    ).all()
    for earning in earnings:
        network = networks[earning.network_id]
        posted += to_ledger(session, network, earning, today, history.pop(earning.id, []))
    return posted
