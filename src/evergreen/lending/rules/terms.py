"""A loan's terms as plain values, checked once when the loan is written.

The note amount (`principal`) is what the borrower owes at closing: the cash funded, plus the
points when they are financed. Construction draws come on top, up to the `commitment`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from evergreen.finance.loans.daycount import DAY_COUNTS, add_months
from evergreen.lending.errors import LendingInputError
from evergreen.lending.rules.allocation import DEFAULT_ORDER
from evergreen.lending.rules.amounts import ZERO, to_cents
from evergreen.money import show_money

__all__ = [
    "BASIS",
    "LOAN_STATUSES",
    "LoanTerms",
    "check_day_count",
    "check_extension",
    "check_loan_status",
    "check_months",
]

BASIS = {"30/360": 360, "actual/360": 360, "actual/365": 365}
LOAN_STATUSES = ("open", "paid_off", "charged_off")


def check_loan_status(text: str) -> str:
    """A filter of loans by status: "" for all, else open, paid_off or charged_off (a typo
    would list no loan at all and look like an empty book)."""
    name = text.strip().lower()
    if name and name not in LOAN_STATUSES:
        raise LendingInputError(
            "status", f"must be one of {', '.join(LOAN_STATUSES)} (got {text[:40]!r})"
        )
    return name


def check_day_count(text: str) -> str:
    """One of the conventions notes name: 30/360, actual/360, actual/365."""
    name = text.strip().lower()
    if name not in DAY_COUNTS:
        raise LendingInputError("day_count", f"must be one of {', '.join(DAY_COUNTS)} "
                                f"(got {text!r})")  # fmt: skip
    return name


def check_months(field_name: str, months: int, *, low: int = 1) -> int:
    """A term in months, from `low` to 50 years."""
    if not low <= months <= 600:
        raise LendingInputError(field_name, f"must be from {low} to 600 months (got {months})")
    return months


# Grace and default periods count days late: more than ten years late is no term a note sets.
MAX_LATE_DAYS = 3650


@dataclass(frozen=True)
class LoanTerms:
    """What the note says: amounts, rates, dates, how interest runs and what lateness costs."""

    principal: Decimal
    annual_rate: Decimal
    months: int
    start: date
    day_count: str = "30/360"
    commitment: Decimal | None = None  # principal plus draws allowed; None: no draws
    interest_only: bool = True
    amortization_months: int | None = None
    default_rate: Decimal | None = None
    default_after_days: int | None = None  # default interest once a payment is this late
    grace_days: int = 10
    late_fee: Decimal = ZERO  # flat, per late payment
    late_fee_pct: Decimal = Decimal(0)  # share of the late payment
    dutch: bool = False  # interest on the whole commitment, drawn or not
    allocation: tuple[str, ...] = DEFAULT_ORDER
    maturity: date = field(default=date.min)
    # Prepayment terms: interest of at least this many months is earned, however early the
    # payoff; and a premium of `prepay_pct` of the principal repaid in the first
    # `prepay_months` months.
    min_interest_months: int = 0
    prepay_pct: Decimal = Decimal(0)
    prepay_months: int = 0

    def __post_init__(self) -> None:
        if self.principal <= 0:
            raise LendingInputError("principal", f"must be above 0 (got {self.principal})")
        check_months("months", self.months)
        if not 1900 <= self.start.year <= 2999:
            raise LendingInputError("start", f"must be a date from 1900 to 2999 (got {self.start})")
        check_day_count(self.day_count)
        if self.commitment is not None and self.commitment < self.principal:
            raise LendingInputError(
                "commitment", f"must be at least the principal {show_money(self.principal)} "
                f"(got {show_money(self.commitment)})",
            )  # fmt: skip
        if self.default_rate is not None and self.default_rate < self.annual_rate:
            raise LendingInputError("default_rate", "must be at least the note rate "
                                    f"({self.default_rate} < {self.annual_rate})")  # fmt: skip
        if not self.interest_only:
            amortization = self.amortization_months or self.months
            check_months("amortization_months", amortization, low=self.months)
            object.__setattr__(self, "amortization_months", amortization)
        elif self.amortization_months is not None:
            object.__setattr__(self, "amortization_months", None)
        if not 0 <= self.grace_days <= MAX_LATE_DAYS:
            raise LendingInputError("grace_days", f"must be from 0 to {MAX_LATE_DAYS} days")
        late = self.default_after_days
        if late is not None and not 0 <= late <= MAX_LATE_DAYS:
            raise LendingInputError("default_after_days", f"must be from 0 to {MAX_LATE_DAYS} days")
        for name in ("min_interest_months", "prepay_months"):
            if not 0 <= getattr(self, name) <= self.months:
                raise LendingInputError(name, f"must be from 0 to the term, {self.months} months")
        if not 0 <= self.prepay_pct < 1:
            raise LendingInputError("prepay_pct", "must be from 0 % to below 100 %")
        if self.prepay_pct and not self.prepay_months:
            raise LendingInputError("prepay_months", "say for how many months the premium runs")
        if self.maturity == date.min:
            object.__setattr__(self, "maturity", add_months(self.start, self.months))
        elif self.maturity <= self.start:
            raise LendingInputError("maturity", "must be after the start date")

    @property
    def limit(self) -> Decimal:
        """The most the borrower may owe in principal: the commitment, or the note amount."""
        return self.commitment if self.commitment is not None else self.principal

    @property
    def basis(self) -> int:
        """Days in the day count's year: 360 or 365."""
        return BASIS[self.day_count]

    def points_fee(self, points: Decimal) -> Decimal:
        """Points in money: a share of the note amount, in cents."""
        return to_cents(self.principal * points)


def check_extension(maturity: date, new_maturity: date) -> date:
    """An extension moves maturity later, never earlier; refusals name the form's `maturity`."""
    if new_maturity.year > maturity.year + 50:
        raise LendingInputError("maturity", "must be within 50 years of the current maturity")
    if new_maturity <= maturity:
        raise LendingInputError(
            "maturity", f"must be after the current maturity {maturity.isoformat()} "
            f"(got {new_maturity.isoformat()})",
        )  # fmt: skip
    return new_maturity
