"""A stream's forecast in real Chromium against `evergreen serve`: the owner enters three years
and a persistence, sees the value change to the one from the forecast (and the bridge grow a
bar a year), sees a refused box marked, and removes the forecast; at 390 px and 1280 px."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import _CHROMIUM_ARGS, ARTIFACTS, Server
from tests.e2e.test_layout_browser import _MEASURE
from tests.e2e.test_ledger_stream_browser import OWNER, PASSWORD, _number, _seed

pytestmark = pytest.mark.browser


def _fits(page: Any, width: int, name: str, problems: list[str]) -> None:
    seen = page.evaluate(_MEASURE)
    page.screenshot(path=str(ARTIFACTS / f"ledger-forecast-{width}-{name}.png"), full_page=True)
    if seen["scroll"] > seen["width"]:
        problems.append(f"{name} at {width}px is {seen['scroll']}px wide ({seen['wide']})")
    if seen["overlap"] or seen["covered"]:
        problems.append(f"{name} at {width}px: the navigation covers the content")


@pytest.mark.parametrize("width", [1280, 390])
def test_enter_a_forecast_and_see_the_value_follow_it(
    server: Server, chromium_path: str, width: int
) -> None:
    from playwright.sync_api import expect, sync_playwright

    path = _seed(server)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=_CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": 844})
        context.set_default_timeout(20_000)
        try:
            page = context.new_page()
            page.goto(server.url + "/login")
            page.get_by_label("Email").fill(OWNER)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(re.compile(r"/$"))

            page.goto(server.url + path + "#forecast")
            before = _number(page, "#value-figure")
            expect(page.locator("#value-figure .label")).to_have_text("Value")
            capital = _number(page, "#value-capital")
            bars = page.locator("#value-bridge svg rect").count()

            form = page.locator("#forecast-form")
            form.get_by_label("Year 1").fill("12000")
            form.get_by_label("Year 2").fill("13000")
            form.get_by_label("Year 3").fill("lots")
            form.get_by_label("After the last year").select_option("persistence")
            form.get_by_role("textbox", name="Persistence ω").fill("0.5")
            form.get_by_role("button", name="Save forecast").click()
            expect(page.get_by_role("alert")).to_contain_text("year 3: 'lots' is not a number")
            expect(page.locator('#forecast-form input[name="years[2]"]')).to_have_attribute(
                "aria-invalid", "true"
            )
            expect(page.locator('#forecast-form input[name="years[0]"]')).to_have_value("12000")
            _fits(page, width, "refused", problems)

            page.locator("#forecast-form").get_by_label("Year 3").fill("14000")
            page.locator("#forecast-form").get_by_role("button", name="Save forecast").click()
            expect(page.get_by_role("status")).to_contain_text("Forecast saved")
            expect(page.locator("#value-figure .label")).to_have_text("Value from your forecast")
            expect(page.locator("#value-source")).to_contain_text("from your forecast: 3 years")
            # Independently: capital + 12000/1.1 + 13000/1.1^2 + 14000/1.1^3
            # + (0.5 x 14000 / (1.1 - 0.5)) / 1.1^3, at the stream's 10 % required return.
            r = Decimal("1.1")
            years = Decimal(12000) / r + Decimal(13000) / r**2 + Decimal(14000) / r**3
            expected = capital + years + Decimal(7000) / Decimal("0.6") / r**3
            after = _number(page, "#value-figure")
            assert abs(after - expected) <= Decimal("0.01"), (after, expected)
            assert after != before
            assert page.locator("#value-bridge svg rect").count() > bars  # a bar a year
            expect(page.locator("#bridge-table")).to_contain_text("Year 3")
            _fits(page, width, "saved", problems)

            page.get_by_role("button", name="Remove forecast").click()
            expect(page.get_by_role("status")).to_contain_text("Forecast removed")
            expect(page.locator("#value-figure .label")).to_have_text("Value")
            assert _number(page, "#value-figure") == before
            _fits(page, width, "removed", problems)
        finally:
            context.close()
            browser.close()
    assert not problems, "\n".join(problems)
