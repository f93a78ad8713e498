"""Single-stage (constant-growth) residual income: value, justified P/B and implied rates.

With ROE, r and g constant forever, RI grows at g and V0 = B0 + (ROE - r)·B0/(r - g); every
function here is that one equation solved for a different unknown.
"""

from __future__ import annotations

from evergreen.finance.errors import FinanceInputError
from evergreen.finance.inputs import checked_number, checked_rate, finite_result, growth_below

__all__ = [
    "implied_cost_of_equity",
    "implied_growth",
    "justified_price_to_book",
    "single_stage",
]


def _positive_book(value: object) -> float:
    """Starting book value: RI charges r on it and ROE applies to it, so it must be positive."""
    b0 = checked_number("book_value", value)
    if b0 <= 0:
        raise FinanceInputError(
            "book_value",
            f"must be greater than 0 (got {b0:g}); residual income needs positive starting equity",
        )
    return b0


def _roe(value: object) -> float:
    """A long-run ROE above -100%."""
    result = checked_number("roe", value)
    if result <= -1.0:
        raise FinanceInputError("roe", f"must be greater than -1 (got {result:g}); 0.12 means 12%")
    return result


def single_stage(book_value: float, roe: float, cost_of_equity: float, growth: float) -> float:
    """B0 + (ROE - r)·B0/(r - g): value when ROE and growth hold forever."""
    b0 = _positive_book(book_value)
    rate = _roe(roe)
    r = checked_rate("cost_of_equity", cost_of_equity)
    g = growth_below("growth", growth, r, "cost_of_equity")
    result = b0 + (rate - r) * b0 / (r - g)
    finite_result("book_value", result)
    return result


def justified_price_to_book(roe: float, cost_of_equity: float, growth: float) -> float:
    """(ROE - g)/(r - g): the P/B that single-stage RI justifies."""
    rate = _roe(roe)
    r = checked_rate("cost_of_equity", cost_of_equity)
    g = growth_below("growth", growth, r, "cost_of_equity")
    result = (rate - g) / (r - g)
    finite_result("roe", result)
    return result


def implied_growth(price: float, book_value: float, roe: float, cost_of_equity: float) -> float:
    """g = r - (ROE - r)·B0/(P - B0): the growth the market price bakes in, single-stage."""
    p = checked_number("price", price)
    if p <= 0:
        raise FinanceInputError("price", f"must be greater than 0 (got {p:g})")
    b0 = _positive_book(book_value)
    rate = _roe(roe)
    r = checked_rate("cost_of_equity", cost_of_equity)
    if p == b0:
        raise FinanceInputError(
            "price", "equals book value, which implies ROE = r and fits any growth rate"
        )
    spread = (rate - r) * b0 / (p - b0)
    if spread <= 0:
        side = "above" if p > b0 else "below"
        raise FinanceInputError(
            "price",
            f"is {side} book value while ROE - r = {rate - r:g}, so no growth rate below r "
            "fits; check ROE and cost of equity",
        )
    g = r - spread
    if g <= -1.0:
        raise FinanceInputError("price", f"implies growth of {g:g}, below -100%; check inputs")
    return g


def implied_cost_of_equity(price: float, book_value: float, roe: float, growth: float) -> float:
    """r = g + (ROE - g)·B0/P: the return the market price offers, single-stage.

    The single-stage model is linear in 1/(r - g), so the root is exact; no solver is needed.
    """
    p = checked_number("price", price)
    if p <= 0:
        raise FinanceInputError("price", f"must be greater than 0 (got {p:g})")
    b0 = _positive_book(book_value)
    rate = _roe(roe)
    g = checked_rate("growth", growth)
    if rate <= g:
        raise FinanceInputError(
            "roe",
            f"must be greater than growth (got ROE={rate:g}, g={g:g}); otherwise no cost of "
            "equity above growth gives a positive price",
        )
    result = g + (rate - g) * b0 / p
    finite_result("price", result)
    return result
