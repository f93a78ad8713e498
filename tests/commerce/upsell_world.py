"""A funnel for the upsell tests on top of the orders shop: the book's order form (with the
workbook bump), a course upsell (no → a lite downsell) and a thank-you page, live; and the
Stripe moves a buyer's browser and bank make against localstripe."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.payments import Provider
from evergreen.funnels import service as funnels
from tests.commerce.localstripe import STRIPE_TEST_KEY
from tests.commerce.orders_world import buy, make_shop

__all__ = [
    "Funnel",
    "authenticate",
    "card_method",
    "make_funnel",
    "offer",
    "open_parent",
]


@dataclass(frozen=True)
class Funnel:
    """Ids of the funnel's steps and products."""

    id: int
    order_step: int
    upsell_step: int
    downsell_step: int
    thanks_step: int
    book: int
    course: int
    lite: int


def make_funnel(session: Session) -> Funnel:
    """The shop (book 29, workbook bump 9, coupon ANA of partner Ana on one-time terms, 19 % tax
    in DE), a course
    (49.00 EUR) and its lite version (19.00 EUR), and the live funnel /p/launch."""
    shop = make_shop(session)
    # Ana's one-time terms (make_shop) pay the upsell too: it is part of the first purchase.
    course = service.add_product(session, service.ProductDraft("Course", "digital"))
    lite = service.add_product(session, service.ProductDraft("Lite", "digital"))
    for row, amount in ((course, "49.00"), (lite, "19.00")):
        service.add_price(session, row.id, service.PriceDraft("EUR", amount))
        service.set_status(session, row.id, "active")
    funnel = funnels.add_funnel(session, funnels.FunnelDraft("Launch", "launch", "live"))

    def step(kind: str, title: str, product: int | None = None) -> int:
        draft = funnels.StepDraft(kind, title, product_id=product)
        return funnels.add_step(session, funnel.id, draft).id

    order = step("order", "Order", shop.book)
    upsell = step("upsell", "Course", course.id)
    downsell = step("downsell", "Lite", lite.id)
    thanks = step("thankyou", "Thanks")
    funnels.update_step(
        session, funnel.id, upsell,
        funnels.StepDraft("upsell", "Course", "course", product_id=course.id,
                          yes_step_id=thanks, no_step_id=downsell),
    )  # fmt: skip
    return Funnel(funnel.id, order, upsell, downsell, thanks, shop.book, course.id, lite.id)


def offer(world: Funnel, *, downsell: bool = False) -> service.UpsellStep:
    """The upsell (or downsell) step as the funnel page hands it to commerce."""
    if downsell:
        return service.UpsellStep(world.id, world.downsell_step, "downsell", world.lite, "A")
    return service.UpsellStep(world.id, world.upsell_step, "upsell", world.course, "A")


def open_parent(session: Session, provider: Provider | None, world: Funnel) -> service.Started:
    """A buyer's checkout of the book (bump, coupon ANA, DE) from the funnel's order step."""
    data = buy(funnel_id=world.id, step_id=world.order_step, variant="A", click_id="")
    return service.start_checkout(session, provider, data, datetime.now(UTC))


def card_method(sdk: stripe.StripeClient, number: str) -> str:
    """A card PaymentMethod, as Stripe.js makes one from the card field."""
    card = {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    return sdk.v1.payment_methods.create({"type": "card", "card": card}).id  # type: ignore[typeddict-item]


def authenticate(localstripe: str, payment_id: str, client_secret: str) -> None:
    """What the buyer's bank does when they pass 3-D Secure (localstripe's Stripe.js call)."""
    form = f"client_secret={client_secret}&success=true".encode()
    request = urllib.request.Request(
        f"{localstripe}/v1/payment_intents/{payment_id}/_authenticate",
        data=form,
        headers={"Authorization": f"Bearer {STRIPE_TEST_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert json.loads(answer.read())["status"] in ("succeeded", "processing")
