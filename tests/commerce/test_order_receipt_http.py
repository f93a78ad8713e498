"""The buyer's order page reads as a sum: each line at its price, then the discount, shipping
and tax, adding up to the total (each line showed its total after discount and with tax, so a
coupon or tax was counted twice on the page)."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi.testclient import TestClient

from evergreen.commerce.rules.checkout import tax_is_added
from evergreen.db import Database
from tests.commerce.orders_world import make_shop


def _rows(page: str) -> list[tuple[str, Decimal]]:
    table = page.split('<table id="lines">', 1)[1].split("</table>", 1)[0]
    cells = re.findall(
        r"<t[dh][^>]*>(.*?)</t[dh]>\s*<t[dh] class=\"num\"[^>]*>(.*?)</t[dh]>", table
    )
    minus = "\N{MINUS SIGN}"
    return [(label, Decimal(amount.split()[0].replace(minus, "-"))) for label, amount in cells]


def test_the_order_page_rows_add_up_to_its_total(client: TestClient, db: Database) -> None:
    with db.session() as session:
        make_shop(session)
    page = client.get("/buy/book")
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    posted = {**hidden, "email": "bea@example.com", "name": "Bea", "country": "DE",
              "coupon": "ana", "bump": "yes"}  # fmt: skip
    made = client.post("/buy/book", data=posted, follow_redirects=False)
    assert made.status_code == 303, made.text
    rows = _rows(client.get(made.headers["location"]).text)
    labels = [label for label, _ in rows]
    assert labels == ["Book", "Workbook", "Discount (ANA)", "Tax", "Total"], rows
    amounts = dict(rows)
    assert amounts["Book"] == Decimal("29.00")
    assert amounts["Workbook"] == Decimal("9.00")
    assert sum(amount for _label, amount in rows[:-1]) == amounts["Total"] == Decimal("40.70")


def test_the_tax_row_is_added_only_when_the_prices_left_it_out() -> None:
    assert tax_is_added(3800, 380, 0, 4070)  # 19 % on top of 34.20
    assert not tax_is_added(3800, 380, 0, 3420)  # the prices carried it
    assert not tax_is_added(3800, 0, 500, 4300)  # shipping, tax carried
