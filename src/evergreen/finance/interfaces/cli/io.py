"""What every finance command shares: read --input, merge flags, run the model, print or fail.

The request models and the models behind them are imported only when a command runs, so
``evergreen`` itself starts without numpy, scipy or matplotlib.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evergreen.console import check_output_file, err, failure

if TYPE_CHECKING:
    from evergreen.finance.interfaces.schemas import ToDict

__all__ = [
    "InputOpt",
    "JsonOpt",
    "PlotOpt",
    "compute",
    "emit_json",
    "fail",
    "figures",
    "load",
    "money",
    "numbers",
    "per_year",
    "percent",
    "plot_path",
    "print_table",
    "save_plot",
]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
InputOpt = Annotated[
    Path | None,
    typer.Option(
        "--input",
        metavar="FILE",
        help="Read the fields from a YAML or JSON file (field names as in the API); "
        "flags given as well override it.",
    ),
]
PlotOpt = Annotated[
    Path | None, typer.Option("--plot", metavar="FILE.png", help="Also draw a PNG chart.")
]

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


def fail(field: str, message: str) -> NoReturn:
    """One line a person can act on, on stderr, and exit status 2: never a traceback."""
    raise failure(f"{field}: {message}")


def _read(path: Path) -> dict[str, Any]:
    """A mapping of field names to values from a YAML or JSON file (JSON when it ends .json)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail("input", f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
    is_json = path.suffix.lower() == ".json"
    try:
        data = json.loads(text) if is_json else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())
        fail("input", f"{path} is not valid {'JSON' if is_json else 'YAML'}: {reason}")
    if data is None:
        return {}
    if not isinstance(data, dict):
        fail("input", f"{path} must hold field names and values, not a {type(data).__name__}")
    return {str(key).replace("-", "_"): value for key, value in data.items()}


def _field(loc: Iterable[object]) -> str:
    return ".".join(str(part) for part in loc) or "input"


def load(model: type[M], input_file: Path | None, flags: Mapping[str, object]) -> M:
    """The request from the file (if any) with the given flags on top, validated."""
    data = _read(input_file) if input_file is not None else {}
    data.update({name: value for name, value in flags.items() if value is not None})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for error in exc.errors():
            field, message = _field(error["loc"]), error["msg"]
            if error["type"] == "missing":
                flag = "--" + field.replace("_", "-")
                message = f"required: give {flag}, or {field} in the --input file"
            elif error["type"] == "extra_forbidden":
                message = "unknown field; the fields are " + ", ".join(model.model_fields)
            problems.append((field, message))
        (field, message), others = problems[0], problems[1:]
        fail(field, "; ".join([message, *(f"{f}: {m}" for f, m in others)]))


def compute(run: Callable[[], R]) -> R:
    """Run one model; `evergreen` prints its input errors as one line and exits 2."""
    from evergreen.finance.interfaces.schemas import run_model

    return run_model(run)


def emit_json(result: ToDict | Mapping[str, object]) -> None:
    """The result as one JSON object on stdout, as the API would answer."""
    from evergreen.finance.interfaces.schemas import to_json

    typer.echo(json.dumps(compute(lambda: to_json(result)), allow_nan=False))


def numbers(field: str, text: str | None) -> list[float] | None:
    """A comma-separated list of numbers from a flag: 2,2.5,4."""
    if text is None:
        return None
    try:
        return [float(part) for part in text.replace(" ", "").split(",")]
    except ValueError:
        fail(field, f"must be numbers separated by commas, like 2,2.5,4 (got {text!r})")


def per_year(field: str, text: str | None) -> float | list[float] | None:
    """One number for every year (0.12), or one per year (0.12,0.11,0.10)."""
    values = numbers(field, text)
    return values[0] if values is not None and len(values) == 1 else values


def plot_path(path: Path | None) -> Path | None:
    """Check a --plot target before any work is done."""
    if path is not None and path.suffix.lower() != ".png":
        fail("plot", f"charts are PNG files; give a name ending in .png (got {path})")
    return None if path is None else check_output_file(path, "--plot")


def save_plot(name: str, result: object, path: Path | None) -> None:
    """Draw one of evergreen.finance.interfaces.plots to ``path``, and say where on stderr."""
    if path is None:
        return
    from evergreen.finance.interfaces import plots

    draw: Callable[[Any, Path], Path] = getattr(plots, name)
    try:
        draw(result, path)
    except OSError as exc:
        fail("plot", f"cannot write {path}: {exc.strerror or exc}")
    err.print(f"Chart written to {escape(str(path))}", highlight=False, soft_wrap=True)


def money(value: float | None) -> str:
    """Dollars with cents, for tables."""
    if value is None:
        return "-"
    return f"-{-value:,.2f}" if value < 0 else f"{value:,.2f}"


def percent(value: float | None, places: int = 2) -> str:
    """A decimal rate as a percentage, for tables."""
    return "-" if value is None else f"{value:.{places}%}"


def print_table(title: str, columns: list[str], rows: Iterable[Iterable[str]]) -> None:
    """A Rich table on stdout, numbers right-aligned."""
    table = Table(title=title, title_justify="left", min_width=len(title))
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def figures(title: str, rows: Iterable[tuple[str, str]]) -> None:
    """A two-column table of named figures."""
    print_table(title, ["", "value"], rows)
