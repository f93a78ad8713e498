"""A stream's forecast in real Chromium against `evergreen serve`: the owner enters three years
and a persistence, sees the value change to the one from the forecast (and the bridge grow a
bar a year), sees a refused box marked, and removes the forecast; at 390 px and 1280 px."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.conftest import Server, SignIn
from tests.e2e.test_ledger_stream_browser import OWNER, PASSWORD, _number, _seed

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_enter_a_forecast_and_see_the_value_follow_it(
    server: Server, signed_in: SignIn, width: int
) -> None:
    from playwright.sync_api import expect

    path = _seed(server)
    owner = signed_in(server, width, OWNER, PASSWORD, "ledger-forecast")
    page = owner.page

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
    owner.fits("refused")

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
    owner.fits("saved")

    page.get_by_role("button", name="Remove forecast").click()
    expect(page.get_by_role("status")).to_contain_text("Forecast removed")
    expect(page.locator("#value-figure .label")).to_have_text("Value")
    assert _number(page, "#value-figure") == before
    owner.fits("removed")
    assert not owner.problems, "\n".join(owner.problems)
