"""Discounted dividends and free cash flow to equity: the cash views residual income must match."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evergreen.finance.errors import FinanceInputError

__all__ = [
    "DiscountedCashFlowValuation",
    "discount_factors",
    "dividend_discount",
    "free_cash_flow_to_equity",
    "gordon_growth_value",
]

TerminalMethod = Literal["none", "price", "gordon"]


# Package-private checks, shared by the other finance modules so every model words errors alike.
def _number(field: str, value: object) -> float:
    """Turn one input into a finite float, or say which field is not a usable number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise FinanceInputError(field, f"must be a number (got {value!r})")
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise FinanceInputError(
            field, f"must be a finite number (got {result}); pass a real amount"
        )
    return result


def _rate(field: str, value: object) -> float:
    """A rate above -100%, the least that keeps (1 + rate) a usable discount base."""
    result = _number(field, value)
    if result <= -1.0:
        raise FinanceInputError(
            field, f"must be greater than -1 (got {result:g}); rates are decimals, 0.10 means 10%"
        )
    return result


def _plain(values: object) -> object:
    """Numpy arrays (anything with tolist) become lists, so callers can pass either."""
    tolist = getattr(values, "tolist", None)
    return tolist() if callable(tolist) and not isinstance(values, Sequence) else values


def _numbers(field: str, values: object, length: int | None = None, of: str = "") -> list[float]:
    """A non-empty sequence of finite floats, optionally as long as another input."""
    values = _plain(values)
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise FinanceInputError(field, f"must be a list of numbers, one per year (got {values!r})")
    if not values:
        raise FinanceInputError(field, "must hold at least one year; give one value per year")
    result = [_number(f"{field}[{i}]", v) for i, v in enumerate(values)]
    if length is not None and len(result) != length:
        raise FinanceInputError(
            field,
            f"has {len(result)} values but {of} has {length}; give one value per forecast year",
        )
    return result


def _growth_below(field: str, growth: object, rate: float, rate_field: str) -> float:
    """A perpetuity growth rate that stays below the discount rate, so the sum converges."""
    g = _rate(field, growth)
    if rate <= g:
        raise FinanceInputError(
            rate_field,
            f"must be greater than growth (got r={rate:g}, g={g:g}); a perpetuity growing "
            "at or above its discount rate has no finite value",
        )
    return g


def _finite_result(field: str, *values: float) -> None:
    """Refuse a result that overflowed, naming the input most likely to blame."""
    if not all(math.isfinite(v) for v in values):
        raise FinanceInputError(
            field, "the forecast overflows floating point; check units and magnitudes"
        )


def discount_factors(rate: float, periods: int, field: str = "cost_of_equity") -> list[float]:
    """1/(1+r)^t for t = 1..periods, the one place every model turns time into money."""
    r = _rate(field, rate)
    if isinstance(periods, bool) or not isinstance(periods, int) or periods < 0:
        raise FinanceInputError("periods", f"must be a whole number, 0 or more (got {periods!r})")
    try:
        factors = [(1.0 + r) ** -t for t in range(1, periods + 1)]
    except OverflowError:
        raise FinanceInputError(
            field, f"{r:g} is so close to -1 that discount factors overflow"
        ) from None
    _finite_result(field, *factors)
    return factors


def gordon_growth_value(next_cash_flow: float, rate: float, growth: float) -> float:
    """CF_1/(r - g): what a cash flow growing forever is worth one period before it starts."""
    cash = _number("next_cash_flow", next_cash_flow)
    r = _rate("cost_of_equity", rate)
    g = _growth_below("terminal_growth", growth, r, "cost_of_equity")
    value = cash / (r - g)
    _finite_result("next_cash_flow", value)
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
    _finite_result("cash_flows", value, *pvs)
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
    flows = _numbers("dividends", dividends)
    for year, dividend in enumerate(flows, start=1):
        if dividend < 0:
            raise FinanceInputError(
                "dividends", f"must be zero or more (got {dividend:g} in year {year})"
            )
    r = _rate("cost_of_equity", cost_of_equity)
    if terminal_price is not None and terminal_growth is not None:
        raise FinanceInputError(
            "terminal_price", "give terminal_price or terminal_growth, not both"
        )
    if terminal_price is not None:
        price = _number("terminal_price", terminal_price)
        if price < 0:
            raise FinanceInputError("terminal_price", f"must be zero or more (got {price:g})")
        return _discount("dividend_discount", flows, r, "price", None, price)
    if terminal_growth is not None:
        g = _growth_below("terminal_growth", terminal_growth, r, "cost_of_equity")
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
    flows = _numbers("fcfe", fcfe)
    r = _rate("cost_of_equity", cost_of_equity)
    if terminal_growth is None:
        return _discount("free_cash_flow_to_equity", flows, r, "none", None, 0.0)
    g = _growth_below("terminal_growth", terminal_growth, r, "cost_of_equity")
    if flows[-1] < 0:
        raise FinanceInputError(
            "fcfe",
            f"the last year's FCFE is {flows[-1]:g}; a growing perpetuity of a negative flow "
            "is not a value, so extend the forecast until FCFE turns positive",
        )
    terminal = flows[-1] * (1.0 + g) / (r - g)
    return _discount("free_cash_flow_to_equity", flows, r, "gordon", g, terminal)
