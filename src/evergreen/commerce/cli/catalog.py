"""`evergreen commerce product|tax …`: add products and list them, set their prices, attach
files, change their status; keep the tax rates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from sqlalchemy.orm import Session

from evergreen.commerce import queries, service
from evergreen.commerce.rules.products import from_cents
from evergreen.config import get_settings
from evergreen.console import failure, in_session
from evergreen.money import show_money

__all__ = ["product_app", "tax_app"]

product_app = typer.Typer(help="Products: add, list, price, files, status.", no_args_is_help=True)
tax_app = typer.Typer(help="Tax rates per country or region.", no_args_is_help=True)

Interval = Annotated[
    str | None, typer.Option("--interval", help="A subscription's renewal: month or year.")
]
TrialDays = Annotated[int, typer.Option("--trial-days", help="A subscription's free days.")]


@product_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The product's name (unique).")],
    kind: Annotated[
        str, typer.Option("--kind", help="digital, subscription, service, physical or bundle.")
    ],
    price: Annotated[str, typer.Option("--price", help="Its price, like 19.00.")] = "",
    currency: Annotated[
        str, typer.Option("--currency", help="The price's currency (default USD).")
    ] = "",
    interval: Interval = None,
    trial_days: TrialDays = 0,
    description: Annotated[str, typer.Option(help="Markdown description.")] = "",
) -> None:
    """Add a product (a draft), with its price when given; prints its id."""
    given = [name for name, value in (("--currency", currency), ("--interval", interval),
                                      ("--trial-days", trial_days)) if value]  # fmt: skip
    if given and not price:
        named = " and ".join(given)
        verb = "is" if len(given) == 1 else "are"
        raise failure(f"{named} {verb} only for --price: add a price, or drop {named}")

    def work(session: Session) -> int:
        row = service.add_product(session, service.ProductDraft(name, kind, description))
        if price:
            draft = service.PriceDraft(currency or "USD", price, None, interval, trial_days)
            service.add_price(session, row.id, draft)
        return row.id

    typer.echo(in_session(work))


@product_app.command("list")
def list_products(
    as_json: Annotated[bool, typer.Option("--json", help="Every product as a JSON array.")] = False,
) -> None:
    """Every product by name with its kind, status and prices."""
    shown = in_session(
        lambda s: [card.to_dict() for card in queries.list_products(s)], writer=False
    )
    if as_json:
        typer.echo(orjson.dumps(shown).decode())
        return
    if not shown:
        typer.echo("No products yet.")
    for item in shown:
        prices = ", ".join(
            f"{p['amount']} {p['currency']}" + (f"/{p['interval']}" if p["interval"] else "")
            for p in item["prices"]
        )
        typer.echo(f"{item['id']}  {item['name']}  {item['kind']}  {item['status']}  {prices}")


@product_app.command("price")
def price(
    name: Annotated[str, typer.Argument(help="The product's name or id.")],
    amount: Annotated[str, typer.Option("--amount", help="The price, like 19.00.")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217, like USD.")],
    compare_at: Annotated[str, typer.Option("--compare-at", help="The struck-through price.")] = "",
    interval: Interval = None,
    trial_days: TrialDays = 0,
) -> None:
    """Set the product's price in a currency (replacing an earlier one in that currency)."""

    def work(session: Session) -> str:
        row = service.find_product(session, name)
        draft = service.PriceDraft(currency, amount, compare_at or None, interval, trial_days)
        stored = service.add_price(session, row.id, draft)
        every = f" every {stored.interval}" if stored.interval else ""
        trial = f" after a {stored.trial_days}-day trial" if stored.trial_days else ""
        money = show_money(from_cents(stored.amount_cents))
        return f"Price of {row.name!r}: {money} {stored.currency}{every}{trial}."

    typer.echo(in_session(work))


@product_app.command("file")
def file(
    name: Annotated[str, typer.Argument(help="The product's name or id.")],
    path: Annotated[Path, typer.Option("--file", help="The file to deliver.")],
) -> None:
    """Attach a file to a digital product (copied into the data folder)."""
    data_dir = get_settings().data_dir

    def work(session: Session) -> str:
        row = service.find_product(session, name)
        stored = service.store_file_from_path(session, data_dir, row.id, path)
        return f"Stored {stored.name!r} ({stored.size_bytes} bytes) on {row.name!r}."

    typer.echo(in_session(work))


@product_app.command("status")
def status(
    name: Annotated[str, typer.Argument(help="The product's name or id.")],
    new_status: Annotated[str, typer.Argument(help="draft, active, paused or archived.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown on its page).")] = "",
) -> None:
    """Change a product's status."""

    def work(session: Session) -> str:
        row = service.set_status(
            session, service.find_product(session, name).id, new_status, reason
        )
        return f"{row.name!r} is now {row.status}."

    typer.echo(in_session(work))


@tax_app.command("add")
def tax_add(
    country: Annotated[str, typer.Option("--country", help="ISO 3166-1 alpha-2, like DE.")],
    percent: Annotated[str, typer.Option("--percent", help="Like 19 or 7.5.")],
    region: Annotated[str, typer.Option("--region", help="A state or province code.")] = "",
    inclusive: Annotated[
        bool, typer.Option("--inclusive", help="Prices already include the tax.")
    ] = False,
) -> None:
    """Add a tax rate for a country (or one of its regions)."""
    draft = service.TaxDraft(country, percent, region, inclusive)

    def work(session: Session) -> str:
        row = service.add_tax_rate(session, draft)
        where = row.country + (f"-{row.region}" if row.region else "")
        how = "inclusive" if row.inclusive else "exclusive"
        return f"Tax rate {row.id}: {where} {row.percent.normalize():f}% ({how})."

    typer.echo(in_session(work))


@tax_app.command("list")
def tax_list() -> None:
    """Every tax rate."""

    def work(session: Session) -> list[str]:
        return [
            f"{row.id}  {row.country}{'-' + row.region if row.region else ''}  "
            f"{row.percent.normalize():f}%  {'inclusive' if row.inclusive else 'exclusive'}"
            for row in service.list_tax_rates(session)
        ]

    lines = in_session(work, writer=False)
    typer.echo("\n".join(lines) if lines else "No tax rates yet.")
