"""A 10,000-product catalog imported and priced the way the page, API and CLI do it.

    .venv/bin/python benchmarks/catalog.py [--products 10000] [--postgres URL] [--batch 1000]

1. Writes a Shopify product export of `--products` products (every tenth with three sizes, so
   about 12,000 catalog products) and a supplier list with new costs and shipping for all SKUs,
   on a fresh database: SQLite in a temp folder, and PostgreSQL when --postgres or
   EVERGREEN_TEST_POSTGRES_URL names a server (a new database there, dropped afterwards).
2. Times, each in its own unit(s) of work: the preview (`start_import`), the import + pricing by
   a stored rule (`run_batch` until done, one transaction per batch), a rerun of the same file
   (all updates, no duplicates), and the supplier list (re-priced, the margin guard on).
3. Beside them, a reference measured in the same run: a bare executemany INSERT of the same
   product rows and one price each, so the import's cost reads against the database's own speed.
Target: import + price < 30 s. Prints figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from common import drop_database, fresh_database
from sqlalchemy import func, insert, select

from evergreen.commerce import service
from evergreen.commerce.models import CatalogImport, Price, Product
from evergreen.db import Database, utcnow

T = TypeVar("T")
HEADER = (
    "Handle,Title,Body (HTML),Vendor,Status,Option1 Name,Option1 Value,Variant SKU,"
    "Variant Price,Variant Compare At Price,Cost per item,Image Src\n"
)


def shopify_file(products: int) -> tuple[str, list[str]]:
    """The export and every SKU in it."""
    lines, skus = [HEADER], []
    for n in range(products):
        cost = f"{n % 60 + 1}.{n % 100:02d}"
        body = f"<p>Product {n}: a sturdy thing and well made.</p>"
        if n % 10 == 9:
            for i, size in enumerate(("S", "M", "L")):
                title = f"Item {n}" if i == 0 else ""
                lines.append(f"item-{n},{title},{body if i == 0 else ''},Acme,active,Size,{size},"
                             f"SKU-{n}-{size},,,{cost},\n")  # fmt: skip
                skus.append(f"SKU-{n}-{size}")
        else:
            lines.append(f"item-{n},Item {n},{body},Acme,active,Title,Default Title,SKU-{n},,,"
                         f"{cost},https://cdn.test/{n}.jpg\n")  # fmt: skip
            skus.append(f"SKU-{n}")
    return "".join(lines), skus


def supplier_file(skus: list[str]) -> str:
    """New costs (a few much higher, so the guard pauses them) and shipping per zone."""
    rows = ["SKU,Cost,Shipping US,Shipping EU,Processing days\n"]
    for n, sku in enumerate(skus):
        cost = f"{(n % 60 + 1) * (4 if n % 50 == 0 else 1)}.25"
        rows.append(f"{sku},{cost},{n % 5 + 2}.00,{n % 7 + 3}.50,3-7\n")
    return "".join(rows)


def timed(label: str, work: Callable[[], T]) -> tuple[T, float]:
    start, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall = time.perf_counter() - start
    print(f"  {label:<38} {wall:7.2f} s wall  {time.process_time() - cpu:7.2f} s CPU")
    return result, wall


def run_import(db: Database, data_dir: Path, kind: str, text: str, rule_id: int, batch: int) -> int:
    def start() -> int:
        with db.session() as session:
            options = service.ImportOptions("USD", rule_id, "active", True)
            row, shown = service.start_import(
                session, data_dir, kind, io.BytesIO(text.encode()), f"{kind}.csv", options
            )
            print(
                f"    preview: {shown.new} new, {shown.updated} updated, {shown.withheld} withheld"
            )
            return row.id

    import_id, _ = timed(f"{kind}: preview", start)

    def run() -> None:
        while True:
            with db.session() as session:
                if service.run_batch(session, data_dir, import_id, batch).status != "running":
                    return

    timed(f"{kind}: run (batches of {batch})", run)
    with db.session(writer=False) as session:
        row = session.get(CatalogImport, import_id)
        assert row is not None
        print(f"    {row.status}: {row.created} created, {row.updated} updated, "
              f"{row.withheld} withheld, {row.paused} paused")  # fmt: skip
    return import_id


def reference(db: Database, count: int) -> None:
    """A bare executemany INSERT of the same number of products and one price each."""

    def work() -> None:
        now = utcnow()
        with db.session() as session:
            rows = [
                {"name": f"Ref {n}", "slug": f"ref-{n}", "kind": "physical", "status": "draft",
                 "status_reason": "", "description": "", "supplier_name": "Acme",
                 "supplier_sku": f"REF-{n}", "supplier_currency": "USD",
                 "supplier_cost_cents": 100 + n, "shipping_cents": {}, "created_at": now,
                 "updated_at": now}
                for n in range(count)
            ]  # fmt: skip
            session.execute(insert(Product), rows)
            ids = session.scalars(select(Product.id).where(Product.name.like("Ref %"))).all()
            prices = [{"product_id": pid, "currency": "USD", "amount_cents": 999,
                       "trial_days": 0, "created_at": now} for pid in ids]  # fmt: skip
            session.execute(insert(Price), prices)

    timed(f"reference: executemany {count} products+prices", work)


def bench(db: Database, products: int, batch: int, folder: Path) -> None:
    text, skus = shopify_file(products)
    print(f"  Shopify file: {len(text) / 1e6:.1f} MB, {products} products, {len(skus)} SKUs")
    with db.session() as session:
        draft = service.RuleDraft(
            "Bench",
            "USD",
            [("0", "20", "2.5", None), ("20", None, None, "25")],
            "0.99",
            "1.4",
            "US",
        )
        rule_id = service.save_rule(session, draft).id
    total = time.perf_counter()
    run_import(db, folder, "shopify", text, rule_id, batch)
    print(f"  => import + price total {time.perf_counter() - total:.2f} s (target < 30 s)")
    run_import(db, folder, "shopify", text, rule_id, batch)  # a rerun: updates only
    with db.session() as session:
        service.set_floor(session, "USD", "35", None, "US")
    run_import(db, folder, "supplier", supplier_file(skus), rule_id, batch)
    with db.session(writer=False) as session:
        print(f"    products: {session.scalar(select(func.count()).select_from(Product))}")
    reference(db, len(skus))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("EVERGREEN_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    servers: list[str | None] = [None] + ([args.postgres] if args.postgres else [])
    for server in servers:
        with tempfile.TemporaryDirectory() as temp:
            folder = Path(temp)
            db = fresh_database(server, folder, "evergreen_bench_catalog")
            print("PostgreSQL" if server else "SQLite")
            try:
                bench(db, args.products, args.batch, folder)
            finally:
                name = db.engine.url.database
                db.dispose()
                if server and name:
                    drop_database(server, name)


if __name__ == "__main__":
    main()
