"""Time the passive-vs-active Monte Carlo against a plain-Python loop of the same model.

Usage: python benchmarks/simulation.py [--paths 100000] [--months 120] [--repeats 5]
Prints figures only; never asserts on time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from evergreen.finance.simulation import PassiveVsActive, draw_paths, path_outcomes, simulate


def loop_simulation(
    inputs: PassiveVsActive, launched: list[bool], peaks: list[float], lives: list[int]
) -> tuple[list[float], list[int]]:
    """The same model walked path by path and month by month in plain Python."""
    npvs, breakevens = [], []
    peak_month = max(inputs.ramp_months, 1)
    build_flow = -(inputs.freelance_rate * inputs.hours_per_month + inputs.monthly_costs)
    live_cost = inputs.monthly_costs + inputs.freelance_rate * inputs.maintenance_hours
    for success, peak, live in zip(launched, peaks, lives, strict=True):
        npv, cash, breakeven = 0.0, 0.0, 0
        for month in range(1, inputs.horizon_months + 1):
            s = month - inputs.build_months
            if s <= 0:
                flow = build_flow
            elif success and s <= live:
                fade = inputs.persistence ** max(s - peak_month, 0)
                flow = peak * min(s / peak_month, 1.0) * fade - live_cost
            else:
                flow = 0.0
            npv += flow / (1 + inputs.discount_rate) ** month
            cash += flow
            if not breakeven and cash > 0:
                breakeven = month
        npvs.append(npv)
        breakevens.append(breakeven)
    return npvs, breakevens


def main() -> None:
    """Parse the sizes, time both versions, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--loop-paths", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    inputs = replace(
        PassiveVsActive(),
        horizon_months=args.months,
        build_months=min(PassiveVsActive().build_months, args.months),
    )

    timings = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = simulate(inputs, paths=args.paths, seed=args.seed)
        timings.append(time.perf_counter() - start)
    best, median = min(timings), statistics.median(timings)
    print(f"vectorised: {args.paths:,} paths x {args.months} months, {args.repeats} repeats")
    print(f"  best {best * 1e3:.1f} ms   median {median * 1e3:.1f} ms")
    print(
        f"  mean NPV {result.npv.mean:,.0f}   P(passive wins) {result.probability_passive_wins:.3f}"
    )

    draws = draw_paths(inputs, args.loop_paths, args.seed)
    start = time.perf_counter()
    npvs, breakevens = loop_simulation(
        inputs, draws.launched.tolist(), draws.peak_revenue.tolist(), draws.live_months.tolist()
    )
    loop_time = time.perf_counter() - start
    check = path_outcomes(inputs, draws)
    worst = max(abs(a - b) for a, b in zip(npvs, check.npv.tolist(), strict=True))
    same = breakevens == check.breakeven_month.tolist()
    print(f"plain-Python loop: {args.loop_paths:,} paths in {loop_time * 1e3:.1f} ms")
    print(f"  agrees with vectorised: max |NPV diff| {worst:.2e}, break-even months equal: {same}")
    per_path_loop = loop_time / args.loop_paths
    per_path_vector = best / args.paths
    print(
        f"per path: loop {per_path_loop * 1e6:.2f} us, vectorised {per_path_vector * 1e6:.3f} us"
        f" -> speed-up x{per_path_loop / per_path_vector:,.0f}"
    )


if __name__ == "__main__":
    main()
