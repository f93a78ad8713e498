"""`evergreen finance va-test | simulate`: a household's month, and a maker's bet."""

from __future__ import annotations

from typing import Annotated

import typer

from evergreen.finance.interfaces.cli.io import (
    InputOpt,
    JsonOpt,
    PlotOpt,
    compute,
    emit_json,
    figures,
    load,
    money,
    percent,
    plot_path,
    save_plot,
)

__all__ = ["simulate", "va_test"]

Dollars = Annotated[float | None, typer.Option(help="Monthly dollars.")]


def va_test(
    gross_monthly_income: Dollars = None,
    housing_payment: Annotated[float | None, typer.Option(help="Proposed PITI a month.")] = None,
    family_size: Annotated[int | None, typer.Option(help="Everyone in the household.")] = None,
    state: Annotated[str | None, typer.Option(help="Two-letter state code or region.")] = None,
    loan_amount: Annotated[float | None, typer.Option(help="Loan size (picks the band).")] = None,
    square_feet: Annotated[float | None, typer.Option(help="Living area.")] = None,
    other_debts: Dollars = None,
    child_care: Dollars = None,
    job_expenses: Dollars = None,
    federal_income_tax: Dollars = None,
    state_income_tax: Dollars = None,
    social_security: Dollars = None,
    medicare: Dollars = None,
    total_taxes: Annotated[float | None, typer.Option(help="All taxes, or the parts.")] = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The VA home-loan residual income test, with the 41% ratio rule."""
    from evergreen.finance.interfaces.schemas import VaTestRequest

    flags = {
        "gross_monthly_income": gross_monthly_income,
        "housing_payment": housing_payment,
        "family_size": family_size,
        "state": state,
        "loan_amount": loan_amount,
        "square_feet": square_feet,
        "other_debts": other_debts,
        "child_care": child_care,
        "job_expenses": job_expenses,
        "federal_income_tax": federal_income_tax,
        "state_income_tax": state_income_tax,
        "social_security": social_security,
        "medicare": medicare,
        "total_taxes": total_taxes,
    }
    result = compute(load(VaTestRequest, input_file, flags).run)
    if as_json:
        emit_json(result)
        return
    figures(
        f"VA residual income test: {'PASSES' if result.passes else 'FAILS'}",
        [
            ("Region", result.region),
            ("Guideline", money(result.guideline)),
            ("Residual income", money(result.residual_income)),
            ("Margin", money(result.margin)),
            ("Maintenance and utilities", money(result.maintenance_utilities)),
            ("Taxes", money(result.taxes)),
            ("Debt-to-income", f"{result.dti_percent}%"),
        ],
    )
    for reason in result.reasons:
        typer.echo(reason)


Count = Annotated[int | None, typer.Option(help="Months.")]
Share = Annotated[float | None, typer.Option(help="0 to 1.")]


def simulate(
    build_months: Count = None,
    hours_per_month: Annotated[float | None, typer.Option(help="Build hours a month.")] = None,
    freelance_rate: Annotated[float | None, typer.Option(help="Dollars an hour.")] = None,
    success_probability: Share = None,
    ramp_months: Count = None,
    peak_revenue_median: Annotated[float | None, typer.Option(help="Dollars a month.")] = None,
    peak_revenue_sigma: Annotated[float | None, typer.Option(help="Lognormal log-sd.")] = None,
    persistence: Share = None,
    churn: Annotated[float | None, typer.Option(help="Monthly chance it dies.")] = None,
    monthly_costs: Annotated[float | None, typer.Option(help="Dollars a month.")] = None,
    maintenance_hours: Annotated[float | None, typer.Option(help="Hours a live month.")] = None,
    discount_rate: Annotated[float | None, typer.Option(help="Monthly: 0.008.")] = None,
    horizon_months: Count = None,
    paths: Annotated[int | None, typer.Option(help="Monte Carlo paths (100,000).")] = None,
    seed: Annotated[int | None, typer.Option(help="Same seed, same answer.")] = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Build a product unpaid or sell the same hours? Monte Carlo odds, NPV and break-even."""
    from evergreen.finance.interfaces.schemas import LocalSimulateRequest

    plot_path(plot)
    flags = {
        "build_months": build_months,
        "hours_per_month": hours_per_month,
        "freelance_rate": freelance_rate,
        "success_probability": success_probability,
        "ramp_months": ramp_months,
        "peak_revenue_median": peak_revenue_median,
        "peak_revenue_sigma": peak_revenue_sigma,
        "persistence": persistence,
        "churn": churn,
        "monthly_costs": monthly_costs,
        "maintenance_hours": maintenance_hours,
        "discount_rate": discount_rate,
        "horizon_months": horizon_months,
        "paths": paths,
        "seed": seed,
    }
    result = compute(load(LocalSimulateRequest, input_file, flags).run)
    save_plot("npv_distribution", result, plot)
    if as_json:
        emit_json(result)
        return
    npv, months = result.npv, result.breakeven_month
    figures(
        f"Passive vs active, {result.paths:,} paths",
        [
            ("Probability passive wins", percent(result.probability_passive_wins, 1)),
            ("NPV p5 / median / p95", " / ".join(money(v) for v in (npv.p5, npv.p50, npv.p95))),
            ("NPV mean", money(npv.mean)),
            ("Break-even month, median", "-" if months is None else f"{months.p50:.0f}"),
            ("Never break even", percent(result.never_breakeven_share, 1)),
            ("PV of income forgone while building", money(result.pv_forgone_build_income)),
            ("Expected residual income a month", money(result.residual_income_monthly)),
            ("PV of residual income", money(result.residual_income_pv)),
        ],
    )
