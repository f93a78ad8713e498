"""Use cases of lending; the only writer of its tables (and of its postings to the ledger)."""

from evergreen.lending.service.loans import (
    LoanDraft,
    add_loan,
    draw_action,
    extend,
    fund_draw,
    get_loan,
    loans,
    request_draw,
)
from evergreen.lending.service.parties import (
    BorrowerDraft,
    PropertyDraft,
    add_borrower,
    add_property,
    borrower_named,
    borrowers,
)
from evergreen.lending.service.servicing import (
    charge_late_fees,
    charge_off,
    open_loan_ids,
    pay_off,
    quote,
    record_payment,
    record_recovery,
)

__all__ = [
    "BorrowerDraft",
    "LoanDraft",
    "PropertyDraft",
    "add_borrower",
    "add_loan",
    "add_property",
    "borrower_named",
    "borrowers",
    "charge_late_fees",
    "charge_off",
    "draw_action",
    "extend",
    "fund_draw",
    "get_loan",
    "loans",
    "open_loan_ids",
    "pay_off",
    "quote",
    "record_payment",
    "record_recovery",
    "request_draw",
]
