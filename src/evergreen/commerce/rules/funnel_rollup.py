"""What each paid order line adds to a funnel's daily sales rollup, and what a refund or a fee
changes: the same shares the report always used (refunds and fees shared by line total, tax
left out), so the rollup's sums are exactly the per-line figures summed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evergreen.commerce.rules.checkout import refund_shares

__all__ = ["LineFigures", "figures_delta", "line_figures"]


@dataclass(frozen=True)
class LineFigures:
    """One order line's part of the report, in cents: its net sale, refund and fee."""

    net: int  # the line's total less tax
    refunded: int  # the line's share of the order's refunds, less tax
    fee: int  # the line's share of the order's payment fee


def line_figures(lines: Sequence[tuple[int, int]], refunded: int, fee: int) -> list[LineFigures]:
    """Each line's figures, given (total, tax) per line in id order and the order's refunded
    and fee totals."""
    totals = [total for total, _tax in lines]
    refunds = refund_shares(refunded, totals)
    fees = refund_shares(fee, totals)
    figures = []
    for (total, tax), back, kept in zip(lines, refunds, fees, strict=True):
        net = total - tax
        figures.append(LineFigures(net, back * net // total if total else 0, kept))
    return figures


def figures_delta(before: Sequence[LineFigures], after: Sequence[LineFigures]) -> list[LineFigures]:
    """What moved per line between two states of one order (a refund or a fee step)."""
    return [
        LineFigures(a.net - b.net, a.refunded - b.refunded, a.fee - b.fee)
        for b, a in zip(before, after, strict=True)
    ]
