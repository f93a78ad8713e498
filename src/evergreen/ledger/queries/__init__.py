"""Read models of the ledger: residual income per stream for a period, value, history, and the
entries behind any figure. Figures come from the daily rollup the posting service keeps."""

from evergreen.ledger.queries.capital import CapitalSplit, asset_balances, capital_split
from evergreen.ledger.queries.figures import (
    CapitalWorking,
    Report,
    StreamRow,
    Valuation,
    capital_at,
    capital_moves,
    capital_working,
    histories,
    monthly_history,
    report,
    stream_figures,
    valuation,
)
from evergreen.ledger.queries.journal import (
    EntryLine,
    HoursLine,
    Transaction,
    entries_behind,
    hours_behind,
    hours_entries,
    reversal_links,
    transaction,
    transactions,
)

__all__ = [
    "CapitalSplit",
    "CapitalWorking",
    "EntryLine",
    "HoursLine",
    "Report",
    "StreamRow",
    "Transaction",
    "Valuation",
    "asset_balances",
    "capital_at",
    "capital_moves",
    "capital_split",
    "capital_working",
    "entries_behind",
    "histories",
    "hours_behind",
    "hours_entries",
    "monthly_history",
    "report",
    "reversal_links",
    "stream_figures",
    "transaction",
    "transactions",
    "valuation",
]
