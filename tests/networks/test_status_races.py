"""Two postbacks (or a postback and a report line) for the same order at once: each waits for
the other's change of the earning and decides on what is stored then, so statuses still only
move forward (a reversal is final) and the ledger posts what the earning ends as. The first is
paused after it read the earning, before it decides: under READ COMMITTED it then wrote its
status over the other's committed reversal (a reversed sale counted as approved income)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.networks import service as networks
from evergreen.networks.models import EarningEvent, Network, NetworkEarning
from tests.ledger.journal_view import journal
from tests.races import Work, race

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _pb(status: str, payout: str = "12.50") -> dict[str, str]:
    return {"oid": "o1", "subid": "", "amount": "100", "payout": payout, "status": status}


def _setup(db: Database, status: str) -> int:
    """The network, with order o1 stored at `status`."""
    with db.session() as session:
        network, _secret = networks.create_network(session, "Impact")
        networks.receive_postback(session, network, _pb("pending"), T0)
        if status != "pending":
            networks.receive_postback(session, network, _pb(status), T0)
        return network.id


def _postback(network_id: int, params: Mapping[str, str]) -> Work:
    def receive(session: Session) -> object:
        network = session.get(Network, network_id)
        assert network is not None
        return networks.receive_postback(session, network, params, T0)

    return receive


def _report(network_id: int, status: str) -> Work:
    def load(session: Session) -> object:
        network = session.get(Network, network_id)
        assert network is not None
        csv = f"order_id,commission,amount,status\no1,12.50,100,{status}\n"
        networks.save_report_mapping(
            session, network,
            {"order_id": "order_id", "commission": "commission", "amount": "amount",
             "status": "status"},
        )  # fmt: skip
        result = networks.import_report(session, network, csv, T0)
        assert not result.errors, result.errors
        return result

    return load


def _earning(session: Session) -> NetworkEarning:
    return session.scalars(select(NetworkEarning)).one()


def _history(session: Session) -> list[tuple[str, str]]:
    """Each change starts from where the one before it left the earning: no lost update."""
    steps = [
        (e.from_status, e.to_status)
        for e in session.scalars(select(EarningEvent).order_by(EarningEvent.id))
    ]
    for (_, after), (before, _) in pairwise(steps):
        assert before == after, steps
    assert steps[-1][1] == _earning(session).status, steps
    return steps


def _net_income(session: Session) -> Decimal:
    """What the ledger's income accounts say the network earned (income is a credit)."""
    return -sum(
        (amount for *_, legs in journal(session) for acc, amount, _c, _s in legs
         if acc.startswith("Income")),
        Decimal(0),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("start", "first", "second"),
    [
        ("pending", "approved", "reversed"),
        ("approved", "approved-corrected", "reversed"),
        ("pending", "report-approved", "reversed"),
    ],
    ids=["approve", "correct", "report"],
)
def test_a_reversal_arriving_with_another_update_stays_final(
    db: Database, monkeypatch: pytest.MonkeyPatch, start: str, first: str, second: str
) -> None:
    network_id = _setup(db, start)
    if first == "report-approved":
        work = _report(network_id, "approved")
    elif first == "approved-corrected":
        work = _postback(network_id, _pb("approved", payout="15.00"))
    else:
        work = _postback(network_id, _pb(first))
    (_, first_error), (_, second_error) = race(
        db, monkeypatch, work, _postback(network_id, _pb(second)),
        pause_at=(networks, "decide"),
    )  # fmt: skip
    assert (first_error, second_error) == (None, None)
    with db.session(writer=False) as session:
        assert _earning(session).status == "reversed"
        assert _history(session)[-1][1] == "reversed"
        assert _net_income(session) == 0, journal(session)


def test_two_approvals_at_once_are_one_move(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    network_id = _setup(db, "pending")
    work = _postback(network_id, _pb("approved"))
    (_, first_error), (_, second_error) = race(
        db, monkeypatch, work, work, pause_at=(networks, "decide")
    )
    assert (first_error, second_error) == (None, None)
    with db.session(writer=False) as session:
        assert _earning(session).status == "approved"
        assert _history(session) == [("", "pending"), ("pending", "approved")]
        assert _net_income(session) == Decimal("12.50"), journal(session)
