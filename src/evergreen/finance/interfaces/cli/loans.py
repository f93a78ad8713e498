"""`evergreen finance loan-schedule | loan-yield`: a private note's payments and yield."""

from __future__ import annotations

from typing import Annotated

import typer

from evergreen.finance.interfaces.cli.io import (
    InputOpt,
    JsonOpt,
    PlotOpt,
    compute,
    emit_json,
    fail,
    figures,
    load,
    money,
    percent,
    plot_path,
    print_table,
    save_plot,
)

__all__ = ["loan_schedule", "loan_yield"]

PrincipalOpt = Annotated[float | None, typer.Option(help="Dollars lent (the commitment).")]
RateOpt = Annotated[float | None, typer.Option(help="Note rate a year: 0.12 is 12%.")]
PointsOpt = Annotated[float | None, typer.Option(help="Percent of principal: 2 is 2%.")]
AmortOpt = Annotated[
    int | None, typer.Option(help="Amortisation months; leave out for interest only.")
]


def _draws(texts: list[str] | None) -> list[dict[str, str]] | None:
    """--draw 2024-03-01:25000, as many times as there are draws."""
    if not texts:
        return None
    draws = []
    for text in texts:
        day, sep, amount = text.partition(":")
        if not sep:
            fail("draws", f"write each draw as DATE:AMOUNT, like 2024-03-01:25000 (got {text!r})")
        draws.append({"date": day.strip(), "amount": amount.strip()})
    return draws


def loan_schedule(
    principal: PrincipalOpt = None,
    annual_rate: RateOpt = None,
    term_months: Annotated[int | None, typer.Option(help="Months to maturity.")] = None,
    start_date: Annotated[str | None, typer.Option(help="Closing date, YYYY-MM-DD.")] = None,
    amortization_months: AmortOpt = None,
    points: PointsOpt = None,
    points_financed: Annotated[
        bool | None,
        typer.Option("--points-financed/--points-paid", help="Points added to the balance."),
    ] = None,
    day_count: Annotated[str | None, typer.Option(help="30/360, actual/360 or actual/365.")] = None,
    draw: Annotated[
        list[str] | None, typer.Option(help="A rehab draw DATE:AMOUNT; repeat for more.")
    ] = None,
    dutch_interest: Annotated[
        bool | None, typer.Option(help="Interest on the whole commitment from closing.")
    ] = None,
    default_rate: Annotated[float | None, typer.Option(help="Rate once in default.")] = None,
    late_fee_rate: Annotated[float | None, typer.Option(help="Share of a late payment.")] = None,
    late_fee_flat: Annotated[float | None, typer.Option(help="Dollars per late payment.")] = None,
    grace_days: Annotated[int | None, typer.Option(help="Days before a payment is late.")] = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Every payment of a private note, with the lender's yield (XIRR) after points."""
    from evergreen.finance.interfaces.schemas import LoanScheduleRequest

    plot_path(plot)
    flags = {
        "principal": principal,
        "annual_rate": annual_rate,
        "term_months": term_months,
        "start_date": start_date,
        "amortization_months": amortization_months,
        "points": points,
        "points_financed": points_financed,
        "day_count": day_count,
        "draws": _draws(draw),
        "dutch_interest": dutch_interest,
        "default_rate": default_rate,
        "late_fee_rate": late_fee_rate,
        "late_fee_flat": late_fee_flat,
        "grace_days": grace_days,
    }
    result = compute(load(LoanScheduleRequest, input_file, flags).run)
    save_plot("loan_schedule", result.schedule, plot)
    if as_json:
        emit_json(result)
        return
    plan = result.schedule
    print_table(
        "Payment schedule",
        ["#", "date", "interest", "principal", "payment", "balance"],
        (
            (
                str(row.period),
                row.date.isoformat(),
                money(row.interest),
                money(row.principal),
                money(row.payment),
                money(row.balance),
            )
            for row in plan.rows
        ),
    )
    figures(
        "Totals",
        [
            ("Total interest", money(plan.total_interest)),
            ("Total paid", money(plan.total_paid)),
            ("Lender yield (XIRR, effective annual)", percent(result.lender_xirr, 3)),
        ],
    )


def loan_yield(
    principal: PrincipalOpt = None,
    annual_rate: RateOpt = None,
    months: Annotated[int | None, typer.Option(help="Term in months.")] = None,
    points: PointsOpt = None,
    amortization_months: AmortOpt = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Lender's nominal annual yield (monthly IRR x 12) once points cut the cash lent."""
    from evergreen.finance.interfaces.schemas import LoanYieldRequest

    flags = {
        "principal": principal,
        "annual_rate": annual_rate,
        "months": months,
        "points": points,
        "amortization_months": amortization_months,
    }
    result = compute(load(LoanYieldRequest, input_file, flags).run)
    if as_json:
        emit_json(result)
        return
    figures("Lender yield", [("Nominal annual yield", percent(result["lender_yield"], 3))])
