"""Pages strangers see, in a real browser: a dead short link's page at phone and desktop width,
and the API documentation rendered with every request outside this server refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280])
def test_a_dead_link_shows_a_small_readable_page(server: Server, page: object, width: int) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.set_viewport_size({"width": width, "height": 800})
    response = page.goto(server.url + "/go/no-such-link")
    assert response is not None
    assert response.status == 404
    heading = page.get_by_role("heading", name="This link is not available")
    expect(heading).to_be_visible()
    box = page.locator("main").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width  # the card fits; nothing scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(ARTIFACTS / f"dead-link-{width}.png"), full_page=True)


def test_the_api_docs_render_with_no_internet(server: Server, page: object) -> None:
    from playwright.sync_api import Page, Route, expect

    assert isinstance(page, Page)
    own = urlsplit(server.url).netloc
    refused: list[str] = []

    def only_this_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(server.url + "/api/docs")
    expect(page.locator("#operations-links-list_links")).to_be_visible(timeout=20_000)
    assert page.locator(".opblock").count() > 20  # the operation list, not an empty shell
    expect(page.locator(".info .title")).to_contain_text("Evergreen")
    page.screenshot(path=str(ARTIFACTS / "api-docs-offline.png"))
    assert refused == []
