"""`evergreen household …`: record the household and see its month from the command line.

Values arrive as text and are checked by the household's rules, so a bad amount, month, rate
or region is one line naming it and exit 2, with nothing stored.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from evergreen.console import in_session, row_id_argument
from evergreen.db import utcnow
from evergreen.household import queries, service
from evergreen.household.rules import (
    DebtDraft,
    ExpenseDraft,
    IncomeDraft,
    ProfileDraft,
    parse_month,
)
from evergreen.money import cents, show_number

__all__ = ["app"]

app = typer.Typer(
    help="Your household: personal residual income, the VA test, financial independence.",
    no_args_is_help=True,
)
income_app = typer.Typer(help="Incomes outside the streams: salary, freelance, other.",
                         no_args_is_help=True)  # fmt: skip
debt_app = typer.Typer(help="Debts: monthly payment and balance.", no_args_is_help=True)
expense_app = typer.Typer(help="Monthly living expenses by category.", no_args_is_help=True)
app.add_typer(income_app, name="income")
app.add_typer(debt_app, name="debt")
app.add_typer(expense_app, name="expense")


def _money(value: Decimal | float | None) -> str:
    if value is None:
        return "-"
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    return f"{cents(exact) + 0:,.2f}"


def _render(table: Table) -> str:
    console = Console(width=120)
    with console.capture() as capture:
        console.print(table)
    return capture.get()


@app.command("show")
def show(
    month: Annotated[
        str | None, typer.Option(help="YYYY-MM; the last full month if left out.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """The month: personal residual income, the VA test and progress to independence."""
    chosen = parse_month(month) if month else queries.last_full_month(utcnow().date())
    view = in_session(lambda s: queries.household(s, chosen))
    if as_json:
        typer.echo(orjson.dumps(view.to_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    _print_view(view)


def _print_view(view: queries.HouseholdView) -> None:
    budget, fi, va = view.budget, view.independence, view.va
    table = Table("", title=f"Household, {view.month:%B %Y}")
    table.add_column(view.currency, justify="right")
    for label, amount in (
        ("Incomes (gross)", budget.incomes),
        ("Distributions from the streams", budget.distributions),
        ("Taxes", -budget.taxes), ("Debt payments", -budget.debt_payments),
        ("Living expenses", -budget.living_expenses),
    ):  # fmt: skip
        table.add_row(label, _money(amount))
    residual = "—" if view.personal is None else _money(view.personal.residual)
    table.add_row("Personal residual income", residual)
    typer.echo(_render(table))
    for note in view.notes:
        typer.echo(f"Note: {note}.")
    if va.result is None:
        typer.echo(f"VA test: enter {', '.join(va.missing)} to run it.")
    else:
        typer.echo("VA test: " + " ".join(va.result.reasons))
    if fi.share is None:
        typer.echo("Independence: enter your living expenses to see it.")
        return
    when = (
        "covered now" if fi.covered
        else f"{fi.months} months at the current trend" if fi.months is not None
        else "the trend needs three months of passive income" if fi.growth is None
        else "not at the current trend"
    )  # fmt: skip
    typer.echo(
        f"Independence: passive income {_money(fi.passive_income)} of spending "
        f"{_money(fi.spending)} ({fi.share * 100:.1f} %); {when}."
    )


@app.command("set")
def set_household(
    family_size: Annotated[str | None, typer.Option(help="People the income supports.")] = None,
    region: Annotated[str | None, typer.Option(help="US region or state code, e.g. TX.")] = None,
    square_feet: Annotated[str | None, typer.Option(help="The home's living area.")] = None,
    loan_amount: Annotated[str | None, typer.Option(help="The home loan, for the VA band.")] = None,
    tax_rate: Annotated[
        str | None, typer.Option(help="On income taxed later: 0.25 or 25%.")
    ] = None,
) -> None:
    """Change the household's settings; those not given stay as they are."""

    def work(session: Session) -> None:
        saved = service.profile(session)
        draft = ProfileDraft.parse(
            family_size if family_size is not None else saved.family_size,
            region if region is not None else saved.region or "",
            square_feet if square_feet is not None else _kept(saved.square_feet),
            loan_amount if loan_amount is not None else _kept(saved.loan_amount),
            tax_rate if tax_rate is not None else show_number(saved.tax_rate),
        )
        service.save_profile(session, draft)

    in_session(work)
    typer.echo("Household saved.")


def _kept(value: Decimal | None) -> str:
    return "" if value is None else show_number(value)


@income_app.command("add")
def income_add(
    name: Annotated[str, typer.Argument(help="E.g. 'Day job'.")],
    amount: Annotated[str, typer.Option(help="Monthly, gross, e.g. 4200.00.")],
    kind: Annotated[str, typer.Option(help="salary, freelance or other.")] = "salary",
    tax: Annotated[str, typer.Option(help="withheld, owed (at your rate) or none.")] = "withheld",
    withheld: Annotated[str, typer.Option(help="Tax withheld a month (with --tax withheld).")] = "",
) -> None:
    """Record a monthly income."""
    draft = IncomeDraft.parse(name, kind, amount, tax, withheld)
    row_id = in_session(lambda s: service.add_income(s, draft).id)
    typer.echo(f"Added income {draft.name!r}, {draft.amount} a month (id {row_id}).")


@income_app.command("remove")
def income_remove(
    income_id: Annotated[int, row_id_argument("The income's id.")],
) -> None:
    """Stop counting an income."""
    in_session(lambda s: service.remove_income(s, income_id))
    typer.echo(f"Removed income {income_id}.")


@debt_app.command("add")
def debt_add(
    name: Annotated[str, typer.Argument(help="E.g. 'Car loan'.")],
    payment: Annotated[str, typer.Option(help="Monthly payment, e.g. 350.00.")],
    balance: Annotated[str, typer.Option(help="Still owed.")] = "0",
) -> None:
    """Record a debt."""
    draft = DebtDraft.parse(name, payment, balance)
    row_id = in_session(lambda s: service.add_debt(s, draft).id)
    typer.echo(f"Added debt {draft.name!r}, {draft.payment} a month (id {row_id}).")


@debt_app.command("remove")
def debt_remove(
    debt_id: Annotated[int, row_id_argument("The debt's id.")],
) -> None:
    """Forget a debt."""
    in_session(lambda s: service.remove_debt(s, debt_id))
    typer.echo(f"Removed debt {debt_id}.")


@expense_app.command("add")
def expense_add(
    category: Annotated[
        str,
        typer.Argument(
            help="housing, utilities, food, transport, childcare, job, health, insurance or other."
        ),
    ],
    amount: Annotated[str, typer.Option(help="Monthly, e.g. 1800.00.")],
    note: Annotated[str, typer.Option(help="E.g. 'Rent'.")] = "",
) -> None:
    """Record a monthly living expense."""
    draft = ExpenseDraft.parse(category, amount, note)
    row_id = in_session(lambda s: service.add_expense(s, draft).id)
    typer.echo(f"Added {draft.category.value} expense, {draft.amount} a month (id {row_id}).")


@expense_app.command("remove")
def expense_remove(
    expense_id: Annotated[int, row_id_argument("The expense's id.")],
) -> None:
    """Stop counting a living expense."""
    in_session(lambda s: service.remove_expense(s, expense_id))
    typer.echo(f"Removed expense {expense_id}.")
