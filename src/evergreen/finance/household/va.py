"""The US VA home-loan residual income test: is enough left each month to live on?

Source: VA Lenders Handbook (M26-7) chapter 4 and 38 CFR 36.4340. Residual income is gross
monthly income less federal, state and local income tax, Social Security and Medicare, the
proposed housing payment (PITI), maintenance and utilities ($0.14 per square foot of living
area a month), other monthly debts, child care and job-related expenses. It must reach the
guideline for the region, family size and loan-size band. The debt-to-income ratio is housing
payment plus other debts plus child care over gross income, rounded to a whole percent as
38 CFR 36.4340(d) says (35.6% counts as 36%); above 41% the residual income must also be at
least 120% of the guideline.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from evergreen.finance.errors import FinanceInputError

__all__ = [
    "MAINTENANCE_PER_SQUARE_FOOT",
    "MAX_DOLLARS",
    "REGIONS",
    "STATE_REGIONS",
    "VAHousehold",
    "VAResult",
    "evaluate_va",
    "va_guideline",
    "va_region",
]

MAINTENANCE_PER_SQUARE_FOOT = 0.14
MAX_DOLLARS = 1e12  # the largest amount any household model takes; callers check against it
DTI_LIMIT_PERCENT = 41
OFFSET_FACTOR = 1.2
BAND_LIMIT = 80_000

REGIONS: tuple[str, ...] = ("Northeast", "Midwest", "South", "West")
_STATES = {
    "Northeast": "CT ME MA NH NJ NY PA RI VT",
    "Midwest": "IL IN IA KS MI MN MO NE ND OH SD WI",
    "South": "AL AR DE DC FL GA KY LA MD MS NC OK PR SC TN TX VA WV",
    "West": "AK AZ CA CO HI ID MT NV NM OR UT WA WY",
}
STATE_REGIONS: dict[str, str] = {
    state: region for region, states in _STATES.items() for state in states.split()
}

# (guideline for family sizes 1..5, amount per extra member), by loan band then region.
_TABLE: dict[bool, dict[str, tuple[tuple[int, ...], int]]] = {
    False: {  # loans of $79,999 and below
        "Northeast": ((390, 654, 788, 888, 921), 75),
        "Midwest": ((382, 641, 772, 868, 902), 75),
        "South": ((382, 641, 772, 868, 902), 75),
        "West": ((425, 713, 859, 967, 1004), 75),
    },
    True: {  # loans of $80,000 and above
        "Northeast": ((450, 755, 909, 1025, 1062), 80),
        "Midwest": ((441, 738, 889, 1003, 1039), 80),
        "South": ((441, 738, 889, 1003, 1039), 80),
        "West": ((491, 823, 990, 1117, 1158), 80),
    },
}


def va_region(state_or_region: str) -> str:
    """Region a state code (or region name) belongs to, in any case, for the guideline table."""
    text = state_or_region.strip() if isinstance(state_or_region, str) else ""
    if text.upper() in STATE_REGIONS:
        return STATE_REGIONS[text.upper()]
    for region in REGIONS:
        if text.lower() == region.lower():
            return region
    raise FinanceInputError(
        "state",
        f"unknown state or region {state_or_region!r}; use a region "
        f"({', '.join(REGIONS)}) or a two-letter code: {' '.join(sorted(STATE_REGIONS))}",
    )


def _family(family_size: int) -> int:
    if isinstance(family_size, bool) or not isinstance(family_size, int):
        raise FinanceInputError("family_size", f"must be a whole number (got {family_size!r})")
    if family_size < 1:
        raise FinanceInputError("family_size", f"must be at least 1 (got {family_size})")
    return family_size


def _amount(field: str, value: float, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FinanceInputError(field, f"must be a finite number of dollars (got {value!r})")
    if value > MAX_DOLLARS:
        raise FinanceInputError(field, f"must be at most {MAX_DOLLARS:,.0f} (got {value:,})")
    if value < 0 or (positive and value == 0):
        bound = "above 0" if positive else "0 or more"
        raise FinanceInputError(field, f"must be {bound} (got {value})")
    return float(value)


def va_guideline(state_or_region: str, family_size: int, loan_amount: float) -> int:
    """Monthly residual income VA requires; sizes past 7 add the table's per-member amount too."""
    region = va_region(state_or_region)
    size = _family(family_size)
    large = _amount("loan_amount", loan_amount, positive=True) >= BAND_LIMIT
    sizes, extra = _TABLE[large][region]
    if size <= len(sizes):
        return sizes[size - 1]
    return sizes[-1] + extra * (size - len(sizes))


@dataclass(frozen=True)
class VAHousehold:
    """A veteran's household as the loan analysis sees it, all amounts monthly dollars.

    Give taxes either as the four parts or as ``total_taxes`` (then leave the parts at 0).
    """

    gross_monthly_income: float
    housing_payment: float
    family_size: int
    state: str
    loan_amount: float
    square_feet: float
    other_debts: float = 0.0
    child_care: float = 0.0
    job_expenses: float = 0.0
    federal_income_tax: float = 0.0
    state_income_tax: float = 0.0
    social_security: float = 0.0
    medicare: float = 0.0
    total_taxes: float | None = None

    def __post_init__(self) -> None:
        _amount("gross_monthly_income", self.gross_monthly_income, positive=True)
        _amount("loan_amount", self.loan_amount, positive=True)
        for name in (
            "housing_payment",
            "square_feet",
            "other_debts",
            "child_care",
            "job_expenses",
            "federal_income_tax",
            "state_income_tax",
            "social_security",
            "medicare",
        ):
            _amount(name, getattr(self, name))
        _family(self.family_size)
        va_region(self.state)
        if self.total_taxes is not None:
            _amount("total_taxes", self.total_taxes)
            if (
                self.federal_income_tax
                or self.state_income_tax
                or self.social_security
                or (self.medicare)
            ):
                raise FinanceInputError(
                    "total_taxes", "give either total_taxes or the four tax parts, not both"
                )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view so a result can show the inputs it judged."""
        return asdict(self)

    @property
    def taxes(self) -> float:
        """All income taxes and payroll taxes for the month."""
        if self.total_taxes is not None:
            return self.total_taxes
        return math.fsum(
            (self.federal_income_tax, self.state_income_tax, self.social_security, self.medicare)
        )


@dataclass(frozen=True)
class VAResult:
    """Outcome of the VA test with its numbers and the reasons a loan officer would write."""

    region: str
    guideline: int
    residual_income: float
    margin: float
    residual_ratio: float
    maintenance_utilities: float
    taxes: float
    dti: float
    dti_percent: int
    offset_required: bool
    passes: bool
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view for the API and CLI."""
        return asdict(self)


def _money(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def evaluate_va(household: VAHousehold) -> VAResult:
    """Run the VA residual income and 41% ratio tests so a veteran sees where they stand."""
    region = va_region(household.state)
    guideline = va_guideline(region, household.family_size, household.loan_amount)
    upkeep = household.square_feet * MAINTENANCE_PER_SQUARE_FOOT
    residual = household.gross_monthly_income - math.fsum(
        (
            household.taxes,
            household.housing_payment,
            upkeep,
            household.other_debts,
            household.child_care,
            household.job_expenses,
        )
    )
    obligations = household.housing_payment + household.other_debts + household.child_care
    dti = obligations / household.gross_monthly_income
    # Round half up to a whole percent; computed as obligations*100/income to keep 41% exact.
    dti_percent = math.floor(obligations * 100 / household.gross_monthly_income + 0.5)
    offset_required = dti_percent > DTI_LIMIT_PERCENT
    tolerance = 1e-6  # dollars: absorbs float noise so exactly-at-the-line cases pass
    meets_guideline = residual >= guideline - tolerance
    meets_offset = residual >= OFFSET_FACTOR * guideline - tolerance
    band = "$80,000 and above" if household.loan_amount >= BAND_LIMIT else "$79,999 and below"
    margin = residual - guideline
    side = "above" if meets_guideline else "below"
    reasons = [
        f"Residual income {_money(residual)} is {_money(abs(margin))} {side} the {region} "
        f"guideline of ${guideline:,} for a family of {household.family_size} (loans of {band})."
    ]
    if not offset_required:
        reasons.append(f"DTI {dti_percent}% ({dti:.2%} exact) is within the 41% limit.")
    else:
        reasons.append(
            f"DTI {dti_percent}% ({dti:.2%} exact) is above 41%, so residual income must be at "
            f"least 120% of the guideline ({_money(OFFSET_FACTOR * guideline)}); it is "
            f"{residual / guideline:.1%}, so the 120% offset is "
            + ("met." if meets_offset else "not met.")
        )
    passes = meets_guideline and (meets_offset or not offset_required)
    reasons.append("Passes the VA residual income test." if passes else "Fails the VA test.")
    return VAResult(
        region=region,
        guideline=guideline,
        residual_income=residual,
        margin=margin,
        residual_ratio=residual / guideline,
        maintenance_utilities=upkeep,
        taxes=household.taxes,
        dti=dti,
        dti_percent=dti_percent,
        offset_required=offset_required,
        passes=passes,
        reasons=reasons,
    )
