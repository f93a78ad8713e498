"""`evergreen finance`: the valuation models from a terminal, as tables, JSON or charts."""

from __future__ import annotations

from typing import Annotated

import typer

from evergreen.finance.interfaces.cli import loans, personal
from evergreen.finance.interfaces.cli.io import (
    InputOpt,
    JsonOpt,
    PlotOpt,
    compute,
    emit_json,
    figures,
    load,
    money,
    numbers,
    per_year,
    percent,
    plot_path,
    print_table,
    save_plot,
)

__all__ = ["app"]

app = typer.Typer(
    help="Finance models: residual income value, EVA, the VA test, private loans, and "
    "passive versus active income. Rates are decimals: 0.10 means 10%.",
    no_args_is_help=True,
)

BookOpt = Annotated[float | None, typer.Option(help="Book value per share today, B0.")]
RateOpt = Annotated[float | None, typer.Option(help="Cost of equity r: 0.10 is 10%.")]
RoeOpt = Annotated[float | None, typer.Option(help="Long-run return on equity: 0.12 is 12%.")]
GrowthOpt = Annotated[float | None, typer.Option(help="Growth forever, g: 0.05 is 5%.")]
PriceOpt = Annotated[float | None, typer.Option(help="Market price per share.")]


@app.command()
def value(
    book_value: BookOpt = None,
    cost_of_equity: RateOpt = None,
    earnings: Annotated[str | None, typer.Option(help="EPS by year: 2,2.5,4.")] = None,
    dividends: Annotated[str | None, typer.Option(help="DPS by year: 1,1.25,12.25.")] = None,
    roe: Annotated[str | None, typer.Option(help="ROE for every year, or by year.")] = None,
    payout: Annotated[str | None, typer.Option(help="Payout ratio 0-1, with --roe.")] = None,
    horizon: Annotated[int | None, typer.Option(help="Forecast years, with --roe.")] = None,
    continuing: Annotated[
        str | None, typer.Option(help="none, perpetuity, persistence or price_to_book.")
    ] = None,
    persistence: Annotated[float | None, typer.Option(help="ω, 0 to 1.")] = None,
    terminal_pb: Annotated[
        float | None, typer.Option("--terminal-pb", help="P/B at the horizon.")
    ] = None,
    oci: Annotated[
        str | None, typer.Option("--oci", help="Other comprehensive income by year.")
    ] = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
    plot: PlotOpt = None,
) -> None:
    """Residual income value per share: B0 + PV of residual income + PV of continuing RI."""
    from evergreen.finance.interfaces.schemas import ResidualIncomeRequest

    plot_path(plot)
    flags = {
        "book_value": book_value,
        "cost_of_equity": cost_of_equity,
        "earnings": numbers("earnings", earnings),
        "dividends": numbers("dividends", dividends),
        "roe": per_year("roe", roe),
        "payout": per_year("payout", payout),
        "horizon": horizon,
        "continuing": continuing,
        "persistence": persistence,
        "terminal_price_to_book": terminal_pb,
        "other_comprehensive_income": numbers("other_comprehensive_income", oci),
    }
    result = compute(load(ResidualIncomeRequest, input_file, flags).run)
    save_plot("value_bridge", result, plot)
    if as_json:
        emit_json(result)
        return
    print_table(
        f"Residual income at r = {percent(result.cost_of_equity)}",
        ["year", "earnings", "dividends", "book value", "residual income", "PV of RI"],
        (
            (str(t), f"{e:,.4f}", f"{d:,.4f}", f"{b:,.4f}", f"{ri:,.4f}", f"{pv:,.4f}")
            for t, (e, d, b, ri, pv) in enumerate(
                zip(
                    result.earnings,
                    result.dividends,
                    result.book_value,
                    result.residual_income,
                    result.pv_residual_income,
                    strict=True,
                ),
                start=1,
            )
        ),
    )
    bridge = [(label, f"{amount:,.4f}") for label, amount in result.bridge()]
    figures("Value bridge", [*bridge, ("Value per share, V0", f"{result.value:,.4f}")])


@app.command("single-stage")
def single_stage(
    book_value: BookOpt = None,
    roe: RoeOpt = None,
    cost_of_equity: RateOpt = None,
    growth: GrowthOpt = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Value when ROE and growth hold forever: B0 + (ROE - r)·B0/(r - g)."""
    from evergreen.finance.interfaces.schemas import SingleStageRequest

    flags = {"book_value": book_value, "roe": roe, "cost_of_equity": cost_of_equity}
    result = compute(load(SingleStageRequest, input_file, {**flags, "growth": growth}).run)
    if as_json:
        emit_json(result)
        return
    figures(
        "Single-stage residual income",
        [("Value per share", money(result["value"])), ("P/B", f"{result['price_to_book']:.3f}")],
    )


@app.command("justified-pb")
def justified_pb(
    roe: RoeOpt = None,
    cost_of_equity: RateOpt = None,
    growth: GrowthOpt = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The price-to-book that single-stage residual income justifies: (ROE - g)/(r - g)."""
    from evergreen.finance.interfaces.schemas import JustifiedPriceToBookRequest

    flags = {"roe": roe, "cost_of_equity": cost_of_equity, "growth": growth}
    result = compute(load(JustifiedPriceToBookRequest, input_file, flags).run)
    if as_json:
        emit_json(result)
        return
    figures("Justified P/B", [("P/B", f"{result['justified_price_to_book']:.3f}")])


@app.command("implied-growth")
def implied_growth(
    price: PriceOpt = None,
    book_value: BookOpt = None,
    roe: RoeOpt = None,
    cost_of_equity: RateOpt = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The growth forever that a market price implies, single-stage."""
    from evergreen.finance.interfaces.schemas import ImpliedGrowthRequest

    flags = {"price": price, "book_value": book_value, "roe": roe, "cost_of_equity": cost_of_equity}
    result = compute(load(ImpliedGrowthRequest, input_file, flags).run)
    if as_json:
        emit_json(result)
        return
    figures("Implied growth", [("g", percent(result["implied_growth"], 3))])


@app.command()
def eva(
    capital: Annotated[float | None, typer.Option(help="Invested capital.")] = None,
    nopat: Annotated[float | None, typer.Option(help="NOPAT (or --ebit and --tax-rate).")] = None,
    ebit: Annotated[float | None, typer.Option(help="Operating profit before tax.")] = None,
    tax_rate: Annotated[float | None, typer.Option(help="0.30 is 30%.")] = None,
    wacc: Annotated[float | None, typer.Option(help="WACC (or the weights below).")] = None,
    equity_weight: Annotated[float | None, typer.Option(help="Equity share of capital.")] = None,
    debt_weight: Annotated[float | None, typer.Option(help="Debt share of capital.")] = None,
    preferred_weight: Annotated[float | None, typer.Option(help="Preferred share.")] = None,
    cost_of_equity: RateOpt = None,
    pre_tax_cost_of_debt: Annotated[float | None, typer.Option(help="r_d before tax.")] = None,
    cost_of_preferred: Annotated[float | None, typer.Option(help="r_p.")] = None,
    net_income: Annotated[float | None, typer.Option(help="For equity residual income.")] = None,
    equity: Annotated[float | None, typer.Option(help="Book equity, for equity RI.")] = None,
    input_file: InputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Economic value added (NOPAT - WACC x capital) and, optionally, equity residual income."""
    from evergreen.finance.interfaces.schemas import EvaRequest

    flags = {
        "capital": capital,
        "nopat": nopat,
        "ebit": ebit,
        "tax_rate": tax_rate,
        "wacc": wacc,
        "equity_weight": equity_weight,
        "debt_weight": debt_weight,
        "preferred_weight": preferred_weight,
        "cost_of_equity": cost_of_equity,
        "pre_tax_cost_of_debt": pre_tax_cost_of_debt,
        "cost_of_preferred": cost_of_preferred,
        "net_income": net_income,
        "equity": equity,
    }
    result = compute(load(EvaRequest, input_file, flags).run)
    if as_json:
        emit_json(result)
        return
    figures(
        "Economic value added",
        [
            ("NOPAT", money(result["nopat"])),
            ("WACC", percent(result["wacc"])),
            ("Capital charge", money(result["capital_charge"])),
            ("EVA", money(result["eva"])),
            ("Equity residual income", money(result["equity_residual_income"])),
        ],
    )


# After the valuation commands, so --help lists them first.
app.command("va-test")(personal.va_test)
app.command("loan-schedule")(loans.loan_schedule)
app.command("loan-yield")(loans.loan_yield)
app.command("simulate")(personal.simulate)
