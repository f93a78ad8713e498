"""The capital-days behind a stream's capital charge, as its page shows the working (pure
rules, no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from evergreen.ledger.rules import capital_charge
from evergreen.ledger.rules.residual import capital_days


def test_capital_days_count_each_days_closing_balance() -> None:
    # 1000 before the period; +500 on the 2nd, -1500 on the 3rd: 1000 + 1500 + 0 + 0.
    changes = {date(2026, 1, 2): Decimal(500), date(2026, 1, 3): Decimal(-1500)}
    days = capital_days(Decimal(1000), changes, date(2026, 1, 1), date(2026, 1, 4))
    assert days == Decimal(2500)
    r = Decimal("0.08")
    charge = capital_charge(Decimal(1000), changes, date(2026, 1, 1), date(2026, 1, 4), r)
    assert days * r / 365 == charge
