"""`evergreen ledger export|import` and `evergreen hours import`: files in and out of the ledger.

Registered on the ledger's command groups (ledger/cli.py). A file with a mistake is one line
naming the line and field, exit 2, and nothing stored: the import runs in one transaction.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from evergreen.console import check_output_file, err, failure, in_session, row_id_argument
from evergreen.ledger.cli import hours_app, ledger_app
from evergreen.ledger.errors import LedgerInputError
from evergreen.ledger.exports.journal import write_beancount
from evergreen.ledger.rules import BANK
from evergreen.ledger.rules.bank_csv import FIELDS, CsvOptions
from evergreen.ledger.rules.timelog import FORMATS
from evergreen.ledger.service import import_rules as rules
from evergreen.ledger.service.bank_import import ImportResult, import_bank_csv
from evergreen.ledger.service.hours_import import import_hours
from evergreen.ledger.service.streams import all_streams, stream_named
from evergreen.money import show_amount

__all__ = ["export_journal", "import_bank", "import_timelog", "rules_app"]

rules_app = typer.Typer(help="Saved payee rules: which stream and account bank rows go to.",
                        no_args_is_help=True)  # fmt: skip
ledger_app.add_typer(rules_app, name="rules")

_SHOWN_ROWS = 20


@contextmanager
def _opened(path: Path) -> Iterator[TextIO]:
    """A text file read as UTF-8 (a BOM is skipped); unreadable ones are one line, exit 2."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise failure(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        with handle:
            yield handle
    except UnicodeDecodeError:
        raise failure(f"{path} is not UTF-8 text; save it as UTF-8 (CSV UTF-8) first") from None


def _show(table: Table) -> None:
    console = Console(width=120)
    with console.capture() as capture:
        console.print(table)
    typer.echo(capture.get())


@ledger_app.command("export")
def export_journal(
    file_format: Annotated[str, typer.Option("--format", help="beancount")] = "beancount",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of the screen.")
    ] = None,
) -> None:
    """Export the whole journal (and your hours) as a beancount file; check it with bean-check."""
    if file_format != "beancount":
        raise LedgerInputError("format", f"{file_format!r} is not an export format; use beancount")
    if output is None:
        in_session(lambda session: write_beancount(session, sys.stdout), writer=False)
        return
    if not output.name:
        raise failure(f"--output: {str(output)!r} names a folder, not a file")
    check_output_file(output, "--output")
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            count = in_session(lambda session: write_beancount(session, out), writer=False)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise failure(f"cannot write {output}: {exc.strerror or exc}") from None
    err.print(f"Wrote {count} transactions to {output}.", highlight=False)


def _mapping(pairs: list[str]) -> dict[str, str] | None:
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or field.strip() not in FIELDS or not header.strip():
            raise LedgerInputError(
                "map", f"{pair!r} is not FIELD=Header with FIELD one of {', '.join(FIELDS)}"
            )
        mapping[field.strip()] = header.strip()
    return mapping or None


def _print_preview(result: ImportResult) -> None:
    rows = Table("line", "date", "payee / description", "amount", "stream", "account", "kind",
                 "status", title=f"First {min(_SHOWN_ROWS, len(result.shown))} rows")  # fmt: skip
    for row in result.shown[:_SHOWN_ROWS]:
        words = f"{row.payee} — {row.description}" if row.payee else row.description
        amount = f"{show_amount(row.amount)} {row.currency}"
        rows.add_row(str(row.line), row.date, words[:50], amount, row.stream or "",
                     row.account or "", row.kind or "", row.status)  # fmt: skip
    _show(rows)
    totals = Table("stream", "account", "kind", "rows", "total", title="What will be posted")
    for (stream, account, kind, currency), (count, total) in sorted(result.totals.items()):
        totals.add_row(stream, account, kind, str(count), f"{show_amount(total)} {currency}")
    _show(totals)
    typer.echo(
        f"{result.rows} rows: {result.new} to post, {result.already} posted already, "
        f"{result.unmatched} matched no rule (left unposted), {result.error_count} unreadable."
    )
    for error in result.errors[:10]:
        err.print(f"[yellow]Cannot read[/] {error}", highlight=False, soft_wrap=True)


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def _post(path: Path, account: str, options: CsvOptions) -> ImportResult:
    columns = [TextColumn("Posting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("rows", total=max(_count_lines(path) - 1, 1))

        def work(session: Session) -> ImportResult:
            with _opened(path) as lines:
                return import_bank_csv(
                    session, lines, bank_account=account, options=options, post=True,
                    progress=lambda done: progress.update(task, completed=done),
                )  # fmt: skip

        result = in_session(work)
        progress.update(task, total=result.rows, completed=result.rows)
    return result


@ledger_app.command("import")
def import_bank(
    file: Annotated[Path, typer.Argument(help="A bank or processor CSV export.")],
    account: Annotated[str, typer.Option(help="The account the file is a statement of.")] = BANK,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show what each row becomes; post nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Post without asking.")] = False,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="FIELD=Header when a column is not guessed, e.g. date=Booked."),
    ] = None,
    date_order: Annotated[
        str | None, typer.Option(help="DMY or MDY for dates like 01/02/2026.")
    ] = None,
    decimal_mark: Annotated[
        str | None, typer.Option(help="'.' or ',' when the file mixes.")
    ] = None,
) -> None:
    """Import a bank CSV with your saved payee rules; importing it again posts nothing new."""
    options = CsvOptions(_mapping(mapping or []), date_order and date_order.upper(), decimal_mark)
    if not yes or preview:

        def look(session: Session) -> ImportResult:
            with _opened(file) as lines:
                return import_bank_csv(session, lines, bank_account=account, options=options)

        result = in_session(look)
        _print_preview(result)
        if result.errors:
            first = result.errors[0]
            raise LedgerInputError(f"line {first.line}: {first.field}", first.message)
        if preview:
            return
        if result.new == 0:
            typer.echo("Nothing new to post.")
            return
        try:
            agreed = typer.confirm(f"Post {result.new} entries?", default=False)
        except typer.Abort:  # the end of input: nobody answered
            typer.echo()
            raise failure(f"posting {result.new} entries needs an answer; add --yes") from None
        if not agreed:
            typer.echo("Nothing posted.")
            return
    result = _post(file, account, options)
    typer.echo(
        f"Posted {result.new} entries; {result.already} were posted already, "
        f"{result.unmatched} matched no rule (add rules on /ledger/rules and import again)."
    )


@hours_app.command("import")
def import_timelog(
    file: Annotated[Path, typer.Argument(help="An hledger timeclock or timedot file.")],
    file_format: Annotated[
        str | None, typer.Option("--format", help="timeclock or timedot (else from the file name).")
    ] = None,
) -> None:
    """Import hours from an hledger timeclock or timedot log; the account is the stream's name."""
    chosen = file_format or file.suffix.lstrip(".").lower()
    if chosen not in FORMATS:
        raise LedgerInputError("format", "say --format timeclock or --format timedot")

    def work(session: Session) -> tuple[int, int, str]:
        with _opened(file) as lines:
            done = import_hours(session, lines, chosen)
        return done.added, done.already, f"{done.hours.normalize():f}"

    added, already, hours = in_session(work)
    typer.echo(f"Imported {added} entries ({hours} h); {already} were imported already.")


@rules_app.command("add")
def rules_add(
    pattern: Annotated[str, typer.Argument(help="Words of the payee or description, e.g. 'KDP'.")],
    stream: Annotated[str, typer.Option(help="The stream's name.")],
    account: Annotated[str, typer.Option(help="e.g. Income:Royalties or Expenses:Hosting.")],
    regex: Annotated[
        bool, typer.Option("--regex", help="PATTERN is a regular expression.")
    ] = False,
    priority: Annotated[int, typer.Option(help="Higher wins when several rules match.")] = 0,
) -> None:
    """Save a rule: bank rows whose words contain PATTERN (any case) go to STREAM and ACCOUNT."""

    def work(session: Session) -> int:
        found = stream_named(session, stream)
        return rules.add_rule(
            session, rules.RuleDraft(pattern, found.id, account, regex, priority)
        ).id

    rule_id = in_session(work)
    typer.echo(f"Saved rule {rule_id}: {pattern!r} -> {stream}, {account}.")


@rules_app.command("list")
def rules_list() -> None:
    """List the rules in the order they are tried."""

    def work(session: Session) -> list[tuple[str, ...]]:
        names = {s.id: s.name for s in all_streams(session)}
        return [
            (str(r.id), r.pattern, "regex" if r.regex else "words", names.get(r.stream_id, ""),
             r.account, str(r.priority))
            for r in rules.all_rules(session)
        ]  # fmt: skip

    found = in_session(work)
    if not found:
        typer.echo(
            "No rules yet; add one with `evergreen ledger rules add PATTERN --stream --account`."
        )
        return
    table = Table("id", "pattern", "match", "stream", "account", "priority")
    for row in found:
        table.add_row(*row)
    _show(table)


@rules_app.command("delete")
def rules_delete(
    rule_id: Annotated[int, row_id_argument("The rule's id.")],
) -> None:
    """Delete a rule; what it posted stays in the journal."""
    in_session(lambda session: rules.delete_rule(session, rule_id))
    typer.echo(f"Deleted rule {rule_id}.")
