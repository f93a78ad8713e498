"""The catalog under concurrent writers: an import discarded while a batch of it runs, the
last price removed while the product is made active, a price rule or an import batch whose
margin guard runs while the owner archives a product, and two edits of one bundle. Each first
unit of work is paused after it read what it will change; under READ COMMITTED it then wrote
from that stale read (a run import's row deleted with its upload, an active product without a
price, an archived product paused by the guard, a bundle holding both edits' items)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import BundleItem, CatalogImport, Price, Product
from evergreen.commerce.service import imports, pricing_rules, products
from evergreen.commerce.service.imports import write
from evergreen.db import Database
from evergreen.errors import Conflict, NotFound
from tests.races import Work, race

HEADER = "Handle,Title,Body (HTML),Vendor,Option1 Name,Option1 Value,Variant SKU,Variant Price\n"


def _shopify(count: int) -> str:
    rows = "".join(
        f"item-{n},Item {n},,Acme,Title,Default Title,SKU-{n},{n + 9}.00\n" for n in range(count)
    )
    return HEADER + rows


def _start(db: Database, data_dir: Path, kind: str, text: str, **options: object) -> int:
    with db.session() as session:
        row, _shown = service.start_import(
            session, data_dir, kind, io.BytesIO(text.encode()), f"{kind}.csv",
            service.ImportOptions(**options),  # type: ignore[arg-type]
        )  # fmt: skip
        return row.id


def _run_batch(data_dir: Path, import_id: int, batch: int) -> Work:
    def run(session: Session) -> object:
        return service.run_batch(session, data_dir, import_id, batch).done

    return run


def test_an_import_discarded_while_a_batch_runs_keeps_what_ran(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import_id = _start(db, tmp_path, "shopify", _shopify(6))

    def discard(session: Session) -> object:
        imports.discard_import(session, tmp_path, import_id)
        return None

    (_, discard_error), (done, run_error) = race(
        db, monkeypatch, discard, _run_batch(tmp_path, import_id, 3),
        pause_at=(imports, "get_import"), pause_after=True,
    )  # fmt: skip
    with db.session(writer=False) as session:
        row = session.get(CatalogImport, import_id)
        made = session.scalar(select(func.count()).select_from(Product))
    if discard_error is None:  # the discard came first: there is nothing left to run
        assert isinstance(run_error, NotFound), run_error
        assert (row, made, done) == (None, 0, None)
    else:  # the batch came first: the import stays, with its upload, and says why
        assert run_error is None, run_error
        assert isinstance(discard_error, Conflict), discard_error
        assert "has run" in discard_error.message
        assert row is not None
        assert (row.status, row.done, made) == ("running", 3, 3)
        assert (tmp_path / row.path).is_file()  # the rest can still run
        with db.session() as session:
            assert service.run_batch(session, tmp_path, import_id, 3).status == "done"


def _priced_draft(db: Database) -> tuple[int, int]:
    """A draft product with one price: its id and the price's."""
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Guide", "digital"))
        price = service.add_price(session, row.id, service.PriceDraft("EUR", "19.00"))
        return row.id, price.id


def test_the_last_price_removed_as_the_product_is_made_active_never_leaves_it_unpriced(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    product_id, price_id = _priced_draft(db)

    def remove(session: Session) -> object:
        service.remove_price(session, product_id, price_id)
        return None

    def activate(session: Session) -> object:
        return service.set_status(session, product_id, "active").status

    (_, remove_error), (_, activate_error) = race(
        db, monkeypatch, remove, activate, pause_at=(products, "get_product"), pause_after=True
    )
    with db.session(writer=False) as session:
        product = session.get(Product, product_id)
        assert product is not None
        prices = session.scalar(select(func.count()).where(Price.product_id == product_id))
    # One of the two is refused with its reason; an active product always keeps a price.
    assert (remove_error is None) != (activate_error is None), (remove_error, activate_error)
    if remove_error is None:
        assert isinstance(activate_error, CommerceInputError), activate_error
        assert "add a price" in activate_error.message
        assert (product.status, prices) == ("draft", 0)
    else:
        assert isinstance(remove_error, CommerceInputError), remove_error
        assert "keeps a price" in remove_error.message
        assert (product.status, prices) == ("active", 1)


def _physical(db: Database, data_dir: Path) -> int:
    """One active physical product costing 5.00 USD that sells at 20.00 USD; a 30 % floor."""
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Mug", "physical"))
        supplier = service.SupplierDraft("Acme", "MUG-1", "USD", "5.00", {"*": "0"})
        service.set_supplier(session, row.id, supplier)
        service.add_price(session, row.id, service.PriceDraft("USD", "20.00"))
        service.set_status(session, row.id, "active")
        service.set_floor(session, "USD", "30", None)
        return row.id


def _archive(product_id: int) -> Work:
    def archive(session: Session) -> object:
        return service.set_status(session, product_id, "archived", "no longer sold").status

    return archive


def _status(db: Database, product_id: int) -> tuple[str, str]:
    with db.session(writer=False) as session:
        row = session.get(Product, product_id)
        assert row is not None
        return row.status, row.status_reason


def test_a_price_rule_applied_as_the_owner_archives_a_product_never_unarchives_it(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    product_id = _physical(db, tmp_path)
    with db.session() as session:  # cost 5.00 + 1.00 margin: 6.00, 16 % < 30 %: paused
        rule = service.RuleDraft("Thin", "USD", [("0", None, None, "1.00")])
        rule_id = service.save_rule(session, rule).id

    def apply(session: Session) -> object:
        return service.apply_rule(session, rule_id).paused

    (paused, apply_error), (_, archive_error) = race(
        db, monkeypatch, apply, _archive(product_id),
        pause_at=(pricing_rules, "_physical"), pause_after=True,
    )  # fmt: skip
    assert (apply_error, archive_error) == (None, None)
    # Either order ends archived: the guard pauses only what is active when it judges.
    assert _status(db, product_id) == ("archived", "no longer sold"), paused


def test_an_import_batch_guarding_as_the_owner_archives_a_product_never_unarchives_it(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    product_id = _physical(db, tmp_path)
    # The supplier's cost rises to 18.00: 20.00 is a 10 % margin, under the floor.
    text = "SKU,Cost,Shipping,Processing days\nMUG-1,18.00,0,3-5\n"
    import_id = _start(db, tmp_path, "supplier", text, reprice=False)
    (_, run_error), (_, archive_error) = race(
        db, monkeypatch, _run_batch(tmp_path, import_id, 10), _archive(product_id),
        pause_at=(write, "_update"),
    )  # fmt: skip
    assert (run_error, archive_error) == (None, None)
    with db.session(writer=False) as session:
        row = session.get(Product, product_id)
        assert row is not None
        assert row.supplier_cost_cents == 1800  # the import's cost stands
    assert _status(db, product_id) == ("archived", "no longer sold")


def test_two_edits_of_a_bundle_at_once_leave_one_list_of_items(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        ids = [
            service.add_product(session, service.ProductDraft(name, "digital")).id
            for name in ("A", "B", "C", "D")
        ]
        bundle_id = service.add_product(session, service.ProductDraft("Kit", "bundle")).id
        service.set_bundle_items(session, bundle_id, ids[:2])

    def edit(chosen: list[int]) -> Work:
        def set_items(session: Session) -> object:
            return service.set_bundle_items(session, bundle_id, chosen).id

        return set_items

    # The first is paused after it deleted the old items, as it adds its own.
    first, second = edit([ids[0], ids[2]]), edit([ids[1], ids[3]])
    (_, first_error), (_, second_error) = race(
        db, monkeypatch, first, second, pause_at=(Session, "add_all")
    )
    assert (first_error, second_error) == (None, None)
    with db.session(writer=False) as session:
        items = set(session.scalars(select(BundleItem.product_id).where(
            BundleItem.bundle_id == bundle_id
        )))  # fmt: skip
    assert items in ({ids[0], ids[2]}, {ids[1], ids[3]}), items  # never all four
