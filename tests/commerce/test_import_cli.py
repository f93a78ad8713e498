"""`evergreen commerce import|floor|apply-rule` on SQLite and PostgreSQL: the import prints its
preview, runs only when confirmed (--yes), prints progress and what it did; the floor pauses on
a supplier update; a bad file or option is one line naming the field, exit 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_helpers import evergreen, refused
from tests.commerce.test_import_service import shopify_csv, supplier_csv


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("commerce", *args, data_dir=tmp_path / "data", database_url=url)


def test_a_catalog_is_imported_and_a_supplier_update_pauses_from_the_command_line(
    tmp_path: Path, database_url: str
) -> None:
    shop = tmp_path / "shop.csv"
    shop.write_text(shopify_csv(8, variants_every=1000, bad=(2,)))
    asked = _run(tmp_path, database_url, "import", "shopify", str(shop), "--status", "active")
    assert "7 new, 0 updated, 1 withheld of 8 entries." in asked.stdout
    assert "line 4: Variant Price" in asked.stdout
    refused(asked, "--yes")  # no --yes and no answer: nothing imported, nothing kept
    assert _run(tmp_path, database_url, "product", "list", "--json").stdout.strip() == "[]"
    done = _run(tmp_path, database_url, "import", "shopify", str(shop), "--status", "active",
                "--yes")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "created: " not in done.stdout
    assert "done: 7 created, 0 updated, 1 withheld, 0 paused" in done.stdout
    assert "8/8 (100 %)" in done.stderr
    floor = _run(tmp_path, database_url, "floor", "USD", "--percent", "30")
    assert floor.returncode == 0, floor.stderr
    costs = tmp_path / "costs.csv"
    costs.write_text(supplier_csv({"SKU-0": ("8.00", "0.50")}))
    update = _run(tmp_path, database_url, "import", "supplier", str(costs), "--yes")
    assert update.returncode == 0, update.stderr
    assert "1 paused by the margin guard" in update.stdout
    assert "below your floor of 30 %" in update.stdout
    listed = json.loads(_run(tmp_path, database_url, "product", "list", "--json").stdout)
    assert sorted(item["status"] for item in listed) == ["active"] * 6 + ["paused"]
    for args, field in [
        (("import", "ebay", str(shop), "--yes"), "kind"),
        (("import", "shopify", str(shop), "--rule", "Nope", "--yes"), "rule"),
        (("import", "shopify", str(costs), "--yes"), "file"),
        (("floor", "USD"), "floor"),
    ]:
        refused(_run(tmp_path, database_url, *args), field)
