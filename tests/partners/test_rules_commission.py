"""Commission terms: rates, durations, tiers, leads, recruiter bonuses, versions in force."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from evergreen.errors import InputError
from evergreen.partners.rules import (
    Due,
    Duration,
    EventType,
    Terms,
    Tier,
    commission_for,
    recruiter_bonus,
    terms_in_force,
)

D = Decimal
PERCENT = Terms(
    id=1,
    version=1,
    kind="percent",
    rate=D("30"),
    currency="USD",
    duration=Duration.PAYMENTS,
    duration_count=12,
)


def earn(terms: Terms, **kwargs: Any) -> Due | None:
    arguments: dict[str, Any] = {
        "event": EventType.SALE,
        "amount": D("49.00"),
        "currency": "USD",
        "payment_number": 1,
        "months_since_attribution": 0,
    }
    arguments.update(kwargs)
    return commission_for(terms, **arguments)


def test_percent_of_a_sale_with_the_rule_in_the_reason() -> None:
    assert earn(PERCENT) == Due(
        D("14.70"), "USD", "30% of 49.00 USD, payment 1 of 12 (recurring for 12 payments)"
    )


def test_renewal_payment_three_of_twelve() -> None:
    due = earn(PERCENT, event=EventType.RENEWAL, payment_number=3, months_since_attribution=2)
    assert due == Due(
        D("14.70"), "USD", "30% of 49.00 USD, payment 3 of 12 (recurring for 12 payments)"
    )


def test_payments_duration_pays_through_the_last_payment_only() -> None:
    renewal = {"event": EventType.RENEWAL, "months_since_attribution": 40}
    twelfth = earn(PERCENT, payment_number=12, **renewal)
    assert twelfth is not None
    assert twelfth.amount == D("14.70")
    assert earn(PERCENT, payment_number=13, **renewal) is None


def test_months_duration_pays_while_under_the_count() -> None:
    terms = replace(PERCENT, duration=Duration.MONTHS, duration_count=12)
    renewal = {"event": EventType.RENEWAL, "payment_number": 5}
    last = earn(terms, months_since_attribution=11, **renewal)
    assert last == Due(
        D("14.70"), "USD", "30% of 49.00 USD, payment 5, month 12 of 12 (recurring for 12 months)"
    )
    assert earn(terms, months_since_attribution=12, **renewal) is None


def test_one_time_pays_only_the_first_payment() -> None:
    terms = replace(PERCENT, duration=Duration.ONE_TIME, duration_count=None)
    first = earn(terms)
    assert first == Due(D("14.70"), "USD", "30% of 49.00 USD, one-time, on the first payment")
    assert earn(terms, event=EventType.RENEWAL, payment_number=2) is None


def test_a_repeat_purchase_counts_as_the_customers_next_payment() -> None:
    one_time = replace(PERCENT, duration=Duration.ONE_TIME, duration_count=None)
    lifetime = replace(PERCENT, duration=Duration.LIFETIME, duration_count=None)
    assert earn(one_time, payment_number=2) is None  # one-time: the first purchase only
    second = earn(lifetime, payment_number=2, amount=D("20.00"))
    assert second is not None
    assert second.amount == D("6.00")
    assert "payment 2" in second.reason


def test_lifetime_always_pays() -> None:
    terms = replace(PERCENT, duration=Duration.LIFETIME, duration_count=None)
    due = earn(terms, event=EventType.RENEWAL, payment_number=240, months_since_attribution=239)
    assert due is not None
    assert due.amount == D("14.70")
    assert due.reason.endswith("payment 240 (recurring for the customer's lifetime)")


@pytest.mark.parametrize(
    ("rate", "amount", "expected"),
    [
        ("10", "0.05", "0.01"),  # 0.005 rounds half up, not to the even 0.00
        ("12.5", "0.20", "0.03"),  # 0.025
        ("25", "19.99", "5.00"),  # 4.9975
        ("33.33", "0.15", "0.05"),  # 0.049995: only the final figure is rounded
        ("100", "49.00", "49.00"),
    ],
)
def test_rounding_is_half_up_to_cents_at_the_end(rate: str, amount: str, expected: str) -> None:
    due = earn(replace(PERCENT, rate=D(rate)), amount=D(amount))
    assert due is not None
    assert due.amount == D(expected)
    assert str(due.amount) == expected


def test_flat_terms_pay_the_amount_per_payment() -> None:
    flat = Terms(id=2, version=1, kind="flat", rate=D("10"), currency="EUR")
    due = earn(flat, currency="EUR")
    assert due == Due(
        D("10.00"),
        "EUR",
        "flat 10.00 EUR on a payment of 49.00 EUR, one-time, on the first payment",
    )


TIERED = replace(PERCENT, rate=D("20"), tiers=(Tier(50, D("30")), Tier(10, D("25"))))


@pytest.mark.parametrize(
    ("period_sales", "expected"),
    [(0, "20.00"), (9, "20.00"), (10, "25.00"), (49, "25.00"), (50, "30.00"), (1000, "30.00")],
)
def test_the_highest_tier_reached_replaces_the_rate(period_sales: int, expected: str) -> None:
    due = earn(TIERED, amount=D("100.00"), period_sales=period_sales)
    assert due is not None
    assert due.amount == D(expected)


def test_the_tier_is_named_in_the_reason() -> None:
    due = earn(TIERED, amount=D("100.00"), period_sales=12)
    assert due is not None
    assert due.reason == (
        "25% of 100.00 USD (volume tier from 10 sales; 12 this period), "
        "payment 1 of 12 (recurring for 12 payments)"
    )


def test_flat_tiers_are_amounts() -> None:
    flat = Terms(
        id=3, version=1, kind="flat", rate=D("5"), currency="USD", tiers=(Tier(10, D("7.5")),)
    )
    assert earn(flat, period_sales=9) == earn(flat, period_sales=0)
    due = earn(flat, period_sales=10)
    assert due is not None
    assert due.amount == D("7.50")


def test_leads_pay_the_lead_amount_or_nothing() -> None:
    terms = replace(PERCENT, lead_amount=D("2.5"))
    lead = earn(terms, event=EventType.LEAD, amount=D(0), currency="XXX")
    assert lead == Due(D("2.50"), "USD", "2.50 USD per lead")
    assert earn(PERCENT, event=EventType.LEAD, amount=D(0)) is None


def test_a_zero_rate_owes_nothing() -> None:
    assert earn(replace(PERCENT, rate=D(0))) is None


def test_currency_mismatch_is_refused_and_case_is_forgiven() -> None:
    with pytest.raises(InputError) as info:
        earn(PERCENT, currency="EUR")
    assert info.value.field == "currency"
    assert "convert" in info.value.message
    due = earn(PERCENT, currency="usd")
    assert due is not None
    assert due.currency == "USD"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": D(0)}, "amount"),
        ({"amount": D("-49.00")}, "amount"),
        ({"amount": 49.0}, "amount"),
        ({"amount": D("NaN")}, "amount"),
        ({"currency": "dollars"}, "currency"),
        ({"event": EventType.REFUND}, "event"),
        ({"event": EventType.CHARGEBACK}, "event"),
        ({"event": "gift"}, "event"),
        ({"event": EventType.RENEWAL, "payment_number": 1}, "payment_number"),
        ({"payment_number": 0}, "payment_number"),
        ({"months_since_attribution": -1}, "months_since_attribution"),
        ({"period_sales": -1}, "period_sales"),
    ],
)
def test_bad_events_are_refused_by_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        earn(PERCENT, **kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "bogus"}, "kind"),
        ({"rate": D("101")}, "rate"),
        ({"rate": D("-1")}, "rate"),
        ({"rate": 30.0}, "rate"),
        ({"currency": "US"}, "currency"),
        ({"lead_amount": D("-1")}, "lead_amount"),
        ({"duration": "forever"}, "duration"),
        ({"duration_count": None}, "duration_count"),
        ({"duration_count": 0}, "duration_count"),
        ({"duration": Duration.LIFETIME}, "duration_count"),
        ({"tiers": (Tier(10, D("25")), Tier(10, D("26")))}, "tiers"),
        ({"tiers": (Tier(10, D("120")),)}, "tiers"),
        ({"recruiter_rate": D("101")}, "recruiter_rate"),
    ],
)
def test_bad_terms_are_refused_by_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        replace(PERCENT, **changes)
    assert info.value.field == field


def test_terms_normalise_currency_and_allow_large_flat_amounts() -> None:
    flat = Terms(id=4, version=1, kind="flat", rate=D("150"), currency="eur")
    assert flat.currency == "EUR"
    with pytest.raises(InputError):
        Tier(min_sales=-1, rate=D("10"))


def test_recruiter_bonus_is_a_share_of_the_commission() -> None:
    terms = replace(PERCENT, recruiter_rate=D("10"))
    assert recruiter_bonus(terms, D("14.70")) == D("1.47")
    assert recruiter_bonus(terms, D("14.75")) == D("1.48")  # 1.475 half up
    assert recruiter_bonus(terms, D("-14.75")) == D("-1.48")  # a clawback, mirrored
    assert recruiter_bonus(terms, D("0.04")) is None  # 0.004 rounds to nothing
    assert recruiter_bonus(PERCENT, D("14.70")) is None


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


V1, V2, V3 = (replace(PERCENT, version=n, rate=D(10 * n)) for n in (1, 2, 3))
STARTS = [at(2026, 1, 1), at(2026, 6, 1), at(2026, 6, 1)]


def test_the_version_in_force_is_the_latest_started() -> None:
    versions = [V1, V2]
    starts = STARTS[:2]
    assert terms_in_force(versions, starts, at(2026, 3, 1)) is V1
    assert terms_in_force(versions, starts, at(2026, 6, 1) - timedelta(microseconds=1)) is V1
    assert terms_in_force(versions, starts, at(2026, 6, 1)) is V2
    assert terms_in_force(versions, starts, at(2030, 1, 1)) is V2
    assert terms_in_force([V1, V2, V3], STARTS, at(2026, 6, 1)) is V3


@pytest.mark.parametrize(
    ("versions", "starts", "when", "field"),
    [
        ([V1, V2], STARTS[:2], at(2025, 12, 31), "at"),
        ([V1, V2], [STARTS[1], STARTS[0]], at(2026, 7, 1), "effective_from"),
        ([V1, V2], STARTS[:1], at(2026, 7, 1), "effective_from"),
        ([], [], at(2026, 7, 1), "versions"),
        ([V1], [datetime(2026, 1, 1)], at(2026, 7, 1), "effective_from"),
        ([V1], STARTS[:1], datetime(2026, 7, 1), "at"),
    ],
)
def test_terms_in_force_refuses_bad_input(
    versions: list[Terms], starts: list[datetime], when: datetime, field: str
) -> None:
    with pytest.raises(InputError) as info:
        terms_in_force(versions, starts, when)
    assert info.value.field == field
