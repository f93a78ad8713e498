"""Catalog imports on SQLite and PostgreSQL: a generated Shopify export of a few hundred
products is previewed (new, updated, withheld with lines), run in batches (resumable, a rerun
updates and never duplicates), priced by a stored rule; a supplier list then updates costs,
re-prices and the margin guard pauses exactly the products under the floor, with its reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evergreen.commerce import service
from evergreen.commerce.models import CatalogImport, Price, Product
from evergreen.db import Database
from evergreen.errors import InputError

HEADER = (
    "Handle,Title,Body (HTML),Vendor,Status,Option1 Name,Option1 Value,Variant SKU,"
    "Variant Price,Variant Compare At Price,Cost per item,Image Src\n"
)


def shopify_csv(products: int, *, variants_every: int = 10, bad: tuple[int, ...] = ()) -> str:
    """A Shopify export: product n has cost n % 40 + 2; every tenth (9, 19, …) has two sizes."""
    lines = [HEADER]
    for n in range(products):
        cost = f"{n % 40 + 2}.50"
        handle = f"item-{n}"
        price = "oops" if n in bad else f"{n % 40 + 9}.00"
        if n % variants_every == variants_every - 1:
            lines.append(f"{handle},Item {n},<p>Nice</p>,Acme,active,Size,S,SKU-{n}-S,{price},,"
                         f"{cost},https://x.test/{n}.jpg\n")  # fmt: skip
            lines.append(f"{handle},,,,,,M,SKU-{n}-M,{price},,{cost},\n")
        else:
            lines.append(f"{handle},Item {n},<p>Nice</p>,Acme,active,Title,Default Title,"
                         f"SKU-{n},{price},,{cost},\n")  # fmt: skip
    return "".join(lines)


def supplier_csv(skus: dict[str, tuple[str, str]]) -> str:
    """A supplier list: SKU → (cost, shipping)."""
    rows = "".join(f"{sku},{cost},{ship},3-5\n" for sku, (cost, ship) in skus.items())
    return "SKU,Cost,Shipping,Processing days\n" + rows


def _rule(db: Database) -> int:
    with db.session() as session:
        draft = service.RuleDraft(
            "Standard", "USD", [("0", "10", "3", None), ("10", None, "2", None)], "0.99", "1.5"
        )
        return service.save_rule(session, draft).id


def _start(
    db: Database, data_dir: Path, kind: str, text: str, **options: object
) -> tuple[int, service.ImportPreview]:
    with db.session() as session:
        row, shown = service.start_import(
            session, data_dir, kind, io.BytesIO(text.encode()), f"{kind}.csv",
            service.ImportOptions(**options),  # type: ignore[arg-type]
        )  # fmt: skip
        return row.id, shown


def _run(db: Database, data_dir: Path, import_id: int, batch: int = 100) -> CatalogImport:
    def step(fn):  # type: ignore[no-untyped-def]
        with db.session() as session:
            row = fn(session)
            session.expunge(row)
            return row

    return service.run_all(step, data_dir, import_id, batch)


def test_a_shopify_export_is_previewed_then_run_in_batches_and_rerun_without_duplicates(
    db: Database, tmp_path: Path
) -> None:
    rule_id = _rule(db)
    text = shopify_csv(300, bad=(7, 8))
    import_id, shown = _start(db, tmp_path, "shopify", text, rule_id=rule_id, status="active")
    # 298 good products, 30 with two sizes: 328 catalog products; two withheld by line.
    assert (shown.total, shown.new, shown.updated, shown.withheld) == (300, 328, 0, 2)
    assert [(e.line, e.field) for e in shown.errors] == [
        (9, "Variant Price"), (10, "Variant Price"),
    ]  # fmt: skip
    first = shown.to_dict()["sample"][0]
    # Item 0 costs 2.50: x 3 = 7.50 → 7.99 (charm), compare-at 7.99 x 1.5 = 11.985 → 11.99.
    assert first == {"line": 2, "sku": "SKU-0", "action": "new", "name": "Item 0",
                     "landed": "2.50", "price": "7.99", "compare_at": "11.99", "margin": "5.49",
                     "margin_percent": "68.71"}  # fmt: skip
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0  # preview only
    with db.session() as session:  # one batch, then "interrupted"
        row = service.run_batch(session, tmp_path, import_id, 120)
        assert (row.status, row.done, row.total) == ("running", 120, 300)
    done = _run(db, tmp_path, import_id)
    assert (done.status, done.created, done.updated, done.withheld) == ("done", 328, 0, 2)
    assert [e["line"] for e in done.errors] == [9, 10]
    assert not (tmp_path / done.path).exists()  # the upload is gone once done
    with db.session(writer=False) as session:
        item = session.scalar(select(Product).where(Product.supplier_sku == "SKU-1"))
        assert item is not None
        assert (item.name, item.slug, item.kind, item.status) == ("Item 1", "item-1", "physical",
                                                                  "active")  # fmt: skip
        assert (item.supplier_cost_cents, item.supplier_currency) == (350, "USD")
        price = session.scalar(select(Price).where(Price.product_id == item.id))
        assert price is not None
        assert (price.amount_cents, price.compare_at_cents) == (1099, 1699)
        sized = session.scalar(select(Product).where(Product.supplier_sku == "SKU-9-M"))
        assert sized is not None
        assert (sized.name, sized.slug) == ("Item 9 / M", "item-9-m")
    again_id, again = _start(db, tmp_path, "shopify", text, rule_id=rule_id)
    assert (again.new, again.updated, again.withheld) == (0, 328, 2)
    rerun = _run(db, tmp_path, again_id, batch=500)
    assert (rerun.created, rerun.updated) == (0, 328)
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 328
        assert session.scalar(select(func.count()).select_from(Price)) == 328


def test_a_supplier_update_reprices_and_pauses_products_under_the_floor(
    db: Database, tmp_path: Path
) -> None:
    rule_id = _rule(db)
    text = shopify_csv(40, variants_every=1000)
    import_id, _shown = _start(db, tmp_path, "shopify", text, status="active")
    _run(db, tmp_path, import_id)  # prices from the file: product n sells at n % 40 + 9
    with db.session() as session:
        service.set_floor(session, "USD", "30", None)
    # SKU-0 (sells 9.00) now costs 6.00 + 1.00 shipping: margin 2.00 = 22 % < 30 %: paused.
    # SKU-1 (sells 10.00) costs 5.00 + 1.00: 40 %: kept. SKU-404 is unknown: withheld.
    skus = {"SKU-0": ("6.00", "1.00"), "SKU-1": ("5.00", "1.00"), "SKU-404": ("1.00", "1.00")}
    sup_id, shown = _start(db, tmp_path, "supplier", supplier_csv(skus), reprice=False)
    assert (shown.updated, shown.withheld) == (2, 1)
    assert shown.errors[0].line == 4
    assert "SKU-404" in shown.errors[0].message
    done = _run(db, tmp_path, sup_id)
    assert (done.updated, done.withheld, done.paused) == (2, 1, 1)
    with db.session(writer=False) as session:
        paused = session.scalar(select(Product).where(Product.supplier_sku == "SKU-0"))
        kept = session.scalar(select(Product).where(Product.supplier_sku == "SKU-1"))
        assert paused is not None
        assert kept is not None
        assert (paused.status, kept.status) == ("paused", "active")
        assert paused.status_reason == (
            "supplier cost went from 2.50 to 6.00 USD and shipping went from 0.00 to 1.00 USD: "
            "margin 2.00 USD (22.22 % of 9.00) is below your floor of 30 %"
        )
        assert done.paused_items == [
            {"id": paused.id, "name": "Item 0", "reason": paused.status_reason}
        ]
        assert (kept.supplier_cost_cents, kept.shipping_cents, kept.processing_days) == (
            500, {"*": 100}, 5,
        )  # fmt: skip
    # Re-priced by the rule instead: SKU-1 lands at 6.00 → 6 x 3 = 18.00 → 18.99.
    sup_again, _ = _start(db, tmp_path, "supplier", supplier_csv({"SKU-1": ("5.00", "1.00")}),
                          rule_id=rule_id)  # fmt: skip
    _run(db, tmp_path, sup_again)
    with db.session(writer=False) as session:
        kept = session.scalar(select(Product).where(Product.supplier_sku == "SKU-1"))
        assert kept is not None
        price = session.scalar(select(Price).where(Price.product_id == kept.id))
        assert price is not None
        assert price.amount_cents == 1899


def test_a_rule_applied_to_every_product_and_refusals_by_field(
    db: Database, tmp_path: Path
) -> None:
    rule_id = _rule(db)
    import_id, _ = _start(db, tmp_path, "shopify", shopify_csv(5, variants_every=1000))
    _run(db, tmp_path, import_id)
    with db.session() as session:
        shown = service.preview_rule(session, rule_id, 3)
        assert [(q.name, q.current_cents, str(q.quote.price)) for q in shown] == [
            ("Item 0", 900, "7.99"), ("Item 1", 1000, "10.99"), ("Item 2", 1100, "13.99"),
        ]  # fmt: skip
        applied = service.apply_rule(session, rule_id)
        assert (applied.priced, applied.skipped) == (5, 0)
    bad = [
        (lambda s: service.start_import(s, tmp_path, "ebay", io.BytesIO(b"x"), "a.csv",
                                        service.ImportOptions()), "kind"),
        (lambda s: service.start_import(s, tmp_path, "shopify", io.BytesIO(b"Name\nx\n"), "a.csv",
                                        service.ImportOptions()), "file"),
        (lambda s: service.start_import(s, tmp_path, "shopify", io.BytesIO(b""), "a.csv",
                                        service.ImportOptions()), "file"),
        (lambda s: service.start_import(s, tmp_path, "shopify", io.BytesIO(b"\xff\xfe"),
                                        "a.csv", service.ImportOptions()), "file"),
        (lambda s: service.start_import(s, tmp_path, "shopify", io.BytesIO(HEADER.encode()),
                                        "a.csv", service.ImportOptions("EUR", rule_id)), "rule"),
        (lambda s: service.save_rule(s, service.RuleDraft("X", "USD", [("0", "5", "0.5", None)])),
         "ranges[0].multiplier"),
        (lambda s: service.set_floor(s, "USD", "120", None), "floor.percent"),
    ]  # fmt: skip
    for call, field in bad:
        with db.session() as session, pytest.raises(InputError) as refused:
            call(session)
        assert refused.value.field == field, (field, refused.value)
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).select_from(CatalogImport)) == 1
    assert list((tmp_path / "commerce" / "imports").iterdir()) == []
