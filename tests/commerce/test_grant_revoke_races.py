"""Two owners revoke one grant at once, with different reasons (tests/races.py, both databases).
The grant is locked and read fresh, so the second sees it revoked and leaves the first's reason
and time; before, on PostgreSQL, the paused first revoked it again from its stale read, writing
its reason over the one the second had just stored and told its owner."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.models import Grant
from evergreen.commerce.service import delivery
from evergreen.db import Database, utcnow
from tests.races import race


def test_two_revokes_of_one_grant_at_once_keep_the_first_reason(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Ebook", "digital"))
        service.store_file(session, tmp_path, row.id, "ebook.pdf", [b"%PDF-1.7"])
        grant_id = delivery.grant(session, row.id, "bea@example.com", "order:A1")[0].id
    now = utcnow()

    def revoke(reason: str, at: timedelta) -> object:
        def work(session: Session) -> object:
            done = service.revoke_grant(session, grant_id, reason, now + at)
            return done.revoked_reason, done.revoked_at

        return work

    (first, first_error), (second, second_error) = race(
        db, monkeypatch, revoke("chargeback", timedelta(0)), revoke("shared", timedelta(1)),
        pause_at=(delivery, "_revoke_rows"),
    )  # fmt: skip
    assert first_error is None, first_error
    assert second_error is None, second_error
    with db.session(writer=False) as session:
        stored = session.get(Grant, grant_id)
        assert stored is not None
        assert stored.status == "revoked"
        kept = (stored.revoked_reason, stored.revoked_at)
    assert first == second == kept  # each owner was told what stands
    assert kept[0] == "chargeback"  # the first to revoke; the second found it done
