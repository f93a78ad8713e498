"""Every dashboard, portal and finance page is usable on a phone (390 px) and a laptop (1280 px):
nothing wider than the screen, the content not covered by the navigation, long names wrapped."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evergreen.finance.interfaces.calculators import GROUPS
from tests.e2e.conftest import ARTIFACTS, MEASURE, Server
from tests.e2e.inprocess import serve_here

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"
PARTNER = "pat@partner.example"
WIDTHS = (390, 1280)
LONG_TITLE = (
    "The definitive, exhaustively researched guide to choosing a standing desk for small "
    "apartments " + "Supercalifragilisticexpialidocious" * 3
)
LONG_NAME = (
    "Patricia Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh Affiliates International"
)
LONG_SLUG = "standing-desk-guide-for-very-small-apartments-2026-edition-long"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server with public partner sign-up open, so its page is walked too."""
    running = serve_here(tmp_path / "data", env={"EVERGREEN_PARTNER_SIGNUP": "true"})
    yield running
    running.close()


def _api(server: Server, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        server.url + "/api/v1" + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def _seed(server: Server) -> dict[str, Any]:
    """A program with a long link title and a long partner name, a sale, a network's earnings."""
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli(
        "user",
        "create",
        "--role",
        "partner",
        "--email",
        PARTNER,
        "--password-stdin",
        password=PASSWORD,
    )
    found = re.search(r"evg_\S+", server.cli("token", "create", "--email", OWNER))
    assert found, "no token printed"
    token = found.group(0)
    destination = "https://shop.example/products/standing-desks/" + "x" * 150 + "?ref=evergreen"
    _api(
        server,
        token,
        "/links",
        {
            "destination": destination,
            "slug": LONG_SLUG,
            "title": LONG_TITLE,
            "channel": "blog",
            "tags": ["desks", "a-rather-long-tag-name-for-testing"],
        },
    )
    _api(
        server,
        token,
        "/links",
        {
            "destination": "https://merchant.example/p/1",
            "slug": "desk",
            "title": LONG_TITLE,
            "kind": "affiliate",
        },
    )
    _api(server, token, "/partners/terms", {"kind": "percent", "rate": "25"})
    partner = _api(
        server, token, "/partners", {"name": LONG_NAME, "email": PARTNER, "status": "active"}
    )
    _api(server, token, f"/partners/{partner['id']}/links", {"slug": LONG_SLUG})
    _api(server, token, f"/partners/{partner['id']}/coupons", {"code": "PATRICIA-SPRING-2026"})
    _api(
        server,
        token,
        "/partners/conversions",
        {
            "idempotency_key": "order-1",
            "event": "sale",
            "amount": "1234567.89",
            "currency": "USD",
            "customer_id": "cus_1",
            "coupon": "PATRICIA-SPRING-2026",
        },
    )
    network = _api(server, token, "/networks", {"name": "Impact Radius Affiliate Network"})
    _api(server, token, f"/networks/{network['id']}/links", {"slug": "desk"})
    for order, payout, currency in (("A-1", "18.75", "USD"), ("A-2", "9.00", "EUR")):
        _api(
            server,
            token,
            f"/networks/{network['id']}/postback?secret={network['postback_secret']}",
            {"oid": order, "payout": payout, "currency": currency, "status": "approved"},
        )
    server.cli("streams", "add", LONG_NAME, "--kind", "partner_program")  # the streams list
    for index in range(3):  # human clicks with long referrers and sources for the breakdowns
        for slug in (LONG_SLUG, "desk"):
            _click(server, slug, index)
    return {"partner": partner["id"], "network": network["id"]}


class _Keep(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _click(server: Server, slug: str, index: int) -> None:
    """A browser's click on a short link, answered with its redirect (not followed)."""
    source = f"newsletter-with-a-rather-long-source-name-{index}"
    request = urllib.request.Request(
        f"{server.url}/go/{slug}?utm_source={source}",
        headers={
            "User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
            f"Gecko) Chrome/120.0.0.{index} Safari/537.36",
            "Referer": "https://www.a-very-long-referrer-domain-name.example.com/blog/2026/03/"
            "standing-desks-and-posture",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as answer:  # the 302, not followed
        urllib.request.build_opener(_Keep).open(request, timeout=10).close()
    with answer.value:  # its socket closed, or the run fails on a ResourceWarning
        assert answer.value.code == 302


def _owner_pages(ids: dict[str, Any]) -> list[str]:
    finance = [f"/finance/{g.slug}/{c.slug}" for g in GROUPS for c in g.calculators]
    return [
        "/",
        "/links",
        "/links/new",
        f"/links/{LONG_SLUG}",
        f"/links/{LONG_SLUG}/edit",
        "/links/stats",
        "/links/import",
        "/partners",
        f"/partners/{ids['partner']}",
        "/partners/conversions",
        "/partners/terms",
        "/partners/payouts",
        "/partners/webhooks",
        "/partners/earnings",
        f"/partners/earnings/networks/{ids['network']}",
        "/account/tokens",
        "/settings",
        "/settings/tasks",
        "/settings/backup",
        "/finance",
        *finance,
        "/ledger",
        "/ledger/preferences",
        "/audience",
        "/audience/subscribers",
        "/audience/subscribers/new",
        "/audience/import",
        "/funnels",
    ]


_PORTAL = ["/portal", "/portal/links", "/portal/commissions", "/portal/payouts"]
_PUBLIC = ["/login", "/partners/join"]


def _walk(page: Any, server: Server, pages: list[str], width: int, who: str) -> list[str]:
    """Visit each page; what is wrong with each, as sentences."""
    problems: list[str] = []
    for path in pages:
        answer = page.goto(server.url + path)
        assert answer is not None
        if answer.status != 200:
            problems.append(f"{path} at {width}px: status {answer.status}")
            continue
        seen = page.evaluate(MEASURE)
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
        page.screenshot(path=str(ARTIFACTS / f"layout-{width}-{who}-{name}.png"), full_page=True)
        if seen["scroll"] > seen["width"]:
            problems.append(
                f"{path} at {width}px: the page is {seen['scroll']}px wide ({seen['wide']})"
            )
        if seen["overlap"] or seen["covered"]:
            problems.append(f"{path} at {width}px: the navigation covers the content")
        if seen["left"] < 0 or seen["right"] > width + 1:
            problems.append(f"{path} at {width}px: the content runs off the screen")
        if width < 600 and seen["mainWidth"] < 0.8 * width:
            problems.append(f"{path} at {width}px: content squeezed to {seen['mainWidth']}px")
    return problems


def _sign_in(page: Any, server: Server, email: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/(portal)?$"))


def test_every_page_fits_a_phone_and_a_laptop(server: Server, browser: Any) -> None:
    ids = _seed(server)
    problems: list[str] = []
    for width in WIDTHS:
        for who, email, pages in (
            ("owner", OWNER, _owner_pages(ids)),
            ("partner", PARTNER, _PORTAL),
            ("public", None, _PUBLIC),
        ):
            context = browser.new_context(viewport={"width": width, "height": 844})
            try:
                page = context.new_page()
                if email:
                    _sign_in(page, server, email)
                problems += _walk(page, server, pages, width, who)
            finally:
                context.close()
    assert not problems, "\n".join(problems)
