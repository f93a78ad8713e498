"""Webhooks reach public addresses only (after DNS: at save, at delivery); no redirect followed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.addresses import Addresses
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import WebhookDelivery, WebhookEndpoint
from evergreen.partners.rules import PartnerRuleError
from evergreen.partners.rules.webhooks import address_refusal
from evergreen.partners.service.webhooks import add_endpoint, deliver_due, emit, http_sender
from tests.http_helpers import token_for
from tests.partners.test_webhooks import LOCAL, Receiver

NOBODY = Addresses("")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running local webhook receiver."""
    running = Receiver()
    yield running
    running.server.shutdown()
    running.server.server_close()


EVENTS = ["commission.created"]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "reserved"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("2002:7f00:1::1", "loopback"),  # 6to4 around 127.0.0.1
        ("224.0.0.1", "multicast"),
    ],
)
def test_addresses_that_are_not_public_are_refused(address: str, kind: str) -> None:
    reason = address_refusal("hooks.example", address, NOBODY)
    assert reason is not None
    assert f"a {kind} address" in reason
    assert "EVERGREEN_WEBHOOK_ALLOW" in reason


def test_public_addresses_pass_and_the_owner_can_allow_hosts_and_networks() -> None:
    assert address_refusal("hooks.example", "93.184.215.14", NOBODY) is None
    assert (
        address_refusal("hooks.example", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", NOBODY) is None
    )
    allow = Addresses("hooks.internal, 10.0.0.0/8, 127.0.0.1", names=True)
    assert address_refusal("hooks.internal", "192.168.7.7", allow) is None  # by name
    assert address_refusal("a.example", "10.9.9.9", allow) is None  # by network
    assert address_refusal("127.0.0.1", "127.0.0.1", allow) is None
    assert address_refusal("a.example", "192.168.7.7", allow) is not None
    assert address_refusal("hooks.internal.evil.example", "192.168.7.7", allow) is not None


def test_saving_an_endpoint_refuses_loopback_and_private_hosts(db: Database) -> None:
    with db.session() as session:
        program = service.default_program(session)
        for url in (
            "http://127.0.0.1:6379/",
            "http://localhost:8000/hooks",  # a name, refused after resolution
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data/",
            "https://10.0.0.5/hook",
        ):
            with pytest.raises(PartnerRuleError) as refused:
                add_endpoint(session, program, url, EVENTS)
            assert refused.value.field == "url"
            assert "public addresses only" in refused.value.message
        # Allowed by the owner: saved. A name that does not resolve yet is checked at delivery.
        add_endpoint(session, program, "http://127.0.0.1:9/hooks", EVENTS, allow=LOCAL)
        add_endpoint(session, program, "https://hooks.invalid/evergreen", EVENTS)
        assert session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 2


def _queue_one(db: Database, url: str) -> None:
    with db.session() as session:
        program = service.default_program(session)
        add_endpoint(session, program, url, EVENTS, allow=LOCAL)
        assert emit(session, program.id, "commission.created", "evt-1", {"id": 1}) == 1


def _delivery(db: Database) -> WebhookDelivery:
    with db.session() as session:
        return session.scalars(select(WebhookDelivery)).one()


def test_delivery_checks_the_address_again_and_sends_nothing_when_refused(
    db: Database, receiver: Receiver
) -> None:
    # Saved while allowed (or while its DNS said something else): delivery resolves and checks
    # again, and a loopback answer is refused without a connection, its port never reported.
    _queue_one(db, receiver.url)
    now = datetime.now(UTC) + timedelta(seconds=1)
    with db.session() as session:
        assert deliver_due(session, now, http_sender(NOBODY)) == (0, 1)
    delivery = _delivery(db)
    assert receiver.received == []
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("pending", 1, None)
    assert delivery.last_error is not None
    assert "127.0.0.1 is a loopback address" in delivery.last_error
    with db.session() as session:  # allowed now: the retry is delivered
        assert deliver_due(session, now + timedelta(minutes=1), http_sender(LOCAL)) == (1, 0)
    assert len(receiver.received) == 1


def test_a_redirect_is_a_failed_delivery_and_is_not_followed(
    db: Database, receiver: Receiver
) -> None:
    receiver.redirect_to = receiver.url + "/elsewhere"
    _queue_one(db, receiver.url)
    now = datetime.now(UTC) + timedelta(seconds=1)
    with db.session() as session:
        assert deliver_due(session, now, http_sender(LOCAL)) == (0, 1)
    delivery = _delivery(db)
    assert (delivery.status, delivery.last_status, delivery.delivered_at) == ("pending", 302, None)
    assert delivery.last_error is not None
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.received) == 1  # the one POST
    assert receiver.gets == []  # not re-sent as a GET to the redirect's target


def test_the_api_and_page_refuse_a_private_endpoint_and_honour_the_allow_list(
    settings: Settings, db: Database, people: dict[str, str]
) -> None:
    from evergreen.web import create_app

    token = token_for(db, people["owner"])
    headers = {"Authorization": f"Bearer {token}"}
    body = {"url": "http://127.0.0.1:6379/", "events": EVENTS}
    with TestClient(create_app(settings, database=db)) as client:
        refused = client.post("/api/v1/partners/webhooks", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "url"
    assert "loopback" in refused.json()["detail"][0]["message"]
    allowing = settings.model_copy(update={"webhook_allow": "127.0.0.1"})
    with TestClient(create_app(allowing, database=db)) as client:
        added = client.post("/api/v1/partners/webhooks", json=body, headers=headers)
    assert added.status_code == 201, added.text


def test_the_allow_list_setting_is_checked() -> None:
    assert Settings(webhook_allow="hooks.internal, 10.0.0.0/8, ::1").webhook_allow
    with pytest.raises(ValueError, match="not a host name"):
        Settings(webhook_allow="http://hooks.internal/")
