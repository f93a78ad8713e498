"""A fee waived in Chromium: the owner picks a late fee on the loan page, is asked on a second
page (nothing is waived until the button there is pressed; Cancel leaves the fee owed), then
sees the fee's part waived, the payoff without it and the reason in the history. The loan page
and the confirmation are used and screenshot at 390 px and 1280 px and must fit the screen."""

from __future__ import annotations

import re

import pytest

from tests.e2e.lending_setup import Lender, fits

pytestmark = pytest.mark.browser


def test_the_owner_waives_part_of_a_late_fee_after_a_confirmation_page(lender: Lender) -> None:
    from playwright.sync_api import expect

    server = lender.server
    loan = lender.api("POST", "/loans", {
        "borrower": "Ann Rehab", "principal": "100000", "annual_rate": "12", "months": 12,
        "start": "2026-01-15", "late_fee": "50"})  # fmt: skip
    assert "1 late fees charged." in server.cli("lending", "late-fees", "--date", "2026-03-01")
    (fee,) = lender.api("GET", f"/loans/{loan['id']}/fees")
    problems: list[str] = []
    owner = lender.owner_page()
    loan_url = f"{server.url}/lending/loans/{loan['id']}?as_of=2026-03-02"

    owner.set_viewport_size({"width": 390, "height": 844})  # a phone: asked, then cancelled
    owner.goto(loan_url)
    form = owner.locator("#waiver-form")
    expect(form.get_by_label("Fee")).to_have_text(f"Fee {fee['id']} · 2026-02-26 · 50.00 owed")
    form.get_by_label("Amount").fill("20")
    form.get_by_label("Reason").fill("first late payment, goodwill")
    form.get_by_role("button", name="Waive fee…").click()
    title = f"Waive 20.00 of fee {fee['id']} on loan {loan['id']}?"
    expect(owner.get_by_role("heading", name=title)).to_be_visible()
    expect(owner.get_by_text("50.00 charged, 0.00 paid, 0.00 waived, 50.00 owed")).to_be_visible()
    fits(owner, "lending-waiver-confirm", problems)
    owner.set_viewport_size({"width": 390, "height": 844})
    owner.get_by_role("link", name="Cancel").click()
    expect(owner.locator("#waiver-form")).to_be_visible()
    assert lender.api("GET", f"/loans/{loan['id']}/fees")[0]["owed"] == "50.00"

    owner.set_viewport_size({"width": 1280, "height": 844})  # a laptop: asked, then waived
    owner.goto(loan_url)
    expect(owner.locator("#figure-payoff")).to_contain_text("101,616.67")  # 1,566.67 + 50
    form = owner.locator("#waiver-form")
    form.get_by_label("Amount").fill("20")
    form.get_by_label("Reason").fill("first late payment, goodwill")
    form.get_by_role("button", name="Waive fee…").click()
    expect(owner.get_by_role("heading", name=title)).to_be_visible()
    owner.get_by_role("button", name="Waive fee", exact=True).click()
    expect(owner.get_by_role("status")).to_contain_text("Fee waived")
    expect(owner.locator(f"#fee-{fee['id']}")).to_contain_text("20.00")
    expect(owner.locator(f"#fee-{fee['id']} td").last).to_have_text("30.00")
    expect(owner.locator("#events")).to_contain_text(re.compile(
        r"waived 20\.00 of fee \d+ \(late fee on the 2026-02-15 payment, 2026-02-26\): "
        r"first late payment, goodwill"))  # fmt: skip
    owner.goto(loan_url)
    expect(owner.locator("#figure-payoff")).to_contain_text("101,596.67")  # 30 of the fee left
    fits(owner, "lending-waiver-loan", problems)
    assert lender.api("GET", f"/loans/{loan['id']}/fees")[0]["owed"] == "30.00"
    assert not problems, problems
