"""The partner portal over HTTP: each partner sees their own data and nothing of another's."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import Role
from evergreen.db import Database
from evergreen.links import service as links
from evergreen.links.clicks.ingest import ClickPolicy, ingest_records
from evergreen.links.drafts import LinkDraft
from evergreen.partners import service
from evergreen.partners.models import Commission, Partner, Program
from evergreen.partners.rules import EventType
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.lifecycle import approve_due
from evergreen.partners.service.payouts import create_payout, mark_paid
from tests.http_helpers import PASSWORD, csrf_from, sign_in, token_for

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
NOW = datetime.now(UTC).replace(microsecond=0)
PAGES = ("/portal", "/portal/links", "/portal/commissions", "/portal/payouts")


@dataclass
class Side:
    """One partner's world: what must show on their pages and never on the other's."""

    id: int
    email: str
    name: str
    slug: str
    coupon: str
    amounts: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def markers(self) -> list[str]:
        """Strings unique to this partner."""
        return [self.email, self.name, self.slug, self.coupon, *self.amounts, *self.reasons]


def _sale(program: Program, key: str, amount: str, customer: str, **extra: str) -> None:
    session = Session.object_session(program)
    assert session is not None
    record_conversion(
        session,
        program,
        ConversionIn(
            idempotency_key=key, event=EventType.SALE, amount=Decimal(amount), currency="USD",
            customer_id=customer, occurred_at=NOW - timedelta(hours=1), order_id=key, **extra,
        ),  # type: ignore[arg-type]
        actor="test",
    )  # fmt: skip


def _partner(session: Session, program: Program, name: str, email: str, slug: str) -> Partner:
    partner = service.create_partner(session, program, name=name, email=email, status="active")
    links.create_link(session, LinkDraft(destination=f"https://shop.example/{slug}", slug=slug))
    service.assign_link(session, partner, slug)
    return partner


def _click(session: Session, slug: str, click_id: str, visitor: str) -> None:
    link = links.get_link(session, slug)
    at = (NOW - timedelta(days=1)).timestamp()
    record = {"id": click_id, "l": link.id, "t": at, "v": visitor, "ua": UA}
    assert ingest_records(session, [record], ClickPolicy()) == 1


@pytest.fixture
def world(db: Database, people: dict[str, str]) -> dict[str, Side]:
    """Two active partners, each with a link, clicks, a coupon, sales, and a paid payout."""
    with db.session() as session:
        accounts.create_user(session, "ben@rival.example", PASSWORD, Role.PARTNER)
        program = service.default_program(session)
        program.payout_threshold = Decimal("10")
        terms = service.TermsDraft(
            kind="percent", rate=Decimal("30"), effective_from=NOW - timedelta(days=365)
        )
        service.add_terms(session, program, terms)
        ana = _partner(session, program, "Ana Alpha", people["partner"], "ana-spring")
        ben = _partner(session, program, "Ben Rivalsen", "ben@rival.example", "ben-secret-slug")
        service.add_coupon(session, ana, "ANACODE")
        service.add_coupon(session, ben, "BENCODE")
        _click(session, "ana-spring", "a" * 32, "va")
        for n in range(3):
            _click(session, "ben-secret-slug", f"{n}" * 32, f"vb{n}")
        _sale(program, "a1", "100", "cus_a", click_id="a" * 32)
        _sale(program, "b1", "333", "cus_b", coupon="BENCODE")
        approve_due(session, program, NOW + timedelta(days=program.holding_days + 1))
        payout = create_payout(session, program, actor="owner", now=NOW)
        assert payout is not None
        mark_paid(session, program, payout.id, actor="owner", now=NOW)
        _sale(program, "a2", "40", "cus_a2", coupon="ANACODE")
        _sale(program, "b2", "777", "cus_b2", coupon="BENCODE")
        sides = {
            "ana": Side(ana.id, ana.email, ana.name, "ana-spring", "ANACODE"),
            "ben": Side(ben.id, ben.email, ben.name, "ben-secret-slug", "BENCODE"),
        }
        for side in sides.values():
            rows = session.scalars(
                select(Commission).where(Commission.partner_id == side.id).order_by(Commission.id)
            )
            for row in rows:
                side.amounts.append(f"{row.amount:.2f}")
                side.reasons.append(html.escape(row.reason))
        assert sides["ben"].amounts == ["99.90", "233.10"]
    return sides


def _absent(text: str, other: Side, where: str) -> None:
    for marker in other.markers():
        assert marker not in text, f"{marker!r} of the other partner shows on {where}"


def _check_isolation(client: TestClient, me: Side, other: Side) -> None:
    sign_in(client, me.email)
    texts = {}
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        texts[path] = response.text
    csv_text = client.get("/portal/statement.csv").text
    payout = re.search(r'href="/portal/payouts/(\d+)"', texts["/portal/payouts"])
    assert payout is not None, "the paid payout links to its detail page"
    detail = client.get(f"/portal/payouts/{payout.group(1)}")
    assert detail.status_code == 200
    texts["payout detail"] = detail.text
    assert me.name in texts["/portal"]
    assert me.slug in texts["/portal/links"]
    assert me.coupon in texts["/portal/links"]  # their own coupon codes, and only theirs
    assert me.coupon in texts["/portal"]
    assert me.amounts[0] in detail.text  # their part of the shared payout, not the other's
    for amount, reason in zip(me.amounts, me.reasons, strict=True):
        assert amount in texts["/portal/commissions"]
        assert reason in texts["/portal/commissions"]
        assert amount in csv_text
    assert me.amounts[0] in texts["/portal/payouts"]  # the paid one
    assert "paid" in texts["/portal/payouts"]
    for path, text in {**texts, "statement.csv": csv_text}.items():
        _absent(text, other, path)

    guesses = [
        f"/portal?partner_id={other.id}",
        f"/portal/commissions?partner_id={other.id}",
        f"/portal/links?partner={other.id}&slug={other.slug}",
        f"/portal/payouts?partner_id={other.id}",
        f"/portal/statement.csv?partner_id={other.id}",
    ]
    for url in guesses:
        response = client.get(url)
        assert response.status_code == 200, url
        _absent(response.text, other, url)
    for url in (
        f"/portal/{other.id}",
        f"/portal/partners/{other.id}",
        f"/portal/links/{other.slug}",
        f"/portal/commissions/{other.id}",
        f"/portal/statement/{other.id}.csv",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        _absent(response.text, other, url)
    for url in ("/links", f"/links/{other.slug}", f"/links/{me.slug}", "/settings", "/"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code in (303, 403), url
        if response.status_code == 303:
            assert response.headers["location"] == "/portal"
        _absent(response.text, other, url)
    client.cookies.clear()


def test_each_partner_sees_only_their_own_data(client: TestClient, world: dict[str, Side]) -> None:
    _check_isolation(client, world["ana"], world["ben"])
    _check_isolation(client, world["ben"], world["ana"])


def test_overview_totals_are_the_partners_own(client: TestClient, world: dict[str, Side]) -> None:
    sign_in(client, world["ben"].email)
    text = client.get("/portal").text
    assert '<span class="number" id="human-clicks">3</span>' in text
    assert '<span class="number" id="conversions">2</span>' in text
    assert "233.10 USD" in text  # pending, so unpaid; the paid 99.90 is not
    assert "Human clicks by day, last 30 days: 3" in text


def test_a_refund_is_not_counted_as_a_conversion(
    client: TestClient, db: Database, world: dict[str, Side]
) -> None:
    with db.session() as session:
        program = service.default_program(session)
        undo = (("b2-refund", EventType.REFUND), ("b2-chargeback", EventType.CHARGEBACK))
        for key, event in undo:
            refund = ConversionIn(
                idempotency_key=key, event=event, amount=Decimal("100"), currency="USD",
                customer_id="cus_b2", occurred_at=NOW, order_id="b2",
            )  # fmt: skip
            record_conversion(session, program, refund, actor="test")
    sign_in(client, world["ben"].email)
    text = client.get("/portal").text
    assert '<span class="number" id="conversions">2</span>' in text  # the two sales only


def test_sub_id_links_use_only_the_partners_own_links(
    client: TestClient, world: dict[str, Side]
) -> None:
    ana, ben = world["ana"], world["ben"]
    sign_in(client, ana.email)
    token = csrf_from(client.get("/portal/links").text)

    made = client.post(
        "/portal/links", data={"slug": ana.slug, "sub1": "you_tube-1", "csrf_token": token}
    )
    assert made.status_code == 200
    assert f"/{ana.slug}?sub1=you_tube-1</code>" in made.text

    theirs = client.post(
        "/portal/links", data={"slug": ben.slug, "sub1": "yt", "csrf_token": token}
    )
    assert theirs.status_code == 400
    assert "Choose one of your links" in theirs.text
    _absent(theirs.text, ben, "the refused form")

    for bad in ("<script>alert(1)</script>", "", "a" * 65, "with space", "é"):
        refused = client.post(
            "/portal/links", data={"slug": ana.slug, "sub1": bad, "csrf_token": token}
        )
        assert refused.status_code == 400, bad
        assert "sub-ID must be 1 to 64" in refused.text
        assert "<script>alert" not in refused.text
        assert "?sub1=" not in refused.text

    forged = client.post("/portal/links", data={"slug": ana.slug, "sub1": "yt"})
    assert forged.status_code == 403


def test_a_partner_token_opens_no_owner_api(
    client: TestClient, db: Database, world: dict[str, Side]
) -> None:
    ana, ben = world["ana"], world["ben"]
    headers = {"Authorization": f"Bearer {token_for(db, ana.email)}"}
    for url in (
        "/api/v1/partners",
        f"/api/v1/partners/commissions?partner_id={ben.id}",
        f"/api/v1/partners/{ben.id}/statement.csv",
        f"/api/v1/partners/{ana.id}/statement.csv",
        "/api/v1/links",
        f"/api/v1/links/{ben.slug}",
        f"/api/v1/links/{ben.slug}/stats",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 403, url
        _absent(response.text, ben, url)
    body = {"slug": ben.slug}
    assert (
        client.post(f"/api/v1/partners/{ana.id}/links", json=body, headers=headers).status_code
        == 403
    )


def test_owner_staff_anonymous_and_unlinked_are_refused(
    client: TestClient, db: Database, people: dict[str, str], world: dict[str, Side]
) -> None:
    for path in (*PAGES, "/portal/statement.csv"):
        response = client.get(path + "?partner_id=1", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/portal")
    for role in ("owner", "staff"):
        sign_in(client, people[role])
        response = client.get("/portal")
        assert response.status_code == 403
        assert "is not a partner account" in response.text
        client.cookies.clear()

    with db.session() as session:  # Ben is suspended: his account no longer opens the portal
        program = service.default_program(session)
        service.set_status(
            session, service.get_partner(session, program, world["ben"].id), "suspended"
        )
    sign_in(client, world["ben"].email)
    for path in (*PAGES, "/portal/statement.csv"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "not linked to a partner yet" in response.text
        _absent(response.text, world["ana"], path)
        assert world["ben"].slug not in response.text
    assert 'action="/logout"' in response.text


def test_a_partner_sees_why_a_commission_is_held_or_rejected_and_only_their_payouts(
    client: TestClient, db: Database, world: dict[str, Side]
) -> None:
    ana, ben = world["ana"], world["ben"]
    with db.session() as session:
        program = service.default_program(session)
        pending = session.scalars(
            select(Commission).where(Commission.status == "pending").order_by(Commission.id)
        ).all()
        mine = next(c for c in pending if c.partner_id == ana.id)
        theirs = next(c for c in pending if c.partner_id == ben.id)
        service.change_status(
            session,
            program,
            mine.id,
            "hold",
            actor="owner",
            note="Checking with the bank",
        )
        service.change_status(session, program, theirs.id, "hold", actor="owner", note="Ben-only")
    sign_in(client, ana.email)
    page = client.get("/portal/commissions").text
    assert "On hold: Checking with the bank." in page
    assert "Ben-only" not in page
    client.cookies.clear()

    with db.session() as session:
        program = service.default_program(session)
        service.change_status(
            session, program, mine.id, "reject", actor="owner", note="the order was cancelled"
        )
        service.change_status(session, program, theirs.id, "release", actor="owner")
        approve_due(session, program, NOW + timedelta(days=program.holding_days + 1))
        second = create_payout(session, program, actor="owner", now=NOW)  # Ben's alone
        assert second is not None
    sign_in(client, ana.email)
    page = client.get("/portal/commissions").text
    assert "Rejected: the order was cancelled" in page
    refused = client.get(f"/portal/payouts/{second.id}")
    assert refused.status_code == 404
    _absent(refused.text, ben, "another partner's payout")
    assert client.get(f"/portal/payouts/{second.id + 1}").status_code == 404
    client.cookies.clear()

    sign_in(client, ben.email)
    assert "Ben-only" not in client.get("/portal/commissions").text  # released: not held
    own = client.get(f"/portal/payouts/{second.id}")
    assert own.status_code == 200
    assert "233.10 USD" in own.text
    assert "being paid" in own.text
    _absent(own.text, ana, "Ben's payout")
