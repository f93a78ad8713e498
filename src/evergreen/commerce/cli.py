"""`evergreen commerce …`: add products and list them, set their prices, attach files, change
their status, keep the tax rates and coupons, list orders, mark bank transfers paid, refund,
and reconcile pending Stripe payments. Bad input is one line naming the field and exit 2, with
nothing stored: each command is one transaction, and the root command maps the refusal."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from sqlalchemy.orm import Session

from evergreen.commerce import queries, service
from evergreen.commerce.rules.products import from_cents, to_cents
from evergreen.config import get_settings, resolve_secret_key
from evergreen.console import in_session, migrated_database
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


# Delivery: grants by hand (comps, manual sales), the list of a product's buyers, revocation.
grant_app = typer.Typer(help="Grants: who may download a product.", no_args_is_help=True)
app.add_typer(grant_app, name="grant")


@grant_app.command("add")
def grant_add(
    name: Annotated[str, typer.Argument(help="The product's name or id.")],
    email: Annotated[str, typer.Option("--email", help="The buyer's email address.")],
    source: Annotated[
        str, typer.Option("--source", help="Where it comes from (default manual:<email>).")
    ] = "",
) -> None:
    """Grant a product by hand (once per source); prints its license key when it has one."""

    def work(session: Session) -> list[str]:
        row = service.find_product(session, name)
        made = service.grant(session, row.id, email, source or f"manual:{email.strip().lower()}")
        keys = service.licenses_of(session, [each.id for each in made])
        return [
            f"Grant {each.id}: {each.email} ({each.status}, {each.source})"
            + (f" key {keys[each.id].license.key}" if each.id in keys else "")
            for each in made
        ]

    typer.echo("\n".join(in_session(work)))


@grant_app.command("list")
def grant_list(name: Annotated[str, typer.Argument(help="The product's name or id.")]) -> None:
    """A product's grants, newest first: buyer, source, status, downloads, license key."""

    def work(session: Session) -> list[str]:
        row = service.find_product(session, name)
        shown = service.with_licenses(session, service.grants_of_product(session, row.id))
        return [
            f"{each.id}  {each.email}  {each.source}  {each.status}  downloads {each.downloads}"
            + (f"/{each.download_limit}" if each.download_limit else "")
            + (f"  {key.license.key} {len(key.activations)}/{key.license.activation_limit}"
               if key else "")
            for each, key in shown
        ]  # fmt: skip

    lines = in_session(work, writer=False)
    typer.echo("\n".join(lines) if lines else "No grants yet.")


@grant_app.command("revoke")
def grant_revoke(
    source: Annotated[str, typer.Argument(help="The source whose grants end, like order:12.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown to the buyer).")] = "",
) -> None:
    """Revoke every grant of a source (its links stop, its license keys are disabled)."""
    rows = in_session(lambda s: [(r.id, r.email) for r in service.revoke(s, source, reason)])
    if not rows:
        typer.echo(f"No grant has the source {source!r}.")
    for grant_id, email in rows:
        typer.echo(f"Revoked grant {grant_id} ({email}).")


def _agreed(question: str) -> bool:
    """Asked on the terminal; no answer (no terminal, end of input) is no."""
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:
        return False


def _preview_lines(status: dict[str, Any], shown: dict[str, Any]) -> list[str]:
    """What an import would do, as the command prints it before asking."""
    lines = [
        f"Import {status['id']} ({status['kind']}, {status['file_name']}): "
        f"{shown['new']} new, {shown['updated']} updated, {shown['withheld']} withheld "
        f"of {shown['total']} entries."
    ]
    lines += [f"  line {e['line']}: {e['field']}: {e['message']}" for e in shown["errors"][:20]]
    if shown["withheld"] > 20:
        lines.append(f"  and {shown['withheld'] - 20} more.")
    for plan in shown["sample"][:5]:
        lines.append(
            f"  {plan['action']:6} {plan['sku'] or '-'}  {plan['name']}  landed {plan['landed']}"
            f"  price {plan['price']}  margin {plan['margin']} ({plan['margin_percent']} %)"
        )
    return lines


@app.command("import")
def import_catalog(
    kind: Annotated[str, typer.Argument(help="shopify (a product export) or supplier (costs).")],
    file: Annotated[Path, typer.Argument(help="The CSV file.", exists=True, dir_okay=False)],
    rule: Annotated[str, typer.Option("--rule", help="A price rule's name (else none).")] = "",
    currency: Annotated[str, typer.Option("--currency", help="Costs' and prices' currency.")] = (
        "USD"
    ),
    status: Annotated[str, typer.Option("--status", help="New products: draft or active.")] = (
        "draft"
    ),
    reprice: Annotated[
        bool, typer.Option("--reprice/--no-reprice", help="Supplier list: re-price by the rule.")
    ] = True,
    yes: Annotated[bool, typer.Option("--yes", help="Run without asking after the preview.")] = (
        False
    ),
) -> None:
    """Preview a Shopify export or a supplier list, then (asked, or --yes) run it in batches."""
    data_dir = get_settings().data_dir
    db = migrated_database()
    try:
        with db.session() as session, file.open("rb") as source:
            rule_id = service.find_rule(session, rule).id if rule else None
            options = service.ImportOptions(currency, rule_id, status, reprice)
            row, shown = service.start_import(session, data_dir, kind, source, file.name, options)
            started, preview = service.import_status(row), shown.to_dict()
        typer.echo("\n".join(_preview_lines(started, preview)))
        if not yes and not _agreed("Run this import?"):
            typer.echo(f"Not run; run it later from the page of import {started['id']}.")
            return

        def step(work: Callable[[Session], Any]) -> dict[str, Any]:
            with db.session() as session:
                return service.import_status(work(session))

        while True:
            done = step(lambda s: service.run_batch(s, data_dir, started["id"], 1000))
            typer.echo(f"  {done['done']}/{done['total']} ({done['percent']} %)", err=True)
            if done["status"] in ("done", "failed"):
                break
    finally:
        db.dispose()
    typer.echo(
        f"Import {done['id']} {done['status']}: {done['created']} created, {done['updated']} "
        f"updated, {done['withheld']} withheld, {done['paused']} paused by the margin guard."
    )
    for item in done["paused_products"][:20]:
        typer.echo(f"  paused {item['id']} {item['name']}: {item['reason']}")


@app.command("floor")
def floor(
    currency: Annotated[str, typer.Argument(help="The currency, like USD.")],
    percent: Annotated[str, typer.Option("--percent", help="Least margin, % of price.")] = "",
    amount: Annotated[str, typer.Option("--amount", help="Least margin, an amount.")] = "",
    zone: Annotated[str, typer.Option("--zone", help="Whose landed cost is judged.")] = "*",
) -> None:
    """Set the margin guard's floor in a currency."""
    row = in_session(lambda s: service.set_floor(s, currency, percent, amount, zone).currency)
    typer.echo(f"Margin floor for {row} saved.")


@app.command("apply-rule")
def apply_rule(
    name: Annotated[str, typer.Argument(help="The price rule's name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Price every physical product by a named rule; the margin guard then runs."""
    if not yes and not _agreed(f"Re-price every physical product by {name!r}?"):
        return

    def work(session: Session) -> str:
        result = service.apply_rule(session, service.find_rule(session, name).id)
        return f"{result.priced} priced, {result.skipped} skipped, {len(result.paused)} paused."

    typer.echo(in_session(work))


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
