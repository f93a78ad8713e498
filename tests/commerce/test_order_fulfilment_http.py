"""The owner's order page over HTTP, on SQLite and PostgreSQL: the shipping address, each
supplier order (supplier, status, channel, forwarded, tracking with a carrier link, what a
refund did) and each service engagement; tracking typed on the page, a resend after a
confirmation; staff read but cannot act; exchange rates set on the suppliers page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.commerce import service
from evergreen.commerce.models import SupplierOrder
from evergreen.db import Database
from tests.cli_helpers import run_cli
from tests.commerce.fulfil_world import buy_mug, buy_service, make_shop
from tests.commerce.orders_world import SECRET
from tests.http_helpers import csrf_from, sign_in, token_for


def _paid(db: Database, data: service.CheckoutInput) -> int:
    with db.session() as session:
        order_id = service.start_checkout(session, None, data, datetime.now(UTC)).order.id
    with db.session() as session:
        service.mark_manual_paid(session, order_id, SECRET, datetime.now(UTC))
    return order_id


def _status(db: Database, order_id: int) -> str:
    with db.session() as session:
        query = select(SupplierOrder.status).where(SupplierOrder.order_id == order_id)
        return session.scalars(query).one()


def test_the_owner_sees_and_acts_on_an_orders_fulfilment(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        make_shop(session, "csv")
    shipped, refunded, logo = _paid(db, buy_mug()), _paid(db, buy_mug()), _paid(db, buy_service())
    sign_in(client, people["owner"])
    page = client.get(f"/commerce/orders/{shipped}")
    assert page.status_code == 200
    assert "Ships to Bea Buyer, Hauptstr. 1, 10115 Berlin, DE" in page.text
    section = page.text[page.text.index('id="supplier-order-') :]
    assert "MugCo" in section
    assert "in the next CSV export" in section
    assert "1 \u00d7 MUG-01 (Mug)" in section
    token = csrf_from(page.text)
    row_id = int(re.findall(r'id="supplier-order-(\d+)"', page.text)[0])
    url = f"/commerce/orders/{shipped}/supplier-orders/{row_id}/tracking"
    missing = client.post(url, data={"csrf_token": token, "carrier": "UPS"})
    assert missing.status_code == 400
    assert "tracking number" in missing.text
    done = client.post(
        url, data={"csrf_token": token, "tracking_number": "1Z 99", "carrier": "UPS"}
    )
    assert done.status_code == 200
    assert "Tracking recorded." in done.text
    assert 'href="https://www.ups.com/track?tracknum=1Z%2099"' in done.text
    assert _status(db, shipped) == "shipped"
    with db.session() as session:  # shipped, then refunded in full
        service.refund_order(session, None, shipped, None, "r-shipped", datetime.now(UTC))
    assert "shipped before refund" in client.get(f"/commerce/orders/{shipped}").text

    other = client.get(f"/commerce/orders/{refunded}")
    other_row = int(re.findall(r'id="supplier-order-(\d+)"', other.text)[0])
    resend = f"/commerce/orders/{refunded}/supplier-orders/{other_row}/resend"
    asked = client.post(resend, data={"csrf_token": token})
    assert asked.status_code == 200
    assert "Send the order to MugCo again?" in asked.text
    assert _status(db, refunded) == "new"  # nothing happens before the confirmation
    sent = client.post(resend, data={"csrf_token": token, "confirm": "yes"})
    assert "Sent to the supplier again." in sent.text
    wrong = f"/commerce/orders/{shipped}/supplier-orders/{other_row}/resend"
    foreign = client.post(wrong, data={"csrf_token": token, "confirm": "yes"})
    assert foreign.status_code == 400
    assert "no such supplier order in this order" in foreign.text
    with db.session() as session:
        service.refund_order(session, None, refunded, None, "r-unsent", datetime.now(UTC))
    after = client.get(f"/commerce/orders/{refunded}").text
    assert "cancelled before it was sent" in after
    assert "Resend to supplier" not in after  # a cancelled one is not sent again
    gone = client.post(resend, data={"csrf_token": token, "confirm": "yes"})
    assert gone.status_code == 400
    assert "a cancelled supplier order is not resent" in gone.text

    service_page = client.get(f"/commerce/orders/{logo}").text
    assert "Logo design" in service_page
    assert "waiting for the buyer's answers" in service_page
    assert "Sketch · Final files" in service_page
    assert 'id="supplier-order-' not in service_page

    client.post("/logout", data={"csrf_token": csrf_from(service_page)})
    sign_in(client, people["staff"])
    staff_page = client.get(f"/commerce/orders/{refunded}")
    assert staff_page.status_code == 200
    assert "cancelled before it was sent" in staff_page.text
    assert "Record tracking" not in staff_page.text
    staff_token = csrf_from(staff_page.text)
    fields = {"csrf_token": staff_token, "tracking_number": "X", "carrier": "UPS"}
    assert client.post(url, data=fields).status_code == 403
    assert client.post(resend, data={"csrf_token": staff_token}).status_code == 403


def test_exchange_rates_are_set_on_the_suppliers_page_and_removed_after_confirming(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    page = client.get("/commerce/suppliers")
    assert "No rates" in page.text
    token = csrf_from(page.text)
    bad = client.post(
        "/commerce/suppliers/rates",
        data={"csrf_token": token, "base": "USD", "quote": "EUR", "rate": "-2"},
    )
    assert bad.status_code == 400
    assert "The rate was not saved: rate: must be a number above 0" in bad.text
    saved = client.post(
        "/commerce/suppliers/rates",
        data={"csrf_token": token, "base": "usd", "quote": "eur", "rate": "0,9215"},
    )
    assert "Exchange rate saved." in saved.text
    assert "0.9215 EUR" in saved.text
    rate_id = int(re.findall(r'id="rate-(\d+)"', saved.text)[0])
    remove = f"/commerce/suppliers/rates/{rate_id}/remove"
    asked = client.post(remove, data={"csrf_token": token})
    assert "Remove the USD to EUR rate?" in asked.text
    with db.session() as session:
        assert len(service.list_rates(session)) == 1
    removed = client.post(remove, data={"csrf_token": token, "confirm": "yes"})
    assert "Exchange rate removed." in removed.text
    with db.session() as session:
        assert service.list_rates(session) == []


def test_a_bundles_quantities_are_set_on_its_page_and_in_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        shop = make_shop(session, "csv")
        kit = service.add_product(session, service.ProductDraft("Kit", "bundle"))
    sign_in(client, people["owner"])
    page = client.get(f"/commerce/products/{kit.id}")
    token = csrf_from(page.text)
    url = f"/commerce/products/{kit.id}/bundle"
    chosen = {"csrf_token": token, "product_id": [str(shop.mug), str(shop.logo)]}
    bad = client.post(url, data={**chosen, f"quantity_{shop.mug}": "two"})
    assert bad.status_code == 400
    assert "&#39;two&#39; is not a whole number like 2" in bad.text
    saved = client.post(url, data={**chosen, f"quantity_{shop.mug}": "3"})
    assert saved.status_code == 200
    assert re.search(r"Mug</a> \u00d7 3", saved.text)
    api = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    body = {"bundle_product_ids": [shop.mug, shop.logo], "bundle_quantities": {shop.mug: 2}}
    answer = client.patch(f"/api/v1/commerce/products/{kit.id}", headers=api, json=body)
    assert answer.status_code == 200
    assert answer.json()["bundle_quantities"] == {str(shop.mug): 2, str(shop.logo): 1}
    body["bundle_quantities"] = {shop.mug: 0}
    assert (
        client.patch(f"/api/v1/commerce/products/{kit.id}", headers=api, json=body).status_code
        == 422
    )


def test_the_api_and_the_command_line_resend_a_supplier_order(
    client: TestClient, db: Database, people: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    with db.session() as session:
        make_shop(session, "csv")
    order_id = _paid(db, buy_mug())
    with db.session() as session:
        row = session.scalars(select(SupplierOrder).where(SupplierOrder.order_id == order_id)).one()
        row.status, row.sent_at = "sent", datetime.now(UTC)  # exported in a CSV, lost
        row_id = row.id
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    url = f"/api/v1/commerce/supplier-orders/{row_id}/resend"
    assert client.post(url, headers=staff).status_code == 403
    again = client.post(url, headers=owner)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "new"  # in the next CSV export again
    assert (
        client.post("/api/v1/commerce/supplier-orders/999999/resend", headers=owner).status_code
        == 404
    )
    with db.session() as session:
        session.get(SupplierOrder, row_id).status = "sent"  # type: ignore[union-attr]
    env = {"EVERGREEN_DATA_DIR": str(tmp_path / "data"), "EVERGREEN_DATABASE_URL": database_url}
    done = run_cli(["commerce", "supplier", "resend", str(row_id)], env)
    assert (done.returncode, done.stdout) == (
        0,
        f"Supplier order {row_id} will be sent again (new).\n",
    )
    assert _status(db, order_id) == "new"
    refused = run_cli(["commerce", "supplier", "resend", "999999"], env)
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
