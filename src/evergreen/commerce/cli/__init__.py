"""`evergreen commerce …`: products, tax rates, grants, catalog imports, coupons, orders and
Stripe reconciliation. Bad input is one line naming the field and exit 2, with nothing stored:
each command is one transaction, and the root command maps the refusal."""

from __future__ import annotations

import typer

from evergreen.commerce.cli import (
    catalog,
    delivery,
    imports,
    orders,
    rates,
    rollups,
    services,
    subscriptions,
    suppliers,
)

__all__ = ["app"]

app = typer.Typer(
    help="Commerce: products, prices, files, tax rates, coupons and orders.", no_args_is_help=True
)
app.add_typer(catalog.product_app, name="product")
app.add_typer(catalog.tax_app, name="tax")
app.add_typer(orders.coupon_app, name="coupon")
app.add_typer(orders.order_app, name="order")
app.add_typer(delivery.grant_app, name="grant")
app.add_typer(suppliers.supplier_app, name="supplier")
app.add_typer(rates.rate_app, name="rate")
app.add_typer(services.service_app, name="service")
app.command("import")(imports.import_catalog)
app.command("floor")(imports.floor)
app.command("apply-rule")(imports.apply_rule)
app.command("reconcile")(orders.reconcile)
app.add_typer(subscriptions.subscriptions_app, name="subscriptions")
app.add_typer(subscriptions.subscriptions_app, name="subscription", hidden=True)  # one, as said
app.add_typer(rollups.rollups_app, name="rollups")
