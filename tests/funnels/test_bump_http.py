"""A funnel order step's bump over HTTP: the owner's editor saves it (and shows a bump commerce
would refuse as a 400 naming the field; the API a 422), the step's button opens the product's
checkout offering the step's bump instead of the product's own, and ticking it puts both lines
on the buyer's order page under one total."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from evergreen.db import Database
from tests.funnels.kit import build_with_bumps
from tests.http_helpers import csrf_from, sign_in, token_for


def _hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


def test_the_step_bump_set_in_the_editor_is_offered_and_bought_in_one_order(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    shop = build_with_bumps(db, step_bump=False)
    built, ids = shop.built, shop.ids
    sign_in(client, people["owner"])
    token = csrf_from(client.get(f"/funnels/{built.funnel_id}").text)
    step = {"kind": "order", "title": "Order", "slug": "order", "csrf_token": token,
            "product_id": str(built.product_id)}  # fmt: skip
    url = f"/funnels/{built.funnel_id}/steps/{built.order_id}"
    refused = client.post(url, data={**step, "bump_product_id": str(ids["Draft kit"])})
    assert refused.status_code == 400
    assert "bump product id: Draft kit is draft, not on sale; make it active first" in refused.text
    api = client.put(
        f"/api/v1/funnels/{built.funnel_id}/steps/{built.order_id}",
        json={"kind": "order", "title": "Order", "slug": "order",
              "product_id": built.product_id, "bump_product_id": ids["Club"]},
        headers={"Authorization": f"Bearer {token_for(db, people['owner'])}"},
    )  # fmt: skip
    assert api.status_code == 422
    assert api.json()["detail"][0]["field"] == "bump_product_id"
    assert api.json()["detail"][0]["message"] == "a subscription cannot be a bump"
    saved = client.post(url, data={**step, "bump_product_id": str(ids["Workbook"])})
    assert saved.status_code == 200  # followed back to the editor
    assert "Step saved." in saved.text

    order_step = client.get("/p/launch/order").text
    found = re.search(r'id="step-yes" href="([^"]+)"', order_step)
    assert found is not None
    checkout = client.get(found.group(1).replace("&amp;", "&"))
    assert "Yes, add Workbook for 9.00 USD" in checkout.text
    assert "Guide" not in checkout.text
    assert "Add the guide" not in checkout.text  # the product's own bump's headline neither
    own = client.get("/buy/course")  # outside the funnel: the product's own bump as before
    assert "Yes, add Guide for 5.00 USD" in own.text
    assert "Add the guide" in own.text

    posted = {**_hidden(checkout.text), "email": "bea@example.com", "bump": "yes"}
    assert posted["step"] == str(built.order_id)
    mine = client.post("/buy/course", data=posted)
    assert mine.status_code == 200
    lines = re.search(r'<table id="lines">(.*?)</table>', mine.text, re.S)
    assert lines is not None
    assert re.findall(r"<tr><td>([^<]+)</td>", lines.group(1)) == ["Course", "Workbook"]
    assert 'id="order-total">49.00 USD<' in mine.text
