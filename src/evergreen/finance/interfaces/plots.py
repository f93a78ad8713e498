"""PNG charts of finance results, drawn off-screen (Agg) at 1000x600 for reports and the CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from evergreen.finance.loans.schedule import LoanSchedule
from evergreen.finance.residual_income import ResidualIncomeValuation
from evergreen.finance.simulation import SimulationResult, draw_paths, path_outcomes

matplotlib.use("Agg")  # no display: pyplot must pick this backend when it is first imported
import matplotlib.pyplot as plt

__all__ = ["loan_schedule", "npv_distribution", "value_bridge"]

_SIZE, _DPI = (10, 6), 100  # 1000 x 600 pixels
_GAIN, _LOSS, _TOTAL, _LINE = "#2e7d32", "#c62828", "#1565c0", "#37474f"


def _save(figure: Figure, path: Path | str) -> Path:
    """Write the PNG and free the figure (pyplot keeps every open figure alive otherwise)."""
    target = Path(path)
    try:
        figure.tight_layout()
        figure.savefig(target, format="png", dpi=_DPI)
    finally:
        plt.close(figure)
    return target


def _dollars(value: float, _position: object = None) -> str:
    """Whole dollars, the sign escaped so matplotlib does not read it as mathtext."""
    return f"-\\${-value:,.0f}" if value < 0 else f"\\${value:,.0f}"


def _label(axes: Axes, x: float, y: float, text: str, *, below: bool = False) -> None:
    axes.annotate(
        text,
        (x, y),
        ha="center",
        va="top" if below else "bottom",
        xytext=(0, -4 if below else 4),
        textcoords="offset points",
        fontweight="bold",
    )


def value_bridge(result: ResidualIncomeValuation, path: Path | str) -> Path:
    """Waterfall from book value to value: B0, PV of RI, PV of continuing RI, V0."""
    steps = [*result.bridge(), ("Value V0", result.value)]
    figure, axes = plt.subplots(figsize=_SIZE)
    running, levels = 0.0, [0.0]
    for x, (_, amount) in enumerate(steps):
        total = x in (0, len(steps) - 1)
        bottom = 0.0 if total else running
        color = _TOTAL if total else (_GAIN if amount >= 0 else _LOSS)
        axes.bar(x, amount, bottom=bottom, color=color, width=0.6)
        text = f"{amount:,.2f}" if total else f"{amount:+,.2f}"
        below = amount < 0
        _label(axes, x, bottom + amount if below else bottom + max(amount, 0.0), text, below=below)
        running = bottom + amount
        levels += [bottom, running]
        if x < len(steps) - 1:
            axes.plot([x + 0.3, x + 0.7], [running, running], color=_LINE, linewidth=0.8)
    low, high = min(levels), max(levels)
    pad = 0.12 * (high - low or 1.0)
    axes.set_ylim(low - (pad if low < 0 else 0.0), high + pad)
    axes.set_xticks(range(len(steps)), [textwrap.fill(label, 20) for label, _ in steps])
    axes.axhline(0, color=_LINE, linewidth=0.8)
    axes.set_ylabel("Value per share")
    axes.set_title(
        f"Residual income value bridge at r = {result.cost_of_equity:.2%}, "
        f"{result.horizon}-year forecast, continuing: {result.continuing}"
    )
    return _save(figure, path)


def loan_schedule(schedule: LoanSchedule, path: Path | str) -> Path:
    """Balance after each payment (line) and the interest in each payment (bars)."""
    terms, rows = schedule.terms, schedule.rows
    dates = np.array([terms.start_date, *(row.date for row in rows)], "datetime64[D]")
    balances = [terms.opening_balance, *(row.balance for row in rows)]
    figure, axes = plt.subplots(figsize=_SIZE)
    interest = axes.twinx()
    axes.set_zorder(interest.get_zorder() + 1)  # the balance line over the interest bars
    axes.patch.set_visible(False)
    axes.step(dates, balances, where="post", color=_TOTAL, linewidth=2, label="Balance owed")
    paid = [row.interest for row in rows]
    if len(rows) <= 60:
        days = float((dates[-1] - dates[0]) / np.timedelta64(1, "D"))
        interest.bar(
            dates[1:],
            paid,
            width=0.6 * days / len(rows),
            color=_GAIN,
            alpha=0.5,
            label="Interest in the payment",
        )
    else:  # hundreds of bars alias into stripes; an area reads the same
        interest.fill_between(
            dates[1:], paid, step="pre", color=_GAIN, alpha=0.5, label="Interest in the payment"
        )
    # Headroom: bars stay below the balance line and both stay below the legend.
    axes.set_ylim(0, 1.3 * max(max(balances), 1.0))
    interest.set_ylim(0, 1.7 * max(max(paid), 1.0))
    for side, label in ((axes, "Balance owed"), (interest, "Interest per payment")):
        side.set_ylabel(label)
        side.yaxis.set_major_formatter(FuncFormatter(_dollars))
    axes.set_xlabel("Payment date")
    kind = (
        "interest only"
        if terms.amortization_months is None
        else (f"amortised over {terms.amortization_months} months")
    )
    axes.set_title(
        f"{_dollars(terms.principal)} at {terms.annual_rate:.2%}, {terms.term_months} months, "
        f"{kind}: total interest {_dollars(schedule.total_interest)}"
    )
    lines, names = axes.get_legend_handles_labels()
    bars, bar_names = interest.get_legend_handles_labels()
    axes.legend(lines + bars, names + bar_names, loc="upper right", ncols=2)
    figure.autofmt_xdate()
    return _save(figure, path)


def npv_distribution(result: SimulationResult, path: Path | str) -> Path:
    """Histogram of NPV(passive - active) across paths, redrawn from the result's seed."""
    draws = draw_paths(result.inputs, result.paths, result.seed)
    npv = path_outcomes(result.inputs, draws).npv
    # The right tail of a lognormal hit runs far; the top 1% is piled into the last bar.
    low, cap = float(np.min(npv)), float(np.percentile(npv, 99))
    edges = np.linspace(low, cap if cap > low else low + 1.0, 61)
    counts, _ = np.histogram(np.clip(npv, edges[0], edges[-1]), bins=edges)
    centers, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    figure, axes = plt.subplots(figsize=_SIZE)
    colors = [_GAIN if c > 0 else _LOSS for c in centers]
    axes.bar(centers, counts / result.paths, width=widths, color=colors, edgecolor="white")
    axes.axvline(0, color=_LINE, linewidth=1)
    for value in (result.npv.p5, result.npv.p50, result.npv.p95):
        axes.axvline(value, color=_TOTAL, linestyle="--", linewidth=1)
    summary = "\n".join(
        [
            f"P(passive beats active) = {result.probability_passive_wins:.1%}",
            f"NPV p5 {_dollars(result.npv.p5)}",
            f"NPV median {_dollars(result.npv.p50)} (dashed lines)",
            f"NPV p95 {_dollars(result.npv.p95)}",
            f"NPV mean {_dollars(result.npv.mean)}",
        ]
    )
    axes.text(
        0.98,
        0.95,
        summary,
        transform=axes.transAxes,
        ha="right",
        va="top",
        multialignment="left",
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": _LINE},
    )
    axes.xaxis.set_major_formatter(FuncFormatter(_dollars))
    axes.set_xlabel(
        f"NPV of passive minus active income, today's dollars (last bar: top 1%, "
        f"{_dollars(cap)} and above)"
    )
    axes.set_ylabel("Share of paths")
    axes.set_title(
        f"Passive vs active over {result.inputs.horizon_months} months: "
        f"passive wins in {result.probability_passive_wins:.1%} of {result.paths:,} paths"
    )
    return _save(figure, path)
