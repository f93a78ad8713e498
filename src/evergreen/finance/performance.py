"""Residual income as a performance measure: did a period earn more than its capital costs?"""

from __future__ import annotations

import math
from collections.abc import Sequence

from evergreen.finance.discounting import (
    discount_factors,
)
from evergreen.finance.errors import FinanceInputError
from evergreen.finance.inputs import (
    checked_number,
    checked_numbers,
    checked_rate,
    finite_result,
    growth_below,
)

__all__ = [
    "after_tax_cost_of_debt",
    "economic_value_added",
    "equity_residual_income",
    "market_value_added",
    "market_value_added_from_eva",
    "nopat",
    "wacc",
]


def _tax_rate(value: object) -> float:
    """A tax rate from 0 to just under 1; 0.30 means 30%."""
    rate = checked_number("tax_rate", value)
    if not 0.0 <= rate < 1.0:
        raise FinanceInputError(
            "tax_rate", f"must be at least 0 and below 1 (got {rate:g}); 0.30 means 30%"
        )
    return rate


def _not_negative(field: str, value: object) -> float:
    """An amount of capital, which can be zero but not negative."""
    amount = checked_number(field, value)
    if amount < 0:
        raise FinanceInputError(
            field, f"must be zero or more (got {amount:g}); a capital charge on it makes no sense"
        )
    return amount


def nopat(ebit: float, tax_rate: float) -> float:
    """EBIT·(1 - t): operating profit after tax, before any financing cost."""
    return checked_number("ebit", ebit) * (1.0 - _tax_rate(tax_rate))


def after_tax_cost_of_debt(pre_tax_cost_of_debt: float, tax_rate: float) -> float:
    """r_d·(1 - t): interest is tax deductible, so debt costs less than its coupon."""
    return checked_rate("pre_tax_cost_of_debt", pre_tax_cost_of_debt) * (1.0 - _tax_rate(tax_rate))


def wacc(
    *,
    equity_weight: float,
    cost_of_equity: float,
    debt_weight: float,
    pre_tax_cost_of_debt: float,
    tax_rate: float,
    preferred_weight: float = 0.0,
    cost_of_preferred: float = 0.0,
) -> float:
    """w_e·r_e + w_d·r_d·(1 - t) + w_p·r_p: the hurdle EVA charges on all capital.

    Keyword-only so equity and debt figures can't be swapped by position.
    """
    weights = {
        "equity_weight": checked_number("equity_weight", equity_weight),
        "debt_weight": checked_number("debt_weight", debt_weight),
        "preferred_weight": checked_number("preferred_weight", preferred_weight),
    }
    for field, weight in weights.items():
        if not 0.0 <= weight <= 1.0:
            raise FinanceInputError(field, f"must be between 0 and 1 (got {weight:g})")
    total = math.fsum(weights.values())
    if abs(total - 1.0) > 1e-9:
        raise FinanceInputError(
            "equity_weight",
            f"capital weights add up to {total:g}, not 1; give shares of total capital",
        )
    return (
        weights["equity_weight"] * checked_rate("cost_of_equity", cost_of_equity)
        + weights["debt_weight"] * after_tax_cost_of_debt(pre_tax_cost_of_debt, tax_rate)
        + weights["preferred_weight"] * checked_rate("cost_of_preferred", cost_of_preferred)
    )


def economic_value_added(nopat: float, capital: float, wacc: float) -> float:
    """NOPAT - WACC·capital: operating profit left after paying for all capital used."""
    profit = checked_number("nopat", nopat)
    invested = _not_negative("capital", capital)
    result = profit - checked_rate("wacc", wacc) * invested
    finite_result("capital", result)
    return result


def equity_residual_income(net_income: float, equity: float, cost_of_equity: float) -> float:
    """NI - r_e·equity: net income left after the shareholders' required return."""
    income = checked_number("net_income", net_income)
    book = _not_negative("equity", equity)
    result = income - checked_rate("cost_of_equity", cost_of_equity) * book
    finite_result("equity", result)
    return result


def market_value_added(market_value_of_capital: float, invested_capital: float) -> float:
    """Market value of debt and equity minus capital invested: value created so far."""
    market = _not_negative("market_value_of_capital", market_value_of_capital)
    invested = _not_negative("invested_capital", invested_capital)
    return market - invested


def market_value_added_from_eva(
    eva: Sequence[float], wacc: float, *, terminal_growth: float | None = None
) -> float:
    """MVA as the PV of future EVA at WACC, optionally growing forever after the forecast."""
    flows = checked_numbers("eva", eva)
    rate = checked_rate("wacc", wacc)
    factors = discount_factors(rate, len(flows), "wacc")
    total = math.fsum(e * f for e, f in zip(flows, factors, strict=True))
    if terminal_growth is not None:
        g = growth_below("terminal_growth", terminal_growth, rate, "wacc")
        total += flows[-1] * (1.0 + g) / (rate - g) * factors[-1]
    finite_result("eva", total)
    return total
