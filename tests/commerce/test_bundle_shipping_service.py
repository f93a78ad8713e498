"""Bundles and currencies in drop-shipping, on SQLite and PostgreSQL: a bundle's physical items
are forwarded to their own suppliers (quantity per bundle times bundles bought) with shipping
priced for them, its digital item granted as before; a supplier pricing in another currency is
converted at the owner's rate, and a missing rate is refused when the product is set up."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import Grant, OrderAddress, SupplierOrder
from evergreen.commerce.service import forwarding, suppliers
from evergreen.config import Settings
from evergreen.db import Database
from tests.commerce.fulfil_world import buy_mug, make_shop, receiver
from tests.commerce.orders_world import SECRET

NO_RATE = "no exchange rate from USD to EUR: set one on the suppliers page"


def _poster_and_ebook(session: Session) -> tuple[int, int]:
    """A poster shipped by PrintCo, who prices in USD (3.25 anywhere), and an e-book."""
    poster = service.add_product(session, service.ProductDraft("Poster", "physical"))
    service.set_supplier(
        session, poster.id,
        service.SupplierDraft("PrintCo", "POS-9", "USD", "2.00", {"*": "3.25"}, 1),
    )  # fmt: skip
    printco, _secret = suppliers.add_supplier(session, "PrintCo", "", "csv", "", "USD")
    suppliers.set_product_supplier(session, poster.id, printco.id)
    ebook = service.add_product(session, service.ProductDraft("Mug recipes", "digital"))
    service.add_price(session, ebook.id, service.PriceDraft("EUR", "9.00"))
    return poster.id, ebook.id


def test_a_bundle_forwards_two_suppliers_items_ships_them_and_grants_its_ebook(
    db: Database, settings: Settings
) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        shop = make_shop(session, "webhook")
        poster, ebook = _poster_and_ebook(session)
        kit = service.add_product(session, service.ProductDraft("Kitchen kit", "bundle"))
        service.add_price(session, kit.id, service.PriceDraft("EUR", "40.00"))
        with pytest.raises(CommerceInputError) as refused:  # at setup, not at checkout
            service.set_bundle_items(session, kit.id, [shop.mug, poster, ebook], {shop.mug: 2})
        assert refused.value.message.endswith(NO_RATE)
        service.set_rate(session, "USD", "EUR", "0.9215")
        service.set_bundle_items(session, kit.id, [shop.mug, poster, ebook], {shop.mug: 2})
        service.set_status(session, kit.id, "active")
        mug_and_poster = [(p.name, q) for p, q in suppliers.physical_items(session, kit, 3)]
        assert sorted(mug_and_poster) == [("Mug", 6), ("Poster", 3)]  # per bundle x bought
    with db.session() as session:
        order = service.start_checkout(session, None, buy_mug(slug="kitchen-kit"), now).order
        order_id = order.id
        # Mug: 2 x 4.50 (DE) = 9.00 EUR; poster: 3.25 USD x 0.9215 = 2.99488 -> 2.99 EUR.
        assert order.total_cents == 4000 + 900 + 299
        kept = session.get(OrderAddress, order_id)
        assert kept is not None
        assert kept.shipping_cents == 1199
    with db.session() as session:
        assert service.mark_manual_paid(session, order_id, SECRET, now).newly_paid
    with db.session() as session:
        rows = session.scalars(select(SupplierOrder).order_by(SupplierOrder.supplier_id)).all()
        by_supplier = {
            suppliers.get_supplier(session, r.supplier_id).name: [
                (x["sku"], x["name"], x["quantity"]) for x in r.lines
            ]
            for r in rows
        }
        assert by_supplier == {"MugCo": [("MUG-01", "Mug", 2)], "PrintCo": [("POS-9", "Poster", 1)]}
        granted = set(session.scalars(select(Grant.product_id).where(Grant.status == "active")))
        assert {kit.id, ebook} <= granted
        text, ids = forwarding.export_csv(session)  # PrintCo takes CSV
        assert "POS-9" in text
        assert "MUG-01" not in text
        assert len(ids) == 1
    with receiver(shop.secret, []) as got:
        with db.session() as session:
            row = suppliers.get_supplier(session, shop.supplier)
            suppliers.update_supplier(session, row.id, row.name, "", "webhook", got.url, "EUR")
        allowed = settings.model_copy(update={"webhook_allow": "127.0.0.1"})
        assert forwarding.forward_due(db, allowed, now).sent == 1
    body = json.loads(got.bodies[0])
    assert body["lines"] == [{"sku": "MUG-01", "name": "Mug", "quantity": 2}]


def test_a_missing_rate_is_refused_at_setup_and_a_set_one_converts_at_checkout(
    db: Database,
) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        shop = make_shop(session, "csv")
        with pytest.raises(CommerceInputError) as refused:  # the mug sells in EUR
            service.set_supplier(
                session, shop.mug,
                service.SupplierDraft("MugCo", "MUG-01", "USD", "3.00", {"DE": "5.00"}, 2),
            )  # fmt: skip
        assert (refused.value.field, refused.value.message) == (
            "supplier_currency", f"Mug's supplier prices in USD, it sells in EUR: {NO_RATE}"
        )  # fmt: skip
        poster, _ebook = _poster_and_ebook(session)
        with pytest.raises(CommerceInputError, match=NO_RATE):
            service.add_price(session, poster, service.PriceDraft("EUR", "15.00"))
        service.add_price(session, poster, service.PriceDraft("USD", "15.00"))  # its own: fine
        with pytest.raises(CommerceInputError, match="a number above 0"):
            service.set_rate(session, "USD", "EUR", "0")
        with pytest.raises(CommerceInputError, match="two different currencies"):
            service.set_rate(session, "USD", "usd", "1")
        service.set_rate(session, "USD", "EUR", "0.9")
        service.set_rate(session, "USD", "EUR", "0.95")  # the pair's new rate, not a second row
        assert [(r.base, r.quote, str(r.rate)) for r in service.list_rates(session)] == [
            ("USD", "EUR", "0.95000000")
        ]
        service.add_price(session, poster, service.PriceDraft("EUR", "15.00"))
        service.set_status(session, poster, "active")
        order = service.start_checkout(session, None, buy_mug(slug="poster"), now).order
        assert order.total_cents == 1500 + 309  # 3.25 USD x 0.95 = 3.0875 -> 3.09 EUR
        rate_id = service.list_rates(session)[0].id
        service.remove_rate(session, rate_id)
        with pytest.raises(CommerceInputError, match="shipping cannot be priced: " + NO_RATE):
            service.start_checkout(session, None, buy_mug(slug="poster"), now)
