"""`evergreen commerce …` refusing what it would otherwise do half-way or drop silently, on
SQLite and PostgreSQL: an import nobody answered leaves nothing behind (not even its preview),
options that contradict each other are one line naming them, and a funnel that is not there
is named — each exit 2 with nothing stored."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from evergreen.commerce import service
from evergreen.db import Database
from tests.cli_helpers import evergreen, refused, succeeded
from tests.commerce.test_import_service import shopify_csv, supplier_csv


def _run(tmp_path: Path, url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return evergreen("commerce", *args, data_dir=tmp_path / "data", database_url=url, stdin=stdin)


def _imports(url: str) -> list[str]:
    db = Database(url)
    with db.session(writer=False) as session:
        kept = [row.status for row in service.list_imports(session)]
    db.dispose()
    return kept


def test_an_import_nobody_answered_is_not_run_and_not_kept(
    tmp_path: Path, database_url: str
) -> None:
    shop = tmp_path / "shop.csv"
    shop.write_text(shopify_csv(3))
    uploads = tmp_path / "data" / "commerce" / "imports"
    unanswered = _run(tmp_path, database_url, "import", "shopify", str(shop))
    assert "3 new, 0 updated, 0 withheld of 3 entries." in unanswered.stdout  # the preview
    refused(unanswered, "--yes")
    assert _imports(database_url) == []
    assert list(uploads.iterdir()) == []
    assert json.loads(succeeded(_run(tmp_path, database_url, "product", "list", "--json"))) == []
    # A "no" keeps the preview to run from its page, as said, and is not a success.
    declined = _run(tmp_path, database_url, "import", "shopify", str(shop), stdin="n\n")
    assert declined.returncode == 1, declined.stderr
    assert "run it later from the page of import" in declined.stdout
    assert _imports(database_url) == ["previewed"]
    assert len(list(uploads.iterdir())) == 1
    ran = _run(tmp_path, database_url, "import", "shopify", str(shop), stdin="y\n")
    assert "done: 3 created" in succeeded(ran)


def test_import_options_for_the_other_kind_are_refused(tmp_path: Path, database_url: str) -> None:
    shop, costs = tmp_path / "shop.csv", tmp_path / "costs.csv"
    shop.write_text(shopify_csv(2))
    costs.write_text(supplier_csv({"SKU-0": ("8.00", "0.50")}))
    for args, named in (
        (("supplier", str(costs), "--status", "active", "--yes"), "--status"),
        (("shopify", str(shop), "--no-reprice", "--yes"), "--no-reprice"),
        (("shopify", str(shop), "--reprice", "--yes"), "--reprice"),
    ):
        refused(_run(tmp_path, database_url, "import", *args), named)
    assert _imports(database_url) == []


def test_coupon_options_that_would_be_dropped_are_refused(
    tmp_path: Path, database_url: str
) -> None:
    """As Stripe refuses duration_in_months unless the duration is repeating."""
    for args, named in (
        (("--percent", "10", "--duration", "once", "--periods", "3"), "--periods"),
        (("--percent", "10", "--duration", "forever", "--periods", "3"), "--periods"),
        (("--percent", "10", "--periods", "3"), "--duration repeating"),
        (("--percent", "10", "--currency", "EUR"), "--currency"),
    ):
        refused(_run(tmp_path, database_url, "coupon", "add", "SPRING", *args), named)
    assert succeeded(_run(tmp_path, database_url, "coupon", "list")) == ""
    kept = _run(tmp_path, database_url, "coupon", "add", "SPRING", "--percent", "10",
                "--duration", "repeating", "--periods", "3")  # fmt: skip
    assert succeeded(kept).strip() == "SPRING"


def test_a_supplier_address_its_method_never_uses_is_refused(
    tmp_path: Path, database_url: str
) -> None:
    base = ("supplier", "add", "Box Co", "--currency", "EUR")
    for args, named in (
        (("--method", "csv", "--webhook-url", "https://box.example/orders"), "--webhook-url"),
        (("--method", "csv", "--email", "orders@box.example"), "--email"),
        (("--method", "Webhook", "--webhook-url", "https://b.example", "--email", "o@b.example"),
         "--email"),
        (("--method", "email", "--email", "o@b.example", "--webhook-url", "https://b.example"),
         "--webhook-url"),
    ):  # fmt: skip
        refused(_run(tmp_path, database_url, *base, *args), named)
    assert succeeded(_run(tmp_path, database_url, "supplier", "list")) == ""
    added = _run(tmp_path, database_url, *base, "--method", "email", "--email", "o@box.example")
    assert "Supplier 1 added" in succeeded(added)


def test_price_terms_without_a_price_are_refused(tmp_path: Path, database_url: str) -> None:
    for args, named in (
        (("--interval", "month"), "--interval"),
        (("--trial-days", "7"), "--trial-days"),
        (("--currency", "EUR"), "--currency"),
    ):
        done = _run(tmp_path, database_url, "product", "add", "Club", "--kind", "subscription",
                    *args)  # fmt: skip
        refused(done, named)
    assert json.loads(succeeded(_run(tmp_path, database_url, "product", "list", "--json"))) == []
    priced = _run(tmp_path, database_url, "product", "add", "Club", "--kind", "subscription",
                  "--price", "9.00", "--interval", "month")  # fmt: skip
    assert succeeded(priced).strip() == "1"
    (club,) = json.loads(succeeded(_run(tmp_path, database_url, "product", "list", "--json")))
    assert [(p["currency"], p["interval"]) for p in club["prices"]] == [("USD", "month")]


def test_a_rollup_rebuild_of_a_funnel_that_is_not_there_names_it(
    tmp_path: Path, database_url: str
) -> None:
    refused(_run(tmp_path, database_url, "rollups", "rebuild", "--funnel", "99"), "no funnel 99")
    every = _run(tmp_path, database_url, "rollups", "rebuild")
    assert succeeded(every) == "rebuilt the funnel sales rollup: 0 rows\n"
