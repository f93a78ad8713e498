"""Residual income grid: scenarios per second, speed-up over the scalar model, and agreement.

Run: .venv/bin/python benchmarks/finance.py [--scenarios N] [--repeat K]
Prints figures only; it never asserts on time. Exits 1 if grid and scalar values disagree.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

from evergreen.finance.residual_income import multistage as ri

YEARS = 5
TOLERANCE = 1e-9


def build(scenarios: int, seed: int) -> dict[str, np.ndarray]:
    """Seeded scenarios: B0, r, a five-year ROE path (losses included), payout and persistence."""
    rng = np.random.default_rng(seed)
    return {
        "book_value": rng.uniform(5.0, 80.0, scenarios),
        "cost_of_equity": rng.uniform(0.06, 0.14, scenarios),
        "roe": rng.uniform(-0.05, 0.30, (scenarios, YEARS)),
        "payout": rng.uniform(0.0, 0.9, scenarios),
        "persistence": rng.uniform(0.0, 1.0, scenarios),
    }


def scalar(grid: dict[str, np.ndarray], row: int) -> float:
    """The same scenario through the plain-Python model."""
    return ri.value(
        float(grid["book_value"][row]),
        float(grid["cost_of_equity"][row]),
        roe=grid["roe"][row].tolist(),
        payout=float(grid["payout"][row]),
        horizon=YEARS,
        continuing="persistence",
        persistence=float(grid["persistence"][row]),
    ).value


def main() -> int:
    """Time the grid, time the scalar model on a sample, compare a random sample of rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sample", type=int, default=500, help="rows checked against scalar")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    if args.scenarios < 1 or args.repeat < 1 or args.sample < 1:
        parser.error("--scenarios, --repeat and --sample must be at least 1")

    print(f"python {platform.python_version()}, numpy {np.__version__}, cpus {os.cpu_count()}")
    grid = build(args.scenarios, args.seed)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        values = ri.value_grid(**grid)
        times.append(time.perf_counter() - start)
    best, median = min(times), statistics.median(times)
    print(f"grid: {args.scenarios:,} scenarios x {YEARS} years, persistence continuing value")
    print(f"  best   {best * 1e3:8.2f} ms  {args.scenarios / best:14,.0f} scenarios/s")
    print(f"  median {median * 1e3:8.2f} ms  {args.scenarios / median:14,.0f} scenarios/s")

    rng = np.random.default_rng(args.seed + 1)
    rows = rng.choice(args.scenarios, size=min(args.sample, args.scenarios), replace=False)
    start = time.perf_counter()
    expected = np.array([scalar(grid, int(row)) for row in rows])
    scalar_rate = len(rows) / (time.perf_counter() - start)
    print(f"scalar ri.value: {scalar_rate:14,.0f} scenarios/s on {len(rows)} rows")
    print(f"speed-up (best grid / scalar): {args.scenarios / best / scalar_rate:,.0f}x")

    difference = np.abs(values[rows] - expected)
    relative = difference / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    print(f"max |grid - scalar| over {len(rows)} rows: {difference.max():.3e}")
    print(f"max relative difference: {relative.max():.3e} (tolerance {TOLERANCE:g})")
    if relative.max() > TOLERANCE:
        print("FAIL: grid and scalar values disagree", file=sys.stderr)
        return 1
    print("OK: grid agrees with scalar")
    return 0


if __name__ == "__main__":
    sys.exit(main())
