"""Products over HTTP on SQLite and PostgreSQL: the API lists, creates, reads and changes
products, adds and removes prices, uploads files as the raw body (size-limited) and keeps tax
rates; the pages add a product with its price, upload a file, show a physical product's landed
margin, and pause only after a confirmation. Staff read, the owner writes; bad input is a 4xx
naming the field, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from evergreen.commerce.api import products as api
from evergreen.config import Settings
from evergreen.db import Database
from tests.http_helpers import csrf_from, sign_in, token_for


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def test_the_api_creates_prices_and_changes_products(
    client: TestClient, db: Database, people: dict[str, str], settings: Settings
) -> None:
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    body = {"name": "Ebook", "kind": "digital", "description": "**Great**",
            "price": {"currency": "usd", "amount": "19.00", "compare_at": "29.00"}}  # fmt: skip
    assert client.post("/api/v1/commerce/products", json=body, headers=staff).status_code == 403
    created = client.post("/api/v1/commerce/products", json=body, headers=owner)
    assert created.status_code == 201, created.text
    product = created.json()
    pid = product["id"]
    assert (product["slug"], product["status"]) == ("ebook", "draft")
    assert [(p["currency"], p["amount"], p["compare_at"]) for p in product["prices"]] == [
        ("USD", "19.00", "29.00")
    ]
    euro = client.post(
        f"/api/v1/commerce/products/{pid}/prices",
        json={"currency": "EUR", "amount": "17.5"},
        headers=owner,
    )
    assert euro.status_code == 201
    assert euro.json()["amount"] == "17.50"
    up = client.post(
        f"/api/v1/commerce/products/{pid}/files?name=book.pdf", content=b"%PDF-1.7", headers=owner
    )
    assert up.status_code == 201, up.text
    assert up.json()["size_bytes"] == 8
    stored = list((settings.data_dir / "commerce" / str(pid)).iterdir())
    assert [path.read_bytes() for path in stored] == [b"%PDF-1.7"]
    active = client.patch(
        f"/api/v1/commerce/products/{pid}", json={"status": "active"}, headers=owner
    )
    assert active.json()["status"] == "active"
    listed = client.get("/api/v1/commerce/products?status=active", headers=staff).json()
    assert [item["name"] for item in listed] == ["Ebook"]
    got = client.get(f"/api/v1/commerce/products/{pid}", headers=staff).json()
    assert [f["name"] for f in got["files"]] == ["book.pdf"]
    fid, eur_id = got["files"][0]["id"], euro.json()["id"]
    assert (
        client.delete(f"/api/v1/commerce/products/{pid}/files/{fid}", headers=owner).status_code
        == 204
    )
    assert list((settings.data_dir / "commerce" / str(pid)).iterdir()) == []
    assert (
        client.delete(f"/api/v1/commerce/products/{pid}/prices/{eur_id}", headers=owner).status_code
        == 204
    )
    assert client.get("/api/v1/commerce/products/999", headers=staff).status_code == 404


def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, db: Database, people: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = _headers(db, people["owner"])
    post = client.post
    assert post("/api/v1/commerce/products", json={"name": "X", "kind": "toy"},
                headers=owner).json()["detail"][0]["loc"][-1] == "kind"  # fmt: skip
    made = post("/api/v1/commerce/products", json={"name": "X", "kind": "subscription"},
                headers=owner).json()  # fmt: skip
    pid = made["id"]
    again = post("/api/v1/commerce/products", json={"name": "X", "kind": "digital"}, headers=owner)
    assert again.status_code == 409
    for price, field in (
        ({"currency": "USD", "amount": "ten"}, "amount"),
        ({"currency": "USD", "amount": "9"}, "interval"),
        ({"currency": "USD", "amount": "9", "interval": "week"}, "interval"),
        ({"currency": "DOLLARS", "amount": "9", "interval": "month"}, "currency"),
    ):
        refused = post(f"/api/v1/commerce/products/{pid}/prices", json=price, headers=owner)
        assert refused.status_code == 422, refused.text
        assert field in str(refused.json()["detail"]), (field, refused.text)
    file = post(f"/api/v1/commerce/products/{pid}/files?name=..", content=b"x", headers=owner)
    assert file.status_code == 422
    status = client.patch(f"/api/v1/commerce/products/{pid}", json={"status": "active"},
                          headers=owner)  # fmt: skip
    assert status.status_code == 422
    assert "price" in status.text
    monkeypatch.setattr(api, "MAX_FILE_BYTES", 4)  # the API's limit, small for the test
    big = post(f"/api/v1/commerce/products/{pid}/files?name=a.zip", content=b"12345",
               headers=owner)  # fmt: skip
    assert big.status_code == 413


def test_the_api_prices_a_physical_product_from_a_rule(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner = _headers(db, people["owner"])
    made = client.post("/api/v1/commerce/products", json={"name": "Lamp", "kind": "physical"},
                       headers=owner).json()  # fmt: skip
    path = f"/api/v1/commerce/products/{made['id']}"
    rule = {"currency": "USD", "zone": "EU", "ending": "0.99",
            "ranges": [{"start": "0", "end": "10", "multiplier": "3"},
                       {"start": "10", "margin": "15"}]}  # fmt: skip
    early = client.post(path + "/price-from-rule", json=rule, headers=owner)
    assert early.status_code == 422
    assert "supplier_cost" in early.text
    supplier = {"name": "Ali", "sku": "L1", "currency": "USD", "cost": "7.00",
                "shipping": {"eu": "4.00", "*": "9"}, "processing_days": 5}  # fmt: skip
    assert client.put(path + "/supplier", json=supplier, headers=owner).status_code == 200
    priced = client.post(path + "/price-from-rule", json=rule, headers=owner)
    assert priced.status_code == 200, priced.text
    assert (priced.json()["amount"], priced.json()["landed"], priced.json()["margin"]) == (
        "26.99", "11.00", "15.99",
    )  # fmt: skip
    gap = {**rule, "ranges": [{"start": "0", "end": "5", "multiplier": "2"},
                              {"start": "6", "multiplier": "2"}]}  # fmt: skip
    refused = client.post(path + "/price-from-rule", json=gap, headers=owner)
    assert refused.status_code == 422
    assert "ranges[1].start" in refused.text
    card = client.get(path, headers=owner).json()
    assert {(m["zone"], m["margin"]) for m in card["margins"]} == {("EU", "15.99"), ("*", "10.99")}


def test_tax_rates_through_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    rate = {"country": "de", "percent": "19", "inclusive": True}
    assert client.post("/api/v1/commerce/tax-rates", json=rate, headers=staff).status_code == 403
    made = client.post("/api/v1/commerce/tax-rates", json=rate, headers=owner)
    assert made.status_code == 201
    assert made.json() == {"id": made.json()["id"], "country": "DE", "region": "",
                           "percent": "19", "inclusive": True}  # fmt: skip
    clash = client.post("/api/v1/commerce/tax-rates", json=rate, headers=owner)
    assert clash.status_code == 409
    bad = client.post("/api/v1/commerce/tax-rates", json={"country": "DE", "percent": "x"},
                      headers=owner)  # fmt: skip
    assert bad.status_code == 422
    assert "percent" in bad.text
    rid = made.json()["id"]
    changed = client.put(f"/api/v1/commerce/tax-rates/{rid}",
                         json={"country": "DE", "percent": "7.5"}, headers=owner)  # fmt: skip
    assert changed.json()["percent"] == "7.5"
    assert [
        r["percent"] for r in client.get("/api/v1/commerce/tax-rates", headers=staff).json()
    ] == ["7.5"]
    assert client.delete(f"/api/v1/commerce/tax-rates/{rid}", headers=owner).status_code == 204
    assert client.get("/api/v1/commerce/tax-rates", headers=staff).json() == []


def test_the_pages_add_a_product_upload_a_file_and_pause_after_a_confirmation(
    client: TestClient, db: Database, people: dict[str, str], settings: Settings
) -> None:
    sign_in(client, people["owner"])
    page = client.get("/commerce")
    assert page.status_code == 200
    assert 'id="add-product"' in page.text
    csrf = csrf_from(page.text)
    entered = {"csrf_token": csrf, "name": "Guide", "kind": "digital", "amount": "1,2,3"}
    bad = client.post("/commerce/products", data=entered)
    assert bad.status_code == 400
    assert "amount" in bad.text
    assert 'value="Guide"' in bad.text
    made = client.post("/commerce/products", data={"csrf_token": csrf, "name": "Guide",
                       "kind": "digital", "amount": "12.00", "currency": "EUR"},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    where = made.headers["location"].split("?")[0]
    text = client.get(where + "?done=created").text
    assert "Product added." in text
    assert "12.00" in text
    assert "EUR" in text
    up = client.post(where + "/files", data={"csrf_token": csrf},
                     files={"file": ("guide.pdf", b"%PDF-1", "application/pdf")},
                     follow_redirects=False)  # fmt: skip
    assert up.status_code == 303, up.text
    assert "guide.pdf" in client.get(where).text
    active = client.post(where + "/status", data={"csrf_token": csrf, "status": "active"},
                         follow_redirects=False)  # fmt: skip
    assert active.status_code == 303
    ask = client.post(where + "/status", data={"csrf_token": csrf, "status": "paused",
                                              "reason": "supplier out of stock"})  # fmt: skip
    assert ask.status_code == 200
    assert "Pause Guide?" in ask.text
    assert 'id="status-now">active' in client.get(where).text  # not yet
    done = client.post(where + "/status", data={"csrf_token": csrf, "status": "paused",
                       "reason": "supplier out of stock", "confirm": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    text = client.get(where).text
    assert 'id="status-now">paused' in text
    assert "supplier out of stock" in text
    sign_in(client, people["staff"])
    staff_view = client.get(where)
    assert staff_view.status_code == 200
    assert 'id="add-price"' not in staff_view.text


def test_the_supplier_panel_shows_the_landed_margin_and_tax_page_confirms(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    csrf = csrf_from(client.get("/commerce").text)
    made = client.post("/commerce/products", data={"csrf_token": csrf, "name": "Lamp",
                       "kind": "physical", "amount": "30.00", "currency": "USD"},
                       follow_redirects=False)  # fmt: skip
    where = made.headers["location"].split("?")[0]
    supplier = {"csrf_token": csrf, "supplier_name": "Ali", "supplier_currency": "USD",
                "supplier_cost": "8", "shipping": "US 4"}  # fmt: skip
    bad = client.post(where + "/supplier", data=supplier)
    assert bad.status_code == 400
    assert "shipping" in bad.text
    ok = client.post(where + "/supplier", data={"csrf_token": csrf, "supplier_name": "Ali",
                     "supplier_currency": "USD", "supplier_cost": "8.00",
                     "shipping": "US: 4.00\n*: 12", "processing_days": "3"},
                     follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303, ok.text
    text = client.get(where).text
    assert 'id="margin-list"' in text
    assert "12.00 USD" in text
    assert "18.00 (60.00 %)" in text
    added = client.post("/commerce/tax-rates", data={"csrf_token": csrf, "country": "FR",
                        "percent": "20", "inclusive": "yes"}, follow_redirects=False)  # fmt: skip
    assert added.status_code == 303
    taxes = client.get("/commerce/tax-rates").text
    assert "FR" in taxes
    assert "include the tax" in taxes
    wrong = client.post("/commerce/tax-rates", data={"csrf_token": csrf, "country": "France",
                                                      "percent": "20"})  # fmt: skip
    assert wrong.status_code == 400
    assert "country" in wrong.text
    ask = client.post("/commerce/tax-rates/1/remove", data={"csrf_token": csrf})
    assert ask.status_code == 200
    assert "Remove this tax rate?" in ask.text
    gone = client.post("/commerce/tax-rates/1/remove", data={"csrf_token": csrf, "confirm": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert gone.status_code == 303
    assert "No tax rates yet." in client.get("/commerce/tax-rates").text


def test_a_file_of_several_megabytes_is_taken_by_the_api_and_the_page(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """Larger than the server's default body limit (1 MiB): the routes declare their own."""
    owner = _headers(db, people["owner"])
    made = client.post("/api/v1/commerce/products", json={"name": "Course", "kind": "digital"},
                       headers=owner)  # fmt: skip
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    big = b"PK" + bytes(3 * 1024 * 1024)
    put = client.post(f"/api/v1/commerce/products/{pid}/files?name=course.zip", content=big,
                      headers=owner)  # fmt: skip
    assert put.status_code == 201, put.text
    sign_in(client, people["owner"])
    where = f"/commerce/products/{pid}"
    csrf = csrf_from(client.get(where).text)
    up = client.post(where + "/files", data={"csrf_token": csrf},
                     files={"file": ("videos.zip", bytes(5 * 1024 * 1024), "application/zip")},
                     follow_redirects=False)  # fmt: skip
    assert up.status_code == 303, up.text
    listed = client.get(f"/api/v1/commerce/products/{pid}", headers=owner).json()
    assert "course.zip" in str(listed)
    assert "videos.zip" in str(listed)
