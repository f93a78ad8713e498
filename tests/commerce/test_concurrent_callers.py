"""64 callers at once on commerce's public write routes that had no such test: the checkout
(/buy/<slug>), the subscription form (/subscribe/<slug>), the license API's deactivate and
validate, the buyer's page freeing a key's instance, the service intake form, the buyer's
sign-in-link request, the counted download link (/d/<token>) and a signed-in buyer's cancel
and reactivate, each on a real server over SQLite and PostgreSQL. Half of the calls are one
request repeated (the same nonce, key, link or address), half distinct: never a 5xx (a 503
with Retry-After is sent again, as a browser or a program retries), every distinct request
stored exactly once, repeats absorbed, and the documented answers (303, 200, 404, 400 for a
used-up coupon, 429 for the sign-in throttle, 403 for a download past its limit, the purchases
page saying why for a change already made). Stripe's webhook, activation and the suppliers'
tracking hook have their own 64-caller tests (test_webhooks_replays.py, test_licenses_http.py,
test_suppliers_http.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from evergreen.accounts.models import ResetRequest
from evergreen.commerce import service
from evergreen.commerce.models import (
    Download,
    Engagement,
    Grant,
    LicenseActivation,
    Order,
    Subscription,
    SubscriptionEvent,
)
from evergreen.commerce.rules.delivery import buyer_token, download_token
from evergreen.commerce.rules.fulfilment import intake_token
from evergreen.commerce.views.buyers import BUYER_COOKIE
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.web.csrf import CSRF_COOKIE, csrf_token_for
from tests.commerce import fulfil_world
from tests.commerce.orders_world import make_shop
from tests.commerce.subscriptions_world import make_club, subscribe_input
from tests.conftest import TEST_SECRET
from tests.live_server import Call, live_server, send_until_answered
from tests.mail.smtp_server import smtp_server
from tests.waiting import wait_for

pytestmark = pytest.mark.both_databases

N = 64
HALF = N // 2
_COOKIE = "concurrent-callers-csrf"


def _posted(path: str, fields: dict[str, Any], client: str = "", cookie: str = "") -> Call:
    """A browser's form post: its CSRF cookie (and any other it holds) and the token a page
    rendered for it."""
    body = urlencode({"csrf_token": csrf_token_for(TEST_SECRET, _COOKIE), **fields}, doseq=True)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{CSRF_COOKIE}={_COOKIE}" + (f"; {cookie}" if cookie else ""),
    }
    if client:
        headers["X-Forwarded-For"] = client
    return Call("POST", path, content=body, headers=headers)


def _run(settings: Settings, db: Database, calls: list[Call]) -> list[httpx.Response]:
    """All in flight together; a 503 (the bounded wait for the write turn) is sent again."""
    with live_server(settings, db) as url:
        return send_until_answered(url, calls)


def _count(db: Database, column: object, *where: object) -> int:
    with db.session(writer=False) as session:
        found = select(func.count(column))  # type: ignore[arg-type]
        return int(session.scalar(found.where(*where)) or 0)  # type: ignore[arg-type]


def _same_and_distinct(responses: list[httpx.Response]) -> tuple[list[Any], list[Any]]:
    """The repeated request's answers (odd calls) and the distinct ones' (even calls)."""
    return [r for i, r in enumerate(responses) if i % 2], [
        r for i, r in enumerate(responses) if i % 2 == 0
    ]


def test_64_checkouts_at_once_open_one_order_per_form_and_hold_a_capped_coupon(
    settings: Settings, db: Database
) -> None:
    with db.session() as session:
        make_shop(session)
        service.add_coupon(session, service.CouponDraft("FIVE", percent_off="5", max_redemptions=5))
    base = {"currency": "EUR", "name": "Bea", "country": "DE"}
    calls = []
    for i in range(N):
        if i % 2:  # one buyer's form, submitted again and again
            fields = {**base, "email": "same@example.com", "nonce": "same-form-nonce",
                      "coupon": "ana", "bump": "yes"}  # fmt: skip
        else:  # a buyer each; a quarter of all try the coupon that has five uses
            fields = {**base, "email": f"p{i}@example.com", "nonce": f"form-nonce-{i}",
                      "coupon": "five" if i % 4 == 0 else ""}  # fmt: skip
        calls.append(_posted("/buy/book", fields, client=f"198.51.100.{i}"))
    responses = _run(settings, db, calls)
    same, distinct = _same_and_distinct(responses)
    assert {r.status_code for r in same} == {303}
    assert len({r.headers["location"] for r in same}) == 1  # one order, its page each time
    plain = [r for i, r in enumerate(distinct) if (2 * i) % 4]
    capped = [r for i, r in enumerate(distinct) if (2 * i) % 4 == 0]
    assert {r.status_code for r in plain} == {303}
    assert Counter(r.status_code for r in capped) == {303: 5, 400: HALF // 2 - 5}
    assert all("FIVE has been used up" in r.text for r in capped if r.status_code == 400)
    opened = [r.headers["location"] for r in responses if r.status_code == 303]
    assert len(set(opened)) == 1 + len(plain) + 5
    with db.session(writer=False) as session:
        orders = session.execute(select(Order.buyer_email, Order.coupon_code)).all()
    assert Counter(email for email, _code in orders)["same@example.com"] == 1
    assert len(orders) == 1 + len(plain) + 5
    assert Counter(code for _email, code in orders)["FIVE"] == 5


def test_64_subscription_forms_at_once_open_one_subscription_per_form(
    settings: Settings, db: Database
) -> None:
    with db.session() as session:
        make_club(session)
    same_form = {"email": "same@example.com", "nonce": "same-form-nonce"}
    calls = [
        _posted(
            "/subscribe/club",
            {"currency": "EUR", "name": "Bea", **same_form}
            if i % 2
            else {
                "currency": "EUR",
                "name": "Bo",
                "email": f"p{i}@example.com",
                "nonce": f"form-nonce-{i}",
            },
        )
        for i in range(N)
    ]
    responses = _run(settings, db, calls)
    same, distinct = _same_and_distinct(responses)
    assert {r.status_code for r in responses} == {303}, [r.text[:300] for r in responses]
    assert len({r.headers["location"] for r in same}) == 1
    assert len({r.headers["location"] for r in distinct}) == HALF
    assert all(r.headers["location"].startswith("/buy/order/") for r in responses)
    with db.session(writer=False) as session:
        emails = Counter(session.scalars(select(Subscription.buyer_email)).all())
        orders = Counter(session.scalars(select(Order.buyer_email)).all())
    expected = {"same@example.com": 1, **{f"p{i}@example.com": 1 for i in range(0, N, 2)}}
    assert emails == expected
    assert orders == expected  # each subscription's first period, once


def _license_key(db: Database, instances: int) -> tuple[str, list[str]]:
    """A key with room for 64 activations, already activated on `instances` machines."""
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("App", "digital"))
        service.set_delivery(session, row.id, None, None, N)
        made = service.grant(session, row.id, "ann@example.com", "order:1")
        key = service.licenses_of(session, [made[0].id])[made[0].id].license.key
    ids = []
    for n in range(instances):
        with db.session() as session:
            ids.append(service.activate(session, key, f"machine-{n}")[0].instance_id)
    return key, ids


def test_64_deactivations_and_validations_at_once_free_each_instance_once(
    settings: Settings, db: Database
) -> None:
    key, ids = _license_key(db, HALF + 1)
    api = "/api/v1/licenses"
    wanted = [ids[0] if i % 2 else ids[1 + i // 2] for i in range(N)]
    freeing = [
        Call("POST", f"{api}/deactivate", {"license_key": key, "instance_id": instance})
        for instance in wanted
    ]
    # Then validations racing new activations: each a read of a key being written to.
    asking = [
        Call("POST", f"{api}/validate", {"license_key": key})
        if i % 2
        else Call("POST", f"{api}/activate", {"license_key": key, "instance_name": f"new-{i}"})
        for i in range(N)
    ]
    with live_server(settings, db) as url:
        freed = send_until_answered(url, freeing)
        asked = send_until_answered(url, asking)
    same, distinct = _same_and_distinct(freed)
    assert {r.status_code for r in distinct} == {200}
    assert Counter(r.status_code for r in same) == {200: 1, 404: HALF - 1}
    assert all(
        r.json()["detail"] == "this key is not activated on that instance"
        for r in same
        if r.status_code == 404
    )
    validations, activations = _same_and_distinct(asked)
    assert {r.status_code for r in validations} == {200}
    assert {r.json()["valid"] for r in validations} == {True}
    assert {r.status_code for r in activations} == {201}
    with db.session(writer=False) as session:
        names = session.scalars(select(LicenseActivation.instance_name)).all()
    assert sorted(names) == sorted(f"new-{i}" for i in range(0, N, 2))
    assert {r.json()["license"]["activations_used"] for r in validations} <= set(range(HALF + 1))


def test_64_deactivations_from_the_buyers_page_at_once_free_each_instance_once(
    settings: Settings, db: Database
) -> None:
    key, ids = _license_key(db, HALF + 1)
    expiry = utcnow() + timedelta(hours=1)
    cookie = (
        f"{BUYER_COOKIE}={buyer_token(TEST_SECRET, 'buyer-session', 'ann@example.com', expiry)}"
    )
    wanted = [ids[0] if i % 2 else ids[1 + i // 2] for i in range(N)]
    calls = [
        _posted("/account/deactivate", {"license_key": key, "instance_id": instance}, cookie=cookie)
        for instance in wanted
    ]
    responses = _run(settings, db, calls)
    same, distinct = _same_and_distinct(responses)
    assert {r.status_code for r in distinct} == {303}
    assert {r.headers["location"] for r in distinct} == {"/account?done=deactivated"}
    assert Counter(r.status_code for r in same) == {303: 1, 200: HALF - 1}  # the page says why
    assert all(
        "this key is not activated on that instance" in r.text for r in same if r.status_code == 200
    )
    assert _count(db, LicenseActivation.id) == 0


def test_64_intake_answers_at_once_keep_each_buyers_answers(
    settings: Settings, db: Database
) -> None:
    now = datetime.now(UTC)
    with db.session() as session:
        fulfil_world.make_shop(session)
    for n in range(HALF + 1):
        with db.session() as session:
            data = fulfil_world.buy_service(email=f"b{n}@example.com")
            order = service.start_checkout(session, None, data, now).order
            service.mark_manual_paid(session, order.id, TEST_SECRET, now)
    with db.session(writer=False) as session:
        engagements = dict(session.execute(select(Engagement.buyer_email, Engagement.id)).all())
    ids = [engagements[f"b{n}@example.com"] for n in range(HALF + 1)]

    def answers(engagement: int) -> list[str]:
        return [f"Company {engagement}", f"Blue {engagement}"]

    targets = [ids[0] if i % 2 else ids[1 + i // 2] for i in range(N)]
    calls = [
        _posted(f"/buy/intake/{intake_token(TEST_SECRET, e)}", {"answer": answers(e)})
        for e in targets
    ]
    responses = _run(settings, db, calls)
    assert {r.status_code for r in responses} == {303}
    assert all(r.headers["location"].endswith("?saved=1") for r in responses)
    with db.session(writer=False) as session:
        rows = session.execute(select(Engagement.id, Engagement.answers, Engagement.status)).all()
    assert {row[0]: (row[1], row[2]) for row in rows} == {
        e: (answers(e), "in_progress") for e in ids
    }


def test_64_sign_in_link_requests_at_once_mail_each_one_let_through(
    settings: Settings, db: Database
) -> None:
    emails = ["same@example.com", *(f"p{i}@example.com" for i in range(0, N, 2))]
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Book", "digital"))
        for n, email in enumerate(emails):
            service.grant(session, row.id, email, f"order:{n}")
    calls = [
        _posted(
            "/account",
            {"email": "same@example.com" if i % 2 else f"p{i}@example.com"},
            client=f"198.51.100.{i}",
        )
        for i in range(N)
    ]
    with smtp_server() as (handler, port):
        mail = settings.model_copy(update={
            "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
            "mail_from": "shop@example.com",
        })  # fmt: skip
        responses = _run(mail, db, calls)
        same, distinct = _same_and_distinct(responses)
        assert {r.status_code for r in distinct} == {303}
        # Three links an hour per address; the rest are told when to try again.
        assert Counter(r.status_code for r in same) == {303: 3, 429: HALF - 3}
        assert all(int(r.headers["Retry-After"]) > 0 for r in same if r.status_code == 429)
        let_through = HALF + 3
        assert wait_for(lambda: len(handler.received) >= let_through, 20)
        assert Counter(tuple(e.rcpt_tos) for e in handler.received) == {
            **{(email,): 1 for email in emails[1:]},
            ("same@example.com",): 3,
        }
    assert _count(db, ResetRequest.id) == 2 * let_through  # its client and its address each


def test_64_downloads_at_once_count_each_and_stop_at_the_limit(
    settings: Settings, db: Database
) -> None:
    with db.session() as session:
        row = service.add_product(session, service.ProductDraft("Ebook", "digital"))
        file = service.store_file(session, settings.data_dir, row.id, "book.pdf", [b"%PDF-1.7"])
        service.set_delivery(session, row.id, 5, None, None)
        grants = [
            service.grant(session, row.id, f"b{n}@example.com", f"order:{n}")[0].id
            for n in range(HALF + 1)
        ]
    expires = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    links = [f"/d/{download_token(TEST_SECRET, grant, file.id, expires)}" for grant in grants]
    calls = [Call("GET", links[0] if i % 2 else links[1 + i // 2]) for i in range(N)]
    responses = _run(settings, db, calls)
    same, distinct = _same_and_distinct(responses)
    assert {r.status_code for r in distinct} == {200}
    assert Counter(r.status_code for r in same) == {200: 5, 403: HALF - 5}  # five downloads
    assert all(r.content == b"%PDF-1.7" for r in responses if r.status_code == 200)
    assert all("5 downloads are used up" in r.text for r in same if r.status_code == 403)
    with db.session(writer=False) as session:
        counted = dict(session.execute(select(Grant.id, Grant.downloads)).all())
        logged = Counter(session.scalars(select(Download.grant_id)).all())
    assert counted == {grants[0]: 5, **dict.fromkeys(grants[1:], 1)}
    assert logged == counted


def test_64_cancels_then_64_reactivations_at_once_change_each_subscription_once(
    settings: Settings, db: Database
) -> None:
    now = datetime.now(UTC)
    emails = [f"b{n}@example.com" for n in range(HALF + 1)]
    with db.session() as session:
        make_club(session)
    subs = []
    for email in emails:
        with db.session() as session:
            data = subscribe_input(slug="trial-club", email=email)
            subs.append(service.subscriptions.subscribe(session, None, data, now).subscription.id)
    expiry = utcnow() + timedelta(hours=1)
    cookies = [
        f"{BUYER_COOKIE}={buyer_token(TEST_SECRET, 'buyer-session', e, expiry)}" for e in emails
    ]
    owners = [0 if i % 2 else 1 + i // 2 for i in range(N)]

    def calls(action: str, fields: dict[str, str]) -> list[Call]:
        return [
            _posted(f"/account/subscriptions/{subs[n]}/{action}", fields, cookie=cookies[n])
            for n in owners
        ]

    with live_server(settings, db) as url:
        cancels = send_until_answered(url, calls("cancel", {"confirm": "yes"}))
        with db.session(writer=False) as session:
            ended = session.execute(select(Subscription.id, Subscription.status)).all()
        reactivations = send_until_answered(url, calls("reactivate", {}))
    for responses, done, refusal in (
        (cancels, "/account?done=sub-canceled", "a subscription that is canceled cannot be"),
        (reactivations, "/account?done=sub-reactivated", "this subscription is not set to end"),
    ):
        same, distinct = _same_and_distinct(responses)
        assert {r.status_code for r in distinct} == {303}
        assert {r.headers["location"] for r in distinct} == {done}
        assert Counter(r.status_code for r in same) == {303: 1, 200: HALF - 1}
        assert all(refusal in r.text for r in same if r.status_code == 200)
    assert dict(ended) == dict.fromkeys(subs, "canceled")
    with db.session(writer=False) as session:
        now_live = dict(session.execute(select(Subscription.id, Subscription.status)).all())
        kept = select(SubscriptionEvent.subscription_id).where(SubscriptionEvent.kind == "uncancel")
        uncancels = Counter(session.scalars(kept).all())
    assert now_live == dict.fromkeys(subs, "trialing")
    assert uncancels == dict.fromkeys(subs, 1)  # MRR counts each reactivation once
