"""What the lending commands share: the day options, JSON output and money in it."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import orjson
import typer

from evergreen.console import row_id_argument
from evergreen.db import utcnow
from evergreen.lending.errors import LendingInputError
from evergreen.lending.rules.forms import read_date

__all__ = [
    "DateOpt",
    "DrawArg",
    "JsonOpt",
    "LoanArg",
    "YesOpt",
    "day_of",
    "echo_fields",
    "echo_json",
    "money_number",
    "required_day",
    "stdin_is_terminal",
]

DateOpt = Annotated[str, typer.Option("--date", help="YYYY-MM-DD; today if left out.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object.")]
LoanArg = Annotated[int, row_id_argument("The loan's ID (loan list).")]
DrawArg = Annotated[int, row_id_argument("The draw's ID.")]
YesOpt = Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")]


def stdin_is_terminal() -> bool:
    """Whether a person can answer a question: a script or pipe must say --yes instead."""
    return sys.stdin.isatty()


def day_of(text: str, field: str = "date") -> date:
    """A day typed as YYYY-MM-DD (today when empty), or the refusal naming the option."""
    if not text:
        return utcnow().date()
    return read_date(field, text)


def required_day(text: str, field: str) -> date:
    """A day that must be typed (a loan's start, a new maturity): an empty one is refused
    naming the option, never read as today."""
    if not text.strip():
        raise LendingInputError(field, "is required, as YYYY-MM-DD (got an empty value)")
    return read_date(field, text)


def echo_json(value: object) -> None:
    """Print a value as indented JSON."""
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def echo_fields(fields: dict[str, Any], as_json: bool) -> None:
    """One object, as JSON or as `key: value` lines."""
    if as_json:
        echo_json(fields)
        return
    for key, value in fields.items():
        typer.echo(f"{key}: {value}")


def money_number(value: Decimal | None) -> float | None:
    """Money as a JSON number rounded to cents (None stays null)."""
    return None if value is None else float(value.quantize(Decimal("0.01")))
