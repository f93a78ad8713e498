"""Every route, as every role: the answer is the one its declared access gives (web/deps.py), and
the pages and the API declare the same access for the same action. On SQLite, as every page and
HTTP test: who may do what is decided before any query."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from evergreen.accounts import service as accounts
from evergreen.accounts.rules import SESSION_COOKIE, Access, Role, allows
from evergreen.db import Database
from evergreen.ledger import service as ledger
from evergreen.ledger.rules import StreamKind
from evergreen.partners import service as partners
from evergreen.web.csrf import CSRF_COOKIE, csrf_token_for
from evergreen.web.deps import declared_access
from tests.conftest import TEST_SECRET
from tests.http_helpers import PASSWORD, token_for

ROLES: tuple[Role | None, ...] = (None, Role.PARTNER, Role.BORROWER, Role.STAFF, Role.OWNER)
_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
# Path values that name nothing: the answer is about who asks, not about a row.
_VALUES = {"int": "999999", "path": "nothing/here", "action": "approve", "slug": "no-such-link"}


def _fill(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2) or ""
        return _VALUES.get(kind) or _VALUES.get(name) or ("999999" if name.endswith("_id") else "x")

    return _PARAM.sub(value, path)


def _routes(app: Any) -> list[tuple[str, str, Access]]:
    """(method, path, declared access) for every route; one that declares none fails here."""
    found: list[tuple[str, str, Access]] = []
    undeclared: list[str] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            declared = declared_access(context.dependant)
            if declared is None:
                undeclared.append(f"{sorted(context.methods)} {context.path}")
                continue
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", context.path)  # {id:int} reads as {id}
            for method in sorted(context.methods - {"HEAD"}):
                found.append((method, path, declared.access))
        elif isinstance(route, Mount):
            found.append(("GET", "/static/evergreen.css", Access.PUBLIC))
        else:  # the OpenAPI document and its pages
            found.append(("GET", getattr(route, "path", "/"), Access.PUBLIC))
    assert not undeclared, f"routes that declare no access: {undeclared}"
    return found


class Caller:
    """Requests as one role: a bearer token for the API, a fresh browser session for pages."""

    def __init__(self, client: TestClient, db: Database, role: Role | None, email: str) -> None:
        self.client, self.db, self.role = client, db, role
        self.token = token_for(db, email) if role is not None else None
        self.email = email

    def _cookies(self) -> dict[str, str]:
        csrf = "walk-csrf-cookie"
        cookies = {CSRF_COOKIE: csrf}
        session = ""
        if self.role is not None:  # a new session each time: /logout ends the one it gets
            with self.db.session() as db_session:
                user = next(u for u in accounts.list_users(db_session) if u.email == self.email)
                raw = accounts.start_session(db_session, user, days=1)
            session = accounts.session_cookie(TEST_SECRET, self.role.value, raw, days=1)
            cookies[SESSION_COOKIE] = session
        cookies["csrf_token"] = csrf_token_for(TEST_SECRET, csrf, session)
        return cookies

    def call(self, method: str, path: str) -> Any:
        url = _fill(path)
        if (
            path.startswith("/api/")
            and not path.startswith("/api/docs")
            and path != "/api/openapi.json"
        ):
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            return self.client.request(method, url, headers=headers, follow_redirects=False, **body)
        cookies = self._cookies()
        token = cookies.pop("csrf_token")
        header = "; ".join(f"{k}={v}" for k, v in cookies.items())
        data = {"data": {"csrf_token": token}} if method == "POST" else {}
        return self.client.request(
            method, url, headers={"Cookie": header}, follow_redirects=False, **data
        )


def _refused(response: Any, path: str) -> str | None:
    """How the answer refuses the caller (the access check's own answers), or None."""
    if path.startswith("/api/v1/"):
        if response.status_code in (401, 403):
            return str(response.status_code)
        return None
    if response.status_code == 303 and response.headers["location"].startswith("/login?next="):
        return "sign in"
    if response.status_code == 403 and "<title>Not allowed" in response.text:
        return "403"
    return None


@pytest.fixture
def callers(client: TestClient, db: Database, people: dict[str, str]) -> dict[Role | None, Caller]:
    """One caller per role; the partner account stands for an active partner (its portal opens)."""
    with db.session() as session:
        program = partners.default_program(session)
        partners.create_partner(
            session, program, name="Pat", email=people["partner"], status="active"
        )
    emails = {None: "", **{Role(role): email for role, email in people.items()}}
    with db.session() as session:  # the demo's route then refuses at once (it loads a year)
        ledger.add_stream(
            session, ledger.StreamDraft("Blog", StreamKind.AFFILIATE), date(2026, 1, 1)
        )
    with db.session() as session:  # a borrower account (the borrower portal's role)
        emails[Role.BORROWER] = "borrower@example.com"
        accounts.create_user(session, emails[Role.BORROWER], PASSWORD, Role.BORROWER)
    return {role: Caller(client, db, role, emails[role]) for role in ROLES}


def test_every_route_answers_every_role_as_it_declares(
    client: TestClient, callers: dict[Role | None, Caller]
) -> None:
    routes = _routes(client.app)
    assert len(routes) > 100
    wrong: list[str] = []
    for method, path, access in routes:
        for role, caller in callers.items():
            response = caller.call(method, path)
            refused = _refused(response, path)
            expected = allows(access, role)
            if expected and refused is not None:
                wrong.append(f"{method} {path} ({access}) refused {role}: {refused}")
            if not expected and refused is None:
                wrong.append(f"{method} {path} ({access}) let {role} in: {response.status_code}")
            if not expected and role is None and path.startswith("/api/v1/") and refused != "401":
                wrong.append(f"{method} {path} answered anonymous {refused}, not 401")
            if (
                not expected
                and role is None
                and not path.startswith("/api/")
                and refused != "sign in"
            ):
                wrong.append(f"{method} {path} did not send anonymous to sign in: {refused}")
    assert not wrong, "\n".join(wrong)


# The same action on a page and in the API: both declare the same access (the dashboard's word).
SAME_ACTION = [
    (("GET", "/settings"), ("GET", "/api/v1/users")),
    (("GET", "/account/tokens"), ("GET", "/api/v1/tokens")),
    (("POST", "/account/tokens"), ("POST", "/api/v1/tokens")),
    (("POST", "/account/tokens/{token_id}/revoke"), ("DELETE", "/api/v1/tokens/{token_id}")),
    (("GET", "/links"), ("GET", "/api/v1/links")),
    (("POST", "/links/new"), ("POST", "/api/v1/links")),
    (("POST", "/links/import"), ("POST", "/api/v1/links/bulk")),
    (("POST", "/links/{slug}/edit"), ("PUT", "/api/v1/links/{slug}")),
    (("POST", "/links/{slug}/delete"), ("DELETE", "/api/v1/links/{slug}")),
    (("POST", "/links/reclassify"), ("POST", "/api/v1/links/reclassify")),
    (("GET", "/partners/earnings"), ("GET", "/api/v1/networks/earnings")),
    (("POST", "/partners/earnings/networks"), ("POST", "/api/v1/networks")),
    (
        ("POST", "/partners/earnings/networks/{network_id}/postback-mapping"),
        ("PUT", "/api/v1/networks/{network_id}/postback-mapping"),
    ),
    (
        ("POST", "/partners/earnings/networks/{network_id}/report-mapping"),
        ("PUT", "/api/v1/networks/{network_id}/report-mapping"),
    ),
    (
        ("POST", "/partners/earnings/networks/{network_id}/reports"),
        ("POST", "/api/v1/networks/{network_id}/reports"),
    ),
    (
        ("POST", "/partners/earnings/networks/{network_id}/links"),
        ("POST", "/api/v1/networks/{network_id}/links"),
    ),
    (
        ("POST", "/partners/earnings/networks/{network_id}/secret"),
        ("POST", "/api/v1/networks/{network_id}/secret"),
    ),
    (
        ("POST", "/partners/earnings/networks/{network_id}/stream"),
        ("PUT", "/api/v1/networks/{network_id}/stream"),
    ),
    (("GET", "/partners/webhooks"), ("GET", "/api/v1/partners/webhooks")),
    (("POST", "/partners/webhooks"), ("POST", "/api/v1/partners/webhooks")),
    (
        ("POST", "/partners/webhooks/{endpoint_id}/disable"),
        ("POST", "/api/v1/partners/webhooks/{endpoint_id}/disable"),
    ),
    (
        ("POST", "/partners/webhooks/{endpoint_id}/delete"),
        ("DELETE", "/api/v1/partners/webhooks/{endpoint_id}"),
    ),
    (("GET", "/partners"), ("GET", "/api/v1/partners")),
    (("POST", "/partners"), ("POST", "/api/v1/partners")),
    (
        ("POST", "/partners/{partner_id}/status"),
        ("POST", "/api/v1/partners/{partner_id}/status"),
    ),
    (("POST", "/partners/{partner_id}/links"), ("POST", "/api/v1/partners/{partner_id}/links")),
    (
        ("POST", "/partners/{partner_id}/coupons"),
        ("POST", "/api/v1/partners/{partner_id}/coupons"),
    ),
    (
        ("POST", "/partners/{partner_id}/invite"),
        ("POST", "/api/v1/partners/{partner_id}/invite"),
    ),
    (
        ("GET", "/partners/{partner_id}/statement.csv"),
        ("GET", "/api/v1/partners/{partner_id}/statement.csv"),
    ),
    (
        ("POST", "/partners/commissions/{commission_id}/{action}"),
        ("POST", "/api/v1/partners/commissions/{commission_id}/{action}"),
    ),
    (("POST", "/partners/terms"), ("POST", "/api/v1/partners/terms")),
    (("POST", "/partners/payouts"), ("POST", "/api/v1/partners/payouts")),
    (
        ("POST", "/partners/payouts/{payout_id}/paid"),
        ("POST", "/api/v1/partners/payouts/{payout_id}/paid"),
    ),
    (
        ("GET", "/partners/payouts/{payout_id}/export.csv"),
        ("GET", "/api/v1/partners/payouts/{payout_id}/export.csv"),
    ),
    # The audience: the pages and the API read and write the same things by the same rule.
    (("GET", "/audience"), ("GET", "/api/v1/audience/lists")),
    (("POST", "/audience/lists"), ("POST", "/api/v1/audience/lists")),
    (("GET", "/audience/lists/{list_id}"), ("GET", "/api/v1/audience/lists/{list_id}")),
    (("POST", "/audience/lists/{list_id}"), ("PATCH", "/api/v1/audience/lists/{list_id}")),
    (
        ("POST", "/audience/lists/{list_id}/delete"),
        ("DELETE", "/api/v1/audience/lists/{list_id}"),
    ),
    (
        ("GET", "/audience/lists/{list_id}/export.csv"),
        ("GET", "/api/v1/audience/lists/{list_id}/export.csv"),
    ),
    (("GET", "/audience/subscribers"), ("GET", "/api/v1/audience/subscribers")),
    (("POST", "/audience/subscribers/new"), ("POST", "/api/v1/audience/subscribers")),
    (
        ("GET", "/audience/subscribers/{subscriber_id}"),
        ("GET", "/api/v1/audience/subscribers/{subscriber_id}"),
    ),
    *(
        (
            ("POST", f"/audience/subscribers/{{subscriber_id}}/{action}"),
            ("PATCH", "/api/v1/audience/subscribers/{subscriber_id}"),
        )
        for action in ("tags", "tags/remove", "edit", "fields")
    ),
    (
        ("POST", "/audience/subscribers/{subscriber_id}/unsubscribe"),
        ("POST", "/api/v1/audience/subscribers/{subscriber_id}/unsubscribe"),
    ),
    (
        ("GET", "/audience/subscribers/{subscriber_id}/export.json"),
        ("GET", "/api/v1/audience/subscribers/{subscriber_id}/export"),
    ),
    (
        ("POST", "/audience/subscribers/{subscriber_id}/erase"),
        ("DELETE", "/api/v1/audience/subscribers/{subscriber_id}"),
    ),
    (("POST", "/audience/import"), ("POST", "/api/v1/audience/imports")),
    (("POST", "/audience/import/{upload_id}"), ("POST", "/api/v1/audience/imports/{import_id}")),
    (("GET", "/audience/segments"), ("GET", "/api/v1/audience/segments")),
    (("POST", "/audience/segments"), ("POST", "/api/v1/audience/segments")),
    (("POST", "/audience/segments/count"), ("POST", "/api/v1/audience/segments/count")),
    (
        ("POST", "/audience/segments/{segment_id}/delete"),
        ("DELETE", "/api/v1/audience/segments/{segment_id}"),
    ),
    # Mail: staff read broadcasts and their numbers; the owner writes and sends them.
    (("GET", "/mail"), ("GET", "/api/v1/mail/broadcasts")),
    (("POST", "/mail/new"), ("POST", "/api/v1/mail/broadcasts")),
    (("GET", "/mail/broadcasts/{broadcast_id}"), ("GET", "/api/v1/mail/broadcasts/{broadcast_id}")),
    (
        ("POST", "/mail/broadcasts/{broadcast_id}/{action}"),
        ("POST", "/api/v1/mail/broadcasts/{broadcast_id}/{action}"),
    ),
    (
        ("POST", "/ledger/streams/{stream_id}/forecast"),
        ("PUT", "/api/v1/ledger/streams/{stream_id}/forecast"),
    ),
    (
        ("POST", "/ledger/streams/{stream_id}/forecast/remove"),
        ("DELETE", "/api/v1/ledger/streams/{stream_id}/forecast"),
    ),
    # Webinars: the pages and the API read and write the same things by the same rule.
    (("GET", "/webinars"), ("GET", "/api/v1/webinars")),
    (("POST", "/webinars"), ("POST", "/api/v1/webinars")),
    (("GET", "/webinars/{webinar_id}"), ("GET", "/api/v1/webinars/{webinar_id}")),
    (("GET", "/webinars/{webinar_id}"), ("GET", "/api/v1/webinars/{webinar_id}/sessions")),
    (("GET", "/webinars/{webinar_id}"), ("GET", "/api/v1/webinars/{webinar_id}/registrations")),
    (("POST", "/webinars/{webinar_id}"), ("PATCH", "/api/v1/webinars/{webinar_id}")),
    (("POST", "/webinars/{webinar_id}/delete"), ("DELETE", "/api/v1/webinars/{webinar_id}")),
    (("GET", "/household"), ("GET", "/api/v1/household")),
    (("POST", "/household/profile"), ("PUT", "/api/v1/household/profile")),
    *(
        pair
        for kind in ("income", "debt", "expense")
        for pair in (
            (("POST", f"/household/{kind}s"), ("POST", f"/api/v1/household/{kind}s")),
            (
                ("POST", f"/household/{kind}s/{{item_id}}"),
                ("PUT", f"/api/v1/household/{kind}s/{{{kind}_id}}"),
            ),
            (
                ("POST", f"/household/{kind}s/{{item_id}}/remove"),
                ("DELETE", f"/api/v1/household/{kind}s/{{{kind}_id}}"),
            ),
        )
    ),
    # Lending: staff read the book; the owner lends and services loans (pages as the API).
    (("GET", "/lending"), ("GET", "/api/v1/lending/portfolio")),
    (("GET", "/lending/borrowers"), ("GET", "/api/v1/lending/borrowers")),
    (("POST", "/lending/borrowers"), ("POST", "/api/v1/lending/borrowers")),
    (("POST", "/lending/properties"), ("POST", "/api/v1/lending/properties")),
    (("POST", "/lending/loans"), ("POST", "/api/v1/lending/loans")),
    (("GET", "/lending/loans/{loan_id}"), ("GET", "/api/v1/lending/loans/{loan_id}")),
    *(
        (
            ("POST", f"/lending/loans/{{loan_id}}/{tail}"),
            ("POST", f"/api/v1/lending/loans/{{loan_id}}/{tail}"),
        )
        for tail in ("payments", "payoff", "extension", "charge-off", "recoveries", "draws")
    ),
    (("POST", "/lending/capital"), ("PUT", "/api/v1/lending/settings")),
    (
        ("POST", "/lending/draws/{draw_id}/{action}"),
        ("POST", "/api/v1/lending/draws/{draw_id}/{action}"),
    ),
    (
        ("GET", "/lending/borrowers/{borrower_id}/documents"),
        ("GET", "/api/v1/lending/borrowers/{borrower_id}/documents"),
    ),
    (
        ("POST", "/lending/borrowers/{borrower_id}/documents"),
        ("POST", "/api/v1/lending/borrowers/{borrower_id}/documents"),
    ),
    (
        ("POST", "/lending/borrowers/{borrower_id}/documents/{document_id}/remove"),
        ("DELETE", "/api/v1/lending/borrowers/{borrower_id}/documents/{document_id}"),
    ),
    # Commerce: staff read products and tax rates; the owner writes them (pages as the API).
    (("GET", "/commerce"), ("GET", "/api/v1/commerce/products")),
    (("POST", "/commerce/products"), ("POST", "/api/v1/commerce/products")),
    (("GET", "/commerce/products/{product_id}"), ("GET", "/api/v1/commerce/products/{product_id}")),
    (
        ("POST", "/commerce/products/{product_id}"),
        ("PATCH", "/api/v1/commerce/products/{product_id}"),
    ),
    (
        ("POST", "/commerce/products/{product_id}/prices"),
        ("POST", "/api/v1/commerce/products/{product_id}/prices"),
    ),
    (
        ("POST", "/commerce/products/{product_id}/prices/{price_id}/remove"),
        ("DELETE", "/api/v1/commerce/products/{product_id}/prices/{price_id}"),
    ),
    (
        ("POST", "/commerce/products/{product_id}/files"),
        ("POST", "/api/v1/commerce/products/{product_id}/files"),
    ),
    (
        ("POST", "/commerce/products/{product_id}/files/{file_id}/remove"),
        ("DELETE", "/api/v1/commerce/products/{product_id}/files/{file_id}"),
    ),
    (
        ("POST", "/commerce/products/{product_id}/supplier"),
        ("PUT", "/api/v1/commerce/products/{product_id}/supplier"),
    ),
    (
        ("POST", "/commerce/products/{product_id}/price-from-rule"),
        ("POST", "/api/v1/commerce/products/{product_id}/price-from-rule"),
    ),
    (("GET", "/commerce/tax-rates"), ("GET", "/api/v1/commerce/tax-rates")),
    (("POST", "/commerce/tax-rates"), ("POST", "/api/v1/commerce/tax-rates")),
    (
        ("POST", "/commerce/tax-rates/{rate_id}/remove"),
        ("DELETE", "/api/v1/commerce/tax-rates/{rate_id}"),
    ),
]

OWNER_ONLY = {
    ("POST", "/api/v1/networks"),
    ("PUT", "/api/v1/networks/{network_id}/postback-mapping"),
    ("PUT", "/api/v1/networks/{network_id}/report-mapping"),
    ("POST", "/api/v1/networks/{network_id}/reports"),
    ("POST", "/api/v1/networks/{network_id}/links"),
    ("POST", "/api/v1/networks/{network_id}/secret"),
    ("PUT", "/api/v1/networks/{network_id}/stream"),
    ("POST", "/api/v1/partners/webhooks"),
    ("POST", "/api/v1/partners/terms"),
    ("POST", "/api/v1/partners/payouts/{payout_id}/paid"),
    ("GET", "/api/v1/users"),
    # The ledger: the owner's money and time; staff read it.
    ("POST", "/api/v1/ledger/streams"),
    ("PATCH", "/api/v1/ledger/streams/{stream_id}"),
    ("PUT", "/api/v1/ledger/streams/{stream_id}/forecast"),
    ("DELETE", "/api/v1/ledger/streams/{stream_id}/forecast"),
    ("POST", "/api/v1/ledger/income"),
    ("POST", "/api/v1/ledger/costs"),
    ("POST", "/api/v1/ledger/capital"),
    ("POST", "/api/v1/ledger/transactions"),
    ("POST", "/api/v1/ledger/transactions/{transaction_id}/reverse"),
    ("POST", "/api/v1/ledger/hours"),
    ("POST", "/api/v1/ledger/timer/start"),
    ("POST", "/api/v1/ledger/timer/stop"),
    ("PUT", "/api/v1/ledger/preferences"),
    ("PUT", "/api/v1/household/profile"),
    # The audience: staff read it; the owner changes it, and alone takes personal data out.
    ("POST", "/api/v1/audience/lists"),
    ("PATCH", "/api/v1/audience/lists/{list_id}"),
    ("DELETE", "/api/v1/audience/lists/{list_id}"),
    ("GET", "/api/v1/audience/lists/{list_id}/export.csv"),
    ("POST", "/api/v1/audience/subscribers"),
    ("PATCH", "/api/v1/audience/subscribers/{subscriber_id}"),
    ("POST", "/api/v1/audience/subscribers/{subscriber_id}/unsubscribe"),
    ("GET", "/api/v1/audience/subscribers/{subscriber_id}/export"),
    ("DELETE", "/api/v1/audience/subscribers/{subscriber_id}"),
    ("POST", "/api/v1/audience/imports"),
    ("POST", "/api/v1/audience/imports/{import_id}"),
    # Mail: only the owner writes a broadcast or sends, pauses, resumes or cancels it.
    ("POST", "/api/v1/mail/broadcasts"),
    ("PATCH", "/api/v1/mail/broadcasts/{broadcast_id}"),
    ("POST", "/api/v1/mail/broadcasts/{broadcast_id}/{action}"),
    # Commerce: only the owner changes products, prices, files, suppliers and tax rates.
    ("POST", "/api/v1/commerce/products"),
    ("PATCH", "/api/v1/commerce/products/{product_id}"),
    ("PUT", "/api/v1/commerce/products/{product_id}/supplier"),
    ("POST", "/api/v1/commerce/products/{product_id}/price-from-rule"),
    ("POST", "/api/v1/commerce/products/{product_id}/prices"),
    ("DELETE", "/api/v1/commerce/products/{product_id}/prices/{price_id}"),
    ("POST", "/api/v1/commerce/products/{product_id}/files"),
    ("DELETE", "/api/v1/commerce/products/{product_id}/files/{file_id}"),
    ("POST", "/api/v1/commerce/tax-rates"),
    ("PUT", "/api/v1/commerce/tax-rates/{rate_id}"),
    ("DELETE", "/api/v1/commerce/tax-rates/{rate_id}"),
    ("POST", "/commerce/products/{product_id}/bundle"),
    ("POST", "/commerce/products/{product_id}/status"),
    # A refund's credit note is a money document of the owner's, as the refund is.
    ("GET", "/commerce/orders/{order_id}/credit-note.pdf"),
    # Webinars: staff read them and the sessions offered; only the owner changes them.
    ("POST", "/api/v1/webinars"),
    ("PATCH", "/api/v1/webinars/{webinar_id}"),
    ("DELETE", "/api/v1/webinars/{webinar_id}"),
    ("POST", "/api/v1/webinars/{webinar_id}/registrations"),
    # Lending: staff read the book; only the owner lends, records money or writes a loan off.
    ("POST", "/api/v1/lending/borrowers"),
    ("POST", "/api/v1/lending/properties"),
    ("POST", "/api/v1/lending/loans"),
    ("POST", "/api/v1/lending/loans/{loan_id}/payments"),
    ("POST", "/api/v1/lending/loans/{loan_id}/payoff"),
    ("POST", "/api/v1/lending/loans/{loan_id}/extension"),
    ("POST", "/api/v1/lending/loans/{loan_id}/charge-off"),
    ("POST", "/api/v1/lending/loans/{loan_id}/recoveries"),
    ("POST", "/api/v1/lending/loans/{loan_id}/draws"),
    ("POST", "/api/v1/lending/draws/{draw_id}/{action}"),
    ("POST", "/lending/loans/{loan_id}/late-fees"),
    ("PUT", "/api/v1/lending/settings"),
    ("DELETE", "/api/v1/lending/borrowers/{borrower_id}/documents/{document_id}"),
    ("POST", "/lending/borrowers/{borrower_id}/documents/{document_id}/remove"),
    ("GET", "/lending/loans/new"),
    ("GET", "/lending/borrowers/{borrower_id}/edit"),
    ("POST", "/lending/borrowers/{borrower_id}"),
    ("GET", "/lending/properties/{property_id}/edit"),
    ("POST", "/lending/properties/{property_id}"),
    *(
        (method, f"/api/v1/household/{kind}s{tail}")
        for kind in ("income", "debt", "expense")
        for method, tail in (
            ("POST", ""),
            ("PUT", f"/{{{kind}_id}}"),
            ("DELETE", f"/{{{kind}_id}}"),
        )
    ),
}


def test_pages_and_the_api_declare_the_same_access_for_the_same_action(
    client: TestClient,
) -> None:
    declared = {(method, path): access for method, path, access in _routes(client.app)}
    for page, api in SAME_ACTION:
        assert declared[page] == declared[api], (
            f"{page} is {declared[page]}, {api} is {declared[api]}"
        )
    for action in OWNER_ONLY:
        assert declared[action] is Access.OWNER, f"{action} must be the owner's"


def test_staff_cannot_add_networks_or_change_their_mapping_through_the_api(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    staff = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    owner = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    refused = client.post("/api/v1/networks", json={"name": "Awin"}, headers=staff)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only the owner may call this endpoint."}
    created = client.post("/api/v1/networks", json={"name": "Awin"}, headers=owner)
    assert created.status_code == 201
    mapping = {"postback_mapping": {"order_id": "oid"}, "status_values": {}}
    path = f"/api/v1/networks/{created.json()['id']}/postback-mapping"
    assert client.put(path, json=mapping, headers=staff).status_code == 403
    assert client.get("/api/v1/networks", headers=staff).status_code == 200


# An order's documents on the owner's order page: staff read the invoice (as they read the
# order); the credit note, like the refund it records, is the owner's alone.
ORDER_DOCUMENTS = {
    ("GET", "/commerce/orders/{order_id}"): Access.STAFF,
    ("GET", "/commerce/orders/{order_id}/invoice.pdf"): Access.STAFF,
    ("GET", "/commerce/orders/{order_id}/credit-note.pdf"): Access.OWNER,
    ("POST", "/commerce/orders/{order_id}/refund"): Access.OWNER,
}


def test_an_orders_credit_note_is_the_owners_and_its_invoice_the_dashboards(
    client: TestClient,
) -> None:
    declared = {(method, path): access for method, path, access in _routes(client.app)}
    for route, access in ORDER_DOCUMENTS.items():
        assert declared[route] is access, f"{route} is {declared.get(route)}, not {access}"


# A stream's ledger page and the entries behind its figures are the dashboard's to read; the
# forms on it write the journal, hours, the stream's rates and forecast, and are the owner's alone.
LEDGER_STREAM = {
    ("GET", "/ledger/streams/{stream_id}"): Access.STAFF,
    ("GET", "/ledger/streams/{stream_id}/entries"): Access.STAFF,
    ("POST", "/ledger/streams/{stream_id}/income"): Access.OWNER,
    ("POST", "/ledger/streams/{stream_id}/costs"): Access.OWNER,
    ("POST", "/ledger/streams/{stream_id}/capital"): Access.OWNER,
    ("POST", "/ledger/streams/{stream_id}/assets"): Access.OWNER,
    ("POST", "/ledger/streams/{stream_id}/hours"): Access.OWNER,
    ("POST", "/ledger/streams/{stream_id}/rates"): Access.OWNER,
    ("POST", "/ledger/streams/{stream_id}/forecast"): Access.OWNER,
    ("POST", "/ledger/streams/{stream_id}/forecast/remove"): Access.OWNER,
    ("POST", "/ledger/streams/{stream_id}/transactions/{transaction_id}/reverse"): Access.OWNER,
}


def test_a_streams_page_is_read_by_the_dashboard_and_written_by_the_owner(
    client: TestClient,
) -> None:
    declared = {(method, path): access for method, path, access in _routes(client.app)}
    for route, access in LEDGER_STREAM.items():
        assert declared[route] is access, f"{route} is {declared.get(route)}, not {access}"


# The audience's pages: staff read lists and people; the owner alone adds, changes, imports,
# exports and erases (as in the API); the confirmation link is for anyone who holds it.
AUDIENCE_PAGES = {
    ("GET", "/audience"): Access.STAFF,
    ("GET", "/audience/lists/{list_id}"): Access.STAFF,
    ("GET", "/audience/subscribers"): Access.STAFF,
    ("GET", "/audience/subscribers/{subscriber_id}"): Access.STAFF,
    ("GET", "/audience/subscribers/new"): Access.OWNER,
    ("GET", "/audience/import"): Access.OWNER,
    ("POST", "/audience/import/{upload_id}/preview"): Access.OWNER,
    ("GET", "/audience/confirm/{token}"): Access.PUBLIC,
    ("POST", "/audience/confirm/{token}"): Access.PUBLIC,
}


def test_audience_pages_are_read_by_staff_changed_by_the_owner_and_confirmed_by_anyone(
    client: TestClient,
) -> None:
    declared = {(method, path): access for method, path, access in _routes(client.app)}
    for route, access in AUDIENCE_PAGES.items():
        assert declared[route] is access, f"{route} is {declared.get(route)}, not {access}"


# The mail providers' webhooks: no account behind them; each request proves itself by the
# provider's own credential or signature (tests/mail/test_hooks_http.py).
MAIL_HOOKS = {
    ("POST", f"/mail/hooks/{provider}"): Access.PUBLIC
    for provider in ("ses", "postmark", "sendgrid", "mailgun")
}


def test_mail_provider_webhooks_are_public(client: TestClient) -> None:
    declared = {(method, path): access for method, path, access in _routes(client.app)}
    for route, access in MAIL_HOOKS.items():
        assert declared[route] is access, f"{route} is {declared.get(route)}, not {access}"


# Mail's pages: staff read broadcasts and their numbers; the owner composes, previews, sends,
# pauses, resumes and cancels (as in the API); the recipients' links are for anyone who holds one.
MAIL_PAGES = {
    ("GET", "/mail"): Access.STAFF,
    ("GET", "/mail/new"): Access.OWNER,
    ("POST", "/mail/new"): Access.OWNER,
    ("GET", "/mail/broadcasts/{broadcast_id}"): Access.STAFF,
    ("POST", "/mail/broadcasts/{broadcast_id}/{action}"): Access.OWNER,
    ("GET", "/mail/u/{token}"): Access.PUBLIC,
    ("POST", "/mail/u/{token}"): Access.PUBLIC,
}


def test_mail_pages_are_read_by_staff_and_sent_by_the_owner(client: TestClient) -> None:
    declared = {(method, path): access for method, path, access in _routes(client.app)}
    for route, access in MAIL_PAGES.items():
        assert declared[route] is access, f"{route} is {declared.get(route)}, not {access}"


# Webinars' pages: staff read the list, a webinar and its sessions preview; the owner adds,
# edits and deletes (as in the API).
WEBINAR_PAGES = {
    ("GET", "/webinars"): Access.STAFF,
    ("GET", "/webinars/{webinar_id}"): Access.STAFF,
    ("POST", "/webinars"): Access.OWNER,
    ("POST", "/webinars/{webinar_id}"): Access.OWNER,
    ("POST", "/webinars/{webinar_id}/delete"): Access.OWNER,
    ("GET", "/webinars/{webinar_id}/analytics"): Access.STAFF,
    # The public registration page (CSRF-checked like /f/{slug}) and a registrant's signed links.
    ("GET", "/w/{slug}"): Access.PUBLIC,
    ("POST", "/w/{slug}"): Access.PUBLIC,
    ("GET", "/w/{slug}/r/{token}"): Access.PUBLIC,
    ("GET", "/w/{slug}/ics/{token}"): Access.PUBLIC,
    ("GET", "/w/{slug}/room/{token}"): Access.PUBLIC,
    # The room's heartbeat: signed by the room token in its body.
    ("POST", "/w/{slug}/beat"): Access.PUBLIC,
}


def test_webinar_pages_are_read_by_staff_and_changed_by_the_owner(client: TestClient) -> None:
    declared = {(method, path): access for method, path, access in _routes(client.app)}
    for route, access in WEBINAR_PAGES.items():
        assert declared[route] is access, f"{route} is {declared.get(route)}, not {access}"
