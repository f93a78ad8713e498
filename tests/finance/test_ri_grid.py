"""The vectorised RI grid agrees with the scalar model row by row and validates like it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evergreen.finance.errors import FinanceInputError
from evergreen.finance.residual_income import grid
from evergreen.finance.residual_income import multistage as ri


def _scalar(b0: float, r: float, roe: np.ndarray, payout: object, omega: float) -> float:
    share = payout.tolist() if isinstance(payout, np.ndarray) else payout
    return ri.value(
        b0,
        r,
        roe=roe.tolist(),
        payout=share,  # type: ignore[arg-type]
        horizon=roe.shape[0],
        continuing="persistence",
        persistence=omega,
    ).value


@pytest.mark.parametrize("per_year_payout", [False, True])
def test_grid_matches_scalar_across_blocks(
    per_year_payout: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeded scenarios spanning several blocks, losses included, match ri.value to 1e-12."""
    monkeypatch.setattr(grid, "_BLOCK", 64)
    rng = np.random.default_rng(7)
    n, years = 300, 5
    b0 = rng.uniform(1, 80, n)
    r = rng.uniform(0.02, 0.2, n)
    roe = rng.uniform(-0.3, 0.4, (n, years))
    payout = rng.uniform(0, 1, (n, years) if per_year_payout else n)
    omega = rng.uniform(0, 1, n)
    values = ri.value_grid(b0, r, roe, payout, omega)
    expected = [_scalar(b0[i], r[i], roe[i], payout[i], omega[i]) for i in range(n)]
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=50)
@given(
    st.integers(1, 10),
    st.floats(0.5, 100),
    st.floats(-0.5, 0.5),
    st.floats(0, 1),
    st.floats(0, 1),
    st.integers(0, 2**32 - 1),
)
def test_grid_row_equals_scalar(
    years: int, b0: float, r: float, payout: float, omega: float, seed: int
) -> None:
    """Any horizon and any valid rate (negative too, when 1 + r > omega) agrees with ri.value."""
    assume(1.0 + r - omega > 0.01)
    roe = np.random.default_rng(seed).uniform(-0.5, 0.6, (1, years))
    value = ri.value_grid(b0, r, roe, payout, omega)[0]
    assert value == pytest.approx(_scalar(b0, r, roe[0], payout, omega), rel=1e-11, abs=1e-11)


def test_scalars_broadcast_to_rows() -> None:
    """One number for every row is the same as repeating it."""
    roe = np.full((4, 3), 0.12)
    one = ri.value_grid(10.0, 0.09, roe, 0.4, 0.6)
    many = ri.value_grid(np.full(4, 10.0), np.full(4, 0.09), roe, np.full(4, 0.4), np.full(4, 0.6))
    np.testing.assert_array_equal(one, many)


def _grid_args(n: int = 5, years: int = 3) -> dict[str, np.ndarray]:
    return {
        "book_value": np.full(n, 10.0),
        "cost_of_equity": np.full(n, 0.1),
        "roe": np.full((n, years), 0.12),
        "payout": np.full(n, 0.3),
        "persistence": np.full(n, 0.5),
    }


@pytest.mark.parametrize(
    ("field", "index", "bad", "where"),
    [
        ("book_value", 3, -1.0, "row 3"),
        ("book_value", 2, np.nan, "row 2"),
        ("cost_of_equity", 4, -1.0, "row 4"),
        ("cost_of_equity", 1, np.inf, "row 1"),
        ("roe", (2, 1), np.nan, "row 2, year 2"),
        ("roe", (0, 2), -1.5, "row 0, year 3"),
        ("payout", 1, 1.5, "row 1"),
        ("persistence", 3, 1.2, "row 3"),
        ("persistence", 0, -0.1, "row 0"),
    ],
)
def test_grid_names_first_bad_row(
    field: str, index: int | tuple[int, int], bad: float, where: str
) -> None:
    """A bad cell is reported by field and row, like the scalar model's errors."""
    args = _grid_args()
    args[field][index] = bad
    with pytest.raises(FinanceInputError) as info:
        ri.value_grid(**args)
    assert info.value.field == field
    assert where in info.value.message


def test_grid_reports_row_in_later_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """Row numbers are counted across the whole grid, not within a block."""
    monkeypatch.setattr(grid, "_BLOCK", 4)
    args = _grid_args(n=10)
    args["payout"][9] = -0.2
    with pytest.raises(FinanceInputError, match="row 9"):
        ri.value_grid(**args)


def test_grid_rejects_divergent_persistence_and_bad_shapes() -> None:
    """1 + r <= omega, mismatched shapes and overflow all raise FinanceInputError."""
    args = _grid_args()
    args["cost_of_equity"][2] = -0.6
    args["persistence"][2] = 0.5
    with pytest.raises(FinanceInputError, match="converge"):
        ri.value_grid(**args)
    with pytest.raises(FinanceInputError) as info:
        ri.value_grid(**{**_grid_args(), "book_value": np.ones(4)})
    assert info.value.field == "book_value"
    with pytest.raises(FinanceInputError) as info:
        ri.value_grid(**{**_grid_args(), "payout": np.ones((5, 2))})
    assert info.value.field == "payout"
    with pytest.raises(FinanceInputError) as info:
        ri.value_grid(**{**_grid_args(), "roe": np.ones(5)})
    assert info.value.field == "roe"
    with pytest.raises(FinanceInputError) as info:
        ri.value_grid(**{**_grid_args(), "persistence": ["high"] * 5})
    assert info.value.field == "persistence"
    with pytest.raises(FinanceInputError, match="overflows"):
        ri.value_grid(
            **{**_grid_args(), "book_value": np.full(5, 1e308), "roe": np.full((5, 3), 9.0)}
        )
