"""Funnel steps that point at what a visitor can reach, on SQLite and PostgreSQL: a webinar page
or sign-up form that does not exist and a subscription product (not sold at /buy) are refused at
save, naming the field; a draft or paused product is kept, and its step then says it is not on
sale (to visitors and on the owner's editor) instead of linking to a 404."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from evergreen.audience import service as audience
from evergreen.commerce import service as commerce
from evergreen.db import Database
from evergreen.errors import InputError
from evergreen.funnels import service
from evergreen.funnels.rules import check_offer_product, on_sale
from evergreen.webinars import service as webinars
from tests.funnels.kit import build
from tests.http_helpers import sign_in, token_for

OFF_SALE = "This step&#39;s product is no longer on sale."


@pytest.mark.parametrize(
    ("status", "kind", "sold"),
    [("active", "digital", True), ("draft", "digital", False), ("paused", "physical", False),
     ("archived", "digital", False), ("active", "subscription", False)],
)  # fmt: skip
def test_a_selling_steps_product_is_on_sale_only_when_active_and_not_a_subscription(
    status: str, kind: str, sold: bool
) -> None:
    assert on_sale(status, kind) is sold


def test_only_selling_steps_refuse_a_subscription() -> None:
    check_offer_product("sales", "Club", "subscription")
    check_offer_product("order", "Course", "digital")
    with pytest.raises(InputError, match="Club is a subscription"):
        check_offer_product("upsell", "Club", "subscription")


def _refused(db: Database, funnel_id: int, draft: service.StepDraft) -> str:
    with db.session() as session, pytest.raises(InputError) as refused:
        service.add_step(session, funnel_id, draft)
    return refused.value.field


def test_a_webinar_page_or_sign_up_form_that_does_not_exist_is_refused(db: Database) -> None:
    built = build(db)
    webinar = service.StepDraft("webinar", "Watch", webinar_slug="masterclass")
    optin = service.StepDraft("optin", "Join", form_slug="join")
    assert _refused(db, built.funnel_id, webinar) == "webinar_slug"
    assert _refused(db, built.funnel_id, optin) == "form_slug"
    with db.session() as session:
        list_id = audience.create_list(session, "News", double_opt_in=False).id
        draft = webinars.WebinarDraft(
            name="masterclass", duration_minutes=45, schedule="jit:15", timezone="viewer",
            slug="masterclass", list_id=list_id, consent_wording="Yes, mail me.",
        )  # fmt: skip
        webinars.add_webinar(session, draft)
        audience.forms.create_form(
            session, audience.forms.FormInput("News", "join", [list_id], "Yes, mail me.")
        )
    with db.session() as session:
        assert service.add_step(session, built.funnel_id, webinar).webinar_slug == "masterclass"
        assert service.add_step(session, built.funnel_id, optin).form_slug == "join"


def test_a_subscription_product_is_refused_on_a_selling_step(db: Database) -> None:
    built = build(db)
    with db.session() as session:
        club = commerce.add_product(session, commerce.ProductDraft("Club", "subscription")).id
    for kind in ("order", "upsell", "downsell"):
        draft = service.StepDraft(kind, "Join the club", product_id=club)
        assert _refused(db, built.funnel_id, draft) == "product_id"


def test_the_api_names_the_missing_webinar(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    built = build(db)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    step = {"kind": "webinar", "title": "Watch", "webinar_slug": "nothing-here"}
    made = client.post(f"/api/v1/funnels/{built.funnel_id}/steps", json=step, headers=owner)
    assert made.status_code == 422
    assert made.json()["detail"][0]["field"] == "webinar_slug"


def test_an_order_step_whose_product_is_not_on_sale_says_so(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    built = build(db)  # its course is a draft
    page = client.get("/p/launch/order")
    assert page.status_code == 200
    assert OFF_SALE in page.text
    assert "/buy/course" not in page.text
    sign_in(client, people["owner"])
    editor = client.get(f"/funnels/{built.funnel_id}")
    assert "Not on sale: Course is draft" in editor.text
    with db.session() as session:
        commerce.add_price(session, built.product_id, commerce.PriceDraft("USD", "40.00"))
        commerce.set_status(session, built.product_id, "active")
    live = client.get("/p/launch/order")
    assert OFF_SALE not in live.text
    assert re.search(r'href="[^"]*/buy/course\?funnel=\d+&amp;step=\d+', live.text)
    assert "Not on sale" not in client.get(f"/funnels/{built.funnel_id}").text
    with db.session() as session:
        commerce.set_status(session, built.product_id, "paused")
    assert OFF_SALE in client.get("/p/launch/order").text


@pytest.mark.parametrize("name", ["b\x1b[31m", "a\x01", "x\u202egnp"])
def test_a_funnel_name_with_hidden_characters_is_refused(name: str) -> None:
    """`funnels list` printed an escape sequence as it was: it drove the terminal."""
    from evergreen.funnels.rules.steps import check_name

    with pytest.raises(InputError) as refused:
        check_name("name", name)
    assert refused.value.field == "name"
    assert check_name("name", "  Spring   launch ") == "Spring launch"
