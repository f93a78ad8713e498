"""A funnel order step's bump on SQLite and PostgreSQL: its checkout offers the step's bump
instead of the product's own (which stays the bump outside the funnel), ticking it adds the
bump's line to the same order and payment, the report counts its take rate, and a bump commerce
would refuse on a product is refused on a step by its field, with the same words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from evergreen.commerce import queries as orders
from evergreen.commerce import service as commerce
from evergreen.db import Database
from evergreen.errors import InputError
from evergreen.funnels import queries
from evergreen.funnels.models import FunnelStep
from tests.conftest import TEST_SECRET
from tests.funnels.kit import BumpShop, build_with_bumps, save_bump

NOW = datetime.now(UTC)


def _buy(shop: BumpShop, nonce: str, *, bump: bool, funnel: bool = True) -> commerce.CheckoutInput:
    built = shop.built
    return commerce.CheckoutInput(
        slug="course", currency="USD", email="bea@example.com", nonce=nonce * 16, bump=bump,
        funnel_id=built.funnel_id if funnel else None,
        step_id=built.order_id if funnel else None, variant="A" if funnel else None,
    )  # fmt: skip


def test_the_order_steps_bump_is_offered_and_charged_in_the_same_order(db: Database) -> None:
    shop = build_with_bumps(db)
    built, ids = shop.built, shop.ids
    with db.session() as session:
        stepped = commerce.offer(
            session, "course", funnel_id=built.funnel_id, step_id=built.order_id
        )
        assert stepped.bump is not None
        assert (stepped.bump.name, stepped.bump_prices) == ("Workbook", {"USD": 900})
        assert stepped.bump_headline == ""  # the guide's headline is not the workbook's
        own = commerce.offer(session, "course")
        assert (own.bump and own.bump.name, own.bump_headline) == ("Guide", "Add the guide")
        # the step sells the course: on another product's checkout it chooses nothing
        other = commerce.offer(session, "guide", funnel_id=built.funnel_id, step_id=built.order_id)
        assert other.bump is None

        lines = {}
        for nonce, data in (
            ("a", _buy(shop, "a", bump=True)),
            ("b", _buy(shop, "b", bump=False)),
            ("c", _buy(shop, "c", bump=True, funnel=False)),
        ):
            order = commerce.start_checkout(session, None, data, NOW).order
            card = orders.order_card(session, order.id)
            assert card is not None
            lines[nonce] = (
                order.total_cents,
                order.payment_id == f"man_{order.number}",  # one payment for the whole order
                [(line.role, line.product_name, line.total_cents) for line in card.lines],
            )
            commerce.mark_manual_paid(session, order.id, TEST_SECRET, NOW)
        assert lines["a"] == (4900, True, [("main", "Course", 4000), ("bump", "Workbook", 900)])
        assert lines["b"][0::2] == (4000, [("main", "Course", 4000)])
        assert lines["c"][0::2] == (4500, [("main", "Course", 4000), ("bump", "Guide", 500)])
        assert ids["Workbook"] != ids["Guide"]
    with db.session(writer=False) as session:
        found = queries.report(session, built.funnel_id, NOW.date(), NOW.date())
        assert found is not None
        assert found.total.bump_revenue == Decimal("9.00")
        assert found.total.bump_take_rate == Decimal("0.5")  # 1 of the funnel's 2 orders


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Course", "a product cannot be its own bump"),
        ("Club", "a subscription cannot be a bump"),
        ("Draft kit", "Draft kit is draft, not on sale; make it active first"),
        ("Euro pack", "Euro pack has no price in USD; add one first"),
    ],
)
def test_a_step_refuses_a_bump_a_product_would_refuse(db: Database, name: str, words: str) -> None:
    shop = build_with_bumps(db)
    built, bump_id = shop.built, shop.ids[name]
    with db.session() as session:
        with pytest.raises(InputError) as on_step, session.begin_nested():
            save_bump(session, built, bump_id)
        with pytest.raises(InputError) as on_product, session.begin_nested():
            commerce.set_bump(session, built.product_id, bump_id)
        for refused in (on_step.value, on_product.value):
            assert (refused.status, refused.field, refused.message) == (
                422,
                "bump_product_id",
                words,
            )
    with db.session(writer=False) as session:
        step = session.get(FunnelStep, built.order_id)
        assert step is not None
        assert step.bump_product_id == shop.ids["Workbook"]


def test_a_ticked_bump_that_cannot_be_offered_is_refused_by_its_field(db: Database) -> None:
    shop = build_with_bumps(db)
    built = shop.built
    with db.session() as session:
        # a price in euros came after the bump was chosen: the workbook has none
        commerce.add_price(session, built.product_id, commerce.PriceDraft("EUR", "36.00"))
        euros = replace(_buy(shop, "d", bump=True), currency="EUR")
        with pytest.raises(InputError) as refused, session.begin_nested():
            commerce.start_checkout(session, None, euros, NOW)
        assert (refused.value.field, refused.value.message) == (
            "bump",
            "Workbook cannot be added in EUR",
        )
        commerce.set_status(session, shop.ids["Workbook"], "paused")
        found = commerce.offer(session, "course", funnel_id=built.funnel_id, step_id=built.order_id)
        assert found.bump is None  # the step's choice stands: not the product's guide instead
        with pytest.raises(InputError) as gone, session.begin_nested():
            commerce.start_checkout(session, None, _buy(shop, "e", bump=True), NOW)
        assert (gone.value.field, gone.value.message) == ("bump", "this offer is not available")
        plain = commerce.start_checkout(session, None, _buy(shop, "f", bump=False), NOW).order
        assert plain.total_cents == 4000
