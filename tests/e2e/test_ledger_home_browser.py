"""The home page in a real browser: the owner gives their rates, sees two streams' residual
income and value to the cent (checked against the formula worked by hand), times work on a
stream, and adds a stream; at 390 px and 1280 px."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from evergreen.db import Database
from evergreen.ledger.models import HoursEntry, Stream
from tests.e2e.conftest import ARTIFACTS, Server

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
OWNER = "owner@example.com"
D = Decimal


def _money(value: Decimal) -> str:
    return f"{value.quantize(D('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def _seed(server: Server, first: str) -> None:
    """Two streams this month, through the real command line: a passive blog (3 h) and an
    active course (10 h) with 3,650 of capital in it."""
    server.cli("init", "--email", OWNER, "--password-stdin", password=PASSWORD)
    server.cli("streams", "add", "Blog", "--kind", "affiliate")
    server.cli("streams", "add", "Course", "--kind", "digital_product")
    for stream, kind, amount in (("Blog", "income", "1200"), ("Blog", "cost", "150"),
                                 ("Course", "income", "800")):  # fmt: skip
        server.cli("ledger", "add", "--stream", stream, "--date", first, "--amount", amount,
                   "--type", kind)  # fmt: skip
    server.cli("hours", "add", "--stream", "Blog", "--date", first, "--hours", "3")
    server.cli("hours", "add", "--stream", "Course", "--date", first, "--hours", "10")
    server.cli("capital", "add", "--stream", "Course", "--date", first, "--amount", "3650")


def _expected(today: datetime) -> dict[str, dict[str, str]]:
    """The trailing 12 months (all entered this month) at 40 an hour and 10 % a year, worked
    by hand. The course's capital costs 3,650 x 0.10 / 365 = 1.00 a day; with under six months
    of history ω = 0, so a value is capital + RI / 1.10."""
    days = D(today.day)
    blog_ri = D(1200) - D(150) - 3 * D(40)
    course_ri = D(800) - 10 * D(40) - days
    blog_value = blog_ri / D("1.10")
    course_value = D(3650) + course_ri / D("1.10")
    return {
        "Blog": {"income": "1,200.00", "costs": "150.00", "hours": "3.00",
                 "owner_time_charge": "120.00", "capital_charge": "0.00",
                 "residual_income": _money(blog_ri), "per_hour": _money(blog_ri / 3),
                 "value": _money(blog_value)},
        "Course": {"income": "800.00", "costs": "0.00", "hours": "10.00",
                   "owner_time_charge": "400.00", "capital_charge": _money(days),
                   "residual_income": _money(course_ri), "per_hour": _money(course_ri / 10),
                   "value": _money(course_value)},
        "Total": {"income": "2,000.00", "residual_income": _money(blog_ri + course_ri),
                  "value": _money(D(3650) + (blog_ri + course_ri) / D("1.10"))},
    }  # fmt: skip


def test_owner_sees_the_streams_times_work_and_adds_a_stream(server: Server, page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    today = datetime.now(UTC)
    first = today.date().replace(day=1).isoformat()
    _seed(server, first)
    page.goto(server.url + "/")
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # No figure before the owner says what their time and capital cost.
    expect(
        page.get_by_role("heading", name="First: what your time and capital cost")
    ).to_be_visible()
    expect(page.locator("#streams")).to_have_count(0)
    page.get_by_label("Hourly rate").fill("40")
    page.get_by_label("Required return").fill("0.10")
    page.get_by_role("button", name="Save rates").click()
    expect(page.get_by_role("status")).to_contain_text("Rates saved")

    for name, figures in _expected(today).items():
        row = page.locator("#streams tr", has=page.get_by_role("rowheader", name=name))
        for figure, text in figures.items():
            expect(row.locator(f'[data-figure="{figure}"]')).to_have_text(text)
    expect(page.locator("#passive-share .number")).to_have_text("60.0 %")  # 1,200 of 2,000
    year_ago = today.date() - timedelta(days=364)  # the default period: the trailing 12 months
    expect(page.get_by_role("link", name="Course")).to_have_attribute(
        "href", f"/ledger/streams/2?from={year_ago}&to={today.date()}"
    )
    expect(page.locator("#streams svg.sparkline")).to_have_count(2)
    fits = (
        "document.querySelector('#streams').scrollWidth <= document.querySelector('main')"
        ".clientWidth"
    )
    assert page.evaluate(fits), "at 1280 px every column of the streams table is in view"
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"ledger-home-{width}.png"), full_page=True)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width

    # The timer: start on the course, watch it count, stop it; its time becomes hours.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Stream to time").select_option(label="Course")
    page.get_by_label("What you are doing").fill("Recording lesson 4")
    page.get_by_role("button", name="Start timer").click()
    expect(page.get_by_role("status").filter(has_text="Timing")).to_contain_text(
        "Course (Recording lesson 4)"
    )
    clock = page.locator("#timer-clock")
    expect(clock).to_have_text(re.compile(r"^0:00:0[2-9]$"), timeout=10_000)  # counted live
    page.screenshot(path=str(ARTIFACTS / "ledger-home-timer-1280.png"), full_page=True)
    page.get_by_role("button", name="Stop timer").click()
    expect(page.get_by_role("status").first).to_contain_text("Timer stopped")
    expect(page.get_by_role("button", name="Start timer")).to_be_visible()
    db = Database(f"sqlite:///{server.data_dir / 'evergreen.db'}")
    try:
        with db.session() as session:
            timed = session.scalars(select(HoursEntry).where(HoursEntry.source == "timer")).all()
            course = session.scalar(select(Stream).where(Stream.name == "Course"))
    finally:
        db.dispose()
    assert course is not None
    assert [entry.stream_id for entry in timed] == [course.id]
    assert D("0.0005") <= timed[0].hours < D("0.05")  # a few seconds, in hours
    assert timed[0].memo == "Recording lesson 4"

    # A third stream, from the ledger's own page.
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Ledger").click()
    expect(page.get_by_role("heading", name="Streams", exact=True)).to_be_visible()
    page.get_by_label("Name", exact=False).fill("Newsletter")
    page.get_by_label("Kind").select_option("subscription")
    page.get_by_label("Recurring income").check()
    page.get_by_role("button", name="Add stream").click()
    expect(page.get_by_role("status")).to_have_text("Stream added.")
    expect(page.locator("#stream-list")).to_contain_text("Newsletter")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"ledger-streams-{width}.png"), full_page=True)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    page.goto(server.url + "/")
    newsletter = page.locator("#streams tr", has=page.get_by_role("rowheader", name="Newsletter"))
    expect(newsletter.locator('[data-figure="residual_income"]')).to_have_text("0.00")
