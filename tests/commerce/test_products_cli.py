"""`evergreen commerce product|tax …` on SQLite and PostgreSQL: add a product with its price
(printing its id), list it (text and JSON), price a subscription, attach a file copied into the
data folder, change its status, add tax rates; bad input is one line naming the field, exit 2,
nothing stored."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli_helpers import evergreen, refused, succeeded


def _run(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return evergreen("commerce", *args, data_dir=tmp_path / "data", database_url=url)


def _ok(tmp_path: Path, url: str, *args: str) -> str:
    return succeeded(_run(tmp_path, url, *args))


def _refused(tmp_path: Path, url: str, field: str, *args: str) -> None:
    refused(_run(tmp_path, url, *args), field)


def test_products_prices_files_and_taxes_from_the_command_line(
    tmp_path: Path, database_url: str
) -> None:
    out = _ok(tmp_path, database_url, "product", "add", "Ebook", "--kind", "digital",
              "--price", "19.00", "--currency", "USD")  # fmt: skip
    assert out.strip() == "1"
    _ok(tmp_path, database_url, "product", "add", "Club", "--kind", "subscription")
    out = _ok(tmp_path, database_url, "product", "price", "Club", "--amount", "9", "--currency",
              "EUR", "--interval", "month", "--trial-days", "7")  # fmt: skip
    assert "Price of 'Club': 9.00 EUR every month after a 7-day trial." in out
    source = tmp_path / "book.pdf"
    source.write_bytes(b"%PDF-1.7 hello")
    out = _ok(tmp_path, database_url, "product", "file", "Ebook", "--file", str(source))
    assert "Stored 'book.pdf' (14 bytes) on 'Ebook'." in out
    stored = list((tmp_path / "data" / "commerce" / "1").iterdir())
    assert [path.read_bytes() for path in stored] == [b"%PDF-1.7 hello"]
    assert "'Ebook' is now active." in _ok(tmp_path, database_url, "product", "status", "Ebook",
                                           "active")  # fmt: skip
    listed = _ok(tmp_path, database_url, "product", "list")
    assert "1  Ebook  digital  active  19.00 USD" in listed
    assert "2  Club  subscription  draft  9.00 EUR/month" in listed
    data = json.loads(_ok(tmp_path, database_url, "product", "list", "--json"))
    assert [(item["name"], item["prices"][0]["amount"]) for item in data] == [
        ("Club", "9.00"), ("Ebook", "19.00"),
    ]  # fmt: skip
    out = _ok(tmp_path, database_url, "tax", "add", "--country", "DE", "--percent", "19",
              "--inclusive")  # fmt: skip
    assert "DE 19% (inclusive)" in out
    assert "DE  19%  inclusive" in _ok(tmp_path, database_url, "tax", "list")


def test_bad_input_is_one_line_naming_the_field(tmp_path: Path, database_url: str) -> None:
    _refused(tmp_path, database_url, "kind", "product", "add", "X", "--kind", "toy")
    _refused(tmp_path, database_url, "amount", "product", "add", "X", "--kind", "digital",
             "--price", "ten")  # fmt: skip
    assert "No products yet." in _ok(tmp_path, database_url, "product", "list")  # nothing stored
    _ok(tmp_path, database_url, "product", "add", "X", "--kind", "digital")
    _refused(tmp_path, database_url, "name", "product", "add", "X", "--kind", "digital")
    _refused(tmp_path, database_url, "interval", "product", "price", "X", "--amount", "5",
             "--currency", "USD", "--interval", "month")  # fmt: skip
    _refused(tmp_path, database_url, "name", "product", "price", "Nope", "--amount", "5",
             "--currency", "USD")  # fmt: skip
    _refused(tmp_path, database_url, "file", "product", "file", "X", "--file",
             str(tmp_path / "missing.pdf"))  # fmt: skip
    _refused(tmp_path, database_url, "country", "tax", "add", "--country", "DEU", "--percent", "1")
    _refused(tmp_path, database_url, "percent", "tax", "add", "--country", "DE", "--percent", "x")
