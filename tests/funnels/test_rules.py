"""The funnels' pure rules, without a database: step kinds and what each needs, where yes/no
lead, the sticky weighted A/B split (hypothesis-checked), the signed visitor cookie and what a
view counts, safe Markdown, and ad-spend CSVs read with every bad row by line and column."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.errors import InputError
from evergreen.funnels.rules import (
    StepPlan,
    Visitor,
    check_colour,
    check_kind_needs,
    check_slug,
    count_visit,
    markdown_html,
    new_visitor,
    next_step,
    pick_variant,
    read_cookie,
    read_spend_csv,
    targets_of,
    write_cookie,
)
from evergreen.funnels.rules.period import report_period

SECRET = "s" * 40


@pytest.mark.parametrize(
    ("kind", "given", "field"),
    [
        ("optin", {}, "list_id"),
        ("webinar", {}, "webinar_slug"),
        ("order", {}, "product_id"),
        ("upsell", {}, "product_id"),
        ("sales", {"product_id": 3}, "product_id"),
        ("thankyou", {"list_id": 1}, "list_id"),
        ("optin", {"list_id": 1, "bump_product_id": 2}, "bump_product_id"),
        ("sales", {"targets": True}, "yes_step_id"),
        ("popup", {}, "kind"),
    ],
)
def test_a_step_kind_needs_what_it_uses_and_nothing_else(
    kind: str, given: dict[str, object], field: str
) -> None:
    with pytest.raises(InputError) as refused:
        check_kind_needs(kind, **given)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_good_steps_pass_and_names_colours_are_checked() -> None:
    check_kind_needs("order", product_id=1, bump_product_id=2)
    check_kind_needs("downsell", product_id=1, targets=True)
    check_kind_needs("thankyou")
    check_kind_needs("optin", list_id=1)
    check_kind_needs("optin", form_slug="join")  # the form names its own lists
    assert check_colour("primary_colour", " #A0B1c2 ") == "#a0b1c2"
    assert check_slug("slug", "Sales-Page") == "sales-page"
    for bad in ("red", "#12345", "#1234567", ""):
        with pytest.raises(InputError):
            check_colour("text_colour", bad)
    for bad in ("-x", "a b", "é", "x" * 61, ""):
        with pytest.raises(InputError):
            check_slug("slug", bad)


def test_yes_and_no_lead_to_their_targets_else_to_the_next_step() -> None:
    steps = [
        StepPlan(10, 1, "sales"),
        StepPlan(11, 2, "order"),
        StepPlan(12, 3, "upsell", yes_step_id=14, no_step_id=13),
        StepPlan(13, 4, "downsell"),
        StepPlan(14, 5, "thankyou"),
    ]
    assert targets_of(steps[0], steps) == (11, None)
    assert next_step(steps[2], steps) == 14
    assert next_step(steps[2], steps, accepted=False) == 13
    assert targets_of(steps[3], steps) == (14, 14)
    assert next_step(steps[4], steps) is None
    gone = StepPlan(12, 3, "upsell", yes_step_id=99)  # a removed target falls back
    assert targets_of(gone, steps) == (13, 13)


def test_the_split_is_sticky_and_skips_zero_weights() -> None:
    weights = [("A", 1), ("B", 0), ("C", 1)]
    for number in range(50):
        visitor = f"{number:032x}"
        first = pick_variant(visitor, 7, weights)
        assert first in ("A", "C")
        assert pick_variant(visitor, 7, weights) == first
    assert pick_variant("v", 1, [("A", 0)]) is None
    assert pick_variant("v", 1, []) is None


@settings(max_examples=25, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=4).filter(
        lambda w: sum(w) > 0
    ),
    step=st.integers(min_value=1, max_value=10**6),
)
def test_over_many_visitors_each_variant_gets_roughly_its_weight(
    weights: list[int], step: int
) -> None:
    named = [(chr(65 + i), w) for i, w in enumerate(weights)]
    visitors = 4000
    seen = Counter(pick_variant(f"visitor-{n}", step, named) for n in range(visitors))
    total = sum(weights)
    for name, weight in named:
        share = seen[name] / visitors
        assert abs(share - weight / total) < 0.05, (named, seen)


def test_the_visitor_cookie_is_signed_and_counts_each_step_once() -> None:
    visitor = new_visitor().saw(5)
    value = write_cookie(SECRET, 1, visitor)
    assert read_cookie(SECRET, 1, value) == visitor
    assert read_cookie(SECRET, 2, value) is None  # another funnel's
    assert read_cookie("t" * 40, 1, value) is None  # another secret
    forged = value.replace(".5.", ".5-6.")
    assert read_cookie(SECRET, 1, forged) is None
    for junk in (None, "", "x", "a" * 500):
        assert read_cookie(SECRET, 1, junk) is None
    first = count_visit(Visitor("v"), 5, ())
    assert (first.new_visitor, first.converts) == (True, None)
    again = count_visit(first.visitor, 5, ())
    assert (again.new_visitor, again.converts) == (False, None)
    onward = count_visit(first.visitor, 6, (4, 5))
    assert (onward.new_visitor, onward.converts, onward.visitor.seen) == (True, 5, (5, 6))
    direct = count_visit(Visitor("w"), 6, (5,))  # came straight to step 6: no conversion
    assert (direct.new_visitor, direct.converts) == (True, None)


def test_markdown_is_made_safe() -> None:
    html = markdown_html("# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **b**")
    assert "<h1>Hi</h1>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert "<strong>b</strong>" in html


def test_a_spend_csv_is_read_with_every_bad_row_by_line_and_column() -> None:
    lines = [
        "\ufeffDate;Campaign;Source;Spend;Currency\n",
        "2026-12-01;Cold;facebook;120,50;usd\n",
        "2026-12-02;Cold;facebook;1.005;USD\n",
        "\n",
        "yesterday;Warm;google;10;USD\n",
        "2026-12-03;Warm;google;10;XX\n",
        "2026-12-03;Warm;google;-4;USD\n",
    ]
    reading = read_spend_csv(lines)
    assert [(r.day, r.campaign, r.source, r.amount_cents, r.currency) for r in reading.rows] == [
        (date(2026, 12, 1), "Cold", "facebook", 12050, "USD")
    ]
    assert [(e.line, e.field) for e in reading.errors] == [
        (3, "amount"), (5, "day"), (6, "currency"), (7, "amount"),
    ]  # fmt: skip
    with pytest.raises(InputError) as refused:
        read_spend_csv(["campaign,amount\n"])
    assert refused.value.field == "file"
    assert "day" in refused.value.message
    with pytest.raises(InputError):
        read_spend_csv([])


def test_a_report_period_is_thirty_days_by_default_and_refused_when_bad() -> None:
    today = date(2026, 12, 31)
    assert report_period("", "0001-01-05", today) == (date.min, date(1, 1, 5))
    assert report_period("", "", today) == (date(2026, 12, 2), today)
    assert report_period("2026-12-01", "2026-12-05", today) == (
        date(2026, 12, 1),
        date(2026, 12, 5),
    )
    for start, end, field in (
        ("x", "", "start"),
        ("", "y", "end"),
        ("2026-12-09", "2026-12-01", "start"),
        ("9999-12-25", "9999-12-31", "end"),
    ):
        with pytest.raises(InputError) as refused:
            report_period(start, end, today)
        assert refused.value.field == field
