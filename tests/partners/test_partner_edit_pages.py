"""Owner pages through HTTP: referral links, editing partners, unassigning links, removing
coupons, hold reasons, program settings and the payout detail page."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import Commission, Partner, Payout
from evergreen.partners.rules import EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.lifecycle import approve_due
from tests.http_helpers import csrf_from, sign_in

LANDING = "https://shop.example/start"


def _signed_in(client: TestClient, email: str) -> str:
    sign_in(client, email)
    return csrf_from(client.get("/partners").text)


def _post(client: TestClient, url: str, token: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def _settings(**changes: str) -> dict[str, str]:
    base = {
        "payout_threshold": "50", "landing_url": LANDING, "holding_days": "30",
        "window_days": "30", "attribution_model": "last",
    }  # fmt: skip
    return {**base, **changes}


def _sale(db: Database, key: str, coupon: str, email: str = "") -> None:
    with db.session() as session:
        program = service.default_program(session)
        record_conversion(
            session, program,
            ConversionIn(
                idempotency_key=key, event=EventType.SALE, amount=Decimal("100"), currency="USD",
                customer_id=f"cus_{key}", occurred_at=datetime.now(UTC), order_id=key,
                coupon=coupon, customer_email=email,
            ),
            actor="test",
        )  # fmt: skip


def _partner(db: Database, email: str) -> int:
    with db.session() as session:
        return session.scalars(select(Partner.id).where(Partner.email == email)).one()


def test_settings_page_saves_refuses_and_is_the_owners(
    client: TestClient, people: dict[str, str]
) -> None:
    token = _signed_in(client, people["owner"])
    page = client.get("/partners/settings")
    assert page.status_code == 200
    assert 'name="payout_threshold" value="50.00"' in page.text
    saved = _post(client, "/partners/settings", token, **_settings(payout_threshold="75.5"))
    assert saved.headers["location"] == "/partners/settings?done=1"
    assert "Settings saved." in client.get("/partners/settings?done=1").text
    assert "75.50 USD" in client.get("/partners/payouts").text  # the threshold payouts use
    for field, value, words in (
        ("payout_threshold", "NaN", "an amount like"),
        ("payout_threshold", "abc", "an amount like"),
        ("payout_threshold", "1e999", "from 0 to"),
        ("landing_url", "ftp://shop.example/", "must start with http"),
        ("holding_days", "thirty", "a whole number of days"),
        ("window_days", "999", "from 1 to 365"),
        ("stream_id", str(2**63), f"there is no stream {2**63}"),
        ("stream_id", "\u00b2", "choose a stream from the list"),  # a digit to str.isdigit only
    ):
        refused = _post(client, "/partners/settings", token, **_settings(**{field: value}))
        assert refused.status_code == 400, (field, value)
        assert words in refused.text, (field, value)
        if field != "stream_id":  # a list to choose from: nothing typed
            assert f'value="{value}"' in refused.text  # what was typed stays in the box
    assert "75.50 USD" in client.get("/partners/payouts").text  # nothing refused was stored
    sign_in(client, people["staff"])
    assert client.get("/partners/settings").status_code == 403
    assert _post(client, "/partners/settings", token, **_settings()).status_code == 403


def test_owner_adds_edits_and_unequips_a_partner(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _signed_in(client, people["owner"])
    no_landing = _post(client, "/partners", token, name="Early", email="early@example.com")
    assert no_landing.status_code == 303
    early = client.get(f"/partners/{_partner(db, 'early@example.com')}").text
    assert "Set the program&#39;s" in early or "Set the program's" in early
    _post(client, "/partners/settings", token, **_settings())
    _post(client, "/partners/terms", token, kind="percent", rate="30")
    added = _post(
        client, "/partners", token, name="Ana Lima", email="ana@example.com", status="active"
    )
    assert added.status_code == 303
    ana = _partner(db, "ana@example.com")
    page = client.get(f"/partners/{ana}").text
    assert "/links/ana-lima" in page  # the referral link, made on creation
    assert LANDING in page

    edited = _post(
        client, f"/partners/{ana}/edit", token, name="Ana L.", email="ana.l@example.com",
        group="vip", payout_method="wise", payout_email="pay@ana.example",
    )  # fmt: skip
    assert edited.headers["location"] == f"/partners/{ana}?done=edited"
    page = client.get(f"/partners/{ana}?done=edited").text
    assert "Partner saved." in page
    assert "ana.l@example.com" in page
    assert 'value="pay@ana.example"' in page
    with db.session() as session:
        row = session.get(Partner, ana)
        assert row is not None
        assert (row.name, row.group, row.payout_method) == ("Ana L.", "vip", "wise")

    refused = _post(
        client, f"/partners/{ana}/edit", token, name="Ana X", email="not-an-email",
        group="", payout_method="wise", payout_email="",
    )  # fmt: skip
    assert refused.status_code == 400
    assert "Partner not saved: email" in refused.text
    assert 'value="Ana X"' in refused.text  # the form is shown again, open, as typed
    assert '<details class="panel edit-partner" id="edit" open>' in refused.text
    with db.session() as session:
        assert session.get(Partner, ana).name == "Ana L."  # type: ignore[union-attr]

    _post(client, f"/partners/{ana}/coupons", token, code="ANA10")
    _sale(db, "o1", "ANA10")
    removed = _post(client, f"/partners/{ana}/coupons/ANA10/remove", token)
    assert removed.headers["location"] == f"/partners/{ana}?done=uncoupon"
    unlinked = _post(client, f"/partners/{ana}/links/ana-lima/remove", token)
    assert unlinked.headers["location"] == f"/partners/{ana}?done=unlinked"
    page = client.get(f"/partners/{ana}?done=unlinked").text
    assert "/links/ana-lima" not in page
    assert 'id="coupon-ANA10"' not in page
    assert "30.00 USD" in page  # the commission the coupon earned stays
    again = _post(client, f"/partners/{ana}/links/ana-lima/remove", token)
    assert again.status_code == 400  # the partner's page, saying what went wrong
    assert "Link not unassigned: slug: Ana L. has no link" in again.text
    assert client.get("/links/ana-lima").status_code == 200  # the link itself stays

    sign_in(client, people["partner"])
    for url in (f"/partners/{ana}/edit", f"/partners/{ana}/coupons/X/remove"):
        response = _post(client, url, token, name="Hacked")
        assert response.status_code in (303, 403), url
        assert response.headers.get("location", "/portal") == "/portal"
    with db.session() as session:
        assert session.get(Partner, ana).name == "Ana L."  # type: ignore[union-attr]


def test_a_hold_reason_is_shown_and_a_release_is_not_held(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _signed_in(client, people["owner"])
    _post(client, "/partners/terms", token, kind="percent", rate="30")
    _post(client, "/partners", token, name="Ana", email="ana@example.com", status="active")
    ana = _partner(db, "ana@example.com")
    _post(client, f"/partners/{ana}/coupons", token, code="ANA")
    _sale(db, "o1", "ANA", email="ana@example.com")  # self-referral: held by the fraud rules
    _sale(db, "o2", "ANA")
    with db.session() as session:
        fraud, plain = session.scalars(select(Commission.id).order_by(Commission.id)).all()
    page = client.get(f"/partners/{ana}").text
    assert "On hold: Self-referral" in page
    assert "refund window until" in page  # the pending one says why it waits
    held = _post(client, f"/partners/commissions/{plain}/hold", token, note="<b>checking</b>")
    assert held.status_code == 303
    page = client.get(f"/partners/{ana}").text
    assert html.escape("On hold: <b>checking</b>.") in page
    assert _post(client, f"/partners/commissions/{fraud}/release", token).status_code == 303
    row = client.get(f"/partners/{ana}").text.split(f'id="commission-{fraud}"')[1]
    row = row.split("</tr>")[0]
    assert "pending" in row
    assert "held" not in row.lower()
    assert "On hold" not in row


def test_payout_detail_page_and_csv(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _signed_in(client, people["owner"])
    _post(client, "/partners/terms", token, kind="percent", rate="30")
    for name in ("Ana", "Ben"):
        email = f"{name.lower()}@example.com"
        _post(client, "/partners", token, name=name, email=email, status="active")
        _post(client, f"/partners/{_partner(db, email)}/coupons", token, code=name.upper())
    _post(client, "/partners/settings", token, **_settings(payout_threshold="10"))
    _sale(db, "o1", "ANA")
    _sale(db, "o2", "BEN")
    _sale(db, "o3", "BEN")
    with db.session() as session:
        program = service.default_program(session)
        approve_due(session, program, datetime.now(UTC) + timedelta(days=31))
    _post(client, "/partners/payouts", token)
    with db.session() as session:
        payout = session.scalars(select(Payout.id)).one()
    assert f'href="/partners/payouts/{payout}"' in client.get("/partners/payouts").text
    page = client.get(f"/partners/payouts/{payout}")
    assert page.status_code == 200
    assert 'id="payout-total">90.00 USD' in page.text
    assert f"evergreen-payout-{payout}-partner-{_partner(db, 'ben@example.com')}" in page.text
    assert "60.00 USD" in page.text
    assert "PayPal" in page.text
    assert page.text.count('<span class="badge status-payable">') == 3
    exported = client.get(f"/partners/payouts/{payout}/commissions.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(row["partner"] for row in rows) == ["Ana", "Ben", "Ben"]
    assert client.get(f"/partners/payouts/{payout + 1}").status_code == 404
    assert client.get(f"/partners/payouts/{payout + 1}/commissions.csv").status_code == 404
    sign_in(client, people["staff"])
    assert client.get(f"/partners/payouts/{payout}").status_code == 403
    assert client.get(f"/partners/payouts/{payout}/commissions.csv").status_code == 403
