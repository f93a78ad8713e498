"""Discounted dividends and free cash flow to equity: the cash views residual income must match."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evergreen.finance.errors import FinanceInputError
from evergreen.finance.inputs import (
    checked_number,
    checked_numbers,
    checked_rate,
    finite_result,
    growth_below,
)

__all__ = [
    "DiscountedCashFlowValuation",
    "discount_factors",
    "dividend_discount",
    "free_cash_flow_to_equity",
    "gordon_growth_value",
]

TerminalMethod = Literal["none", "price", "gordon"]


def discount_factors(rate: float, periods: int, field: str = "cost_of_equity") -> list[float]:
    """1/(1+r)^t for t = 1..periods, the one place every model turns time into money."""
    r = checked_rate(field, rate)
    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 0:
        raise FinanceInputError("periods", f"must be a whole number, 0 or more (got {periods!r})")
    try:
        factors = [(1.0 + r) ** -t for t in range(1, periods + 1)]
    except OverflowError:
        raise FinanceInputError(
            field, f"{r:g} is so close to -1 that discount factors overflow"
        ) from None
    finite_result(field, *factors)
    return factors


def gordon_growth_value(next_cash_flow: float, rate: float, growth: float) -> float:
    """CF_1/(r - g): what a cash flow growing forever is worth one period before it starts."""
    cash = checked_number("next_cash_flow", next_cash_flow)
    r = checked_rate("cost_of_equity", rate)
    g = growth_below("terminal_growth", growth, r, "cost_of_equity")
    value = cash / (r - g)
    finite_result("next_cash_flow", value)
    return value


@dataclass(frozen=True)
class DiscountedCashFlowValuation:
    """Each discounted flow and the terminal step, so a report can show how value adds up."""

    model: str
    value: float
    cost_of_equity: float
    cash_flows: list[float]
    discount_factors: list[float]
    present_values: list[float]
    terminal_method: TerminalMethod
    terminal_growth: float | None
    terminal_value: float
    pv_terminal_value: float

    @property
    def horizon(self) -> int:
        """Number of explicit forecast years, the date at which terminal_value is stated."""
        return len(self.cash_flows)

    def bridge(self) -> list[tuple[str, float]]:
        """Ordered (label, amount) steps that add up to value, for reports and the CLI."""
        label = "dividends" if self.model == "dividend_discount" else "FCFE"
        return [
            (f"PV of {label}, years 1-{self.horizon}", math.fsum(self.present_values)),
            (f"PV of terminal value at year {self.horizon}", self.pv_terminal_value),
        ]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-safe values for the API and CLI."""
        return {
            "model": self.model,
            "value": self.value,
            "cost_of_equity": self.cost_of_equity,
            "cash_flows": list(self.cash_flows),
            "discount_factors": list(self.discount_factors),
            "present_values": list(self.present_values),
            "terminal_method": self.terminal_method,
            "terminal_growth": self.terminal_growth,
            "terminal_value": self.terminal_value,
            "pv_terminal_value": self.pv_terminal_value,
            "bridge": [[label, amount] for label, amount in self.bridge()],
        }


def _discount(
    model: str,
    flows: list[float],
    r: float,
    method: TerminalMethod,
    growth: float | None,
    terminal: float,
) -> DiscountedCashFlowValuation:
    """Discount explicit flows plus a terminal value stated at the last forecast year."""
    factors = discount_factors(r, len(flows))
    pvs = [f * d for f, d in zip(flows, factors, strict=True)]
    pv_terminal = terminal * factors[-1]
    value = math.fsum(pvs) + pv_terminal
    finite_result("cash_flows", value, *pvs)
    return DiscountedCashFlowValuation(
        model=model,
        value=value,
        cost_of_equity=r,
        cash_flows=flows,
        discount_factors=factors,
        present_values=pvs,
        terminal_method=method,
        terminal_growth=growth,
        terminal_value=terminal,
        pv_terminal_value=pv_terminal,
    )


def dividend_discount(
    dividends: Sequence[float],
    cost_of_equity: float,
    *,
    terminal_price: float | None = None,
    terminal_growth: float | None = None,
) -> DiscountedCashFlowValuation:
    """Multistage DDM: explicit dividends, then a sale price or Gordon growth at the horizon."""
    flows = checked_numbers("dividends", dividends)
    for year, dividend in enumerate(flows, start=1):
        if dividend < 0:
            raise FinanceInputError(
                "dividends", f"must be zero or more (got {dividend:g} in year {year})"
            )
    r = checked_rate("cost_of_equity", cost_of_equity)
    if terminal_price is not None and terminal_growth is not None:
        raise FinanceInputError(
            "terminal_price", "give terminal_price or terminal_growth, not both"
        )
    if terminal_price is not None:
        price = checked_number("terminal_price", terminal_price)
        if price < 0:
            raise FinanceInputError("terminal_price", f"must be zero or more (got {price:g})")
        return _discount("dividend_discount", flows, r, "price", None, price)
    if terminal_growth is not None:
        g = growth_below("terminal_growth", terminal_growth, r, "cost_of_equity")
        terminal = flows[-1] * (1.0 + g) / (r - g)
        return _discount("dividend_discount", flows, r, "gordon", g, terminal)
    return _discount("dividend_discount", flows, r, "none", None, 0.0)


def free_cash_flow_to_equity(
    fcfe: Sequence[float],
    cost_of_equity: float,
    *,
    terminal_growth: float | None = None,
) -> DiscountedCashFlowValuation:
    """FCFE model: explicit free cash flow to equity, then Gordon growth on the last year's."""
    flows = checked_numbers("fcfe", fcfe)
    r = checked_rate("cost_of_equity", cost_of_equity)
    if terminal_growth is None:
        return _discount("free_cash_flow_to_equity", flows, r, "none", None, 0.0)
    g = growth_below("terminal_growth", terminal_growth, r, "cost_of_equity")
    if flows[-1] < 0:
        raise FinanceInputError(
            "fcfe",
            f"the last year's FCFE is {flows[-1]:g}; a growing perpetuity of a negative flow "
            "is not a value, so extend the forecast until FCFE turns positive",
        )
    terminal = flows[-1] * (1.0 + g) / (r - g)
    return _discount("free_cash_flow_to_equity", flows, r, "gordon", g, terminal)
