"""One affiliate link assigned to two networks at the same moment: both requests answer, and the
link ends with exactly one assignment, to the network whose request wrote last (on PostgreSQL
the later insert met the other's unique key and answered 500)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.links import service as links
from evergreen.networks import service as networks
from evergreen.networks.models import Network, NetworkLink
from tests.races import Work, race


def _setup(db: Database) -> tuple[int, int]:
    with db.session() as session:
        links.create_link(
            session,
            links.LinkDraft(destination="https://shop.example/p", slug="amz", kind="affiliate"),
        )
        first, _ = networks.create_network(session, "Impact")
        second, _ = networks.create_network(session, "Awin")
        return first.id, second.id


def _assign(network_id: int) -> Work:
    def assign(session: Session) -> object:
        network = session.get(Network, network_id)
        assert network is not None
        return networks.assign_link(session, network, "amz").network_id

    return assign


@pytest.mark.parametrize("both_new", [True, False], ids=["unassigned", "moved"])
def test_a_link_assigned_to_two_networks_at_once_ends_with_the_later_one(
    db: Database, monkeypatch: pytest.MonkeyPatch, both_new: bool
) -> None:
    impact, awin = _setup(db)
    if not both_new:  # already Impact's: both requests move it
        with db.session() as session:
            network = session.get(Network, impact)
            assert network is not None
            networks.assign_link(session, network, "amz")
    first, second = race(
        db, monkeypatch, _assign(awin), _assign(impact),
        pause_at=(networks, "_network_link"), pause_after=True,
    )  # fmt: skip
    assert first[1] is None, first[1]
    assert second[1] is None, second[1]
    with db.session(writer=False) as session:
        rows = session.scalars(select(NetworkLink)).all()
    assert len(rows) == 1
    # Each answered the network it assigned; the one that wrote last holds the link. SQLite:
    # the first holds the write lock, so the second comes after it. PostgreSQL: with no row
    # yet, the paused first inserts after the second committed, meets its key and moves its
    # row; with a row, the second waits for the first's lock on it and moves it after.
    assert (first[0], second[0]) == (awin, impact)
    assert rows[0].network_id == (awin if both_new and not db.single_writer else impact)
