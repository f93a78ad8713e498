"""Drop-shipping over HTTP on SQLite and PostgreSQL: a buyer checks out a physical product with
an address (a bad one or an unshipped country re-renders with the field, never a 500); the owner
adds suppliers on the page (the secret shown once) and in the API, sees the supplier order,
records tracking (the buyer's shipped mail once, through SMTP; the order page shows it); the
supplier's signed tracking webhook answers 64 concurrent calls without a 5xx; CSV export is
marked sent after a confirmation; and the same from the command line."""

from __future__ import annotations

import json
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.commerce import service
from evergreen.commerce.models import SupplierOrder
from evergreen.commerce.service import suppliers
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.signatures import sign
from evergreen.web import create_app
from tests.cli_helpers import refused, run_cli
from tests.commerce.fulfil_world import buy_mug, make_shop
from tests.commerce.orders_world import SECRET
from tests.http_helpers import csrf_from, sign_in, token_for
from tests.mail.smtp_server import smtp_server

API = "/api/v1/commerce"
ADDRESS = {"ship_name": "Bea Buyer", "line1": "Hauptstr. 1", "city": "Berlin",
           "postal_code": "10115", "ship_country": "DE"}  # fmt: skip


def _hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


def _paid(db: Database) -> tuple[int, str]:
    with db.session() as session:
        order = service.start_checkout(session, None, buy_mug(), datetime.now(UTC)).order
        order_id, number = order.id, order.number
    with db.session() as session:
        service.mark_manual_paid(session, order_id, SECRET, datetime.now(UTC))
    return order_id, number


def test_checkout_with_an_address_then_tracking_reaches_the_buyer(
    db: Database, people: dict[str, str], settings: Settings
) -> None:
    with db.session() as session:
        make_shop(session, "csv")
    with smtp_server() as (handler, port):
        mail = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_starttls": False,
                "mail_from": "shop@example.com",
            }
        )
        with TestClient(create_app(mail, database=db)) as client:
            page = client.get("/buy/mug")
            assert "Shipping address" in page.text
            form = {**_hidden(page.text), "email": "bea@example.com", "name": "Bea"}
            missing = client.post("/buy/mug", data=form)
            assert missing.status_code == 400
            assert "ship name" in missing.text
            far = client.post("/buy/mug", data={**form, **ADDRESS, "ship_country": "CH"})
            assert far.status_code == 400
            assert "we do not ship to CH" in far.text
            bad = client.post("/buy/mug", data={**form, **ADDRESS, "ship_country": "Deutschland"})
            assert bad.status_code == 400
            done = client.post("/buy/mug", data={**form, **ADDRESS}, follow_redirects=False)
            assert done.status_code == 303, done.text
            mine = done.headers["location"]
            shown = client.get(mine)
            assert "16.50 EUR" in shown.text  # 12.00 + 4.50 shipping to DE
            assert "Hauptstr. 1" in shown.text
            sign_in(client, people["owner"])
            listed = client.get("/commerce/orders?status=pending")
            order_id = int(re.findall(r'/commerce/orders/(\d+)"', listed.text)[0])
            api = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
            paid = client.post(f"{API}/orders/{order_id}/mark-paid", headers=api)
            assert paid.status_code == 200
            queue = client.get("/commerce/suppliers/orders?status=new")
            assert "MUG-01" in queue.text
            assert "Berlin" in queue.text
            row_id = int(re.findall(r'id="supplier-order-(\d+)"', queue.text)[0])
            token = csrf_from(queue.text)
            url = f"/commerce/suppliers/orders/{row_id}/tracking"
            empty = client.post(url, data={"csrf_token": token, "carrier": "DHL"})
            assert empty.status_code == 400
            assert "tracking number" in empty.text
            for _ in range(2):
                fields = {"csrf_token": token, "tracking_number": "JD0123", "carrier": "DHL",
                          "tracking_url": "https://dhl.example/JD0123"}  # fmt: skip
                ok = client.post(url, data=fields)
                assert ok.status_code == 200
            assert "Tracking recorded" in ok.text
            buyer_page = client.get(mine)
            assert "JD0123" in buyer_page.text
            assert "Shipped with DHL" in buyer_page.text
    shipped = [e for e in handler.received if b"has shipped" in e.content]
    assert len(shipped) == 1  # recorded twice, mailed once
    assert shipped[0].rcpt_tos == ["bea@example.com"]


@pytest.mark.both_databases
def test_suppliers_pages_and_api_refuse_bad_input_and_show_the_secret_once(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    page = client.get("/commerce/suppliers")
    token = csrf_from(page.text)
    fields = {"csrf_token": token, "name": "A", "method": "webhook", "currency": "EUR"}
    bad = client.post("/commerce/suppliers", data=fields)
    assert bad.status_code == 400
    assert "webhook url" in bad.text
    fields = {"csrf_token": token, "name": "Paper Co", "method": "csv", "currency": "usd"}
    added = client.post("/commerce/suppliers", data=fields)
    assert added.status_code == 200
    secret = re.findall(r"<code>(sup_[\w-]+)</code>", added.text)[0]
    assert secret not in client.get("/commerce/suppliers").text
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    made = client.post(f"{API}/suppliers", headers=owner,
                       json={"name": "Mail Co", "method": "email", "email": "m@example.com",
                             "currency": "EUR"})  # fmt: skip
    assert made.status_code == 201
    assert made.json()["secret"].startswith("sup_")
    listed = client.get(f"{API}/suppliers", headers=staff).json()["suppliers"]
    assert [s["name"] for s in listed] == ["Mail Co", "Paper Co"]
    assert all("secret" not in s for s in listed)
    assert client.post(f"{API}/suppliers", headers=staff, json={}).status_code == 403
    for body in ({"name": "Mail Co", "method": "csv", "currency": "EUR"},
                 {"name": "X", "method": "pigeon", "currency": "EUR"},
                 {"name": "X", "method": "csv", "currency": "EURO"},
                 {"name": "", "method": "csv", "currency": "EUR"}):  # fmt: skip
        answer = client.post(f"{API}/suppliers", headers=owner, json=body)
        assert 400 <= answer.status_code < 500, answer.text
    assert client.get(f"{API}/supplier-orders?status=lost", headers=staff).status_code == 422
    tracked = client.post(f"{API}/supplier-orders/999/tracking", headers=owner,
                          json={"tracking_number": "1", "carrier": "x"})  # fmt: skip
    assert tracked.status_code == 404


@pytest.mark.both_databases
def test_the_tracking_webhook_survives_64_concurrent_calls_and_rejects_bad_ones(
    client: TestClient, db: Database
) -> None:
    with db.session() as session:
        shop = make_shop(session, "csv")
    _order_id, number = _paid(db)
    body = json.dumps({"order": number, "tracking_number": "TRK9", "carrier": "UPS"}).encode()
    url = f"{API}/suppliers/{shop.supplier}/tracking"

    def call(_n: int) -> tuple[int, str]:
        header = sign(shop.secret, int(time.time()), body)
        answer = client.post(url, content=body, headers={"Evergreen-Signature": header})
        return answer.status_code, answer.text

    with ThreadPoolExecutor(max_workers=64) as pool:
        answers = list(pool.map(call, range(64)))
    assert all(code == 200 for code, _t in answers), answers[:3]
    assert sum(json.loads(text)["newly_shipped"] for _c, text in answers) == 1
    with db.session() as session:
        row = session.scalars(select(SupplierOrder)).one()
        assert (row.status, row.tracking_number) == ("shipped", "TRK9")
    wrong = client.post(url, content=body, headers={"Evergreen-Signature": "t=1,v1=00"})
    assert wrong.status_code == 422
    assert "signature" in wrong.text
    junk = b"not json"
    signed_junk = client.post(
        url,
        content=junk,
        headers={"Evergreen-Signature": sign(shop.secret, int(time.time()), junk)},
    )
    assert signed_junk.status_code == 422
    nobody = client.post(f"{API}/suppliers/999999/tracking", content=body)
    assert nobody.status_code == 404


def test_csv_export_is_marked_sent_after_confirming(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        make_shop(session, "csv")
    _paid(db)
    sign_in(client, people["owner"])
    queue = client.get("/commerce/suppliers/orders")
    assert "1 unsent orders" in queue.text
    csv_text = client.get("/commerce/suppliers/orders/export.csv")
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert "MUG-01" in csv_text.text
    ids = _hidden(queue.text.split('id="csv-export"')[1])["ids"]
    token = csrf_from(queue.text)
    ask = client.post(
        "/commerce/suppliers/orders/mark-sent", data={"csrf_token": token, "ids": ids}
    )
    assert "Mark 1 supplier orders sent?" in ask.text
    with db.session() as session:
        assert session.scalars(select(SupplierOrder.status)).one() == "new"
    bad = client.post("/commerce/suppliers/orders/mark-sent",
                      data={"csrf_token": token, "ids": "x;1", "confirm": "yes"})  # fmt: skip
    assert bad.status_code == 400
    done = client.post("/commerce/suppliers/orders/mark-sent",
                       data={"csrf_token": token, "ids": ids, "confirm": "yes"})  # fmt: skip
    assert "Marked sent" in done.text
    with db.session() as session:
        assert session.scalars(select(SupplierOrder.status)).one() == "sent"
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    export = client.get(f"{API}/supplier-orders/export", headers=owner)
    assert export.headers["evergreen-supplier-orders"] == ""


def _cli(tmp_path: Path, url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"EVERGREEN_DATA_DIR": str(tmp_path / "data"), "EVERGREEN_DATABASE_URL": url}
    return run_cli(["commerce", "supplier", *args], env, stdin)


def test_suppliers_from_the_command_line(tmp_path: Path, database_url: str) -> None:
    db = Database(database_url)
    with db.session() as session:
        make_shop(session, "csv")
    _paid(db)
    db.dispose()
    added = _cli(tmp_path, database_url, "add", "Box Co", "--method", "csv", "--currency", "EUR")
    assert added.returncode == 0, added.stderr
    assert "secret (shown once): sup_" in added.stdout
    bad = _cli(tmp_path, database_url, "add", "Box Co", "--method", "fax", "--currency", "EUR")
    assert bad.returncode == 2
    assert "method" in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr
    assert "Box Co\tcsv" in _cli(tmp_path, database_url, "list").stdout
    orders = _cli(tmp_path, database_url, "orders", "--status", "new")
    row_id = orders.stdout.split("\t")[0]
    assert "MugCo\tnew" in orders.stdout
    out = tmp_path / "orders.csv"
    declined = _cli(tmp_path, database_url, "export", "--out", str(out), stdin="n\n")
    assert declined.returncode == 1
    assert "1 supplier orders written" in declined.stdout
    assert "MUG-01" in out.read_text()
    assert "MugCo\tnew" in _cli(tmp_path, database_url, "orders").stdout
    # Nobody answers (a script's closed stdin): the file is written, nothing marked, --yes named.
    unanswered = _cli(tmp_path, database_url, "export", "--out", str(out))
    refused(unanswered, "--yes")
    assert "1 supplier orders written" in unanswered.stdout
    assert "MugCo\tnew" in _cli(tmp_path, database_url, "orders").stdout
    accepted = _cli(tmp_path, database_url, "export", "--out", str(out), stdin="y\n")
    assert "1 marked sent" in accepted.stdout
    tracked = _cli(tmp_path, database_url, "tracking", row_id, "ZX1", "--carrier", "GLS")
    assert tracked.returncode == 0, tracked.stderr
    assert "GLS ZX1" in _cli(tmp_path, database_url, "orders").stdout
    nothing = _cli(tmp_path, database_url, "tracking", "999999", "ZX1", "--carrier", "GLS")
    assert nothing.returncode != 0
    assert "Traceback" not in nothing.stderr


@pytest.mark.both_databases
def test_the_api_names_the_supplier_a_product_ships_from_apart_from_its_cost(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    with db.session() as session:
        shop = make_shop(session)
        other, _ = suppliers.add_supplier(session, "Cups Ltd", "c@example.com", "email",
                                                  "", "EUR")  # fmt: skip
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    where = f"{API}/products/{shop.mug}/fulfilment-supplier"
    moved = client.put(where, headers=owner, json={"supplier_id": other.id})
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"product_id": shop.mug, "supplier_id": other.id,
                            "supplier_name": "Cups Ltd"}  # fmt: skip
    with db.session(writer=False) as session:
        product = service.get_product(session, shop.mug)
        assert suppliers.supplier_of(session, product).id == other.id  # type: ignore[union-attr]
    assert client.put(where, headers=owner, json={"supplier_id": 999999}).status_code == 404
    logo = client.put(f"{API}/products/{shop.logo}/fulfilment-supplier", headers=owner,
                      json={"supplier_id": other.id})  # fmt: skip
    assert logo.status_code == 422
    assert logo.json()["detail"][0]["field"] == "supplier_id"
    cost = client.put(f"{API}/products/{shop.mug}/supplier", headers=owner,
                      json={"name": "Cups Ltd", "currency": "EUR", "cost": "2.50"})  # fmt: skip
    assert cost.status_code == 200, cost.text
