"""The commerce catalog's service on SQLite and PostgreSQL: products with unique names and
slugs, prices in whole cents per currency (a subscription's with interval and trial), status
with its reason, files stored under the data folder and size-limited, a physical product's
supplier priced by a price rule with its landed margin, bundles, tax rates; each refusal names
its field and stores nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from evergreen.commerce import queries, service
from evergreen.commerce.models import Price, ProductFile
from evergreen.commerce.rules.pricing import CostRange, make_rule
from evergreen.db import Database
from evergreen.errors import Conflict, InputError, NotFound


def test_a_product_gets_a_slug_prices_in_cents_and_a_status(db: Database) -> None:
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Ebook: Grow!", "digital", "# Hi"))
        same_slug = service.add_product(session, service.ProductDraft("ebook grow", "service"))
        price = service.add_price(session, row.id, service.PriceDraft("usd", "19.00", "29.00"))
        assert (row.slug, same_slug.slug, row.status) == ("ebook-grow", "ebook-grow-2", "draft")
        assert (price.currency, price.amount_cents, price.compare_at_cents) == ("USD", 1900, 2900)
        again = service.add_price(session, row.id, service.PriceDraft("USD", Decimal("17.5")))
        assert again.id == price.id
        assert again.amount_cents == 1750
        service.set_status(session, row.id, "paused", "margin below 20 %")
    with db.session(writer=False) as session:
        card = queries.product_card(session, row.id)
        assert card is not None
        data = card.to_dict()
        assert data["status"] == "paused"
        assert data["status_reason"] == "margin below 20 %"
        assert data["prices"] == [
            {"id": price.id, "currency": "USD", "amount": "17.50", "compare_at": None,
             "interval": None, "trial_days": 0},
        ]  # fmt: skip
        assert [c.product.name for c in queries.list_products(session)] == [
            "Ebook: Grow!", "ebook grow",
        ]  # fmt: skip


def test_bad_products_and_prices_are_refused_by_field(db: Database) -> None:
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Course", "digital"))
        cases = [
            (lambda: service.add_product(session, service.ProductDraft("", "digital")), "name"),
            (lambda: service.add_product(session, service.ProductDraft("X", "ebook")), "kind"),
            (lambda: service.add_price(session, row.id, service.PriceDraft("US", "1")), "currency"),
            (lambda: service.add_price(session, row.id, service.PriceDraft("USD", "1.005")),
             "amount"),
            (lambda: service.add_price(session, row.id, service.PriceDraft("USD", "-1")), "amount"),
            (lambda: service.add_price(session, row.id, service.PriceDraft("USD", "9", "5")),
             "compare_at"),
            (lambda: service.add_price(session, row.id, service.PriceDraft("USD", "9", None,
                                                                           "month")), "interval"),
            (lambda: service.set_status(session, row.id, "active"), "status"),
            (lambda: service.set_status(session, row.id, "gone"), "status"),
        ]  # fmt: skip
        for call, field in cases:
            with pytest.raises(InputError) as refused:
                call()
            assert refused.value.field == field, (field, refused.value)
        with pytest.raises(Conflict):
            service.add_product(session, service.ProductDraft("Course", "service"))
        with pytest.raises(NotFound):
            service.get_product(session, 999)
    with db.session(writer=False) as session:
        assert session.scalars(select(Price)).all() == []


def test_a_subscription_price_renews_with_a_trial(db: Database) -> None:
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Club", "subscription"))
        with pytest.raises(InputError) as refused:
            service.add_price(session, row.id, service.PriceDraft("EUR", "9"))
        assert refused.value.field == "interval"
        price = service.add_price(
            session, row.id, service.PriceDraft("EUR", "9.00", None, "year", 14)
        )
        assert (price.interval, price.trial_days) == ("year", 14)
        service.set_status(session, row.id, "active")
        with pytest.raises(InputError) as kept:
            service.remove_price(session, row.id, price.id)
        assert kept.value.field == "price_id"  # an active product keeps a price


def test_files_are_stored_under_the_data_folder_and_limited(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Guide", "digital"))
        stored = service.store_file(session, tmp_path, row.id, "guide.pdf", [b"%PDF-", b"1.7"])
        assert stored.path.startswith(f"commerce/{row.id}/")
        assert (tmp_path / stored.path).read_bytes() == b"%PDF-1.7"
        first = stored.path
        replaced = service.store_file(session, tmp_path, row.id, "guide.pdf", [b"v2"])
        assert replaced.id == stored.id
        assert (tmp_path / first).exists()  # deleted once the replacement is committed
        assert (tmp_path / replaced.path).read_bytes() == b"v2"
        with pytest.raises(service.FileTooLarge):
            service.store_file(session, tmp_path, row.id, "big.zip", [b"x" * 10], limit=5)
        for name, chunks, field in (
            ("..", [b"x"], "name"), ("<x>.txt", [b"x"], "name"), ("empty.txt", [], "file"),
        ):  # fmt: skip
            with pytest.raises(InputError) as refused:
                service.store_file(session, tmp_path, row.id, name, chunks)
            assert refused.value.field == field
        assert service.store_file(session, tmp_path, row.id, "../evil", [b"x"]).name == "evil"
        leftovers = [p.name for p in (tmp_path / "commerce" / str(row.id)).iterdir()]
        assert not any(name.endswith(".part") for name in leftovers)
        service.remove_file(session, tmp_path, row.id, replaced.id)
        assert (tmp_path / replaced.path).exists()  # likewise, once the removal is committed
    assert not (tmp_path / first).exists()
    assert not (tmp_path / replaced.path).exists()
    with db.session(writer=False) as session:
        assert [f.name for f in session.scalars(select(ProductFile))] == ["evil"]


def test_a_physical_product_is_priced_by_a_rule_and_shows_its_landed_margin(
    db: Database,
) -> None:
    rule = make_rule(
        "USD",
        [CostRange(Decimal(0), Decimal(10), multiplier=Decimal(3)),
         CostRange(Decimal(10), None, multiplier=Decimal(2))],
        ending=Decimal("0.99"),
    )  # fmt: skip
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Lamp", "physical"))
        with pytest.raises(InputError) as refused:
            service.price_from_rule(session, row.id, rule, "US")
        assert refused.value.field == "supplier_cost"
        draft = service.SupplierDraft("AliShop", "L-1", "USD", "6.00", {"us": "2.50", "*": "5"}, 7)
        service.set_supplier(session, row.id, draft)
        price, quoted = service.price_from_rule(session, row.id, rule, "US")
        assert (quoted.landed, quoted.price, price.amount_cents) == (
            Decimal("8.50"), Decimal("25.99"), 2599,
        )  # fmt: skip
        digital = service.add_product(session, service.ProductDraft("Pdf", "digital"))
        with pytest.raises(InputError) as not_physical:
            service.set_supplier(session, digital.id, draft)
        assert not_physical.value.field == "kind"
    with db.session(writer=False) as session:
        card = queries.product_card(session, row.id)
        assert card is not None
        margins = {line.zone: (line.landed, line.margin) for line in card.margins}
        assert margins == {
            "US": (Decimal("8.50"), Decimal("17.49")),
            "*": (Decimal("11.00"), Decimal("14.99")),
        }
        assert card.to_dict()["supplier"]["shipping"] == {"US": "2.50", "*": "5.00"}
    with db.session() as session:  # sold in euros too: the cost converted at the owner's rate
        service.set_rate(session, "USD", "EUR", "0.9")
        service.add_price(session, row.id, service.PriceDraft("EUR", "24.00"))
    with db.session(writer=False) as session:
        card = queries.product_card(session, row.id)
        assert card is not None
        euros = {line.zone: (line.landed, line.margin) for line in card.margins
                 if line.currency == "EUR"}  # fmt: skip
        # 8.50 USD x 0.9 = 7.65 EUR landed (US); 11.00 x 0.9 = 9.90 EUR elsewhere.
        assert euros == {"US": (Decimal("7.65"), Decimal("16.35")),
                         "*": (Decimal("9.90"), Decimal("14.10"))}  # fmt: skip


def test_a_bundle_lists_products_and_tax_rates_are_one_per_place(db: Database) -> None:
    with db.session() as session:
        a = service.add_product(session, service.ProductDraft("A", "digital"))
        b = service.add_product(session, service.ProductDraft("B", "service"))
        bundle = service.add_product(session, service.ProductDraft("All", "bundle"))
        with pytest.raises(InputError):
            service.set_bundle_items(session, bundle.id, [a.id])
        with pytest.raises(InputError):
            service.set_bundle_items(session, bundle.id, [a.id, bundle.id])
        service.set_bundle_items(session, bundle.id, [b.id, a.id, a.id])
        rate = service.add_tax_rate(session, service.TaxDraft("de", "19"))
        service.add_tax_rate(session, service.TaxDraft("US", "7.25", "ca", inclusive=False))
        with pytest.raises(Conflict):
            service.add_tax_rate(session, service.TaxDraft("DE", "7"))
        for draft, field in (
            (service.TaxDraft("Germany", "19"), "country"),
            (service.TaxDraft("DE", "101", "BY"), "percent"),
            (service.TaxDraft("DE", "abc", "BY"), "percent"),
        ):
            with pytest.raises(InputError) as refused:
                service.add_tax_rate(session, draft)
            assert refused.value.field == field
        service.update_tax_rate(session, rate.id, service.TaxDraft("DE", "16", inclusive=True))
    with db.session(writer=False) as session:
        card = queries.product_card(session, bundle.id)
        assert card is not None
        assert [p.name for p in card.items] == ["A", "B"]
        rates = [
            (r.country, r.region, r.percent, r.inclusive) for r in service.list_tax_rates(session)
        ]
        assert rates == [("DE", "", Decimal(16), True), ("US", "CA", Decimal("7.25"), False)]
