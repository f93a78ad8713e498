"""`evergreen funnels …`: list funnels, add one, import ad spend from a CSV, print a report.
Bad input is one line naming the field (a bad CSV: each row's line) and exit 2, nothing stored."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from sqlalchemy.orm import Session

from evergreen.console import failure, in_session, utf8_text
from evergreen.db import utcnow
from evergreen.funnels import queries, service
from evergreen.funnels.rules import SpendError, read_spend_csv
from evergreen.funnels.rules.period import report_period

__all__ = ["app"]

_LISTED = 50  # refused rows a command lists; the summary counts them all

app = typer.Typer(
    help="Funnels: steps with an A/B split, their traffic and ad spend.", no_args_is_help=True
)


@app.command("list")
def list_funnels(
    as_json: Annotated[bool, typer.Option("--json", help="Every funnel as a JSON array.")] = False,
) -> None:
    """Every funnel with its address, status and number of steps."""
    shown = in_session(
        lambda s: [
            (row.id, row.slug, row.name, row.status, n) for row, n in queries.list_funnels(s)
        ],
        writer=False,
    )
    if as_json:
        keys = ("id", "slug", "name", "status", "steps")
        typer.echo(orjson.dumps([dict(zip(keys, item, strict=True)) for item in shown]).decode())
        return
    if not shown:
        typer.echo("No funnels yet.")
    for funnel_id, slug, name, status, steps in shown:
        typer.echo(f"{funnel_id}  /p/{slug}  {name}  {status}  {steps} steps")


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The funnel's name.")],
    slug: Annotated[str, typer.Option("--slug", help="Its address /p/<slug>.")] = "",
) -> None:
    """Add a draft funnel; prints its id."""
    typer.echo(in_session(lambda s: service.add_funnel(s, service.FunnelDraft(name, slug)).id))


@app.command("spend-import")
def spend_import(
    file: Annotated[Path, typer.Argument(help="CSV: day, campaign, source, amount, currency.")],
    funnel: Annotated[str, typer.Option("--funnel", help="The funnel's slug or id.")],
) -> None:
    """Import ad spend; a file with any bad row stores nothing and lists each row."""
    # UTF-8 or refused by name, as every import reads a file: never a name with � in it.
    reading = read_spend_csv(io.StringIO(utf8_text(file), newline=""))
    if not reading.rows and not reading.errors:
        raise failure(f"nothing imported: {file} has no rows under its header")
    if reading.errors:
        raise failure(_refused_rows(reading.errors))

    def work(session: Session) -> int:
        return service.import_spend(session, service.find_funnel(session, funnel).id, reading)

    stored = in_session(work)
    typer.echo(f"{stored} {_rows(stored)} of ad spend stored.")


def _rows(count: int) -> str:
    return "row" if count == 1 else "rows"


def _refused_rows(errors: list[SpendError]) -> str:
    """Each refused row listed once (the first 50), then one line saying nothing was stored."""
    for problem in errors[:_LISTED]:
        typer.echo(f"line {problem.line}: {problem.field}: {problem.message}", err=True)
    more = len(errors) - _LISTED
    listed = f" ({more} more not listed)" if more > 0 else ""
    return (
        f"nothing stored: {len(errors)} {_rows(len(errors))} refused{listed}; fix "
        f"{'it' if len(errors) == 1 else 'them'} and import the file again"
    )


@app.command("report")
def report(
    slug: Annotated[str, typer.Argument(help="The funnel's slug or id.")],
    start: Annotated[str, typer.Option("--start", help="First day; 30 days back by default.")] = "",
    end: Annotated[str, typer.Option("--end", help="Last day; today by default.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="The whole report as JSON.")] = False,
) -> None:
    """Per step and variant: visitors, conversions, rate; then the liquidation figures."""
    first, last = report_period(start, end, utcnow().date())

    def work(session: Session) -> dict[str, Any]:
        found = queries.report(session, service.find_funnel(session, slug).id, first, last)
        assert found is not None
        return queries.report_dict(found)

    shown = in_session(work, writer=False)
    if as_json:
        typer.echo(orjson.dumps(shown).decode())
        return
    typer.echo(f"{shown['start']} to {shown['end']}")
    for line in shown["steps"]:
        rate = line["conversion_rate"] or "-"
        typer.echo(
            f"{line['step']} {line['variant']}: {line['visitors']} visitors, "
            f"{line['conversions']} conversions ({rate}), revenue {line['revenue']}"
            f"{' ' + shown['currency'] if shown['currency'] else ''}"
        )
    total = shown["total"]
    typer.echo(
        f"ad spend {total['ad_spend']} {shown['currency'] or ''}, "
        f"liquidation ratio {total['liquidation_ratio'] or '-'}"
    )
    for note in total["notes"]:
        typer.echo(f"note: {note}")
