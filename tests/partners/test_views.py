"""The program's dashboard pages through HTTP: partners, terms, commissions, payouts, access."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.drafts import LinkDraft
from evergreen.partners import service
from evergreen.partners.models import Commission, Partner, Payout
from evergreen.partners.rules import EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.lifecycle import approve_due
from tests.http_helpers import csrf_from, sign_in


def _owner(client: TestClient, people: dict[str, str], role: str = "owner") -> str:
    """Sign in and return the CSRF token every form of this session carries."""
    sign_in(client, people[role])
    return csrf_from(client.get("/partners").text)


def _post(client: TestClient, url: str, token: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def _partner_id(db: Database, email: str) -> int:
    with db.session() as session:
        return session.scalars(select(Partner.id).where(Partner.email == email)).one()


def _sale(db: Database, key: str, amount: str, coupon: str) -> None:
    with db.session() as session:
        program = service.default_program(session)
        record_conversion(
            session, program,
            ConversionIn(
                idempotency_key=key, event=EventType.SALE, amount=Decimal(amount), currency="USD",
                customer_id=f"cus_{key}", occurred_at=datetime.now(UTC), order_id=f"o_{key}",
                coupon=coupon,
            ),
            actor="test",
        )  # fmt: skip


def _set_up_program(client: TestClient, token: str, db: Database) -> int:
    """Terms of 30 %, an active partner Ana with coupon ANA; returns her id."""
    assert _post(client, "/partners/terms", token, kind="percent", rate="30").status_code == 303
    response = _post(
        client, "/partners", token, name="Ana", email="ana@example.com", status="active"
    )
    assert response.status_code == 303
    ana = _partner_id(db, "ana@example.com")
    assert _post(client, f"/partners/{ana}/coupons", token, code="ana10").status_code == 303
    return ana


def test_owner_adds_and_equips_a_partner_and_versions_terms(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _owner(client, people)
    with db.session() as session:
        links.create_link(session, LinkDraft(destination="https://shop.example/", slug="spring"))
    response = _post(client, "/partners", token, name="Ana", email="Ana@Example.com", group="vip")
    assert response.status_code == 303
    listing = client.get("/partners?done=created")
    assert "Partner added." in listing.text
    assert "ana@example.com" in listing.text
    assert "pending" in listing.text
    ana = _partner_id(db, "ana@example.com")

    assert _post(client, f"/partners/{ana}/status", token, status="active").status_code == 303
    with db.session() as session:
        assert session.get(Partner, ana).status == "active"  # type: ignore[union-attr]
    assert _post(client, f"/partners/{ana}/coupons", token, code="ana10").status_code == 303
    assert _post(client, f"/partners/{ana}/links", token, slug="spring").status_code == 303
    page = client.get(f"/partners/{ana}")
    assert page.status_code == 200
    assert "ANA10" in page.text
    assert "/links/spring" in page.text

    missing = _post(client, f"/partners/{ana}/links", token, slug="nope")
    assert missing.status_code == 400
    assert "nope" in missing.text
    assert client.get("/partners/999999").status_code == 404

    # Terms: each save adds the next version of the group's terms.
    page = client.get("/partners/terms")
    assert "keep the\n  terms they were attributed under" in page.text
    first = _post(client, "/partners/terms", token, kind="percent", rate="30")
    assert first.headers["location"] == "/partners/terms?done=1"
    second = _post(
        client, "/partners/terms", token,
        kind="flat", rate="12.50", duration="months", duration_count="12", recruiter_rate="10",
    )  # fmt: skip
    assert second.headers["location"] == "/partners/terms?done=2"
    page = client.get("/partners/terms?done=2")
    assert "Version 2 saved" in page.text
    assert "12.50 USD flat" in page.text
    assert "10 %" in page.text  # the recruiter rate, shown without trailing zeros
    assert "months (12)" in page.text


_BAD_INPUTS = [
    ("/partners", {"name": " ", "email": "a@example.com"}, "name: must be 1 to 200"),
    ("/partners", {"name": "Ana", "email": "not-an-email"}, "Not a valid email address"),
    ("/partners/terms", {"kind": "percent", "rate": "abc"}, "is not a number like 12.50"),
    # Not finite, or more than Numeric(19, 4) holds: refused, never stored as infinity.
    ("/partners/terms", {"kind": "flat", "rate": "1e999"}, "rate: &#39;1e999&#39; is not a number"),
    ("/partners/terms", {"kind": "flat", "rate": "NaN"}, "rate: &#39;NaN&#39; is not a number"),
    ("/partners/terms", {"kind": "flat", "rate": "Infinity"}, "is not a number"),
    ("/partners/terms", {"kind": "flat", "rate": "1" * 16}, "15 digits before the point"),
    ("/partners/terms", {"kind": "flat", "rate": "5", "lead_amount": "inf"}, "lead_amount"),
    ("/partners/terms", {"kind": "flat", "rate": "1,234"}, "ambiguous"),
    ("/partners/terms", {"kind": "percent", "rate": "130"}, "a percentage must be from 0 to 100"),
    ("/partners/terms", {"kind": "flat", "rate": "5", "duration": "months"}, "how many months"),
    ("/partners/terms", {"kind": "percent", "rate": "5", "recruiter_rate": "-1"}, "recruiter"),
]


def test_bad_input_is_shown_with_400_and_names_are_escaped(
    client: TestClient, people: dict[str, str]
) -> None:
    token = _owner(client, people)
    for url, data, message in _BAD_INPUTS:
        response = _post(client, url, token, **data)
        assert response.status_code == 400, (url, data)
        assert message in response.text, (url, data)
        assert "Traceback" not in response.text

    name = '<script>alert("x")</script>'
    _post(client, "/partners", token, name=name, email="x@example.com")
    page = client.get("/partners")
    assert name not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


def test_commissions_show_and_are_held_then_released(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _owner(client, people)
    ana = _set_up_program(client, token, db)
    _sale(db, "s1", "100", "ANA10")
    page = client.get(f"/partners/{ana}")
    assert "30.00 USD" in page.text
    assert "pending" in page.text
    with db.session() as session:
        cid = session.scalars(select(Commission.id)).one()
    # Terms are the owner's; the buttons are staff's too (a new session: a new form token).
    token = _owner(client, people, "staff")
    held = _post(client, f"/partners/commissions/{cid}/hold", token)
    assert held.status_code == 303
    assert "on hold" in client.get(f"/partners/{ana}?done=hold").text
    refused = _post(client, f"/partners/commissions/{cid}/hold", token)
    assert refused.status_code == 400
    assert _post(client, f"/partners/commissions/{cid}/release", token).status_code == 303
    with db.session() as session:
        assert session.get(Commission, cid).status == "pending"  # type: ignore[union-attr]
    conversions = client.get("/partners/conversions")
    assert "attributed" in conversions.text
    assert "Ana" in conversions.text


def test_a_refused_button_offers_only_buttons_the_page_accepts(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    """A refusal names the moves a person can make here: reversing is a refund's, so neither
    the message nor a button offers it, and each button offered is accepted."""
    token = _owner(client, people)
    ana = _set_up_program(client, token, db)
    _sale(db, "s1", "100", "ANA10")
    with db.session() as session:
        cid = session.scalars(select(Commission.id)).one()
    assert _post(client, f"/partners/commissions/{cid}/approve", token).status_code == 303
    page = client.get(f"/partners/{ana}").text
    assert f'action="/partners/commissions/{cid}/hold"' in page
    assert f'action="/partners/commissions/{cid}/reverse"' not in page
    refused = _post(client, f"/partners/commissions/{cid}/approve", token)
    assert refused.status_code == 400
    assert "cannot approve an approved commission (from approved: hold)" in refused.text
    assert "reverse" not in refused.text
    assert _post(client, f"/partners/commissions/{cid}/hold", token).status_code == 303
    assert _post(client, f"/partners/commissions/{cid}/reverse", token).status_code == 400


def test_payout_created_exported_and_marked_paid(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _owner(client, people)
    _set_up_program(client, token, db)
    nothing = _post(client, "/partners/payouts", token)
    assert nothing.headers["location"] == "/partners/payouts?done=none"
    assert "Nothing is due yet" in client.get("/partners/payouts?done=none").text
    _sale(db, "s1", "200", "ANA10")
    with db.session() as session:
        program = service.default_program(session)
        approve_due(session, program, datetime.now(UTC) + timedelta(days=program.holding_days + 1))
    created = _post(client, "/partners/payouts", token)
    assert created.headers["location"] == "/partners/payouts?done=created"
    with db.session() as session:
        payout_id = session.scalars(select(Payout.id)).one()
    page = client.get("/partners/payouts")
    assert "60.00 USD" in page.text
    assert "50.00 USD" in page.text
    export = client.get(f"/partners/payouts/{payout_id}/export.csv?format=paypal")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[1][:3] == ["ana@example.com", "60.00", "USD"]
    wise = client.get(f"/partners/payouts/{payout_id}/export.csv?format=wise")
    assert "ana@example.com" in wise.text
    assert client.get(f"/partners/payouts/{payout_id}/export.csv?format=x").status_code == 400
    paid = _post(client, f"/partners/payouts/{payout_id}/paid", token, confirm="yes")
    assert paid.status_code == 303
    with db.session() as session:
        assert session.get(Payout, payout_id).status == "paid"  # type: ignore[union-attr]
    statement = client.get(f"/partners/{_partner_id(db, 'ana@example.com')}/statement.csv")
    assert ",paid," in statement.text


def test_access_by_role(client: TestClient, people: dict[str, str]) -> None:
    anonymous = client.get("/partners", follow_redirects=False)
    assert anonymous.status_code in (302, 303)
    assert "/login" in anonymous.headers["location"]
    sign_in(client, people["partner"])
    assert client.get("/partners").status_code == 403
    assert client.get("/partners/conversions").status_code == 403
    sign_in(client, people["staff"])
    assert client.get("/partners").status_code == 200
    assert client.get("/partners/conversions").status_code == 200
    assert client.get("/partners/terms").status_code == 403
    assert client.get("/partners/payouts").status_code == 403
    token = csrf_from(client.get("/partners").text)
    assert _post(client, "/partners/terms", token, kind="flat", rate="1").status_code == 403
    assert _post(client, "/partners/payouts", token).status_code == 403
