"""What the owner types about the household, checked: names, amounts, rates, months, kinds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from evergreen.errors import InputError
from evergreen.finance.household import va_region
from evergreen.household.errors import HouseholdInputError
from evergreen.household.rules.limits import MODEL_LIMIT, SHOWN_LIMIT
from evergreen.money import check_storable, read_amount

__all__ = [
    "MAX_FAMILY",
    "DebtDraft",
    "ExpenseCategory",
    "ExpenseDraft",
    "IncomeDraft",
    "IncomeKind",
    "ProfileDraft",
    "TaxTreatment",
    "check_label",
    "parse_choice",
    "parse_family_size",
    "parse_money",
    "parse_month",
    "parse_region",
    "parse_square_feet",
    "parse_tax_rate",
]

MAX_FAMILY = 30
_MAX_SQUARE_FEET = Decimal(1_000_000)
_ZERO = Decimal(0)
_E = TypeVar("_E", bound=StrEnum)


class IncomeKind(StrEnum):
    """Where a household income comes from (the streams' distributions are the ledger's)."""

    SALARY = "salary"
    FREELANCE = "freelance"
    OTHER = "other"


class TaxTreatment(StrEnum):
    """How an income is taxed: withheld at source, owed later at the household's rate, or not."""

    WITHHELD = "withheld"
    OWED = "owed"
    NONE = "none"


class ExpenseCategory(StrEnum):
    """A living expense's category; housing, child care and job costs feed the VA test."""

    HOUSING = "housing"
    UTILITIES = "utilities"
    FOOD = "food"
    TRANSPORT = "transport"
    CHILDCARE = "childcare"
    JOB = "job"
    HEALTH = "health"
    INSURANCE = "insurance"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The category as a person reads it."""
        return _CATEGORY_LABELS[self]


_CATEGORY_LABELS = {
    ExpenseCategory.HOUSING: "Housing (rent, or mortgage with taxes and insurance)",
    ExpenseCategory.UTILITIES: "Utilities",
    ExpenseCategory.FOOD: "Food",
    ExpenseCategory.TRANSPORT: "Transport",
    ExpenseCategory.CHILDCARE: "Child care",
    ExpenseCategory.JOB: "Job-related costs",
    ExpenseCategory.HEALTH: "Health",
    ExpenseCategory.INSURANCE: "Insurance",
    ExpenseCategory.OTHER: "Other",
}


def parse_choice(kind: type[_E], text: str, field: str) -> _E:
    """One of an enumeration's values, forgiving case, spaces and dashes."""
    key = str(text).strip().lower().replace("-", "").replace(" ", "").replace("_", "")
    for choice in kind:
        if choice.value.replace("_", "") == key:
            return choice
    choices = ", ".join(choice.value for choice in kind)
    raise HouseholdInputError(field, f"{str(text)[:40]!r} is not one of {choices}")


def check_label(text: str, field: str = "name", *, required: bool = True) -> str:
    """A name or note: up to 100 printable characters, spaces tidied."""
    label = " ".join(str(text).split())
    if not label and required:
        raise HouseholdInputError(field, "is empty; give it a name, e.g. 'Day job'")
    if len(label) > 100:
        raise HouseholdInputError(field, f"is {len(label)} characters long; the limit is 100")
    if any(not ch.isprintable() for ch in label):
        raise HouseholdInputError(field, "contains control characters")
    return label


def parse_money(text: str | Decimal | int, field: str, *, positive: bool = False) -> Decimal:
    """A monthly amount as a person writes it (1234.50, 1,234.50), 0 or more, storable exactly
    and no more than the finance models take (a larger one would break every read)."""
    try:
        if isinstance(text, Decimal | int) and not isinstance(text, bool):
            value = check_storable(field, text)
        else:
            value = check_storable(field, read_amount(field, str(text)))
    except InputError as error:
        raise HouseholdInputError(field, error.message) from None
    if positive and value == 0:
        raise HouseholdInputError(field, "must be more than 0")
    if value > MODEL_LIMIT:
        raise HouseholdInputError(field, f"must be at most {SHOWN_LIMIT} (got {value:,})")
    return value


def parse_tax_rate(text: str | Decimal) -> Decimal:
    """The rate set aside on income not taxed at source: 0.25 or 25 % are the same."""
    raw = str(text).strip()
    percent = raw.endswith("%")
    try:
        value = Decimal(raw.rstrip("%").strip())
    except InvalidOperation:
        raise HouseholdInputError(
            "tax_rate", f"{raw[:40]!r} is not a rate; write 0.25 or 25% for a quarter"
        ) from None
    if not value.is_finite():
        raise HouseholdInputError("tax_rate", "must be a finite number")
    if percent:
        value /= 100
    if not _ZERO <= value < 1:
        raise HouseholdInputError(
            "tax_rate", f"must be 0 or more and below 100 % (got {raw}); e.g. 0.25 for 25 %"
        )
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    if -exponent > 6:
        raise HouseholdInputError("tax_rate", f"has more than 6 decimal places (got {raw})")
    return value.normalize() if value else _ZERO


def parse_family_size(text: str | int) -> int:
    """People the household's income supports, the owner included: 1 to 30."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise HouseholdInputError(
            "family_size", f"{str(text)[:20]!r} is not a whole number of people"
        ) from None
    if not 1 <= value <= MAX_FAMILY:
        raise HouseholdInputError("family_size", f"must be 1 to {MAX_FAMILY} (got {value})")
    return value


def parse_region(text: str) -> str | None:
    """A US region or two-letter state code for the VA guideline; blank means not given."""
    raw = str(text).strip()
    if not raw:
        return None
    try:
        va_region(raw)
    except InputError as error:
        raise HouseholdInputError("region", error.message) from None
    return raw.upper() if len(raw) == 2 else raw.title()


def parse_square_feet(text: str | Decimal | int) -> Decimal | None:
    """Living area of the home in square feet (VA's upkeep estimate); blank means not given."""
    if isinstance(text, str) and not text.strip():
        return None
    value = parse_money(text, "square_feet")
    if value > _MAX_SQUARE_FEET:
        raise HouseholdInputError("square_feet", f"must be at most 1,000,000 (got {value})")
    return value


def parse_month(text: str, field: str = "month") -> date:
    """A calendar month written YYYY-MM, as the first day of it; within the years the figures
    can reach (a month's end and the months before it are computed as dates)."""
    raw = str(text).strip()
    try:
        if len(raw) != 7:
            raise ValueError(raw)
        month = date.fromisoformat(raw + "-01")
    except ValueError:
        raise HouseholdInputError(
            field, f"{raw[:20]!r} is not a month; write it as YYYY-MM, e.g. 2026-03"
        ) from None
    if not _EARLIEST_MONTH <= month <= _LATEST_MONTH:
        raise HouseholdInputError(field, f"must be between 1900-01 and 2999-12 (got {raw})")
    return month


_EARLIEST_MONTH = date(1900, 1, 1)
_LATEST_MONTH = date(2999, 12, 1)


@dataclass(frozen=True)
class IncomeDraft:
    """A recorded income: its monthly gross amount and how it is taxed."""

    name: str
    kind: IncomeKind
    amount: Decimal
    tax: TaxTreatment
    withheld: Decimal = _ZERO

    @classmethod
    def parse(
        cls,
        name: str,
        kind: str,
        amount: str | Decimal,
        tax: str,
        withheld: str | Decimal = "",
    ) -> IncomeDraft:
        """Checked from text; tax withheld is given when, and only when, tax is withheld."""
        treatment = parse_choice(TaxTreatment, tax, "tax")
        money = parse_money(amount, "amount", positive=True)
        blank = isinstance(withheld, str) and not withheld.strip()
        taken = _ZERO if blank else parse_money(withheld, "withheld")
        if treatment is TaxTreatment.WITHHELD and blank:
            raise HouseholdInputError(
                "withheld", "give the tax withheld each month, or choose another tax treatment"
            )
        if treatment is not TaxTreatment.WITHHELD and taken:
            raise HouseholdInputError(
                "withheld", f"tax is {treatment.value}, so nothing is withheld; leave it empty"
            )
        if taken > money:
            raise HouseholdInputError(
                "withheld", f"{taken} is more than the income itself ({money})"
            )
        return cls(
            check_label(name), parse_choice(IncomeKind, kind, "kind"), money, treatment, taken
        )


@dataclass(frozen=True)
class DebtDraft:
    """A debt the household pays monthly (the home loan's payment is a housing expense)."""

    name: str
    payment: Decimal
    balance: Decimal

    @classmethod
    def parse(cls, name: str, payment: str | Decimal, balance: str | Decimal) -> DebtDraft:
        """Checked from text: a payment above 0 and the balance still owed."""
        return cls(
            check_label(name),
            parse_money(payment, "payment", positive=True),
            parse_money(balance, "balance"),
        )


@dataclass(frozen=True)
class ExpenseDraft:
    """A monthly living expense by category, with an optional note ('Rent')."""

    category: ExpenseCategory
    amount: Decimal
    name: str = ""

    @classmethod
    def parse(cls, category: str, amount: str | Decimal, name: str = "") -> ExpenseDraft:
        """Checked from text."""
        return cls(
            parse_choice(ExpenseCategory, category, "category"),
            parse_money(amount, "amount", positive=True),
            check_label(name, required=False),
        )


@dataclass(frozen=True)
class ProfileDraft:
    """Family size and home (for the VA test) and the tax rate on income not taxed at source."""

    family_size: int = 1
    region: str | None = None
    square_feet: Decimal | None = None
    loan_amount: Decimal | None = None
    tax_rate: Decimal = _ZERO

    @classmethod
    def parse(
        cls,
        family_size: str | int,
        region: str,
        square_feet: str | Decimal,
        loan_amount: str | Decimal,
        tax_rate: str | Decimal,
    ) -> ProfileDraft:
        """Checked from text; blank region, area and loan amount mean not given yet."""
        loan_blank = isinstance(loan_amount, str) and not loan_amount.strip()
        rate_blank = isinstance(tax_rate, str) and not tax_rate.strip()
        return cls(
            parse_family_size(family_size),
            parse_region(region),
            parse_square_feet(square_feet),
            None if loan_blank else parse_money(loan_amount, "loan_amount", positive=True),
            _ZERO if rate_blank else parse_tax_rate(tax_rate),
        )
