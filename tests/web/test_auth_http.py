"""Authentication, roles and CSRF over HTTP, against the real app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

from evergreen.config import Settings
from evergreen.db import Database
from tests.http_helpers import PASSWORD, csrf_from, sign_in, token_for


def test_health_reports_ok_with_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_anonymous_api_call_gets_401_json(client: TestClient) -> None:
    for path in ("/api/v1/me", "/api/v1/tokens", "/api/v1/anything/else"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "Missing API token" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"


def test_bad_authorization_headers_get_clear_401s(
    client: TestClient, people: dict[str, str]
) -> None:
    cases = {
        "Basic abc": "Malformed Authorization header",
        "Bearer": "Malformed Authorization header",
        "Bearer a b": "Malformed Authorization header",
        "Bearer abc": "Not an Evergreen API token",
        "Bearer evg_doesnotexist": "not recognised",
        "Bearer evg_\u00e9\u00e9": "not recognised",
    }
    for header, message in cases.items():
        response = client.get("/api/v1/me", headers={"Authorization": header.encode()})
        assert response.status_code == 401, header
        assert message in response.json()["detail"], header


def test_a_token_identifies_its_owner_and_unknown_paths_are_404(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == "staff@example.com"
    assert me.json()["role"] == "staff"
    assert client.get("/api/v1/nope", headers=headers).status_code == 404


def test_staff_is_refused_owner_only_routes(
    client: TestClient, db: Database, people: dict[str, str]
) -> None:
    staff_headers = {"Authorization": f"Bearer {token_for(db, people['staff'])}"}
    assert client.get("/api/v1/users", headers=staff_headers).status_code == 403
    owner_headers = {"Authorization": f"Bearer {token_for(db, people['owner'])}"}
    users = client.get("/api/v1/users", headers=owner_headers)
    assert users.status_code == 200
    assert {u["email"] for u in users.json()} == set(people.values())
    sign_in(client, people["staff"])
    page = client.get("/settings")
    assert page.status_code == 403
    assert "Only the owner" in page.text


def test_partner_is_kept_out_of_the_dashboard(client: TestClient, people: dict[str, str]) -> None:
    sign_in(client, people["partner"])
    assert client.get("/links").status_code == 403
    assert client.get("/", follow_redirects=False).headers["location"] == "/portal"


def test_anonymous_pages_redirect_to_sign_in(client: TestClient, people: dict[str, str]) -> None:
    response = client.get("/links?tab=all", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/links%3Ftab%3Dall"


def test_new_installation_sends_visitors_to_setup(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.headers["location"] == "/setup"
    page = client.get("/setup")
    assert page.status_code == 403
    assert "evergreen serve" in page.text


def test_sign_in_dashboard_and_sign_out(client: TestClient, people: dict[str, str]) -> None:
    sign_in(client, people["owner"])
    home = client.get("/")
    assert home.status_code == 200
    assert "<h1>Dashboard</h1>" in home.text
    assert "owner@example.com" in home.text
    logout = client.post(
        "/logout", data={"csrf_token": csrf_from(home.text)}, follow_redirects=False
    )
    assert logout.status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_session_cookie_is_httponly_and_lax(client: TestClient, people: dict[str, str]) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": people["owner"], "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "evergreen_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # http base URL in tests


def test_forged_or_missing_csrf_token_is_refused(
    client: TestClient, people: dict[str, str]
) -> None:
    client.get("/login")
    form = {"email": people["owner"], "password": PASSWORD}
    forged = client.post("/login", data={**form, "csrf_token": "0" * 64}, follow_redirects=False)
    assert forged.status_code == 403
    assert "Form refused" in forged.text
    missing = client.post("/login", data=form, follow_redirects=False)
    assert missing.status_code == 403
    sign_in(client, people["owner"])
    token = csrf_from(client.get("/account/tokens").text)
    other_site = client.post(
        "/account/tokens",
        data={"name": "x", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert other_site.status_code == 403
    assert "another site" in other_site.text


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every endpoint with its full path, looking inside included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            included = getattr(route, "include_context", None)
            at = included.prefix if included is not None else ""
            yield from _walk(inner.routes, prefix + at + inner.prefix)
        elif hasattr(route, "dependant"):
            yield prefix + route.path, route


def test_every_form_route_checks_csrf(settings: Settings, db: Database) -> None:
    from evergreen.web import create_app
    from evergreen.web.csrf import verify_csrf, verify_public_form

    app = create_app(settings, database=db)
    posts = [
        route
        for path, route in _walk(app.routes)
        if "POST" in route.methods and not path.startswith("/api/")
    ]
    assert len(posts) >= 6, "expected the sign-in, setup, token and people forms"
    for route in posts:
        if route.path in NO_CSRF:
            continue
        calls = [d.call for d in route.dependant.dependencies]
        if route.path in SIGNED_PUBLIC_FORMS:
            assert verify_public_form in calls, f"{route.path} does not verify its form"
            continue
        assert verify_csrf in calls, f"{route.path} does not verify CSRF"
    assert {route.path for route in posts} >= NO_CSRF | SIGNED_PUBLIC_FORMS


# Public forms that may be framed on another site, where the browser withholds the SameSite CSRF
# cookie: the cookie's check when it comes, else the form's own signature (issued by this site
# for this address, two hours) and the Origin (tests/commerce/test_embedded_checkout_http.py).
SIGNED_PUBLIC_FORMS = {"/buy/{slug}"}


# Posts no browser form makes, each proven another way (tested in tests/mail).
NO_CSRF = {
    # RFC 8058 one-click unsubscribe: the mail provider posts with no cookies; the signed token
    # in the URL is the proof (tests/mail/test_recipients_http.py).
    "/mail/u/{token}",
    # The providers' bounce and complaint webhooks, verified by their signatures or credentials.
    *(f"/mail/hooks/{provider}" for provider in ("ses", "postmark", "sendgrid", "mailgun")),
    # The watch room's heartbeat: a script's JSON post with no form; the signed room token in
    # the body is the proof (tests/webinars/test_beat_http.py refuses a changed one).
    "/w/{slug}/beat",
    # A webinar's registration form embedded on the owner's own site: no cookie travels and
    # nobody is signed in; its proof is the signed anti-bot token from /w/{slug}/embed.json
    # with the hosted page's honeypot, time trap and rate limit
    # (tests/webinars/test_register_http.py refuses a forged or missing token).
    "/w/{slug}/embed",
    # Stripe's payment webhook: Stripe sends no cookie; the Stripe-Signature header (HMAC with
    # the endpoint's secret, 300 s tolerance) is the proof (tests/commerce/test_orders_http.py
    # refuses an unsigned, changed or stale one).
    "/commerce/webhooks/stripe",
}


def test_wrong_password_then_throttle(
    client: TestClient, people: dict[str, str], settings: Settings
) -> None:
    page = client.get("/login")
    token = csrf_from(page.text)
    for _ in range(settings.login_max_failures):
        wrong = client.post(
            "/login",
            data={"email": people["owner"], "password": "nope nope nope", "csrf_token": token},
        )
        assert wrong.status_code == 401
        assert "Email or password is incorrect." in wrong.text
    locked = client.post(
        "/login", data={"email": people["owner"], "password": PASSWORD, "csrf_token": token}
    )
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.text


def test_empty_login_form_says_what_to_fill_in(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token})
    assert response.status_code == 400
    assert "Enter your email address and your password." in response.text


def test_next_parameter_is_never_an_open_redirect(
    client: TestClient, people: dict[str, str]
) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": people["owner"],
            "password": PASSWORD,
            "next": "//evil.example/steal",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_security_headers_are_set(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
