"""`evergreen commerce subscriptions list|show|cancel|change|keep-plan|renew`: the owner's
subscriptions, one with its periods, a cancellation (at the period's end, or --now), a plan
change (its prorated charge shown and confirmed first) or a scheduled one called off, and a
renewal run now (what the fifteen-minute task does). `subscription` is the same group."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.rules.billing import check_cancel
from evergreen.commerce.rules.products import from_cents
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

__all__ = ["subscriptions_app"]

subscriptions_app = typer.Typer(
    help="Subscriptions: list, show, cancel, change, renew.", no_args_is_help=True
)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "-"


@subscriptions_app.command("list")
def subscriptions_list(
    status: Annotated[
        str, typer.Option("--status", help="Only subscriptions in this status.")
    ] = "",
) -> None:
    """The latest 50 subscriptions: id, status, product, amount per interval, buyer, period end."""

    def work(session: Session) -> list[str]:
        rows, _total = service.subscriptions.list_subscriptions(session, status or None)
        return [
            f"{s.id}\t{s.status}\t{name}\t{from_cents(s.amount_cents)} {s.currency}/{s.interval}"
            f"\t{s.buyer_email}\t{_when(s.current_period_end)}"
            for s, name in rows
        ]

    for line in in_session(work, writer=False):
        typer.echo(line)


@subscriptions_app.command("show")
def subscriptions_show(
    subscription_id: Annotated[int, row_id_argument("The subscription's id.")],
) -> None:
    """One subscription, its period orders and events."""

    def work(session: Session) -> list[str]:
        card = service.subscriptions.subscription_card(session, subscription_id)
        s = card.subscription
        lines = [
            f"{card.product.name}: {from_cents(s.amount_cents)} {s.currency} a {s.interval}",
            f"status {s.status}{' (ends at period end)' if s.cancel_at_period_end else ''}"
            f"{' — ' + s.end_reason if s.end_reason else ''}; buyer {s.buyer_email}",
            f"period {s.period}: {_when(s.current_period_start)} to {_when(s.current_period_end)}",
        ]
        lines += [f"order {o.number}\t{o.status}\t{o.checkout_key}" for o in card.orders]
        lines += [f"event {e.kind}\t{_when(e.at)}" for e in card.events]
        return lines

    for line in in_session(work, writer=False):
        typer.echo(line)


@subscriptions_app.command("cancel")
def subscriptions_cancel(
    subscription_id: Annotated[int, row_id_argument("The subscription's id.")],
    now: Annotated[
        bool, typer.Option("--now", help="End it now, not at the period's end.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="With --now: end it now without asking.")
    ] = False,
) -> None:
    """Cancel a subscription: at its period's end (default) or now (shown, then asked)."""
    if yes and not now:
        # Only ending it now is asked; a --yes alone would read as "end it now" and do less.
        raise failure(
            "--yes answers the question --now asks; a cancel at the period's end asks nothing: "
            "drop --yes, or add --now to end it now"
        )
    if now:

        def preview(session: Session) -> str:
            card = service.subscriptions.subscription_card(session, subscription_id)
            s = card.subscription
            check_cancel(s.status, s.cancel_at_period_end, at_period_end=False)
            return (
                f"Subscription {s.id} ({card.product.name}, {from_cents(s.amount_cents)} "
                f"{s.currency} a {s.interval}, {s.buyer_email})"
            )

        shown = in_session(preview, writer=False)
        confirmed(
            f"{shown} ends now: what it granted stops; nothing is refunded.",
            f"End subscription {subscription_id} now?",
            f"ending subscription {subscription_id} now is not undone",
            yes=yes,
        )
    cancel = service.subscriptions.cancel
    sub = in_session(lambda s: cancel(s, subscription_id, utcnow(), at_period_end=not now))
    typer.echo("Ended now." if sub.status == "ended" else "Ends at the end of its period.")


@subscriptions_app.command("change")
def subscriptions_change(
    subscription_id: Annotated[int, row_id_argument("The subscription's id.")],
    price: Annotated[int, row_id_option("The recurring price to move to.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before charging.")] = False,
) -> None:
    """Change the plan: an upgrade now with its prorated charge, a downgrade at the renewal."""
    settings = get_settings()
    provider = service.provider_for(settings)
    subs = service.subscriptions

    def preview(session: Session) -> str:
        quote = subs.quote_change(session, provider, subscription_id, price, utcnow())
        if not quote.now:
            when = _when(quote.at)
            return f"Moves to {quote.product.name} at the renewal ({when}); nothing charged now."
        charged = f"{from_cents(quote.charge.total)} {quote.price.currency}"
        return f"Moves to {quote.product.name} now; {charged} charged now (prorated)."

    typer.echo(in_session(preview, writer=False))  # shown with --yes too: what it did
    confirmed("", "Change the plan?", "changing a plan charges or changes it", yes=yes)
    secret, nonce = resolve_secret_key(settings), secrets.token_urlsafe(18)
    done = in_session(
        lambda s: subs.change_plan(s, provider, subscription_id, price, nonce, secret, utcnow())
    )
    if done.outcome == "scheduled":
        typer.echo("Scheduled for the renewal.")
    else:
        charged = f" (order {done.order.number} charged)" if done.order is not None else ""
        typer.echo(f"Plan changed{charged}.")


@subscriptions_app.command("keep-plan")
def subscriptions_keep_plan(
    subscription_id: Annotated[int, row_id_argument("The subscription's id.")],
) -> None:
    """Call off a scheduled plan change: it renews on its plan as before."""
    in_session(lambda s: service.subscriptions.cancel_change(s, subscription_id))
    typer.echo("The scheduled change is called off.")


@subscriptions_app.command("family")
def subscriptions_family(
    product_id: Annotated[int, row_id_argument("The subscription product's id.")],
    family: Annotated[str, typer.Argument(help='The family\'s name ("" for none).')],
) -> None:
    """Make a subscription product a plan of a family: its subscribers can move between them."""
    row = in_session(lambda s: service.subscriptions.set_plan_family(s, product_id, family))
    typer.echo(f"{row.name} is in the plan family {row.plan_family!r}.")


@subscriptions_app.command("renew")
def subscriptions_renew() -> None:
    """Renew due subscriptions now: charge, retry, remind or end each as it needs."""
    from evergreen.commerce.tasks import run_renewals

    db = migrated_database()
    try:
        done = run_renewals(db, get_settings())
    finally:
        db.dispose()
    counts = {o: sum(r.outcome == o for r in done) for o in ("paid", "failed", "ended")}
    typer.echo(
        f"Checked {len(done)} subscriptions: {counts['paid']} paid, {counts['failed']} failed, "
        f"{counts['ended']} ended."
    )
