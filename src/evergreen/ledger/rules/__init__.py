"""The ledger's pure rules: inputs, double entry, residual income and value."""

from evergreen.ledger.rules.inputs import (
    StreamKind,
    check_name,
    parse_amount,
    parse_date,
    parse_hours,
    parse_rate,
)
from evergreen.ledger.rules.journal import (
    BANK,
    CAPITAL,
    Figure,
    Leg,
    check_account,
    check_balanced,
    daily_figures,
    figure_of,
    from_units,
    reversal_of,
    to_units,
)
from evergreen.ledger.rules.residual import (
    Figures,
    Rates,
    capital_charge,
    check_period,
    figures_for,
    residual_income,
    total,
)
from evergreen.ledger.rules.value import (
    Persistence,
    estimate_persistence,
    trailing_year,
    value_of,
)

__all__ = [
    "BANK",
    "CAPITAL",
    "Figure",
    "Figures",
    "Leg",
    "Persistence",
    "Rates",
    "StreamKind",
    "capital_charge",
    "check_account",
    "check_balanced",
    "check_name",
    "check_period",
    "daily_figures",
    "estimate_persistence",
    "figure_of",
    "figures_for",
    "from_units",
    "parse_amount",
    "parse_date",
    "parse_hours",
    "parse_rate",
    "residual_income",
    "reversal_of",
    "to_units",
    "total",
    "trailing_year",
    "value_of",
]
