"""`evergreen lending …` for borrowers, loans, draws, payments, payoffs and the book."""

from __future__ import annotations

from typing import Annotated

import typer

from evergreen.config import get_settings, resolve_secret_key
from evergreen.console import (
    confirmed,
    err,
    failure,
    in_session,
    row_id_argument,
    row_id_option,
)
from evergreen.lending import queries, service
from evergreen.lending.cli.common import (
    DateOpt,
    DrawArg,
    JsonOpt,
    LoanArg,
    YesOpt,
    day_of,
    echo_fields,
    echo_json,
    required_day,
    stdin_is_terminal,
)
from evergreen.siteurl import cli_site_url

__all__ = ["app"]

app = typer.Typer(help="Private loans: borrowers, draws, payments, payoffs, the book's yield.",
                  no_args_is_help=True)  # fmt: skip
borrower_app = typer.Typer(help="People and LLCs you lend to.", no_args_is_help=True)
loan_app = typer.Typer(help="Loans: write, list, show, extend, waive fees, charge off.",
                       no_args_is_help=True)  # fmt: skip
draw_app = typer.Typer(help="Construction draws against a loan's commitment.",
                       no_args_is_help=True)  # fmt: skip
app.add_typer(borrower_app, name="borrower")
app.add_typer(loan_app, name="loan")
app.add_typer(draw_app, name="draw")


@borrower_app.command("add")
def borrower_add(
    name: str,
    kind: Annotated[str, typer.Option(help="person or llc.")] = "person",
    email: str = "",
    phone: str = "",
    notes: str = "",
) -> None:
    """Add a borrower."""
    draft = service.BorrowerDraft(name, kind, email, phone, notes)
    row_id = in_session(lambda s: service.add_borrower(s, draft).id)
    typer.echo(row_id)


@borrower_app.command("list")
def borrower_list(as_json: JsonOpt = False) -> None:
    """Every borrower."""
    rows = in_session(lambda s: [(b.id, b.name, b.kind, b.email) for b in service.borrowers(s)],
                      writer=False)  # fmt: skip
    if as_json:
        echo_json([{"id": i, "name": n, "kind": k, "email": e} for i, n, k, e in rows])
        return
    for i, n, k, e in rows:
        typer.echo(f"{i}\t{n}\t{k}\t{e}")


@borrower_app.command("invite")
def borrower_invite(
    borrower: Annotated[int, row_id_argument("The borrower's ID (borrower list).")],
) -> None:
    """Print a link (usable once, for 7 days) where the borrower sets a portal password."""
    settings = get_settings()
    site = cli_site_url(settings)
    secret = resolve_secret_key(settings)
    link = in_session(lambda s: service.issue_invite(s, secret, site.url, borrower))
    typer.echo(link.url)
    hint = "" if settings.base_url else "; set EVERGREEN_BASE_URL to use your public address"
    err.print(f"{'Invitation' if link.kind == 'invitation' else 'Password-reset link'}: works "
              f"once, until {link.expires_at:%Y-%m-%d %H:%M} UTC. Links use {site.url} "
              f"({site.source}{hint}).", highlight=False, soft_wrap=True)  # fmt: skip


@loan_app.command("add")
def loan_add(
    borrower: Annotated[str, typer.Option(help="The borrower's name (added if new).")],
    principal: Annotated[str, typer.Option(help="Cash lent at closing, e.g. 150000.")],
    annual_rate: Annotated[str, typer.Option(help="0.12, 12% or 12 for 12 % a year.")],
    months: Annotated[int, typer.Option(help="Term in months.")],
    start: Annotated[str, typer.Option(help="Closing date, YYYY-MM-DD.")],
    points: Annotated[str, typer.Option(help="Points, % of the principal: 2 is 2 %.")] = "0",
    points_financed: Annotated[bool, typer.Option(help="Add the points to the note.")] = False,
    interest_only: Annotated[bool, typer.Option(help="Interest-only (else amortising).")] = False,
    amortization_months: Annotated[int | None, typer.Option(help="Amortising over.")] = None,
    day_count: Annotated[str, typer.Option(help="30/360, actual/360 or actual/365.")] = "30/360",
    commitment: Annotated[str, typer.Option(help="Draws allowed on top of the principal.")] = "",
    dutch: Annotated[bool, typer.Option(help="Interest on the whole commitment.")] = False,
    default_rate: Annotated[str, typer.Option(help="Rate after maturity or in default.")] = "",
    default_after_days: Annotated[int | None, typer.Option(help="Default once late.")] = None,
    grace_days: Annotated[int, typer.Option(help="Days before a late fee.")] = 10,
    late_fee: Annotated[str, typer.Option(help="Flat fee per late payment.")] = "0",
    late_fee_pct: Annotated[str, typer.Option(help="% of the late payment.")] = "0",
    closing_fee: Annotated[str, typer.Option(help="Fees paid at closing.")] = "0",
    draw_fee: Annotated[str, typer.Option(help="Fee per funded draw.")] = "0",
    allocation: Annotated[
        str, typer.Option(help="e.g. fees,default_interest,interest,principal (the default).")
    ] = "",
    property_id: Annotated[int | None, row_id_option("The property lent against.")] = None,
    min_interest_months: Annotated[
        int, typer.Option(help="Months of interest earned however early the payoff.")
    ] = 0,
    prepay_pct: Annotated[str, typer.Option(help="Premium, % of the principal repaid.")] = "0",
    prepay_months: Annotated[int, typer.Option(help="...if paid off within these months.")] = 0,
) -> None:
    """Write a loan, funded on its start date; prints the new loan's ID."""
    draft = service.LoanDraft(
        borrower, principal, annual_rate, months, required_day(start, "start"), points,
        points_financed,
        interest_only, amortization_months, day_count, commitment, default_rate,
        default_after_days, grace_days, late_fee, late_fee_pct, closing_fee, draw_fee,
        allocation, dutch, property_id, min_interest_months, prepay_pct, prepay_months,
    )  # fmt: skip
    typer.echo(in_session(lambda s: service.add_loan(s, draft, new_borrower=True).id))


@loan_app.command("list")
def loan_list(status: str = "", as_json: JsonOpt = False) -> None:
    """Loans, newest first (open, paid_off or charged_off with --status)."""
    rows = in_session(lambda s: [(x.id, x.borrower_id, f"{x.balance:.2f}", x.status,
                                  x.maturity.isoformat()) for x in service.loans(s, status)],
                      writer=False)  # fmt: skip
    if as_json:
        echo_json([dict(zip(("id", "borrower_id", "balance", "status", "maturity"), r, strict=True))
               for r in rows])  # fmt: skip
        return
    for row in rows:
        typer.echo("\t".join(str(v) for v in row))


@loan_app.command("show")
def loan_show(
    loan: LoanArg, as_of: Annotated[str, typer.Option()] = "", as_json: JsonOpt = False
) -> None:
    """A loan as of a day: balance, accrued interest, next payment, delinquency, LTC / LTV."""
    view = in_session(lambda s: queries.loan_detail(s, loan, day_of(as_of, "as_of")), writer=False)
    echo_fields(view.to_dict(), as_json)


@loan_app.command("calendar")
def loan_calendar(loan: LoanArg, as_json: JsonOpt = False) -> None:
    """The expected payments calendar: date, interest, principal, payment."""
    rows = in_session(lambda s: queries.calendar(s, loan), writer=False)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        typer.echo("\t".join(row.values()))


@loan_app.command("extend")
def loan_extend(
    loan: LoanArg,
    maturity: Annotated[str, typer.Option(help="New maturity, YYYY-MM-DD.")],
    fee: Annotated[str, typer.Option(help="Extension fee.")] = "0",
    on: DateOpt = "",
) -> None:
    """Move a loan's maturity later for a fee."""
    new = required_day(maturity, "maturity")
    in_session(lambda s: service.extend(s, loan, new, fee, day_of(on)))
    typer.echo(f"Loan {loan} now matures on {new.isoformat()}.")


@loan_app.command("charge-off")
def loan_charge_off(loan: LoanArg, on: DateOpt = "", note: str = "", yes: YesOpt = False) -> None:
    """Write a loan off: principal and fees owed become a loss (asked first: no undoing it)."""
    day = day_of(on)
    if not yes:
        if not stdin_is_terminal():
            raise failure("a charge-off cannot be undone; add --yes to confirm")
        balance = in_session(lambda s: service.get_loan(s, loan).balance, writer=False)
        if not typer.confirm(f"Charge off loan {loan} on {day.isoformat()}? Its principal "
                             f"({balance:,.2f}) and the fees owed become a loss and the loan is "
                             "closed; this cannot be undone.", default=False):  # fmt: skip
            typer.echo("Nothing charged off.")
            raise typer.Exit(1)
    moved = in_session(lambda s: f"{service.charge_off(s, loan, day, note).amount:.2f}")
    typer.echo(f"Loan {loan} charged off: {moved} written off.")


@loan_app.command("fees")
def loan_fees(loan: LoanArg, as_json: JsonOpt = False) -> None:
    """The fees charged on a loan, oldest first: ID, date, what, charged, paid, waived, owed."""
    lines = in_session(lambda s: service.fees_of(s, loan), writer=False)
    rows = [{"id": f.id, "date": f.on.isoformat(), "note": f.note, "charged": f"{f.charged:.2f}",
             "paid": f"{f.paid:.2f}", "waived": f"{f.waived:.2f}",
             "written_off": f"{f.written_off:.2f}", "owed": f"{f.left:.2f}"}
            for f in lines]  # fmt: skip
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo(f"No fees charged on loan {loan}.")
    for row in rows:
        typer.echo("\t".join(str(v) for v in row.values()))


@loan_app.command("waive-fee")
def loan_waive_fee(
    loan: LoanArg,
    fee: Annotated[int, row_id_argument("The fee's ID (loan fees LOAN).")],
    reason: Annotated[str, typer.Option(help="Why it is waived (required; kept in the "
                                        "loan's history).")],
    amount: Annotated[str, typer.Option(help="How much of it; all still owed if left out.")]
    = "",
    on: DateOpt = "",
    key: Annotated[str, typer.Option(help="Idempotency key: the same key again records "
                                     "nothing more.")] = "",
    yes: YesOpt = False,
) -> None:  # fmt: skip
    """Waive all or part of a fee still owed (asked first: no undoing it); it is no longer
    owed and its fee income is reversed in the ledger."""
    day = day_of(on)
    asked = in_session(lambda s: service.preview_waiver(s, loan, fee, day, amount, reason,
                                                        key or None), writer=False)  # fmt: skip
    if asked is not None:  # refused above before anything is asked; None: the key's retry
        line = asked.fee
        confirmed(
            f"Fee {line.id} on loan {loan} ({line.note or 'fee'}, {line.on.isoformat()}): "
            f"{line.charged:.2f} charged, {line.paid:.2f} paid, {line.waived:.2f} waived, "
            f"{line.left:.2f} owed.",
            f"Waive {asked.amount:.2f} of it on {day.isoformat()} ({asked.reason})? It is no "
            "longer owed and its fee income is reversed; this cannot be undone.",
            "waiving a fee cannot be undone", yes=yes, declined="Nothing waived.",
        )  # fmt: skip
    waived = in_session(lambda s: service.waive_fee(s, loan, fee, day, amount, reason,
                                                    key or None))  # fmt: skip
    m = waived.movement
    if not waived.created:
        typer.echo(f"Waiver {m.id} on loan {loan} was already recorded under this key on "
                   f"{m.on.isoformat()}: {m.note}; nothing more recorded.")  # fmt: skip
        return
    typer.echo(f"Waiver {m.id} on loan {loan}: {m.note}.")


@loan_app.command("recovery")
def loan_recovery(loan: LoanArg, amount: Annotated[str, typer.Option()], on: DateOpt = "") -> None:
    """Money recovered on a charged-off loan."""
    in_session(lambda s: service.record_recovery(s, loan, day_of(on), amount))
    typer.echo(f"Recovered {amount} on loan {loan}.")


@draw_app.command("request")
def draw_request(
    loan: LoanArg,
    amount: Annotated[str, typer.Option()],
    on: DateOpt = "",
    note: str = "",
    key: Annotated[str, typer.Option(help="Idempotency key: the same key again requests "
                                       "nothing more and prints the first draw's ID.")] = "",
) -> None:  # fmt: skip
    """Ask for a draw; prints its ID (each call asks for one, unless --key names a draw asked
    for already)."""
    asked = in_session(lambda s: service.request_draw(s, loan, amount, day_of(on), note,
                                                      key or None))  # fmt: skip
    if not asked.created:
        typer.echo(f"Draw {asked.draw.id} on loan {loan} was already requested under this key; "
                   "nothing more requested.", err=True)  # fmt: skip
    typer.echo(asked.draw.id)


def _draw_step(draw: int, action: str, on: str) -> None:
    status = in_session(lambda s: service.draw_action(s, draw, action, day_of(on)).status)
    typer.echo(f"Draw {draw} {status}.")


@draw_app.command("inspect")
def draw_inspect(draw: DrawArg, on: DateOpt = "") -> None:
    """Record a draw's inspection."""
    _draw_step(draw, "inspect", on)


@draw_app.command("approve")
def draw_approve(draw: DrawArg, on: DateOpt = "") -> None:
    """Approve a draw (inspected, or with inspection waived)."""
    _draw_step(draw, "approve", on)


@draw_app.command("fund")
def draw_fund(draw: DrawArg, on: DateOpt = "") -> None:
    """Send an approved draw's money; its fee is charged."""
    _draw_step(draw, "fund", on)


@app.command("payment")
def payment(
    loan: LoanArg,
    amount: Annotated[str, typer.Option(help="Amount received.")],
    on: DateOpt = "",
    key: Annotated[str, typer.Option(help="Idempotency key, e.g. the bank's reference: the "
                                       "same key again records nothing more.")] = "",
) -> None:  # fmt: skip
    """Record a payment received, split by the loan's allocation order (each call records one,
    unless --key names a payment recorded already)."""
    paid = in_session(lambda s: service.record_payment(s, loan, day_of(on), amount, key or None))
    m = paid.movement
    split = (f"{m.amount:.2f} (fees {m.fees:.2f}, default interest {m.default_interest:.2f}, "
             f"interest {m.interest:.2f}, principal {m.principal:.2f})")  # fmt: skip
    if not paid.created:
        typer.echo(f"Payment {m.id} on loan {loan} was already recorded under this key on "
                   f"{m.on.isoformat()}: {split}; nothing more recorded.")  # fmt: skip
        return
    typer.echo(f"Payment {m.id} on loan {loan}: {split}.")


@app.command("payoff")
def payoff(
    loan: LoanArg,
    as_of: Annotated[str, typer.Option(help="YYYY-MM-DD; today if left out.")] = "",
    as_json: JsonOpt = False,
    pay: Annotated[bool, typer.Option(help="Receive the payoff now and close the loan.")] = False,
) -> None:
    """The payoff quote on a day (principal, interest, fees, total, per diem), or the payoff."""
    day = day_of(as_of, "as_of")
    if pay:
        in_session(lambda s: service.pay_off(s, loan, day))
        typer.echo(f"Loan {loan} paid off on {day.isoformat()}.")
        return
    quoted = in_session(lambda s: service.quote(s, loan, day).contract(), writer=False)
    echo_fields(quoted, as_json)


@app.command("portfolio")
def portfolio(
    as_of: Annotated[str, typer.Option(help="YYYY-MM-DD; today if left out.")] = "",
    as_json: JsonOpt = False,
    full: Annotated[bool, typer.Option(help="With buckets, maturities, concentration.")] = False,
) -> None:
    """The book on a day: capital deployed, number of loans, XIRR."""
    book = in_session(lambda s: queries.portfolio(s, day_of(as_of, "as_of")), writer=False)
    shown = book.to_dict() if full else book.contract()
    echo_fields(shown, as_json)


@app.command("late-fees")
def late_fees(on: DateOpt = "") -> None:
    """Charge the late fees due (what the daily task does)."""
    from evergreen.console import migrated_database
    from evergreen.lending.tasks import run_late_fees

    db = migrated_database()
    try:
        typer.echo(f"{run_late_fees(db, day_of(on))} late fees charged.")
    finally:
        db.dispose()
