"""A conversion is attributed by its click whenever the click was answered: still in the spool,
landing after the conversion, or, failing both, by the owner's hand (API and page), logged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links import queries as link_queries
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from evergreen.partners import service
from evergreen.partners.models import Commission, CommissionEvent, Conversion, WebhookEndpoint
from evergreen.partners.rules import EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.tasks import run_late_attribution
from evergreen.web import create_app
from tests.http_helpers import csrf_from, sign_in, token_for

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def _program(db: Database) -> tuple[int, int]:
    """Terms of 10 %, an active partner owning link "ana", and a suspended one: their ids."""
    with db.session() as session:
        program = service.default_program(session)
        terms = service.TermsDraft(
            kind="percent", rate=Decimal("10"), effective_from=datetime(2025, 1, 1, tzinfo=UTC)
        )
        service.add_terms(session, program, terms)
        ana = service.create_partner(
            session, program, name="Ana", email="ana@blog.example", status="active"
        )
        bo = service.create_partner(
            session, program, name="Bo", email="bo@blog.example", status="suspended"
        )
        draft = LinkDraft(destination="https://shop.example/", slug="ana", append_click_id=True)
        links.create_link(session, draft)
        service.assign_link(session, ana, "ana")
        session.add(
            WebhookEndpoint(
                program_id=program.id, url="https://hooks.example/in", secret="s" * 32,
                events=["commission.created"],
            )
        )  # fmt: skip
        return ana.id, bo.id


def _sale(key: str, **fields: object) -> dict[str, object]:
    return {
        "idempotency_key": key, "event": "sale", "amount": "80.00", "currency": "USD",
        "customer_id": f"cus-{key}", "order_id": key, **fields,
    }  # fmt: skip


@pytest.fixture
def front_door(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The app as `serve` runs it: clicks are spooled by the redirect and ingested elsewhere."""
    with TestClient(create_app(settings, database=db, background=False)) as client:
        yield client


def test_a_sale_posted_right_after_its_redirect_is_attributed(
    front_door: TestClient, db: Database, people: dict[str, str], settings: Settings
) -> None:
    ana, _bo = _program(db)
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    redirect = front_door.get("/go/ana", headers={"User-Agent": UA}, follow_redirects=False)
    assert redirect.status_code == 302
    (click_id,) = parse_qs(urlsplit(redirect.headers["location"]).query)["evg_id"]
    with db.session() as session:  # answered, but not in the database yet
        assert link_queries.click_fact(session, click_id) is None
    one = front_door.post(
        "/api/v1/partners/conversions", json=_sale("o1", click_id=click_id), headers=staff
    )
    assert one.status_code == 201, one.text
    assert (one.json()["status"], one.json()["partner_id"]) == ("attributed", ana)
    assert [c["amount"] for c in one.json()["commissions"]] == ["8.00"]
    assert "click" in one.json()["commissions"][0]["attribution_rule"]
    batch = front_door.post(
        "/api/v1/partners/conversions/batch",
        json={"events": [_sale("o2", click_id=click_id, customer_id="cus-o2")]},
        headers=staff,
    )
    assert batch.status_code == 201, batch.text
    assert batch.json()["results"][0]["partner_id"] == ana
    with db.session() as session:
        assert link_queries.click_fact(session, click_id) is None  # still only in the spool
    front_door.app.state.links.ingest_spooled()  # type: ignore[attr-defined]
    with db.session() as session:  # once ingested, the stored click says the same
        fact = link_queries.click_fact(session, click_id)
        assert fact is not None
        assert fact.klass == "human"


def test_a_conversion_before_its_click_is_attributed_when_the_click_lands(
    db: Database, settings: Settings
) -> None:
    ana, _bo = _program(db)
    click_id = "0190f0e5a1b2" + "c" * 20
    sold = datetime.now(UTC) - timedelta(minutes=1)
    with db.session() as session:
        program = service.default_program(session)
        sale = ConversionIn(
            idempotency_key="o1", event=EventType.SALE, amount=Decimal("80"), currency="USD",
            customer_id="c1", occurred_at=sold, order_id="o1", click_id=click_id,
        )  # fmt: skip
        recorded = record_conversion(session, program, sale, actor="api")
        assert recorded.conversion.status == "unattributed"
        assert recorded.commissions == []
    assert run_late_attribution(db, settings) == 0  # the click has not landed: nothing yet
    with db.session() as session:  # it lands (from another machine's spool, say)
        link = links.get_link(session, "ana")
        record = {"id": click_id, "l": link.id, "t": (sold - timedelta(seconds=5)).timestamp(),
                  "v": "v1", "ua": UA}  # fmt: skip
        assert ingest_records(session, [record], ClickPolicy()) == 1
    assert run_late_attribution(db, settings) == 1
    assert run_late_attribution(db, settings) == 0  # once
    with db.session() as session:
        conversion = session.scalars(select(Conversion)).one()
        assert (conversion.status, conversion.partner_id) == ("attributed", ana)
        assert conversion.attributed_by == "system"
        assert conversion.attributed_at is not None
        assert click_id in conversion.note
        commission = session.scalars(select(Commission)).one()
        assert commission.amount == Decimal("8.00")
        assert "click" in commission.attribution_rule
        event = session.scalars(select(CommissionEvent)).one()
        assert (event.action, event.actor) == ("created", "system")
        from evergreen.partners.models import WebhookDelivery

        (delivery,) = session.scalars(select(WebhookDelivery)).all()
        assert delivery.event_id == f"commission.created:{commission.id}"


def _unattributed(client: TestClient, headers: dict[str, str], key: str) -> int:
    posted = client.post("/api/v1/partners/conversions", json=_sale(key), headers=headers)
    assert posted.json()["status"] == "unattributed", posted.text
    return int(posted.json()["id"])


def test_the_owner_attributes_a_conversion_by_hand_over_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    ana, bo = _program(db)
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    conversion_id = _unattributed(client, staff, "o1")
    url = f"/api/v1/partners/conversions/{conversion_id}/attribute"
    body = {"partner_id": ana, "note": "she sent the customer by email"}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=staff).status_code == 403
    missing = client.post("/api/v1/partners/conversions/999/attribute", json=body, headers=owner)
    assert missing.status_code == 404
    nobody = client.post(url, json={"partner_id": 999}, headers=owner)
    assert nobody.status_code == 422
    assert nobody.json()["detail"][0]["field"] == "partner_id"
    suspended = client.post(url, json={"partner_id": bo}, headers=owner)
    assert suspended.status_code == 422
    assert "suspended" in suspended.json()["detail"][0]["message"]
    done = client.post(url, json=body, headers=owner)
    assert done.status_code == 200, done.text
    result = done.json()
    assert (result["status"], result["partner_id"]) == ("attributed", ana)
    assert result["attributed_by"] == people["owner"]
    assert "she sent the customer by email" in result["note"]
    (commission,) = result["commissions"]
    assert (commission["amount"], commission["status"]) == ("8.00", "pending")
    assert commission["attribution_rule"] == "attributed by hand"
    again = client.post(url, json=body, headers=owner)
    assert again.status_code == 409
    assert "already attributed" in again.json()["detail"]
    with db.session() as session:
        event = session.scalars(
            select(CommissionEvent).where(CommissionEvent.commission_id == commission["id"])
        ).one()
        assert event.actor == people["owner"]
        assert "attributed by hand" in event.note
    # The customer is now Ana's: a renewal earns her without a click or coupon.
    renewal = client.post(
        "/api/v1/partners/conversions",
        json={**_sale("o2"), "event": "renewal", "customer_id": "cus-o1"},
        headers=staff,
    )
    assert renewal.json()["partner_id"] == ana
    refund = client.post(
        "/api/v1/partners/conversions",
        json={**_sale("r3"), "event": "refund", "order_id": "o3"},
        headers=staff,
    )
    assert refund.status_code == 201
    refunded = _unattributed(client, staff, "o3")
    clash = client.post(
        f"/api/v1/partners/conversions/{refunded}/attribute", json=body, headers=owner
    )
    assert clash.status_code == 409
    assert "refunded" in clash.json()["detail"]


def test_the_owner_attributes_a_conversion_by_hand_on_the_page(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    ana, bo = _program(db)
    staff_token = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    conversion_id = _unattributed(client, staff_token, "o1")
    sign_in(client, people["staff"])
    page = client.get("/partners/conversions")
    assert page.status_code == 200
    assert "/attribute" not in page.text  # staff review; the owner attributes
    action = f"/partners/conversions/{conversion_id}/attribute"
    token = csrf_from(page.text)
    refused = client.post(action, data={"partner_id": str(ana), "csrf_token": token})
    assert refused.status_code == 403
    client.cookies.clear()
    sign_in(client, people["owner"])
    page = client.get("/partners/conversions?status=unattributed")
    assert f'action="{action}"' in page.text
    assert f'<option value="{ana}">Ana</option>' in page.text
    assert "Bo</option>" not in page.text  # only active partners can earn
    token = csrf_from(page.text)
    empty = client.post(action, data={"partner_id": "", "csrf_token": token})
    assert empty.status_code == 400
    assert "choose the partner who earns this conversion" in empty.text
    suspended = client.post(action, data={"partner_id": str(bo), "csrf_token": token})
    assert suspended.status_code == 400
    assert "Bo is suspended" in suspended.text
    done = client.post(
        action, data={"partner_id": str(ana), "note": "phone order", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "Conversion attributed" in shown.text
    assert f"attributed by hand by {people['owner']}: phone order" in shown.text
    with db.session() as session:
        conversion = session.get(Conversion, conversion_id)
        assert conversion is not None
        assert (conversion.status, conversion.partner_id) == ("attributed", ana)
        assert conversion.attributed_by == people["owner"]
        assert session.scalars(select(Commission)).one().amount == Decimal("8.00")
    twice = client.post(action, data={"partner_id": str(ana), "csrf_token": token})
    assert twice.status_code == 400  # the form is shown again, saying why
    assert f"conversion {conversion_id} is already attributed" in twice.text


def _purchase(db: Database, click_id: str, at: datetime) -> tuple[int, int, int]:
    """Customer c1's front-end sale o1 (80), its one-click upsell u1 (40, extending o1) and a
    later purchase o2 (50), all recorded before their click is known: the conversions' ids."""
    ids = []
    with db.session() as session:
        program = service.default_program(session)
        for key, amount, extends in (("o1", "80", ""), ("u1", "40", "o1"), ("o2", "50", "")):
            sale = ConversionIn(
                idempotency_key=key, event=EventType.SALE, amount=Decimal(amount),
                currency="USD", customer_id="c1", occurred_at=at, order_id=key,
                click_id=click_id, extends=extends,
            )  # fmt: skip
            recorded = record_conversion(session, program, sale, actor="commerce")
            assert recorded.conversion.status == "unattributed"
            ids.append(recorded.conversion.id)
    return ids[0], ids[1], ids[2]


def _earned(db: Database) -> dict[str, Decimal]:
    """Each conversion's order and the commission it earned (orders that earned nothing left
    out)."""
    with db.session() as session:
        rows = session.execute(
            select(Conversion.order_id, Commission.amount).join(
                Commission, Commission.conversion_id == Conversion.id
            )
        ).all()
    return {order: Decimal(amount) for order, amount in rows}


def test_a_late_attributed_upsell_is_paid_as_part_of_its_purchase_under_one_time_terms(
    db: Database, settings: Settings
) -> None:
    ana, _bo = _program(db)  # 10 %, one time: the first purchase (with its upsell) earns
    click_id = "0190f0e5a1b2" + "d" * 20
    sold = datetime.now(UTC) - timedelta(minutes=1)
    _o1, upsell, _o2 = _purchase(db, click_id, sold)
    with db.session() as session:
        assert session.get(Conversion, upsell).extends == "o1"  # type: ignore[union-attr]
        link = links.get_link(session, "ana")
        record = {"id": click_id, "l": link.id, "t": (sold - timedelta(seconds=5)).timestamp(),
                  "v": "v1", "ua": UA}  # fmt: skip
        assert ingest_records(session, [record], ClickPolicy()) == 1
    assert run_late_attribution(db, settings) == 3
    with db.session() as session:
        statuses = session.execute(
            select(Conversion.order_id, Conversion.status, Conversion.partner_id)
        ).all()
        assert sorted(tuple(row) for row in statuses) == [
            ("o1", "attributed", ana), ("o2", "attributed", ana), ("u1", "attributed", ana),
        ]  # fmt: skip
        later = session.scalars(select(Conversion).where(Conversion.order_id == "o2")).one()
        assert "outside the commission duration" in later.note
    # The upsell is paid like the sale it adds to; the later purchase is a second payment.
    assert _earned(db) == {"o1": Decimal("8.00"), "u1": Decimal("4.00")}


def test_an_upsell_attributed_by_hand_is_paid_as_part_of_its_purchase(
    db: Database, people: dict[str, str]
) -> None:
    ana, _bo = _program(db)
    first, upsell, later = _purchase(db, "", datetime.now(UTC) - timedelta(minutes=1))
    with db.session() as session:
        program = service.default_program(session)
        for conversion_id in (first, upsell, later):
            service.attribute_by_hand(
                session, program, conversion_id, ana, actor=people["owner"], note="by email"
            )
    assert _earned(db) == {"o1": Decimal("8.00"), "u1": Decimal("4.00")}


def test_an_upsell_is_not_counted_as_a_payment_of_its_own_under_terms_for_two_payments(
    db: Database, settings: Settings
) -> None:
    _program(db)
    with db.session() as session:  # terms for the first two payments, in force from June 2025
        two = service.TermsDraft(
            kind="percent", rate=Decimal("10"), duration="payments", duration_count=2,
            effective_from=datetime(2025, 6, 1, tzinfo=UTC),
        )  # fmt: skip
        service.add_terms(session, service.default_program(session), two)
    click_id = "0190f0e5a1b2" + "e" * 20
    sold = datetime.now(UTC) - timedelta(minutes=1)
    _purchase(db, click_id, sold)
    with db.session() as session:
        link = links.get_link(session, "ana")
        record = {"id": click_id, "l": link.id, "t": (sold - timedelta(seconds=5)).timestamp(),
                  "v": "v1", "ua": UA}  # fmt: skip
        assert ingest_records(session, [record], ClickPolicy()) == 1
    assert run_late_attribution(db, settings) == 3
    # o1 and its upsell are payment 1, o2 is payment 2: all three earn
    assert _earned(db) == {"o1": Decimal("8.00"), "u1": Decimal("4.00"), "o2": Decimal("5.00")}
