"""Finance charts: each one writes a readable 1000x600 PNG with something drawn on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from matplotlib import image

from evergreen.finance import simulation as sim
from evergreen.finance.interfaces import plots
from evergreen.finance.loans import schedule as ls
from evergreen.finance.residual_income import multistage as ri

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    """A real PNG, with width and height, and more than one colour in it."""
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = image.imread(path)
    assert pixels.shape[0] > 0
    assert pixels.shape[1] > 0
    assert (pixels != pixels[0, 0]).any(), "the image is a single colour"


def test_value_bridge(tmp_path: Path) -> None:
    result = ri.value(
        45.25,
        0.087,
        earnings=[7.82, 8.17, 8.54],
        dividends=[1.46, 1.53, 1.59],
        continuing="perpetuity",
    )
    written = plots.value_bridge(result, tmp_path / "bridge.png")
    assert written == tmp_path / "bridge.png"
    assert_png(written)
    assert image.imread(written).shape[:2] == (600, 1000)


def test_value_bridge_with_negative_residual_income(tmp_path: Path) -> None:
    result = ri.value(
        10, 0.12, roe=0.08, payout=0.5, horizon=5, continuing="persistence", persistence=0.5
    )
    assert_png(plots.value_bridge(result, tmp_path / "losing.png"))


def test_loan_schedule(tmp_path: Path) -> None:
    draws = [(dt.date(2024, 3, 1), 30_000.0)]
    short = ls.LoanTerms(200_000, 0.11, 12, dt.date(2024, 1, 15), draws=draws, points=2)
    assert_png(plots.loan_schedule(ls.schedule(short), tmp_path / "short.png"))
    mortgage = ls.LoanTerms(200_000, 0.065, 360, dt.date(2024, 1, 15), amortization_months=360)
    assert_png(plots.loan_schedule(ls.schedule(mortgage), tmp_path / "long.png"))


def test_npv_distribution(tmp_path: Path) -> None:
    result = sim.simulate(sim.PassiveVsActive(), paths=5_000, seed=1)
    assert_png(plots.npv_distribution(result, tmp_path / "npv.png"))
