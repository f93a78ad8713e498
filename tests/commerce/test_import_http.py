"""Catalog imports and price rules over HTTP on SQLite and PostgreSQL: the API takes a CSV as
the raw body (5 MB and more), answers its preview, runs it batch by batch to done; a bad CSV is
a 422 naming the line and field. The pages upload, preview, run with progress as JSON, save a
rule (a bad one shown again with its note), apply it only after a confirmation, set a floor."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evergreen.db import Database
from tests.commerce.test_import_service import HEADER, shopify_csv
from tests.http_helpers import csrf_from, sign_in, token_for


def _headers(db: Database, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(db, email)}"}


def test_the_api_previews_runs_and_refuses_a_bad_csv_by_line_and_field(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    owner, staff = _headers(db, people["owner"]), _headers(db, people["staff"])
    url = "/api/v1/commerce/imports?kind=shopify&currency=USD&status=active"
    text = shopify_csv(30, bad=(4,)).encode()
    assert client.post(url, content=text, headers=staff).status_code == 403
    started = client.post(url + "&file_name=shop.csv", content=text, headers=owner)
    assert started.status_code == 201, started.text
    job = started.json()
    assert (job["status"], job["total"], job["file_name"]) == ("previewed", 30, "shop.csv")
    preview = job["preview"]
    assert (preview["new"], preview["withheld"]) == (32, 1)
    assert preview["errors"] == [
        {"line": 6, "field": "Variant Price", "message": preview["errors"][0]["message"]}
    ]
    where = f"/api/v1/commerce/imports/{job['id']}"
    first = client.post(where + "/run?batch=10", headers=owner).json()
    assert (first["status"], first["done"], first["percent"]) == ("running", 10, 33)
    while (step := client.post(where + "/run?batch=10", headers=owner).json())["status"] != "done":
        assert step["status"] == "running"
    assert (step["created"], step["withheld"], step["percent"]) == (32, 1, 100)
    assert client.get(where, headers=owner).json()["done"] == 30
    listed = client.get("/api/v1/commerce/products?status=active", headers=staff).json()
    assert len(listed) == 32
    huge_cell = HEADER + "a,Title\nb," + "x" * 200_000 + "\n"  # past csv's cell limit
    nul = client.post(url, content=huge_cell.encode(), headers=owner)
    assert nul.status_code == 422
    detail = str(nul.json())
    assert "file" in detail
    assert "line 3" in detail
    header = client.post(url, content=b"Name,Price\nx,1\n", headers=owner)
    assert header.status_code == 422
    assert "Handle" in str(header.json())
    kind = client.post(url.replace("shopify", "ebay"), content=text, headers=owner)
    assert kind.status_code == 422


def test_a_five_megabyte_export_is_taken_by_the_api_and_the_page(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    long = "x" * 5000
    big = shopify_csv(1100).replace("<p>Nice</p>", long).encode()
    assert len(big) > 5 * 1024 * 1024
    owner = _headers(db, people["owner"])
    url = "/api/v1/commerce/imports?kind=shopify&currency=USD"
    started = client.post(url, content=big, headers=owner)
    assert started.status_code == 201, started.text[:300]
    assert started.json()["preview"]["new"] == 1210
    sign_in(client, people["owner"])
    csrf = csrf_from(client.get("/commerce/imports").text)
    up = client.post("/commerce/imports", data={"csrf_token": csrf, "kind": "shopify",
                     "currency": "USD", "status": "draft"},
                     files={"file": ("big.csv", big, "text/csv")},
                     follow_redirects=False)  # fmt: skip
    assert up.status_code == 303, up.text[:300]


def test_the_pages_upload_preview_run_and_keep_price_rules(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    csrf = csrf_from(client.get("/commerce/price-rules").text)
    bad = client.post("/commerce/price-rules", data={"csrf_token": csrf, "name": "Cheap",
                      "currency": "USD", "start_0": "0", "multiplier_0": "0.5"})  # fmt: skip
    assert bad.status_code == 400
    assert "below landed cost" in bad.text
    assert 'value="Cheap"' in bad.text
    made = client.post("/commerce/price-rules", data={"csrf_token": csrf, "name": "Triple",
                       "currency": "USD", "ending": "0.99", "start_0": "0", "end_0": "10",
                       "multiplier_0": "3", "start_1": "10", "margin_1": "15",
                       "is_default": "on"}, follow_redirects=False)  # fmt: skip
    assert made.status_code == 303, made.text
    rule_page = made.headers["location"].split("?")[0]
    form = client.get("/commerce/imports").text
    assert "selected>Triple (USD)" in form  # the default rule is chosen for imports
    no_file = client.post("/commerce/imports", data={"csrf_token": csrf, "kind": "shopify"})
    assert no_file.status_code == 400
    assert "choose a CSV file" in no_file.text
    up = client.post("/commerce/imports", data={"csrf_token": csrf, "kind": "shopify",
                     "currency": "USD", "rule_id": rule_page.rsplit("/", 1)[1],
                     "status": "active"},
                     files={"file": ("shop.csv", shopify_csv(12, bad=(3,)), "text/csv")},
                     follow_redirects=False)  # fmt: skip
    assert up.status_code == 303, up.text
    where = up.headers["location"]
    preview = client.get(where).text
    assert 'id="preview-counts"' in preview
    assert "<strong>12</strong> new products" in preview
    assert "Line 5: Variant Price" in preview
    ran = client.post(where + "/run", data={"csrf_token": csrf}, follow_redirects=False)
    assert ran.status_code == 303
    progress = client.post(where + "/run", data={"csrf_token": csrf},
                           headers={"Accept": "application/json"})  # fmt: skip
    assert progress.json()["status"] == "done"
    assert progress.json()["created"] == 12
    summary = client.get(where).text
    assert 'id="result-created">12<' in summary
    assert client.get(where + "/status").json()["percent"] == 100
    products = client.get("/commerce").text
    # Item 0 costs 2.50: x 3 = 7.50 -> 7.99, margin 5.49 (68.71 %).
    assert "5.49 USD (68.71 %)" in products
    shown = client.get(rule_page).text
    assert 'id="rule-preview"' in shown
    floor = client.post("/commerce/margin-floor", data={"csrf_token": csrf, "currency": "USD",
                        "percent": "90"}, follow_redirects=False)  # fmt: skip
    assert floor.status_code == 303
    ask = client.post(rule_page + "/apply", data={"csrf_token": csrf})
    assert ask.status_code == 200
    assert "Re-price every physical product by Triple?" in ask.text
    assert "68.71 %" in client.get("/commerce").text  # nothing changed yet
    done = client.post(rule_page + "/apply", data={"csrf_token": csrf, "confirm": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    products = client.get("/commerce").text
    assert "below your floor of 90 %" in products  # every product paused, the reason shown
