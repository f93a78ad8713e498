"""The dashboard's timer in real Chromium, at 390 px and 1280 px: a memo it refuses (a direction
mark, which would show the memo reversed) is said beside the timer's form on the home page, the
form kept as typed, and the corrected memo starts the timer."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Server, SignIn

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"
TYPED = "Editing\u202e chapter 3"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_refused_timer_memo_is_shown_on_the_home_page_beside_its_form(
    server: Server, signed_in: SignIn, width: int
) -> None:
    from playwright.sync_api import expect

    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli("streams", "add", "Blog", "--kind", "affiliate")
    server.cli("streams", "add", "Course", "--kind", "digital_product")
    owner = signed_in(server, width, OWNER, PASSWORD, "ledger-timer")
    page = owner.page

    timer = page.locator("#timer")
    timer.get_by_label("Stream to time").select_option(label="Course")
    memo = timer.get_by_label("What you are doing")
    memo.fill(TYPED)
    timer.get_by_role("button", name="Start timer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("nav.sidebar a.active")).to_have_text(["Dashboard"])  # not Ledger
    expect(timer.get_by_role("alert")).to_have_text(
        "The timer was not started: memo: contains a direction mark (U+202E) that shows the "
        "text out of order; remove it and type plain text"
    )
    expect(memo).to_have_value(TYPED)  # as typed, beside the message
    expect(memo).to_have_attribute("aria-invalid", "true")
    expect(timer.get_by_label("Stream to time")).to_have_value("2")  # Course, still chosen
    expect(timer.get_by_role("status")).to_have_count(0)  # no timer was started
    owner.fits("refused")

    memo.fill("Editing chapter 3")
    timer.get_by_role("button", name="Start timer").click()
    expect(page.get_by_role("status").filter(has_text="Timing")).to_contain_text(
        "Course (Editing chapter 3)"
    )
    expect(page.get_by_role("alert")).to_have_count(0)
    owner.fits("started")
    assert not owner.problems, "\n".join(owner.problems)
