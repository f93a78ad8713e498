"""Residual income for many scenarios at once: one numpy pass per forecast year, no row loop."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evergreen.finance.errors import FinanceInputError

__all__ = ["value_grid"]

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

# Rows are valued in blocks this size so each block's working arrays stay in CPU cache;
# the loop runs over blocks (n / 32768 of them), never over single rows.
_BLOCK = 32768
_MAX_HORIZON = 500


def _floats(field: str, values: ArrayLike) -> FloatArray:
    """Any array-like as float64, or an error naming the field that isn't numeric."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise FinanceInputError(
            field, f"must be numbers (numpy could not read it: {exc})"
        ) from None


def _column(field: str, values: ArrayLike, rows: int) -> FloatArray:
    """One number per scenario: a scalar for all rows, or shape (rows,)."""
    array = _floats(field, values)
    if array.ndim == 0:
        return np.full(rows, float(array))
    if array.shape != (rows,):
        raise FinanceInputError(
            field,
            f"has shape {array.shape}; give one value per row of roe ({rows} rows) or one number",
        )
    return array


def _first_bad(
    field: str, ok: npt.NDArray[np.bool_], values: FloatArray, rule: str, offset: int
) -> None:
    """Raise for the first row that breaks a rule, so a caller can find it in their grid."""
    if ok.all():
        return
    flat = int(np.argmin(ok.reshape(-1)))
    width = values.shape[1] if values.ndim == 2 else 1
    row, col = divmod(flat, width)
    row += offset
    where = f"row {row}, year {col + 1}" if values.ndim == 2 else f"row {row}"
    bad = float(values.reshape(-1)[flat])
    raise FinanceInputError(field, f"{rule} (got {bad:g} at {where})")


def _validate(
    b0: FloatArray,
    r: FloatArray,
    roe: FloatArray,
    payout: FloatArray,
    omega: FloatArray,
    offset: int,
) -> None:
    """Every rule of the scalar model, on whole arrays (rows offset.. of the grid), in order."""
    _first_bad("book_value", (b0 > 0) & (b0 < np.inf), b0, "must be finite and above 0", offset)
    _first_bad("cost_of_equity", (r > -1) & (r < np.inf), r, "must be finite and above -1", offset)
    _first_bad("roe", (roe > -1) & (roe < np.inf), roe, "must be finite and above -1", offset)
    _first_bad("payout", (payout >= 0) & (payout <= 1), payout, "must be between 0 and 1", offset)
    _first_bad("persistence", (omega >= 0) & (omega <= 1), omega, "must be between 0 and 1", offset)
    # Only now are r and omega known finite, so 1 + r - omega can't be nan.
    _first_bad(
        "cost_of_equity",
        1.0 + r - omega > 0,
        r,
        "must be greater than persistence - 1 for continuing RI to converge",
        offset,
    )


def _value_block(
    b0: FloatArray,
    r: FloatArray,
    roe: FloatArray,
    payout: FloatArray,
    omega: FloatArray,
    out: FloatArray,
) -> None:
    """Value one block of rows into out; roe is (years, rows), payout (years or 1, rows)."""
    years = roe.shape[0]
    growth = 1.0 + r
    discount = np.divide(1.0, growth)
    factor = discount.copy()
    book = b0.copy()
    term = np.empty_like(b0)
    out[:] = b0
    for t in range(years):
        rate = roe[t]
        np.subtract(rate, r, out=term)
        term *= book
        term *= factor
        if t == years - 1:
            # CFA continuing value: RI_T/((1 + r - w)(1 + r)^(T-1)) = PV(RI_T)·(1 + r)/(1 + r - w).
            term *= growth
            term /= np.subtract(growth, omega)
            out += term
            break
        out += term
        # B_t = B_{t-1}(1 + ROE_t - payout_t·max(ROE_t, 0)): no dividend out of a loss.
        np.maximum(rate, 0.0, out=term)
        term *= payout[t if payout.shape[0] > 1 else 0]
        np.subtract(rate, term, out=term)
        term += 1.0
        book *= term
        factor *= discount


def value_grid(
    book_value: ArrayLike,
    cost_of_equity: ArrayLike,
    roe: ArrayLike,
    payout: ArrayLike,
    persistence: ArrayLike,
) -> FloatArray:
    """RI value per scenario with persistence continuing value, for grids of millions of rows.

    roe is (rows, T); the others are one number or one per row, payout also (rows, T). Each row
    matches residual_income.value(..., roe=row, payout=..., horizon=T, continuing="persistence").
    """
    rates = _floats("roe", roe)
    if rates.ndim != 2 or rates.shape[0] == 0 or not 1 <= rates.shape[1] <= _MAX_HORIZON:
        raise FinanceInputError(
            "roe", f"must have shape (rows, years), 1 to {_MAX_HORIZON} years (got {rates.shape})"
        )
    rows, years = rates.shape
    b0 = _column("book_value", book_value, rows)
    r = _column("cost_of_equity", cost_of_equity, rows)
    omega = _column("persistence", persistence, rows)
    shares = _floats("payout", payout)
    if shares.ndim == 2 and shares.shape != (rows, years):
        raise FinanceInputError(
            "payout",
            f"has shape {shares.shape}; give (rows, years) = {(rows, years)} or one per row",
        )
    if shares.ndim != 2:
        shares = _column("payout", shares, rows)
    out = np.empty(rows)
    for start in range(0, rows, _BLOCK):
        # Validate and value block by block: same checks, but each block is still in cache.
        rows_ = slice(start, min(start + _BLOCK, rows))
        _validate(b0[rows_], r[rows_], rates[rows_], shares[rows_], omega[rows_], start)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
            _value_block(
                b0[rows_],
                r[rows_],
                np.ascontiguousarray(rates[rows_].T),
                np.ascontiguousarray(shares[rows_].T if shares.ndim == 2 else shares[None, rows_]),
                omega[rows_],
                out[rows_],
            )
    bad = ~np.isfinite(out)
    if bad.any():
        raise FinanceInputError(
            "roe",
            f"row {int(np.argmax(bad))} overflows floating point; check units and magnitudes",
        )
    return out
