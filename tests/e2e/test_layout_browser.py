"""Every dashboard, portal and finance page is usable on a phone (390 px) and a laptop (1280 px):
nothing wider than the screen, the content not covered by the navigation, long names wrapped."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
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


def _box(page: Any, selector: str) -> dict[str, float]:
    box: dict[str, float] | None = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


_FITS = "t => t.scrollWidth <= t.parentElement.clientWidth"
_NAV_CUE = "n => getComputedStyle(n, '::after').content"
_ARROW = '"\u203a"'  # the arrow that says the areas' row scrolls on a phone
_WIDE_FIELDS = (
    ("/commerce", "#add-product", "textarea[name=description]"),
    ("/commerce/price-rules", "#rule-form", "fieldset.wide"),
)


def _home(page: Any, width: int) -> list[str]:
    """The stream's residual income and value on screen, a negative RI per hour in red."""
    problems = []
    row = '#streams tr[data-stream="1"]'
    for figure in ("residual_income", "value"):
        box = _box(page, f'{row} td[data-figure="{figure}"]')
        if box["x"] < 0 or box["x"] + box["width"] > width:
            problems.append(f"/ at {width}px: the stream's {figure} is off the screen")
    if "down" not in (
        page.locator(f'{row} td[data-figure="per_hour"]').get_attribute("class") or ""
    ):
        problems.append(f"/ at {width}px: a negative RI per hour is not red")
    if width < 720 and page.locator("nav.sidebar").evaluate(_NAV_CUE) != _ARROW:
        problems.append(f"/ at {width}px: the areas' row has no cue that it scrolls")
    return problems


def _stream(page: Any, server: Server, width: int, today: date) -> list[str]:
    """RI per hour red, the trailing year's days named, this month marked partial, and the
    month-by-month table whole at 1280 px."""
    problems = []
    page.goto(server.url + "/ledger/streams/1")
    if "negative" not in (page.locator("#figure-per-hour").get_attribute("class") or ""):
        problems.append(f"stream at {width}px: a negative RI per hour is not red")
    days = page.locator("#ri-ttm-days").inner_text()
    if not days.startswith(f"{today - timedelta(days=364)} to {today}"):
        problems.append(f"stream at {width}px: the trailing year's card says {days!r}")
    if (today + timedelta(days=1)).day != 1:  # on a month's last day it is whole
        marker = page.locator("#history-table tbody tr").first.locator(".partial-month")
        if marker.inner_text() != f"to {today.day} {today:%b}, so far":
            problems.append(f"stream at {width}px: this month is not marked partial")
    if width >= 1280 and not page.locator("#history-table").evaluate(_FITS):
        problems.append(f"stream at {width}px: the month-by-month table is cut")
    return problems


def _wide_fields(page: Any, server: Server, width: int) -> list[str]:
    """At 1280 px a field marked wide takes (most of) its grid form's width."""
    problems = []
    for path, form, field in _WIDE_FIELDS:
        page.goto(server.url + path)
        whole, wide = _box(page, form), _box(page, f"{form} {field}")
        if wide["width"] < 0.6 * whole["width"]:
            problems.append(f"{path} at {width}px: {field} {wide['width']}px of {whole['width']}")
    return problems


def _partners(page: Any, server: Server, width: int) -> list[str]:
    """The partner list: each partner's owed and paid within the screen, the address on one
    line (a phone shows a card per partner rather than a table to scroll sideways)."""
    page.goto(server.url + "/partners")
    problems = []
    for cell in ("td.owed", "td.paid"):
        box = page.locator(f"table.partners {cell}").first.bounding_box()
        if box is None or box["x"] + box["width"] > width:
            problems.append(f"/partners at {width}px: {cell} is off the screen ({box})")
    email = page.locator("table.partners td.email").first
    lines = email.evaluate(  # one box per line the text takes
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
    )
    if email.inner_text() != "ana.lima@example.com" or lines > 1:
        problems.append(f"/partners at {width}px: the address breaks over {lines} lines")
    return problems


def test_wide_fields_key_figures_and_the_navigation_say_what_matters(
    server: Server, browser: Any
) -> None:
    """Wide fields take a grid form's row; a stream losing money per hour is red; its months
    fit a laptop, this month marked partial; the trailing year's card names its days; a
    phone sees each stream's residual income and value without scrolling sideways, and a cue
    that the areas scroll; Networks, not Partners, is highlighted on the networks' pages; a
    partner's owed and paid are on a phone's screen, their address unbroken."""
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli("partners", "add", "--name", "Ana Lima", "--email", "ana.lima@example.com")
    server.cli("streams", "add", "Newsletter", "--hourly-rate", "40", "--required-return", "0.1")
    today = datetime.now(UTC).date()
    server.cli("hours", "add", "--stream", "Newsletter", "--date", str(today), "--hours", "5")
    problems: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 844})
        try:
            page = context.new_page()
            _sign_in(page, server, OWNER)
            problems += _home(page, width)
            problems += _stream(page, server, width, today)
            if width >= 1280:
                problems += _wide_fields(page, server, width)
            page.goto(server.url + "/partners/earnings")
            if page.locator("nav.sidebar a.active").all_inner_texts() != ["Networks"]:
                problems.append(f"/partners/earnings at {width}px: Networks is not highlighted")
            problems += _partners(page, server, width)
        finally:
            context.close()
    assert not problems, "\n".join(problems)
