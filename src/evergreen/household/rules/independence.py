"""Progress to financial independence: how much of the spending passive income covers, and when
it covers all of it if it keeps growing as it has.

A stream is passive in a month when the owner spent fewer hours on it than the passive
threshold (the ledger's preference). Passive income is those streams' income less their costs.
The trend is the compound monthly growth of a least-squares line through the logarithm of the
months with passive income, so one good or bad month moves it less than a first-to-last ratio.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from evergreen.finance.household import months_to_financial_independence
from evergreen.household.rules.budget import StreamMonth
from evergreen.household.rules.limits import MODEL_LIMIT

__all__ = [
    "MIN_TREND_MONTHS",
    "Independence",
    "independence",
    "is_passive",
    "monthly_growth",
    "passive_income",
]

MIN_TREND_MONTHS = 3
_ZERO = Decimal(0)


def is_passive(hours: Decimal, threshold: Decimal) -> bool:
    """Passive that month: the owner spent under the threshold's hours on the stream."""
    return hours < threshold


def passive_income(streams: Iterable[StreamMonth]) -> Decimal:
    """Income less costs of the month's passive streams in the household's currency."""
    return sum((s.net for s in streams if s.passive and s.counted), _ZERO)


def monthly_growth(series: Sequence[Decimal]) -> float | None:
    """Compound monthly growth of the months with passive income, by a log-linear fit; None
    with fewer than three such months (no trend can be told from less)."""
    points = [(i, math.log(value)) for i, value in enumerate(series) if value > 0]
    if len(points) < MIN_TREND_MONTHS:
        return None
    count = len(points)
    mean_x = math.fsum(x for x, _ in points) / count
    mean_y = math.fsum(y for _, y in points) / count
    spread = math.fsum((x - mean_x) ** 2 for x, _ in points)
    slope = math.fsum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return math.expm1(slope)


@dataclass(frozen=True)
class Independence:
    """Passive income against spending this month, and the months to cover it at the trend."""

    passive_income: Decimal
    spending: Decimal
    share: Decimal | None  # passive income ÷ spending; None when nothing is spent
    growth: float | None  # monthly, from the trend; None without enough history
    months: int | None  # 0 when covered now; None when never at this trend (or no spending)

    @property
    def covered(self) -> bool:
        """Passive income pays for all the spending already."""
        return self.share is not None and self.share >= 1


def independence(passive: Decimal, spending: Decimal, history: Sequence[Decimal]) -> Independence:
    """Where the household stands: `history` is passive income by month, oldest first, ending
    with this month's `passive`."""
    growth = monthly_growth(history)
    if spending <= 0:
        return Independence(passive, spending, None, growth, None)
    earned = max(passive, _ZERO)
    months = None
    computable = earned <= MODEL_LIMIT and spending <= MODEL_LIMIT  # else left unknown: None
    if computable and (earned >= spending or growth is not None):
        months = months_to_financial_independence(
            float(earned), float(spending), growth if growth is not None else 0.0
        )
    return Independence(passive, spending, earned / spending, growth, months)
