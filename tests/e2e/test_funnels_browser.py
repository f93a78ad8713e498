"""The owner builds a funnel on the pages, on a real server, at a phone's width (390 px) and a
laptop's (1280 px): a sales page with an A/B split, an order form and a thank-you page, made
live; a visitor walks it in another browser and sees one variant with the owner's colours; the
report shows the visits and the conversions; removing a step asks first; no page is wider than
the screen."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Server, SignIn

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


@pytest.mark.parametrize("width", [390, 1280])
def test_owner_builds_a_funnel_a_visitor_walks_it_and_the_report_counts_them(
    server: Server, signed_in: SignIn, width: int
) -> None:
    from playwright.sync_api import expect

    server.cli("init", "--email", "me@example.com", "--password-stdin", password=PASSWORD)
    server.cli("commerce", "product", "add", "Growth Course", "--kind", "digital", "--price", "19")
    server.cli("commerce", "product", "status", "Growth Course", "active")  # on sale at /buy
    owner = signed_in(server, width, "me@example.com", PASSWORD, "funnels")
    page = owner.page
    page.goto(server.url + "/funnels")
    expect(page.get_by_role("heading", name="Funnels", exact=True)).to_be_visible()
    form = page.locator("#add-funnel")
    form.get_by_label("Name", exact=True).fill("Spring Launch")
    form.get_by_role("button", name="Add funnel").click()
    expect(page.get_by_role("status")).to_contain_text("Funnel added.")

    def add_step(kind: str, title: str, product: str = "") -> None:
        step = page.locator("#add-step")
        step.get_by_label("Kind").select_option(kind)
        step.get_by_label("Title", exact=True).fill(title)
        if product:
            step.get_by_label("Product").select_option(label=product)
        step.get_by_role("button", name="Add step").click()
        expect(page.get_by_role("status")).to_contain_text("Step saved.")

    add_step("sales", "Grow your garden")
    add_step("order", "Get the course", "Growth Course")
    add_step("thankyou", "Thank you")
    sales = page.locator("section", has=page.get_by_role("heading", name=re.compile("^1\\. Grow")))
    sales.get_by_text("Add a variant (A/B split)").click()
    variant = sales.locator("form.add-variant")
    variant.get_by_label("Headline", exact=True).fill("Grow twice the tomatoes")
    variant.get_by_label("Content").fill("**Bold** promise\n\n- one\n- two")
    variant.get_by_role("button", name="Add variant").click()
    expect(page.get_by_role("status")).to_contain_text("Variant saved.")
    page.get_by_text("Settings and colours").click()
    settings = page.locator("#funnel-settings")
    settings.get_by_label("Status").select_option("live")
    settings.get_by_role("button", name="Save funnel").click()
    expect(page.get_by_role("status")).to_contain_text("Funnel saved.")
    page.goto(page.url.split("#")[0].split("?")[0])
    owner.fits("editor")

    visitor_context = page.context.browser.new_context(viewport={"width": width, "height": 844})
    visitor = visitor_context.new_page()
    visitor.goto(server.url + "/p/spring-launch/grow-your-garden")
    shown = visitor.locator("#funnel-step").get_attribute("data-variant")
    assert shown in ("A", "B")
    heading = "Grow twice the tomatoes" if shown == "B" else "Grow your garden"
    expect(visitor.get_by_role("heading", name=heading)).to_be_visible()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= width
    visitor.screenshot(path=str(owner_shot(owner, "visitor-sales")), full_page=True)
    visitor.get_by_role("link", name="Continue").click()
    expect(visitor.get_by_role("heading", name="Get the course")).to_be_visible()
    href = visitor.locator("#step-yes").get_attribute("href") or ""
    assert re.search(r"/buy/growth-course\?funnel=\d+&step=\d+&variant=A$", href), href
    assert href.startswith(server.url)
    visitor.goto(server.url + "/p/spring-launch/thank-you")  # where checkout will send buyers
    expect(visitor.get_by_role("heading", name="Thank you")).to_be_visible()
    visitor_context.close()

    page.get_by_role("link", name="Report").click()
    report = page.locator("#step-report")
    sales_row = report.locator(f'tr[data-step="grow-your-garden"][data-variant="{shown}"]')
    expect(sales_row.locator(".visitors")).to_have_text("1")
    expect(sales_row.locator(".conversions")).to_have_text("1")
    order_row = report.locator('tr[data-step="get-the-course"]')
    expect(order_row.locator(".conversions")).to_have_text("1")
    expect(page.locator("#notes")).to_contain_text("no ad spend")
    owner.fits("report")

    page.goto(page.url.split("/report")[0])
    thanks = page.locator("section", has=page.get_by_role("heading", name=re.compile("^3\\.")))
    thanks.get_by_role("button", name="Remove step…").click()
    expect(page.get_by_role("heading", name="Remove the step Thank you?")).to_be_visible()
    page.get_by_role("button", name="Remove step").click()
    expect(page.get_by_role("status")).to_contain_text("Step removed.")
    assert not owner.problems, owner.problems


def owner_shot(owner: object, name: str) -> object:
    """Where a visitor's screenshot goes, beside the owner's."""
    from tests.e2e.conftest import ARTIFACTS

    return ARTIFACTS / f"funnels-{owner.width}-{name}.png"  # type: ignore[attr-defined]
