"""64 writers at once on every route another system calls: all answered 2xx (or 503 with
Retry-After), never 500, and exactly the rows they asked for, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from evergreen.accounts.models import ApiToken
from evergreen.config import Settings
from evergreen.db import Database
from evergreen.links.models import Link
from evergreen.networks import service as networks
from evergreen.networks.models import NetworkEarning
from evergreen.partners import service as partners
from evergreen.partners.models import Conversion, Customer, Program
from evergreen.web import create_app
from tests.http_helpers import csrf_from, token_for
from tests.live_server import Call, live_server, send_until_answered

N = 64


def _sale(key: str) -> dict[str, str]:
    return {
        "idempotency_key": key, "event": "sale", "amount": "40.00", "currency": "USD",
        "customer_id": f"cus-{key}", "order_id": key,
    }  # fmt: skip


@dataclass(frozen=True)
class Setup:
    """What the calls need: the owner token and a network with its postback secret."""

    auth: dict[str, str]
    network_id: int
    secret: str


@pytest.fixture
def setup(db: Database, people: dict[str, str]) -> Setup:
    """A program and a network exist before the writers arrive (as on any running install)."""
    with db.session() as session:
        partners.default_program(session)
        network, secret = networks.create_network(session, "Awin")
    auth = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    return Setup(auth, network.id, secret)


def _count(db: Database, column: object) -> int:
    with db.session(writer=False) as session:
        return int(session.scalar(select(func.count(column))) or 0)  # type: ignore[arg-type]


def _run(settings: Settings, db: Database, calls: list[Call]) -> list[httpx.Response]:
    """Send the calls at once to a real server; a 503 is sent again, as a network or a shop
    retries, so the rows can be checked exactly. Every answer ends 2xx."""
    with live_server(settings, db) as url:
        responses = send_until_answered(url, calls)
    statuses = Counter(r.status_code for r in responses)
    assert all(status < 300 for status in statuses), statuses
    return responses


def test_the_same_conversion_64_times_at_once_is_stored_once(
    settings: Settings, db: Database, setup: Setup
) -> None:
    calls = [Call("POST", "/api/v1/partners/conversions", _sale("o-1"), headers=setup.auth)] * N
    responses = _run(settings, db, calls)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: N - 1}  # the first records it; the rest are replays
    assert {r.json()["id"] for r in responses} == {responses[0].json()["id"]}
    assert sum(r.json()["duplicate"] for r in responses) == N - 1
    assert _count(db, Conversion.id) == 1


def test_64_different_conversions_at_once_are_all_stored(
    settings: Settings, db: Database, setup: Setup
) -> None:
    calls = [
        Call("POST", "/api/v1/partners/conversions", _sale(f"o-{i}"), headers=setup.auth)
        for i in range(N)
    ]
    responses = _run(settings, db, calls)
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == N
    assert _count(db, Conversion.id) == N


def test_64_batches_at_once_sharing_one_event_store_each_event_once(
    settings: Settings, db: Database, setup: Setup
) -> None:
    path = "/api/v1/partners/conversions/batch"
    batch = [{"events": [_sale(f"own-{i}"), _sale("shared")]} for i in range(N)]
    calls = [Call("POST", path, body, headers=setup.auth) for body in batch]
    responses = _run(settings, db, calls)
    assert {r.status_code for r in responses} == {201}
    shared = {r.json()["results"][1]["id"] for r in responses}
    assert len(shared) == 1
    assert sum(not r.json()["results"][1]["duplicate"] for r in responses) == 1
    assert _count(db, Conversion.id) == N + 1


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_postbacks_at_once_store_one_earning_per_order(
    settings: Settings, db: Database, setup: Setup, method: str
) -> None:
    path = f"/api/v1/networks/{setup.network_id}/postback"

    def call(order: str) -> Call:
        fields = {"oid": order, "payout": "4.20", "status": "approved"}
        if method == "GET":
            return Call("GET", path, params={**fields, "secret": setup.secret})
        return Call("POST", path, json=fields, params={"secret": setup.secret})

    same = _run(settings, db, [call("same-order")] * N)
    assert {r.status_code for r in same} == {200}
    assert len({r.json()["earning_id"] for r in same}) == 1
    distinct = _run(settings, db, [call(f"order-{i}") for i in range(N)])
    assert {r.status_code for r in distinct} == {200}
    assert _count(db, NetworkEarning.id) == N + 1


def test_64_report_imports_at_once_store_each_order_once(
    settings: Settings, db: Database, setup: Setup
) -> None:
    path = f"/api/v1/networks/{setup.network_id}/reports"
    headers = {**setup.auth, "Content-Type": "text/csv"}
    reports = [
        f"order_id,commission,status\nshared,5.00,approved\nown-{i},1.5,pending\n" for i in range(N)
    ]
    calls = [Call("POST", path, content=report, headers=headers) for report in reports]
    responses = _run(settings, db, calls)
    assert {r.status_code for r in responses} == {200}
    assert all(r.json()["errors"] == [] for r in responses)
    assert sum(r.json()["created"] for r in responses) == N + 1
    assert _count(db, NetworkEarning.id) == N + 1


def test_64_links_at_once_are_all_created(settings: Settings, db: Database, setup: Setup) -> None:
    links = [{"destination": f"https://shop.example/{i}"} for i in range(N)]
    calls = [Call("POST", "/api/v1/links", body, headers=setup.auth) for body in links]
    responses = _run(settings, db, calls)
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["slug"] for r in responses}) == N
    assert _count(db, Link.id) == N


def test_64_bulk_imports_at_once_claim_a_slug_once(
    settings: Settings, db: Database, setup: Setup
) -> None:
    sale = {"destination": "https://shop.example/sale", "slug": "sale"}
    imports = [{"links": [{"destination": f"https://shop.example/{i}"}, sale]} for i in range(N)]
    calls = [Call("POST", "/api/v1/links/bulk", body, headers=setup.auth) for body in imports]
    responses = _run(settings, db, calls)
    assert {r.status_code for r in responses} == {201}
    bodies = [r.json() for r in responses]
    assert sum(len(b["created"]) == 2 for b in bodies) == 1  # one import got the slug
    refused = [b["errors"] for b in bodies if len(b["created"]) == 1]
    assert len(refused) == N - 1  # the others were told it is taken
    assert all([(e["index"], e["field"]) for e in errors] == [(1, "slug")] for errors in refused)
    assert _count(db, Link.id) == N + 1


@contextmanager
def _locked(url: str) -> Iterator[None]:
    """Another program holds the database: SQLite's write lock, or PostgreSQL's table locks."""
    if url.startswith("sqlite"):
        holder = sqlite3.connect(make_url(url).database or "", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("LOCK TABLE api_tokens, users IN ACCESS EXCLUSIVE MODE"))
            yield
    finally:
        engine.dispose()


def test_a_database_locked_past_the_wait_answers_503_with_retry_after(
    settings: Settings, database_url: str, people: dict[str, str]
) -> None:
    seed = Database(database_url)
    auth = {"Authorization": f"Bearer {token_for(seed, people['staff'])}"}
    seed.dispose()
    impatient = Database(database_url, lock_timeout_s=0.2)
    app = create_app(settings, database=impatient, background=False)
    try:
        with TestClient(app) as client:
            login = client.get("/login")
            form = {"email": people["owner"], "password": "x", "csrf_token": csrf_from(login.text)}
            with _locked(database_url):
                api = client.post("/api/v1/partners/conversions", json=_sale("o-1"), headers=auth)
                page = client.post("/login", data=form)
            assert api.status_code == 503, api.text
            assert int(api.headers["Retry-After"]) > 0
            assert "busy" in api.json()["detail"]
            assert page.status_code == 503
            assert int(page.headers["Retry-After"]) > 0
            assert "busy" in page.text
            assert "Traceback" not in page.text
            later = client.post("/api/v1/partners/conversions", json=_sale("o-1"), headers=auth)
            assert later.status_code == 201, later.text
    finally:
        impatient.dispose()


def test_requests_that_ingest_clicks_never_wait_for_their_own_lock(
    settings: Settings, database_url: str, people: dict[str, str]
) -> None:
    """A writer (reclassify) and a reader (stats) both ingest spooled clicks on another
    connection after a fresh token was stamped: neither may wait for the request's own lock."""
    impatient = Database(database_url, lock_timeout_s=0.3)
    app = create_app(settings, database=impatient, background=False)
    try:
        with TestClient(app) as client:
            for _fresh_token_each_time in range(2):
                auth = {"Authorization": f"Bearer {token_for(impatient, people['staff'])}"}
                marked = client.post(
                    "/api/v1/links/reclassify", json={"user_agent": "curl/8"}, headers=auth
                )
                assert marked.status_code == 200, marked.text
                auth = {"Authorization": f"Bearer {token_for(impatient, people['staff'])}"}
                stats = client.get("/api/v1/links/stats", headers=auth)
                assert stats.status_code == 200, stats.text
        with impatient.session(writer=False) as session:
            stamped = session.scalars(select(ApiToken.last_used_at)).all()
        assert all(at is not None for at in stamped)  # every token's use was noted
    finally:
        impatient.dispose()


def test_the_first_conversions_of_a_new_install_at_once_make_one_program(
    settings: Settings, db: Database, people: dict[str, str]
) -> None:
    auth = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    calls = [
        Call("POST", "/api/v1/partners/conversions", _sale(f"o-{i}"), headers=auth)
        for i in range(N)
    ]
    responses = _run(settings, db, calls)
    assert {r.status_code for r in responses} == {201}
    assert _count(db, Program.id) == 1
    assert _count(db, Conversion.id) == N


def test_64_sales_of_one_customer_at_once_count_every_payment(
    settings: Settings, db: Database, setup: Setup
) -> None:
    sales = [{**_sale(f"o-{i}"), "customer_id": "cus-1"} for i in range(N)]
    calls = [Call("POST", "/api/v1/partners/conversions", s, headers=setup.auth) for s in sales]
    responses = _run(settings, db, calls)
    assert {r.status_code for r in responses} == {201}
    with db.session(writer=False) as session:
        customers = session.scalars(select(Customer)).all()
    assert [c.payments for c in customers] == [N]  # one customer; no payment lost to a race
    assert _count(db, Conversion.id) == N
