"""The MRR page's "use as the stream's ω" while the owner saves their own ω on the stream's page
at the same moment: the owner's ω is never overwritten. On PostgreSQL the estimate checked the
stream it had read before the owner's save committed (no ω yet) and wrote over the owner's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.db import Database
from evergreen.ledger import service as ledger
from tests.commerce.orders_world import SECRET
from tests.commerce.subscriptions_world import make_club, subscribe_input
from tests.races import race

OWNERS = Decimal("0.5")


def _club_with_history(db: Database, now: datetime) -> int:
    """Club with three subscribers since four months, one gone after two: enough for an ω."""
    with db.session() as session:
        club, _trial = make_club(session)
    for n in range(3):
        with db.session() as session:
            done = service.subscriptions.subscribe(
                session, None, subscribe_input(slug="club", email=f"s{n}@example.com"),
                now - timedelta(days=124),
            )  # fmt: skip
            assert done.order is not None
            service.mark_manual_paid(session, done.order.id, SECRET, now - timedelta(days=124))
            if n == 0:
                subscription, gone = done.subscription.id, now - timedelta(days=62)
                service.subscriptions.cancel(session, subscription, gone, at_period_end=False)
    return club


def test_the_owners_own_omega_saved_meanwhile_is_never_overwritten(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    club = _club_with_history(db, now)

    def estimate(session: Session) -> object:
        return service.subscriptions.use_persistence(session, club, now)

    def owners_save(session: Session) -> object:
        stream = ledger.stream_of_scope(session, f"commerce:{club}")
        assert stream is not None
        return ledger.update_stream(session, stream, {"persistence": OWNERS}).persistence

    first, second = race(
        db, monkeypatch, estimate, owners_save,
        pause_at=(ledger, "stream_of_scope"), pause_after=True,
    )  # fmt: skip
    assert second == (OWNERS, None)
    if db.single_writer:  # the estimate held the write lock: the owner's save came after it
        assert first[1] is None, first
    else:  # the owner's save came first: the estimate is refused, naming the owner's ω
        assert isinstance(first[1], CommerceInputError), first
        assert "has your own ω" in first[1].message
    with db.session(writer=False) as session:
        stream = ledger.stream_of_scope(session, f"commerce:{club}")
        assert stream is not None
        assert stream.persistence == OWNERS
