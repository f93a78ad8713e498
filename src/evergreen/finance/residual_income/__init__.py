"""Residual income valuation: multistage, single stage and vectorised over scenario grids."""

from evergreen.finance.residual_income.multistage import (
    CONTINUING,
    Continuing,
    ResidualIncomeValuation,
    implied_cost_of_equity,
    implied_growth,
    justified_price_to_book,
    single_stage,
    value,
    value_grid,
)

__all__ = [
    "CONTINUING",
    "Continuing",
    "ResidualIncomeValuation",
    "implied_cost_of_equity",
    "implied_growth",
    "justified_price_to_book",
    "single_stage",
    "value",
    "value_grid",
]
