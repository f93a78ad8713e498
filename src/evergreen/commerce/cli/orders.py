"""`evergreen commerce coupon|order|reconcile`: coupons, orders (list, mark a transfer paid,
refund after showing and confirming it) and the reconciliation of pending Stripe payments."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from evergreen.commerce import queries, service
from evergreen.commerce.rules.products import from_cents, to_cents
from evergreen.commerce.service.refunds import RefundPlan, plan_refund
from evergreen.config import get_settings, resolve_secret_key
from evergreen.console import (
    confirmed,
    failure,
    in_session,
    migrated_database,
    row_id_argument,
    row_id_option,
)
from evergreen.db import utcnow

__all__ = ["coupon_app", "order_app", "reconcile"]

coupon_app = typer.Typer(help="Coupons: percent or amount off.", no_args_is_help=True)
order_app = typer.Typer(help="Orders: list, mark paid, refund.", no_args_is_help=True)


@coupon_app.command("add")
def coupon_add(
    code: Annotated[str, typer.Argument(help="The code buyers type (letters, digits, - or _).")],
    percent: Annotated[str, typer.Option("--percent", help="Percent off, like 10.")] = "",
    amount: Annotated[str, typer.Option("--amount", help="Or an amount off, like 5.00.")] = "",
    currency: Annotated[str, typer.Option("--currency", help="The amount's currency.")] = "",
    product: Annotated[int | None, row_id_option("Only this product id.")] = None,
    max_uses: Annotated[int | None, typer.Option("--max-uses", help="Uses at most.")] = None,
    duration: Annotated[
        str, typer.Option("--duration", help="On a subscription: once, repeating or forever.")
    ] = "once",
    periods: Annotated[
        int | None, typer.Option("--periods", help="How many periods a repeating one lasts.")
    ] = None,
) -> None:
    """Add a coupon; prints its code."""
    ignored = _ignored_coupon_option(percent, currency, duration, periods)
    if ignored:
        raise failure(ignored)
    draft = service.CouponDraft(
        code, percent or None, amount or None, currency or None, product, None, max_uses,
        duration, periods,
    )  # fmt: skip
    typer.echo(in_session(lambda session: service.add_coupon(session, draft).code))


def _ignored_coupon_option(
    percent: str, currency: str, duration: str, periods: int | None
) -> str | None:
    """An option the coupon would silently drop, said: Stripe's duration_in_months is only for
    a repeating coupon, and a percent off has no currency."""
    if periods is not None and duration.strip().lower() in ("once", "forever"):
        return (
            "--periods is only for --duration repeating: use that, or drop --periods for a "
            f"{duration.strip().lower()} coupon"
        )
    if currency.strip() and percent.strip():
        return "--currency is only for --amount; a --percent coupon takes no currency"
    return None


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
def order_mark_paid(order_id: Annotated[int, row_id_argument("The order's id.")]) -> None:
    """A bank transfer arrived: the order is paid (the receipt goes with the next server run)."""
    secret = resolve_secret_key(get_settings())
    done = in_session(lambda s: service.mark_manual_paid(s, order_id, secret, utcnow()))
    typer.echo("Marked paid." if done.changed else "Already paid.")


@order_app.command("refund")
def order_refund(
    order_id: Annotated[int, row_id_argument("The order's id.")],
    amount: Annotated[str, typer.Option("--amount", help="Like 9.00; omitted: the rest.")] = "",
    cancel: Annotated[
        bool, typer.Option("--cancel-subscription", help="Also end its subscription now.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Refund without asking.")] = False,
) -> None:
    """Refund part or the rest of a paid order after showing what goes back and asking (a
    subscription's period: it continues unless --cancel-subscription)."""
    settings = get_settings()
    cents = to_cents("amount", amount) if amount else None
    plan = in_session(lambda s: plan_refund(s, order_id, cents, cancel_now=cancel), writer=False)
    money = f"{from_cents(plan.amount)} {plan.currency}"
    confirmed(
        _refund_line(plan, cancel),
        f"Refund {money} of order {plan.number}?",
        f"refunding {money} of order {plan.number} ({from_cents(plan.refunded)} "
        f"{plan.currency} refunded already) is not undone",
        yes=yes,
    )
    # The key follows what was refunded before: a run that died after the provider refunded
    # is repeated once, while a run after a finished refund is a new one (shown, then asked).
    nonce = f"cli-refund-{plan.refunded}-{cents if cents is not None else 'rest'}"
    provider = service.provider_for(settings)
    in_session(
        lambda s: service.refund_order(
            s, provider, order_id, cents, nonce, utcnow(), cancel_now=cancel
        )
    )
    typer.echo(f"Refunded {money} of order {plan.number}.")


def _refund_line(plan: RefundPlan, cancel: bool) -> str:
    """What a refund gives back, as the command shows it before asking."""
    c = plan.currency
    left = plan.total - plan.refunded - plan.amount
    ends = " Its subscription ends now." if cancel else ""
    return (
        f"Order {plan.number} ({from_cents(plan.total)} {c}): refund {from_cents(plan.amount)} "
        f"{c}; {from_cents(plan.refunded)} {c} refunded already, {from_cents(left)} {c} left "
        f"after.{ends}"
    )


def reconcile() -> None:
    """Ask Stripe about pending orders older than five minutes and complete the paid ones, and
    about paid orders whose payment fee is not known yet."""
    from evergreen.commerce.tasks import run_fees, run_reconcile

    db = migrated_database()
    try:
        done = run_reconcile(db, get_settings())
        fees = run_fees(db, get_settings())
    finally:
        db.dispose()
    typer.echo(f"Checked {len(done)} pending orders; {sum(d.newly_paid for d in done)} paid now.")
    if fees:
        typer.echo(f"Payment fees learned for {len(fees)} orders: {', '.join(fees)}.")
