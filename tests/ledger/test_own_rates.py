"""rates_for: a saved default is needed only by the streams that lack their own rate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evergreen.db import Database, utcnow
from evergreen.ledger import service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.rules import Rates, StreamKind

D = Decimal


def test_a_default_is_asked_for_only_when_a_stream_falls_back_on_it(db: Database) -> None:
    today = utcnow().date()
    with db.session() as session:
        blog = service.StreamDraft("Blog", StreamKind.AFFILIATE, hourly_rate=D(40),
                                   required_return=D("0.08"))  # fmt: skip
        own = service.add_stream(session, blog, today)
        book = service.StreamDraft("Book", StreamKind.ROYALTIES, hourly_rate=D(30))
        half = service.add_stream(session, book, today)
        # Every stream has its own: the default stands at 0, and no stream is charged it.
        assert service.rates_for(session, None, None, streams=[own]) == Rates(D(0), D(0))
        assert own.hourly_rate == D(40)
        with pytest.raises(LedgerInputError) as refused:  # Book's return falls back on it
            service.rates_for(session, None, None, streams=[own, half])
        assert refused.value.field == "required_return"
        assert service.rates_for(session, None, D("0.1"), streams=[own, half]) == Rates(
            D(0), D("0.1")
        )
        with pytest.raises(LedgerInputError):  # no stream at all: the defaults, as before
            service.rates_for(session, None, None, streams=[])
        service.set_preferences(session, hourly_rate=D(50), required_return=D("0.06"))
        assert service.rates_for(session, None, None, streams=[own]) == Rates(D(50), D("0.06"))
