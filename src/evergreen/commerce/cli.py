"""`evergreen commerce …`: add products and list them, set their prices, attach files, change
their status, keep the tax rates and coupons, list orders, mark bank transfers paid, refund,
and reconcile pending Stripe payments. Bad input is one line naming the field and exit 2, with
nothing stored: each command is one transaction, and the root command maps the refusal."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import orjson
import typer
from sqlalchemy.orm import Session

from evergreen.commerce import queries, service
from evergreen.commerce.rules.products import from_cents, to_cents
from evergreen.config import get_settings, resolve_secret_key
from evergreen.console import in_session
from evergreen.db import utcnow
from evergreen.money import show_money

__all__ = ["app"]

app = typer.Typer(
    help="Commerce: products, prices, files, tax rates, coupons and orders.", no_args_is_help=True
)
product_app = typer.Typer(help="Products: add, list, price, files, status.", no_args_is_help=True)
tax_app = typer.Typer(help="Tax rates per country or region.", no_args_is_help=True)
app.add_typer(product_app, name="product")
app.add_typer(tax_app, name="tax")
coupon_app = typer.Typer(help="Coupons: percent or amount off.", no_args_is_help=True)
order_app = typer.Typer(help="Orders: list, mark paid, refund.", no_args_is_help=True)
app.add_typer(coupon_app, name="coupon")
app.add_typer(order_app, name="order")

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
    currency: Annotated[str, typer.Option("--currency", help="The price's currency.")] = "USD",
    interval: Interval = None,
    trial_days: TrialDays = 0,
    description: Annotated[str, typer.Option(help="Markdown description.")] = "",
) -> None:
    """Add a product (a draft), with its price when given; prints its id."""

    def work(session: Session) -> int:
        row = service.add_product(session, service.ProductDraft(name, kind, description))
        if price:
            draft = service.PriceDraft(currency, price, None, interval, trial_days)
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


@coupon_app.command("add")
def coupon_add(
    code: Annotated[str, typer.Argument(help="The code buyers type (letters, digits, - or _).")],
    percent: Annotated[str, typer.Option("--percent", help="Percent off, like 10.")] = "",
    amount: Annotated[str, typer.Option("--amount", help="Or an amount off, like 5.00.")] = "",
    currency: Annotated[str, typer.Option("--currency", help="The amount's currency.")] = "",
    product: Annotated[int | None, typer.Option("--product", help="Only this product id.")] = None,
    max_uses: Annotated[int | None, typer.Option("--max-uses", help="Uses at most.")] = None,
) -> None:
    """Add a coupon; prints its code."""
    draft = service.CouponDraft(
        code, percent or None, amount or None, currency or None, product, None, max_uses
    )
    typer.echo(in_session(lambda session: service.add_coupon(session, draft).code))


@coupon_app.command("list")
def coupon_list() -> None:
    """Every coupon: code, what it takes off, uses."""

    def work(session: Session) -> list[str]:
        return [
            f"{c['code']}\t{c['percent_off'] + ' %' if c['percent_off'] else c['amount_off']}"
            f"{' ' + c['currency'] if c['currency'] else ''}\t{c['redemptions']}"
            f"{' of ' + str(c['max_redemptions']) if c['max_redemptions'] else ''} used"
            for c in map(queries.coupon_dict, service.list_coupons(session))
        ]

    for line in in_session(work, writer=False):
        typer.echo(line)


@order_app.command("list")
def order_list(
    status: Annotated[str, typer.Option("--status", help="Only orders in this status.")] = "",
) -> None:
    """The latest 50 orders: number, status, total, buyer."""

    def work(session: Session) -> list[str]:
        rows, _total = queries.list_orders(session, status=status or None)
        return [
            f"{o.id}\t{o.number}\t{o.status}\t{from_cents(o.total_cents)} {o.currency}\t"
            f"{o.buyer_email}"
            for o in rows
        ]

    for line in in_session(work, writer=False):
        typer.echo(line)


@order_app.command("mark-paid")
def order_mark_paid(order_id: Annotated[int, typer.Argument(help="The order's id.")]) -> None:
    """A bank transfer arrived: the order is paid (the receipt goes with the next server run)."""
    secret = resolve_secret_key(get_settings())
    done = in_session(lambda s: service.mark_manual_paid(s, order_id, secret, utcnow()))
    typer.echo("Marked paid." if done.changed else "Already paid.")


@order_app.command("refund")
def order_refund(
    order_id: Annotated[int, typer.Argument(help="The order's id.")],
    amount: Annotated[str, typer.Option("--amount", help="Like 9.00; omitted: the rest.")] = "",
) -> None:
    """Refund part or the rest of a paid order, once."""
    settings = get_settings()
    cents = to_cents("amount", amount) if amount else None
    nonce = secrets.token_urlsafe(18)
    provider = service.provider_for(settings)
    in_session(lambda s: service.refund_order(s, provider, order_id, cents, nonce, utcnow()))
    typer.echo("Refunded.")


@app.command("reconcile")
def reconcile() -> None:
    """Ask Stripe about pending orders older than five minutes and complete the paid ones."""
    from evergreen.commerce.tasks import run_reconcile
    from evergreen.console import migrated_database

    db = migrated_database()
    try:
        done = run_reconcile(db, get_settings())
    finally:
        db.dispose()
    typer.echo(f"Checked {len(done)} pending orders; {sum(d.newly_paid for d in done)} paid now.")
