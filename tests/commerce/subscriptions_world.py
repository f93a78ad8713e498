"""A small subscription shop for the tests: a monthly club (10.00 EUR) and one with a 14-day
trial, settings pointing Stripe at localstripe and mail at an aiosmtpd server."""

from __future__ import annotations

import uuid
from typing import Any

import stripe
from pydantic import SecretStr
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.config import Settings
from tests.commerce.localstripe import STRIPE_TEST_KEY
from tests.commerce.orders_world import HOOK_SECRET

__all__ = ["make_club", "make_plans", "pay", "stripe_settings", "subscribe_input"]


def make_club(session: Session) -> tuple[int, int]:
    """Ids of the monthly club and the trial club."""
    ids = []
    for name, trial in (("Club", 0), ("Trial Club", 14)):
        row = service.add_product(session, service.ProductDraft(name, "subscription"))
        draft = service.PriceDraft("EUR", "10.00", interval="month", trial_days=trial)
        service.add_price(session, row.id, draft)
        service.set_status(session, row.id, "active")
        ids.append(row.id)
    return ids[0], ids[1]


def subscribe_input(**changes: Any) -> service.subscriptions.SubscribeInput:
    """Bea subscribes to the monthly club in EUR."""
    values: dict[str, Any] = {"slug": "club", "currency": "EUR", "email": "bea@example.com",
                              "name": "Bea", "nonce": uuid.uuid4().hex, "click_id": ""}  # fmt: skip
    values.update(changes)
    return service.subscriptions.SubscribeInput(**values)


def stripe_settings(settings: Settings, localstripe: str, smtp_port: int | None = None) -> Settings:
    """The test's settings with Stripe on localstripe (and mail on the test SMTP server)."""
    update: dict[str, Any] = {
        "stripe_secret_key": SecretStr(STRIPE_TEST_KEY),
        "stripe_webhook_secret": SecretStr(HOOK_SECRET),
        "stripe_api_base": localstripe,
    }  # fmt: skip
    if smtp_port is not None:
        update |= {"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_starttls": False,
                   "mail_from": "shop@example.com", "base_url": "http://shop.test"}  # fmt: skip
    return settings.model_copy(update=update)


def pay(sdk: stripe.StripeClient, payment_id: str, method: str = "pm_card_visa") -> None:
    """What Stripe.js does in the buyer's browser with the client secret."""
    sdk.v1.payment_intents.update(payment_id, {"payment_method": method})
    sdk.v1.payment_intents.confirm(payment_id)


def make_plans(session: Session) -> dict[str, int]:
    """The club's family: Club (10.00 EUR a month), Club Plus (20.00 a month) and Club Yearly
    (240.00 a year: 20.00 a month); the price id of each by name."""
    make_club(session)
    ids: dict[str, int] = {}
    for name, amount, interval in (("Club Plus", "20.00", "month"),
                                   ("Club Yearly", "240.00", "year")):  # fmt: skip
        row = service.add_product(session, service.ProductDraft(name, "subscription"))
        service.add_price(session, row.id, service.PriceDraft("EUR", amount, interval=interval))
        service.set_status(session, row.id, "active")
    for plan in (
        service.subscriptions.plan_of(session, "club"),
        *(service.subscriptions.plan_of(session, slug) for slug in ("club-plus", "club-yearly")),
    ):
        service.subscriptions.set_plan_family(session, plan.product.id, "club")
        ids[plan.product.name] = plan.prices["EUR"].id
    return ids
