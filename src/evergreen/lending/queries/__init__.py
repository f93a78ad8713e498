"""Read models of lending as plain dataclasses, for the pages, the API and the CLI: one loan on a
day (`loans`) and the whole book (`book`)."""

from evergreen.lending.queries.book import BookLine, Portfolio, portfolio
from evergreen.lending.queries.loans import (
    BorrowerName,
    BorrowerRow,
    LoanView,
    borrower_names,
    borrower_rows,
    calendar,
    draw,
    draws,
    history,
    loan_detail,
    loan_facts,
    loan_views,
    movements,
)

__all__ = [
    "BookLine",
    "BorrowerName",
    "BorrowerRow",
    "LoanView",
    "Portfolio",
    "borrower_names",
    "borrower_rows",
    "calendar",
    "draw",
    "draws",
    "history",
    "loan_detail",
    "loan_facts",
    "loan_views",
    "movements",
    "portfolio",
]
