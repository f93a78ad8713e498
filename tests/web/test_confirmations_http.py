"""Irreversible page actions take a second step: a post without `confirm=yes` only asks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from evergreen.accounts import service as accounts
from evergreen.accounts.models import ApiToken
from evergreen.db import Database
from evergreen.networks import service as networks
from evergreen.networks.models import Network
from evergreen.partners import service as partners
from evergreen.partners.models import Commission, Partner, Payout, WebhookEndpoint
from evergreen.partners.rules import EventType
from tests.http_helpers import csrf_from, sign_in


@dataclass(frozen=True)
class Case:
    """One irreversible action: where it posts, what the page asks, and whether it happened."""

    path: str
    data: dict[str, str]
    question: str
    done: Callable[[Database], bool]


def _program(db: Database) -> tuple[int, int]:
    """An active partner Ana with a pending commission; returns (partner id, commission id)."""
    with db.session() as session:
        program = partners.default_program(session)
        partners.add_terms(session, program, partners.TermsDraft(kind="percent", rate=Decimal(30)))
        ana = partners.create_partner(
            session, program, name="Ana", email="ana@example.com", status="active"
        )
        partners.add_coupon(session, ana, "ANA10")
        partners.record_conversion(
            session, program,
            partners.ConversionIn(
                idempotency_key="s1", event=EventType.SALE, amount=Decimal(200), currency="USD",
                customer_id="cus_1", occurred_at=datetime.now(UTC), order_id="o1", coupon="ANA10",
            ),
            actor="test",
        )  # fmt: skip
        commission = session.scalars(select(Commission.id)).one()
        return ana.id, commission


def _reject(db: Database) -> Case:
    _ana, commission = _program(db)

    def done(db: Database) -> bool:
        with db.session() as session:
            return session.get(Commission, commission).status == "rejected"  # type: ignore[union-attr]

    return Case(
        f"/partners/commissions/{commission}/reject",
        {"note": "a test order"},
        f"Reject commission {commission}?",
        done,
    )


def _suspend(db: Database) -> Case:
    ana, _commission = _program(db)

    def done(db: Database) -> bool:
        with db.session() as session:
            return session.get(Partner, ana).status == "suspended"  # type: ignore[union-attr]

    return Case(f"/partners/{ana}/status", {"status": "suspended"}, "Suspend Ana?", done)


def _mark_paid(db: Database) -> Case:
    _program(db)
    with db.session() as session:
        program = partners.default_program(session)
        later = datetime.now(UTC) + timedelta(days=program.holding_days + 1)
        partners.approve_due(session, program, later)
        payout = partners.create_payout(session, program, actor="test", now=later)
        assert payout is not None
        payout_id = payout.id

    def done(db: Database) -> bool:
        with db.session() as session:
            return session.get(Payout, payout_id).status == "paid"  # type: ignore[union-attr]

    return Case(f"/partners/payouts/{payout_id}/paid", {}, f"Mark payout {payout_id} paid?", done)


def _revoke(db: Database) -> Case:
    with db.session() as session:
        owner = next(u for u in accounts.list_users(session) if u.role == "owner")
        token = accounts.create_token(session, owner, "reporting script")[0].id

    def done(db: Database) -> bool:
        with db.session() as session:
            return session.get(ApiToken, token).revoked_at is not None  # type: ignore[union-attr]

    return Case(
        f"/account/tokens/{token}/revoke", {}, "Revoke the API token “reporting script”?", done
    )


def _new_secret(db: Database) -> Case:
    with db.session() as session:
        network = networks.create_network(session, "Impact")[0]
        network_id, before = network.id, network.postback_secret

    def done(db: Database) -> bool:
        with db.session() as session:
            return session.get(Network, network_id).postback_secret != before  # type: ignore[union-attr]

    return Case(
        f"/partners/earnings/networks/{network_id}/secret",
        {},
        "Make a new postback secret for Impact?",
        done,
    )


def _delete_webhook(db: Database) -> Case:
    with db.session() as session:
        program = partners.default_program(session)
        url = "https://hooks.example.com/evergreen"
        endpoint = partners.add_endpoint(session, program, url, ["commission.created"]).id

    def done(db: Database) -> bool:
        with db.session() as session:
            return session.get(WebhookEndpoint, endpoint) is None

    return Case(f"/partners/webhooks/{endpoint}/delete", {}, "Delete this webhook endpoint?", done)


CASES = {
    "reject commission": _reject,
    "suspend partner": _suspend,
    "mark payout paid": _mark_paid,
    "revoke API token": _revoke,
    "new postback secret": _new_secret,
    "delete webhook": _delete_webhook,
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_first_post_only_asks_and_the_confirmed_one_acts(
    client: TestClient, db: Database, people: dict[str, str], name: str
) -> None:
    case = CASES[name](db)
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/account/tokens").text)

    asked = client.post(case.path, data={"csrf_token": token, **case.data})
    assert asked.status_code == 200
    assert case.question in asked.text
    assert "cannot" in asked.text  # it says what cannot be undone
    # The page's form posts the same values back to the same path, with confirm=yes.
    assert f'action="{case.path}"' in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    for field, value in case.data.items():
        assert f'name="{field}" value="{value}"' in asked.text
    assert 'class="cancel" href="/' in asked.text
    assert not case.done(db)

    wrong = client.post(case.path, data={"csrf_token": token, **case.data, "confirm": "ok"})
    assert wrong.status_code == 200
    assert not case.done(db)
    forged = client.post(case.path, data={**case.data, "confirm": "yes"})
    assert forged.status_code == 403  # the confirming post is a form post like any other
    assert not case.done(db)

    confirmed = client.post(
        case.path, data={"csrf_token": token, **case.data, "confirm": "yes"}, follow_redirects=False
    )
    assert confirmed.status_code in (200, 303)
    assert case.done(db)


def test_the_json_api_stays_one_step(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    from tests.http_helpers import token_for

    headers = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    created = client.post("/api/v1/tokens", json={"name": "ci"}, headers=headers).json()
    revoked = client.delete(f"/api/v1/tokens/{created['id']}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None


def test_confirming_a_missing_thing_is_a_404_not_a_question(
    client: TestClient, people: dict[str, str]
) -> None:
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/account/tokens").text)
    for path in (
        "/account/tokens/999/revoke",
        "/partners/payouts/999/paid",
        "/partners/webhooks/999/delete",
        "/partners/commissions/999/reject",
    ):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
