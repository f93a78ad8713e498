"""One-click upsells over HTTP on SQLite and PostgreSQL against localstripe: the issue's chain
(a partner's link, a funnel with a bump and an upsell, one click, the download, the partner's
commission, the ledger and the liquidation ratio), the offer page with, without and with a
forged order link, yes/no routing, the bank's confirmation, and no 500 for odd input."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from evergreen.commerce import service
from evergreen.commerce.models import Order
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.funnels import service as funnels
from evergreen.ledger.models import JournalEntry
from evergreen.links import service as links
from evergreen.links.drafts import LinkDraft
from evergreen.partners import service as partners
from tests.commerce.localstripe import STRIPE_TEST_KEY, localstripe
from tests.commerce.orders_world import HOOK_SECRET, SECRET, counts, stripe_event
from tests.commerce.upsell_world import authenticate, card_method, make_funnel, open_parent
from tests.http_helpers import csrf_from, sign_in, token_for

__all__ = ["localstripe"]  # the session fixture, imported for pytest

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"

# Issue 14's "Done means": the whole chain over HTTP, on SQLite and PostgreSQL alike.
pytestmark = pytest.mark.both_databases


@pytest.fixture
def settings(settings: Settings, localstripe: str) -> Settings:
    """The test's settings with Stripe pointed at localstripe (the `client` fixture uses them)."""
    return settings.model_copy(update={
        "stripe_secret_key": SecretStr(STRIPE_TEST_KEY),
        "stripe_webhook_secret": SecretStr(HOOK_SECRET),
        "stripe_api_base": localstripe,
        "stripe_publishable_key": "pk_test_evergreen",
        "stripe_js_url": f"{localstripe}/js.stripe.com/v3/",
    })  # fmt: skip


def _hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))


def _href(page: str, element: str) -> str:
    found = re.search(rf'id="{element}" href="([^"]+)"', page)
    assert found, f"no #{element} link on the page"
    return found.group(1).replace("&amp;", "&")


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _pay(sdk: stripe.StripeClient, page: str, localstripe: str, number: str) -> None:
    """What Stripe.js does with the order page's client secret and the buyer's card."""
    secret = re.search(r'data-secret="((pi_\w+?)_secret_\w+)"', page)
    assert secret, "no payment form"
    sdk.v1.payment_intents.update(secret.group(2), {"payment_method": card_method(sdk, number)})
    intent = sdk.v1.payment_intents.confirm(secret.group(2))
    if intent.status == "requires_action":
        authenticate(localstripe, secret.group(2), secret.group(1))


def _launch(db: Database, data_dir: Path) -> tuple[int, int]:
    """Products (the book with a file and the workbook bump, the course upsell), partner Ana
    with the tracking link /go/ana-launch to the sales page, the live funnel sales → order →
    upsell → thank-you: the funnel's id and Ana's."""
    with db.session() as session:
        world = make_funnel(session)
        service.store_file(session, data_dir, world.book, "book.pdf", [b"%PDF the book"])
        draft = LinkDraft(
            destination="http://testserver/p/launch/sales",
            slug="ana-launch",
            append_click_id=True,
            set_cookie=True,
        )
        links.create_link(session, draft)
        program = partners.default_program(session, "EUR")
        ana = partners.create_partner(
            session, program, name="Ana Link", email="ana.link@example.com", status="active"
        )
        partners.assign_link(session, ana, "ana-launch")
        sales = funnels.add_step(session, world.id, funnels.StepDraft("sales", "Sales", "sales"))
        for _up in range(4):  # before the order form
            funnels.move_step(session, world.id, sales.id, "up")
        return world.id, ana.id


def test_the_issue_chain_partner_link_bump_one_click_download_commission_ledger_ratio(
    client: TestClient,
    db: Database,
    sdk: stripe.StripeClient,
    localstripe: str,
    settings: Settings,
    people: dict[str, str],
) -> None:
    funnel_id, ana = _launch(db, settings.data_dir)
    went = client.get("/go/ana-launch", headers={"User-Agent": UA}, follow_redirects=False)
    assert went.status_code == 302, went.headers
    (click_id,) = parse_qs(urlsplit(went.headers["location"]).query)["evg_id"]
    client.app.state.links.ingest_spooled()  # type: ignore[attr-defined]
    sales = client.get(_path(went.headers["location"]))
    assert sales.status_code == 200
    order_step = client.get(_path(_href(sales.text, "step-yes")))
    buy_url = _path(_href(order_step.text, "step-yes"))
    assert buy_url.startswith("/buy/book?funnel=")
    form = client.get(buy_url)
    posted = {**_hidden(form.text), "email": "buyer@example.com", "name": "Bea", "bump": "yes"}
    assert posted["click_id"] == click_id  # the link's cookie, kept for the partner
    opened = client.post("/buy/book", data=posted, follow_redirects=False)
    assert opened.status_code == 303, opened.text
    order_url = opened.headers["location"]
    _pay(sdk, client.get(order_url).text, localstripe, "4242424242424242")
    paid = client.get(order_url)
    assert "Thank you" in paid.text
    upsell_url = _path(_href(paid.text, "next-step"))
    token = order_url.rsplit("/", 1)[1]
    assert upsell_url == f"/p/launch/course?order={token}"
    upsell = client.get(upsell_url)
    assert "Yes, add Course for 49.00 EUR" in upsell.text  # no country given: no tax
    assert _hidden(upsell.text)["order"] == token
    taken = client.post("/p/launch/course", data=_hidden(upsell.text), follow_redirects=False)
    assert taken.status_code == 303, taken.text
    assert taken.headers["location"] == f"/p/launch/thanks?order={token}"
    again = client.post("/p/launch/course", data=_hidden(upsell.text), follow_redirects=False)
    assert again.headers["location"] == taken.headers["location"]  # a double click: one order
    thanks = client.get(taken.headers["location"])
    mine = client.get(_path(_href(thanks.text, "your-order")))
    download = re.search(r'<a href="([^"]+)">book.pdf</a>', mine.text)
    assert download, mine.text
    assert client.get(_path(download.group(1).replace("&amp;", "&"))).content == b"%PDF the book"
    with db.session() as session:
        orders = session.scalars(select(Order).order_by(Order.id)).all()
        assert [(o.total_cents, o.status, o.click_id) for o in orders] == [
            (3800, "paid", click_id),
            (4900, "paid", click_id),
        ]
        assert orders[1].parent_order_id == orders[0].id
        for order, amount in ((orders[0], Decimal("38.00")), (orders[1], Decimal("49.00"))):
            held = counts(session, order.number)
            assert held["commissions"] == 1
            assert held["conversions"] == [("sale", amount)]
        income = session.scalars(
            select(JournalEntry).where(JournalEntry.source == "commerce")
        ).all()
        # the book, the workbook, Stripe's fee on that order (learned on the buyer's return),
        # the course and its fee (learned when the one-click charge succeeded)
        assert len(income) == 5
        assert (orders[0].fee_cents, orders[1].fee_cents) == (140, 172)
    sign_in(client, people["owner"])
    partner_page = client.get(f"/partners/{ana}")
    assert partner_page.status_code == 200
    assert "7.60" in partner_page.text  # 20 % of the front-end order's 38.00
    assert "9.80" in partner_page.text  # and of the upsell's 49.00
    report_page = client.get(f"/funnels/{funnel_id}/report")
    spend = {"csrf_token": csrf_from(report_page.text), "day": date.today().isoformat(),
             "campaign": "launch", "source": "facebook", "amount": "20.00",
             "currency": "EUR"}  # fmt: skip
    spent = client.post(f"/funnels/{funnel_id}/spend", data=spend, follow_redirects=False)
    assert spent.status_code == 303, spent.text
    staff = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    report = client.get(f"/api/v1/funnels/{funnel_id}/report", headers=staff).json()
    total = report["total"]
    # net front end = the book's 29.00 (the bump and the upsell are profit) less its share of
    # Stripe's 1.40 fee on the 38.00 order (2.9 % + 0.30; 1.07 of it the book's) ÷ 20.00 of ads
    ratio = ((Decimal("29.00") - Decimal("1.07")) / Decimal("20.00")).quantize(Decimal("0.0001"))
    assert total["liquidation_ratio"] == str(ratio) == "1.3965"
    assert Decimal(total["upsell_revenue"]) == Decimal("49.00")
    assert Decimal(total["bump_revenue"]) == Decimal("9.00")
    assert total["upsell_take_rates"] == {"1": "1.0000"}
    course = next(s for s in report["steps"] if s["step"] == "course")
    assert Decimal(course["revenue"]) == Decimal("49.00")


def _paid(db: Database, client: TestClient, sdk: stripe.StripeClient, localstripe: str,
          number: str = "4242424242424242") -> str:  # fmt: skip
    """A front-end order of the funnel paid by card: its signed link."""
    provider = service.provider_for(client.app.state.settings)  # type: ignore[attr-defined]
    with db.session() as session:
        started = open_parent(session, provider, make_funnel(session))
        order_id, number_ = started.order.id, started.order.number
        payment_id, secret = started.order.payment_id, started.client_secret
    assert payment_id is not None
    assert secret is not None
    sdk.v1.payment_intents.update(payment_id, {"payment_method": card_method(sdk, number)})
    if sdk.v1.payment_intents.confirm(payment_id).status == "requires_action":
        authenticate(localstripe, payment_id, secret)
    with db.session() as session:
        service.confirm(session, provider, order_id, SECRET, datetime.now(UTC))
    return service.order_link(SECRET, number_)


def test_the_offer_page_with_without_and_with_a_forged_link(
    client: TestClient, db: Database, sdk: stripe.StripeClient, localstripe: str
) -> None:
    token = _paid(db, client, sdk, localstripe)
    page = client.get(f"/p/launch/course?order={token}")
    assert page.status_code == 200
    assert "Yes, add Course for 58.31 EUR" in page.text  # 49.00 and DE's 19 %
    assert 'method="post"' in page.text
    assert _href(page.text, "step-no") == f"http://testserver/p/launch/lite?order={token}"
    for link in ("", "?order=" + token[:-3] + "abc", "?order=junk"):
        plain = client.get(f"/p/launch/course{link}")
        assert plain.status_code == 200
        assert "Yes, add" not in plain.text
        yes = _href(plain.text, "step-yes")
        assert re.search(r"/buy/course\?funnel=\d+&step=\d+&variant=A$", yes), yes
        assert _href(plain.text, "step-no") == "http://testserver/p/launch/lite"
        assert "your-order" not in plain.text
    form = _hidden(page.text)
    no_csrf = client.post("/p/launch/course", data={"order": token}, follow_redirects=False)
    assert no_csrf.status_code == 403
    forged = client.post(
        "/p/launch/course", data={**form, "order": token[:-3] + "abc"}, follow_redirects=False
    )
    assert forged.status_code == 303
    assert forged.headers["location"].startswith("http://testserver/buy/course?funnel=")
    nothing = client.post("/p/launch/thanks", data=form, follow_redirects=False)
    assert nothing.status_code == 404
    assert client.post("/p/nowhere/course", data=form).status_code == 404
    odd = [
        client.get("/p/launch/course?order=" + "x" * 500),
        client.get("/p/launch/course?order=%00%ff&declined=%ff"),
        client.post("/p/launch/course", data={**form, "order": "junk", "variant": "Z" * 199}),
        client.post("/p/launch/course", data={**form, "order": "é" * 150}),
    ]
    assert all(r.status_code < 500 for r in odd), [r.status_code for r in odd]
    with db.session() as session:  # none of that charged anything
        assert session.scalars(select(Order).where(Order.parent_order_id.is_not(None))).all() == []
    downsell = client.get(f"/p/launch/lite?order={token}&declined=1")
    assert "did not go through" in downsell.text
    assert "Yes, add Lite for 22.61 EUR" in downsell.text


def test_the_bank_asks_then_the_order_page_confirms_and_leads_on(
    client: TestClient, db: Database, sdk: stripe.StripeClient, localstripe: str
) -> None:
    token = _paid(db, client, sdk, localstripe, "4000002500003155")
    page = client.get(f"/p/launch/course?order={token}")
    taken = client.post("/p/launch/course", data=_hidden(page.text), follow_redirects=False)
    assert taken.status_code == 303
    child_url = taken.headers["location"]
    assert child_url.startswith("/buy/order/")
    assert child_url != f"/buy/order/{token}"
    asking = client.get(child_url)
    assert 'id="authenticate"' in asking.text
    assert "confirmCardPayment" in asking.text
    assert 'id="next-step"' not in asking.text
    secret = re.search(r'id="authenticate" data-secret="((pi_\w+?)_secret_\w+)"', asking.text)
    assert secret, asking.text
    authenticate(localstripe, secret.group(2), secret.group(1))
    done = client.get(child_url)
    assert "Thank you" in done.text
    assert _href(done.text, "next-step") == f"/p/launch/thanks?order={token}"
    again = client.post("/p/launch/course", data=_hidden(page.text), follow_redirects=False)
    assert again.headers["location"] == f"/p/launch/thanks?order={token}"  # paid: on to yes


def test_a_declined_card_leads_to_the_downsell_with_a_note(
    client: TestClient, db: Database, sdk: stripe.StripeClient
) -> None:
    # The card paid the front end (Stripe's webhook says so), then declines (4000000000000341).
    provider = service.provider_for(client.app.state.settings)  # type: ignore[attr-defined]
    with db.session() as session:
        started = open_parent(session, provider, make_funnel(session))
        order = started.order
        number, total, customer = order.number, order.total_cents, order.provider_customer
        payment_id = order.payment_id
    assert payment_id is not None
    assert customer is not None
    method = card_method(sdk, "4000000000000341")
    sdk.v1.payment_methods.attach(method, {"customer": customer})
    sdk.v1.payment_intents.update(payment_id, {"payment_method": method})
    intent = {"object": "payment_intent", "id": payment_id, "amount": total, "currency": "eur",
              "metadata": {"order": number}}  # fmt: skip
    payload, header = stripe_event("payment_intent.succeeded", intent)
    hook = client.post(
        "/commerce/webhooks/stripe", content=payload, headers={"Stripe-Signature": header}
    )
    assert hook.status_code == 200, hook.text
    token = service.order_link(SECRET, number)
    page = client.get(f"/p/launch/course?order={token}")
    taken = client.post("/p/launch/course", data=_hidden(page.text), follow_redirects=False)
    assert taken.status_code == 303
    assert taken.headers["location"] == f"/p/launch/lite?order={token}&declined=1"
    downsell = client.get(taken.headers["location"])
    assert "did not go through" in downsell.text
    assert "Yes, add Lite for 22.61 EUR" in downsell.text  # the downsell, on the same card
    with db.session() as session:
        child = session.scalars(select(Order).where(Order.parent_order_id.is_not(None))).one()
        assert child.status == "failed"
        child_number = child.number
    child_page = client.get(f"/buy/order/{service.order_link(SECRET, child_number)}")
    assert "The payment for this offer did not go through" in child_page.text
    assert 'id="pay"' not in child_page.text
    assert _href(child_page.text, "next-step") == f"/p/launch/lite?order={token}"
