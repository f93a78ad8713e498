"""The owner's webhooks page over HTTP: add (secret shown once), deliveries, disable, delete."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import WebhookDelivery, WebhookEndpoint
from evergreen.partners.service.webhooks import deliver_due, emit
from tests.http_helpers import csrf_from, sign_in

URL = "https://hooks.example/evergreen"
PAGE = "/partners/webhooks"


def _owner(client: TestClient, people: dict[str, str], role: str = "owner") -> str:
    """Sign in and return the CSRF token every form of this session carries."""
    sign_in(client, people[role])
    return csrf_from(client.get("/partners/earnings").text)


def _post(client: TestClient, path: str, token: str, **data: Any) -> Any:
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def _add(client: TestClient, token: str) -> tuple[int, str]:
    """Add URL for created and approved commissions; its id and the secret the page showed."""
    added = _post(
        client, PAGE, token, url=URL, events=["commission.created", "commission.approved"]
    )
    assert added.status_code == 200, added.text
    match = re.search(r'id="webhook-secret">(\w+)</code>', added.text)
    assert match, added.text
    endpoint_id = int(re.findall(r'action="/partners/webhooks/(\d+)/disable"', added.text)[0])
    return endpoint_id, match.group(1)


def _emit(db: Database, event_id: str) -> int:
    with db.session() as session:
        program = service.default_program(session)
        return emit(session, program.id, "commission.created", event_id, {"id": 1})


@pytest.mark.both_databases
def test_the_owner_adds_an_endpoint_and_sees_its_secret_only_once(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _owner(client, people)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "No endpoints yet." in page.text
    assert 'href="/partners/webhooks"' in page.text  # in the partners navigation
    endpoint_id, secret = _add(client, token)
    with db.session() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        assert (endpoint.secret, endpoint.url, endpoint.active) == (secret, URL, True)
        assert endpoint.events == ["commission.created", "commission.approved"]
    later = client.get(PAGE)
    assert URL in later.text
    assert "commission.created, commission.approved" in later.text
    assert "active" in later.text
    assert secret not in later.text


def test_a_bad_endpoint_is_refused_with_what_to_fix(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _owner(client, people)
    wrong_scheme = _post(
        client, PAGE, token, url="ftp://hooks.example/x", events=["commission.paid"]
    )
    assert wrong_scheme.status_code == 400
    assert (
        "The endpoint was not added: url: must start with http:// or https://" in wrong_scheme.text
    )
    assert 'value="ftp://hooks.example/x"' in wrong_scheme.text  # kept for fixing
    no_events = _post(client, PAGE, token, url=URL)
    assert no_events.status_code == 400
    assert "events: choose from commission.created" in no_events.text
    unknown = _post(client, PAGE, token, url=URL, events=["order.created"])
    assert unknown.status_code == 400
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_deliveries_are_listed_and_disabling_stops_queueing(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _owner(client, people)
    endpoint_id, _secret = _add(client, token)
    assert _emit(db, "evt-1") == 1
    with db.session() as session:
        now = datetime.now(UTC) + timedelta(seconds=1)
        assert deliver_due(session, now, send=lambda url, body, headers: 503) == (0, 1)
    page = client.get(PAGE)
    assert "evt-1" in page.text
    assert "pending" in page.text
    assert re.search(r'<td class="num">1</td>\s*<td><span class="warn">HTTP 503</span>', page.text)

    disabled = _post(client, f"{PAGE}/{endpoint_id}/disable", token)
    assert disabled.status_code == 303
    assert "Endpoint disabled" in client.get(disabled.headers["location"]).text
    assert _emit(db, "evt-2") == 0
    enabled = _post(client, f"{PAGE}/{endpoint_id}/enable", token)
    assert enabled.status_code == 303
    assert _emit(db, "evt-3") == 1

    deleted = _post(client, f"{PAGE}/{endpoint_id}/delete", token, confirm="yes")
    assert deleted.status_code == 303
    assert "No endpoints yet." in client.get(deleted.headers["location"]).text
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert _post(client, f"{PAGE}/{endpoint_id}/disable", token).status_code == 404


def test_only_the_owner_manages_webhooks(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    token = _owner(client, people)
    endpoint_id, _secret = _add(client, token)
    client.cookies.clear()
    anonymous = client.get(PAGE, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/partners/webhooks"
    for role, home in (("staff", "/partners/earnings"), ("partner", "/portal")):
        client.cookies.clear()
        sign_in(client, people[role])
        token = csrf_from(client.get(home).text)
        assert client.get(PAGE).status_code == 403, role
        assert _post(client, PAGE, token, url=URL, events=["commission.paid"]).status_code == 403
        assert _post(client, f"{PAGE}/{endpoint_id}/disable", token).status_code == 403
        assert _post(client, f"{PAGE}/{endpoint_id}/delete", token).status_code == 403
    with db.session() as session:
        endpoints = session.scalars(select(WebhookEndpoint)).all()
        assert [(e.id, e.active) for e in endpoints] == [(endpoint_id, True)]
