"""`evergreen streams|ledger|hours|capital …`: the ledger from the command line.

Every value arrives as text and is checked by the ledger's rules, so a bad name, date, amount
or rate is one line naming it and exit 2, with nothing stored.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import orjson
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from evergreen.console import confirmed, in_session, option_name, row_id_argument
from evergreen.db import utcnow
from evergreen.ledger import queries, service
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.models import HoursEntry
from evergreen.ledger.rules import (
    StreamKind,
    parse_amount,
    parse_date,
    parse_hours,
    parse_period,
    parse_rate,
    parse_report_day,
)
from evergreen.money import show_amount, show_money, show_number
from evergreen.networks import service as networks
from evergreen.partners import service as partners

__all__ = ["capital_app", "hours_app", "ledger_app", "streams_app"]

streams_app = typer.Typer(help="Income streams: add them, report residual income, value them.",
                          no_args_is_help=True)  # fmt: skip
ledger_app = typer.Typer(help="The journal: income and costs of each stream.", no_args_is_help=True)
hours_app = typer.Typer(help="Your time on each stream.", no_args_is_help=True)
capital_app = typer.Typer(help="Capital put into or taken out of a stream.", no_args_is_help=True)

_ZERO, _ONE = Decimal(0), Decimal(1)


def _rate(text: str | None, field: str) -> Decimal | None:
    if text is None:
        return None
    if field == "hourly_rate":
        return parse_rate(text, field, low=_ZERO, high=Decimal(100_000), example="75")
    return parse_rate(text, field, low=_ZERO, high=_ONE, example="0.08 for 8 % a year")


def _print_json(value: object) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


@streams_app.command("add")
def streams_add(
    name: Annotated[str, typer.Argument(help="The stream's name, e.g. 'Blog'.")],
    kind: Annotated[
        str,
        typer.Option(
            help="affiliate, partner_program, digital_product, "
            "webinar_funnel, royalties, articles, subscription, "
            "lending, rental, service or other."
        ),
    ] = "other",
    currency: Annotated[str, typer.Option(help="ISO currency of its money.")] = "USD",
    started: Annotated[str | None, typer.Option(help="YYYY-MM-DD; today if left out.")] = None,
    recurring: Annotated[bool, typer.Option(help="Income that repeats by itself.")] = False,
    hourly_rate: Annotated[str | None, typer.Option(help="This stream's own hourly rate.")] = None,
    required_return: Annotated[
        str | None, typer.Option(help="This stream's own required return, 0.08 = 8 %.")
    ] = None,
) -> None:
    """Add an income stream."""
    draft = service.StreamDraft(
        name=name,
        kind=StreamKind.parse(kind),
        currency=currency,
        started_on=parse_date(started, "started") if started else None,
        recurring=recurring,
        hourly_rate=_rate(hourly_rate, "hourly_rate"),
        required_return=_rate(required_return, "required_return"),
    )
    stream = in_session(lambda s: service.add_stream(s, draft, utcnow().date()))
    typer.echo(f"Added stream {stream.name!r} ({stream.kind}, {stream.currency}).")


@streams_app.command("list")
def streams_list() -> None:
    """List the streams."""
    streams = in_session(service.all_streams)
    table = Table("name", "kind", "currency", "started", "recurring")
    for stream in streams:
        table.add_row(stream.name, stream.kind, stream.currency, stream.started_on.isoformat(),
                      "yes" if stream.recurring else "")  # fmt: skip
    if streams:
        typer.echo(_render(table))
    else:
        typer.echo("No streams yet; add one with `evergreen streams add NAME --kind KIND`.")


def _render(table: Table) -> str:
    from rich.console import Console

    console = Console(width=120)
    with console.capture() as capture:
        console.print(table)
    return capture.get()


@streams_app.command("report")
def streams_report(
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (included).")],
    hourly_rate: Annotated[str | None, typer.Option(help="What an hour of yours is worth.")] = None,
    required_return: Annotated[
        str | None, typer.Option(help="Yearly return your capital must earn, 0.08 = 8 %.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Residual income of every stream for a period: income - costs - time - capital charge."""
    first, last = parse_period(start, end)  # as the API's report
    hour, ret = _rate(hourly_rate, "hourly_rate"), _rate(required_return, "required_return")

    def work(session: Session) -> queries.Report:
        streams = service.all_streams(session)
        rates = service.rates_for(session, hour, ret, named=option_name, streams=streams)
        currency = service.preferences(session).currency
        return queries.report(session, first, last, rates, currency)

    result = in_session(work)
    if as_json:
        _print_json(result.to_dict())
        return
    table = Table("stream", "income", "costs", "hours", "time charge", "capital charge",
                  "residual income", title=f"{first} to {last}")  # fmt: skip
    for row in [*((r.name, r.figures) for r in result.rows), ("Total", result.total)]:
        name, figures = row
        shown = figures.rounded()
        table.add_row(name, show_money(shown.income), show_money(shown.costs), str(shown.hours),
                      show_money(shown.owner_time_charge), show_money(shown.capital_charge),
                      show_money(shown.residual_income))  # fmt: skip
    typer.echo(_render(table))


@streams_app.command("value")
def streams_value(
    name: Annotated[str, typer.Argument(help="The stream's name.")],
    as_of: Annotated[
        str, typer.Option(help="Value at the end of this day, YYYY-MM-DD; today if left out.")
    ] = "",
    hourly_rate: Annotated[str | None, typer.Option(help="What an hour of yours is worth.")] = None,
    required_return: Annotated[
        str | None, typer.Option(help="Yearly return your capital must earn, 0.08 = 8 %.")
    ] = None,
    persistence: Annotated[
        str | None, typer.Option(help="ω, 0-1: how much of a year's RI lasts into the next.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """A stream's value: capital + trailing-year residual income ÷ (1 + r - ω)."""
    day = parse_report_day(as_of, "as_of") if as_of else utcnow().date()  # as the API's value
    hour, ret = _rate(hourly_rate, "hourly_rate"), _rate(required_return, "required_return")
    omega = None
    if persistence is not None:
        omega = parse_rate(persistence, "persistence", low=_ZERO, high=_ONE, example="0.6")

    def work(session: Session) -> queries.Valuation:
        stream = service.stream_named(session, name, "name")
        rates = service.rates_for(session, hour, ret, named=option_name, streams=[stream])
        return queries.valuation(session, stream, day, rates, omega)

    result = in_session(work)
    if as_json:
        _print_json(result.to_dict())
        return
    shown = result.to_dict()
    typer.echo(
        f"{name}: worth {shown['value']} on {day} = capital {shown['capital']} + trailing-year "
        f"residual income {shown['residual_income_ttm']} ÷ (1 + r - ω), ω = {result.persistence}"
    )


@streams_app.command("forecast")
def streams_forecast(
    name: Annotated[str, typer.Argument(help="The stream's name.")],
    years: Annotated[
        str | None,
        typer.Option(help="Each coming year's residual income, year 1 first: 1200,1500,1800."),
    ] = None,
    continuing: Annotated[
        str,
        typer.Option(
            help="After the last year: none (RI stops), perpetuity (it lasts forever) or "
            "persistence (it fades by --persistence a year)."
        ),
    ] = "none",
    persistence: Annotated[
        str | None, typer.Option(help="ω, 0-1, with --continuing persistence.")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the stream's forecast.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The forecast as one JSON object.")]
    = False,
) -> None:  # fmt: skip
    """Save, show or remove a stream's forecast: the stream is then valued on it (multistage
    residual income) instead of its last twelve months."""
    if clear and years is not None:
        raise LedgerInputError("clear", "give either --years or --clear, not both")
    amounts = None if years is None else years.split(",")

    def work(session: Session) -> tuple[str, service.StoredForecast | None, bool]:
        stream = service.stream_named(session, name, "name")
        if clear:
            return stream.name, None, service.clear_forecast(session, stream)
        if amounts is not None:
            saved = service.set_forecast(session, stream, amounts, continuing, persistence)
            return stream.name, saved, False
        return stream.name, service.stream_forecast(session, stream), False

    stream_name, stored, removed = in_session(work)
    if as_json:
        _print_json(None if stored is None else _forecast_dict(stored))
    elif clear:
        what = "Removed the forecast of" if removed else "There was no forecast of"
        typer.echo(f"{what} {stream_name}: it is valued on its last 12 months.")
    elif stored is None:
        typer.echo(f"{stream_name} has no forecast; save one with --years 1200,1500,1800.")
    else:
        plan = stored.plan
        shown = ", ".join(show_money(amount) for amount in plan.years)
        omega = f" (ω = {plan.persistence.normalize():f})" if plan.persistence is not None else ""
        verb = "Saved the forecast of" if amounts is not None else "The forecast of"
        typer.echo(f"{verb} {stream_name}: years {shown}; then {plan.continuing.value}{omega}.")


def _forecast_dict(stored: service.StoredForecast) -> dict[str, object]:
    plan = stored.plan
    return {
        "years": [show_amount(amount) for amount in plan.years],
        "continuing": plan.continuing.value,
        "persistence": None if plan.persistence is None else show_number(plan.persistence),
        "updated_at": stored.updated_at.isoformat(),
    }


@ledger_app.command("add")
def ledger_add(
    stream: Annotated[str, typer.Option(help="The stream's name.")],
    on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD.")],
    amount: Annotated[str, typer.Option(help="A decimal amount more than 0, e.g. 120.50.")],
    kind: Annotated[str, typer.Option("--type", help="income or cost.")],
    memo: Annotated[str, typer.Option(help="What it was.")] = "",
) -> None:
    """Record income or a cost of a stream."""
    if kind not in ("income", "cost"):
        raise LedgerInputError("type", f"{kind!r} is neither income nor cost")
    day = parse_date(on)
    value = parse_amount(amount)

    def work(session: Session) -> int:
        found = service.stream_named(session, stream)
        add = service.add_income if kind == "income" else service.add_cost
        return add(session, found, day, value, memo).id

    entry_id = in_session(work)
    typer.echo(f"Posted {kind} {value} to {stream} on {day} (transaction {entry_id}).")


@ledger_app.command("reverse")
def ledger_reverse(
    transaction: Annotated[int, row_id_argument("The transaction's number.")],
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD; today if left out.")] = None,
    reason: Annotated[str, typer.Option(help="Why it is undone.")] = "",
) -> None:
    """Undo a transaction with a reversing entry (the journal is never edited)."""
    day = parse_date(on) if on else utcnow().date()
    entry = in_session(lambda s: service.reverse(s, transaction, day, reason))
    typer.echo(f"Reversed {transaction} with transaction {entry.id} on {day}.")


@ledger_app.command("sync")
def ledger_sync() -> None:
    """Post what networks and the partner program recorded before the ledger fed on them
    (earnings, commissions, payouts, each replayed through its history); safe to run again."""
    today = utcnow().date()

    def work(session: Session) -> tuple[int, int]:
        return networks.post_to_ledger(session, today), partners.post_to_ledger(session, today)

    earned, paid = in_session(work)
    typer.echo(
        f"Posted {earned} transactions for network earnings and {paid} for partner commissions "
        "and payouts (reversals included); nothing is posted twice."
    )


@hours_app.command("add")
def hours_add(
    stream: Annotated[str, typer.Option(help="The stream's name.")],
    on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD.")],
    hours: Annotated[str, typer.Option(help="Hours spent that day, e.g. 1.5.")],
    memo: Annotated[str, typer.Option(help="What you did.")] = "",
) -> None:
    """Record time spent on a stream."""
    day, value = parse_date(on), parse_hours(hours)

    def work(session: Session) -> None:
        service.add_hours(session, service.stream_named(session, stream), day, value, memo)

    in_session(work)
    typer.echo(f"Recorded {value} h on {stream} on {day}.")


@hours_app.command("list")
def hours_list(
    stream: Annotated[str | None, typer.Option(help="Only this stream's (its name).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50,
) -> None:
    """List time entries, newest first, with the numbers `hours change` and `delete` take."""
    first, last = (parse_date(start) if start else None), (parse_date(end) if end else None)

    def work(session: Session) -> tuple[list[tuple[str, ...]], int]:
        stream_id = service.stream_named(session, stream).id if stream else None
        rows, total = queries.hours_entries(
            session, stream_id=stream_id, start=first, end=last, limit=limit
        )
        names = {s.id: s.name for s in service.all_streams(session)}
        return [
            (str(row.id), row.date.isoformat(), names.get(row.stream_id, "?"),
             show_number(row.hours), row.memo, row.source)
            for row in rows
        ], total  # fmt: skip

    rows, total = in_session(work, writer=False)
    if not rows:
        typer.echo("No time entries match; add one with `evergreen hours add`.")
        return
    table = Table("number", "date", "stream", "hours", "memo", "source")
    for row in rows:
        table.add_row(*row)
    typer.echo(_render(table))
    if total > len(rows):
        typer.echo(f"{len(rows)} of {total} shown; narrow with --stream, --from and --to.")


@hours_app.command("change")
def hours_change(
    entry: Annotated[int, row_id_argument("The entry's number (`evergreen hours list`).")],
    hours: Annotated[str | None, typer.Option(help="The right hours, e.g. 1.5.")] = None,
    memo: Annotated[str | None, typer.Option(help="The right memo.")] = None,
) -> None:
    """Correct a time entry's hours or memo."""
    if hours is None and memo is None:
        raise LedgerInputError("hours", "give --hours, --memo or both")
    value = parse_hours(hours) if hours is not None else None
    shown = in_session(lambda s: _hours_line(service.change_hours(s, entry, value, memo)))
    typer.echo(f"Time entry {entry} is now {shown}.")


@hours_app.command("delete")
def hours_delete(
    entry: Annotated[int, row_id_argument("The entry's number (`evergreen hours list`).")],
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking.")] = False,
) -> None:
    """Delete a time entry made by mistake (the stream's hours and time charge lose it)."""
    shown = in_session(lambda s: _hours_line(service.hours_entry(s, entry)), writer=False)
    confirmed(
        "", f"Delete time entry {entry}: {shown}?", "deleting a time entry cannot be undone",
        yes=yes, declined="Nothing deleted.",
    )  # fmt: skip
    in_session(lambda s: service.delete_hours(s, entry))
    typer.echo(f"Deleted time entry {entry} ({shown}).")


def _hours_line(entry: HoursEntry) -> str:
    memo = f" “{entry.memo}”" if entry.memo else ""
    return f"{show_number(entry.hours)} h on {entry.date.isoformat()}{memo}"


@capital_app.command("add")
def capital_add(
    stream: Annotated[str, typer.Option(help="The stream's name.")],
    on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD.")],
    amount: Annotated[str, typer.Option(help="Put in (e.g. 5000) or taken out (e.g. -1000).")],
    memo: Annotated[str, typer.Option(help="What it was.")] = "",
) -> None:
    """Record capital put into (+) or taken out of (-) a stream."""
    day, value = parse_date(on), parse_amount(amount, signed=True)

    def work(session: Session) -> int:
        return service.add_capital(session, service.stream_named(session, stream), day, value,
                                   memo).id  # fmt: skip

    entry_id = in_session(work)
    direction = "put into" if value > 0 else "taken out of"
    typer.echo(f"Capital {abs(value)} {direction} {stream} on {day} (transaction {entry_id}).")
