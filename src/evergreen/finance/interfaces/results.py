"""A model's JSON answer (the API's, to the digit) as a page shows it: headline figures, tables
and one bar chart."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evergreen.web.charts import BarChart, bar_chart

__all__ = [
    "Shown",
    "Table",
    "eva",
    "household",
    "implied_cost_of_equity",
    "implied_growth",
    "justified_price_to_book",
    "loan_payoff",
    "loan_schedule",
    "loan_yield",
    "money",
    "percent",
    "residual_income",
    "simulation",
    "single_stage",
    "va_test",
]

Json = dict[str, Any]


def money(value: float) -> str:
    """Two decimals with thousands separators: 1,234.50."""
    return f"{value:,.2f}"


def percent(value: float) -> str:
    """A decimal rate as a percent with two decimals: 0.1234 reads 12.34%."""
    return f"{value:.2%}"


def ratio(value: float) -> str:
    """A multiple such as price to book, four decimals."""
    return f"{value:,.4f}"


@dataclass(frozen=True)
class Table:
    """A results table: caption, column heads, rows of printed cells; `numbers` right-aligned."""

    caption: str
    head: Sequence[str]
    rows: Sequence[Sequence[str]]
    numbers: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Shown:
    """What the page prints under the form."""

    figures: Sequence[tuple[str, str]]
    tables: Sequence[Table] = ()
    chart: BarChart | None = None
    notes: Sequence[str] = field(default_factory=tuple)


def _all_numbers(columns: int) -> frozenset[int]:
    return frozenset(range(1, columns))


def residual_income(result: Json) -> Shown:
    """Value per share, each year's residual income and its present value, and the bridge."""
    years = [str(year + 1) for year in range(len(result["residual_income"]))]
    rows = [
        [year, money(b), money(e), money(d), money(ri), f"{f:.4f}", money(pv)]
        for year, b, e, d, ri, f, pv in zip(
            years,
            result["book_value"],
            result["earnings"],
            result["dividends"],
            result["residual_income"],
            result["discount_factors"],
            result["pv_residual_income"],
            strict=False,
        )
    ]
    head = [
        "Year",
        "Book value (end of year)",
        "Earnings",
        "Dividends",
        "Residual income",
        "Discount factor",
        "PV of residual income",
    ]
    pb = result["price_to_book"]  # from the unrounded value and book value, as single_stage
    bridge = [[label, money(amount)] for label, amount in result["bridge"]]
    bridge.append(["Value V0", money(result["value"])])
    chart = bar_chart(
        "Residual income and its present value by year",
        years,
        [
            ("Residual income", result["residual_income"]),
            ("Present value", result["pv_residual_income"]),
        ],
    )
    return Shown(
        figures=[
            ("Value per share V0", money(result["value"])),
            ("Price to book", "—" if pb is None else ratio(pb)),
            ("Continuing value", result["continuing"]),
        ],
        tables=[
            Table("By year", head, rows, _all_numbers(len(head))),
            Table("From book value to value", ["Part", "Per share"], bridge, frozenset({1})),
        ],
        chart=chart,
    )


def single_stage(result: Json, *, book_value: float) -> Shown:
    """V0 against the book value it starts from."""
    chart = bar_chart(
        "Book value and value per share",
        ["Book value B0", "Value V0"],
        [("Per share", [book_value, result["value"]])],
    )
    return Shown(
        figures=[
            ("Value per share V0", money(result["value"])),
            ("Price to book", ratio(result["price_to_book"])),
        ],
        chart=chart,
    )


def justified_price_to_book(result: Json) -> Shown:
    """One multiple."""
    return Shown(figures=[("Justified price to book", ratio(result["justified_price_to_book"]))])


def implied_growth(result: Json) -> Shown:
    """One rate."""
    return Shown(figures=[("Implied perpetual growth", percent(result["implied_growth"]))])


def implied_cost_of_equity(result: Json) -> Shown:
    """One rate."""
    return Shown(figures=[("Implied cost of equity", percent(result["implied_cost_of_equity"]))])


def eva(result: Json) -> Shown:
    """Operating profit, the charge for the capital it used, and what is left."""
    parts = [
        ("NOPAT", result["nopat"]),
        ("Capital charge", result["capital_charge"]),
        ("EVA", result["eva"]),
    ]
    if result["equity_residual_income"] is not None:
        parts.append(("Equity residual income", result["equity_residual_income"]))
    return Shown(
        figures=[("EVA", money(result["eva"])), ("WACC", percent(result["wacc"]))],
        tables=[
            Table(
                "Economic value added",
                ["Item", "Amount"],
                [[label, money(value)] for label, value in parts],
                frozenset({1}),
            )
        ],
        chart=bar_chart(
            "EVA: profit less the charge for capital",
            [p for p, _ in parts],
            [("Amount", [value for _, value in parts])],
        ),
    )


def _by_year(rows: Sequence[Json]) -> tuple[list[str], list[float], list[float]]:
    interest: dict[str, float] = defaultdict(float)
    principal: dict[str, float] = defaultdict(float)
    for row in rows:
        year = str(dt.date.fromisoformat(row["date"]).year)
        interest[year] += row["interest"]
        principal[year] += row["principal"]  # the balloon is part of it
    years = sorted(interest)
    return years, [interest[y] for y in years], [principal[y] for y in years]


def loan_schedule(result: Json) -> Shown:
    """Totals, the lender's yield, interest and principal by year, and every payment."""
    head = ["#", "Date", "Days", "Interest", "Principal", "Balloon", "Payment", "Balance"]
    rows = [
        [
            str(r["period"]),
            r["date"],
            str(r["days"]),
            money(r["interest"]),
            money(r["principal"]),
            money(r["balloon"]),
            money(r["payment"]),
            money(r["balance"]),
        ]
        for r in result["rows"]
    ]
    years, interest, principal = _by_year(result["rows"])
    return Shown(
        figures=[
            ("Total interest", money(result["total_interest"])),
            ("Total paid", money(result["total_paid"])),
            ("Lender XIRR (effective annual)", percent(result["lender_xirr"])),
        ],
        tables=[Table("Payments", head, rows, frozenset({0, 2, 3, 4, 5, 6, 7}))],
        chart=bar_chart(
            "Interest and principal paid by year",
            years,
            [("Interest", interest), ("Principal", principal)],
        ),
    )


def loan_yield(result: Json) -> Shown:
    """One rate."""
    return Shown(figures=[("Lender yield (nominal annual)", percent(result["lender_yield"]))])


def loan_payoff(result: Json) -> Shown:
    """The payoff letter: each part and the total to wire."""
    parts = [
        ("Principal", result["principal"]),
        ("Accrued interest", result["accrued_interest"]),
        ("Default interest", result["default_interest"]),
        ("Late fees", result["late_fees"]),
    ]
    rows = [[label, money(value)] for label, value in parts]
    rows.append(["Total", money(result["total"])])
    return Shown(
        figures=[
            ("Payoff on " + result["on_date"], money(result["total"])),
            ("Payments made", str(result["payments_made"])),
            ("Missed payments", str(result["missed_payments"])),
        ],
        tables=[Table("Payoff", ["Part", "Amount"], rows, frozenset({1}))],
        chart=bar_chart(
            "What the payoff is made of",
            [p for p, _ in parts],
            [("Amount", [value for _, value in parts])],
        ),
    )


def household(result: Json) -> Shown:
    """Where a month's income goes, and what is left."""
    parts = [
        ("Gross income", result["gross_income"]),
        ("Taxes", result["taxes"]),
        ("Debt payments", result["debt_payments"]),
        ("Living expenses", result["living_expenses"]),
        ("Residual", result["residual"]),
    ]
    return Shown(
        figures=[
            ("Residual income a month", money(result["residual"])),
            ("Net income", money(result["net_income"])),
        ],
        tables=[
            Table(
                "The month",
                ["Item", "Amount"],
                [[label, money(value)] for label, value in parts],
                frozenset({1}),
            )
        ],
        chart=bar_chart(
            "A month of household income",
            [p for p, _ in parts],
            [("Dollars a month", [value for _, value in parts])],
        ),
    )


def va_test(result: Json) -> Shown:
    """Pass or fail, the residual against its guideline, and the reasons."""
    rows = [
        ["Region", result["region"]],
        ["Guideline", money(result["guideline"])],
        ["Residual income", money(result["residual_income"])],
        ["Margin", money(result["margin"])],
        ["Residual ratio", ratio(result["residual_ratio"])],
        ["Maintenance and utilities", money(result["maintenance_utilities"])],
        ["Taxes", money(result["taxes"])],
        ["Debt-to-income", f"{result['dti_percent']}%"],
    ]
    return Shown(
        figures=[
            ("VA residual income test", "passes" if result["passes"] else "does not pass"),
            ("Residual income", money(result["residual_income"])),
        ],
        tables=[Table("The test", ["Item", "Value"], rows, frozenset({1}))],
        chart=bar_chart(
            "Residual income against the VA guideline",
            ["Guideline", "Residual income"],
            [("Dollars a month", [result["guideline"], result["residual_income"]])],
        ),
        notes=list(result["reasons"]),
    )


_PERCENTILES = (
    ("p5", "5th percentile"),
    ("p25", "25th"),
    ("p50", "Median"),
    ("p75", "75th"),
    ("p95", "95th"),
    ("mean", "Mean"),
)


def simulation(result: Json) -> Shown:
    """The odds passive wins, the spread of its NPV, when it breaks even, its RI view."""
    npv = result["npv"]
    rows = [[label, money(npv[key])] for key, label in _PERCENTILES]
    months = result["breakeven_month"]
    breakeven = [[label, f"{months[key]:,.1f}"] for key, label in _PERCENTILES] if months else []
    ri = [
        ["PV of income forgone while building", money(result["pv_forgone_build_income"])],
        ["Invested capital", money(result["invested_capital"])],
        ["Residual income a month", money(result["residual_income_monthly"])],
        ["Residual income persistence", ratio(result["residual_income_persistence"])],
        ["PV of residual income", money(result["residual_income_pv"])],
    ]
    tables = [Table("NPV of passive minus active", ["Percentile", "NPV"], rows, frozenset({1}))]
    if breakeven:
        tables.append(
            Table(
                "Break-even month (paths that break even)",
                ["Percentile", "Month"],
                breakeven,
                frozenset({1}),
            )
        )
    tables.append(Table("Residual income view", ["Item", "Value"], ri, frozenset({1})))
    return Shown(
        figures=[
            ("Passive beats active in", percent(result["probability_passive_wins"])),
            ("Median NPV", money(npv["p50"])),
            ("Never break even", percent(result["never_breakeven_share"])),
        ],
        tables=tables,
        chart=bar_chart(
            f"NPV of passive minus active across {result['paths']:,} paths",
            [label for _, label in _PERCENTILES],
            [("NPV", [npv[key] for key, _ in _PERCENTILES])],
        ),
    )
