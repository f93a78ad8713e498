"""Fraud signals: each rule fires on its own, says why, and can be switched off."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from evergreen.errors import InputError
from evergreen.partners.rules import (
    DEFAULT_DISPOSABLE,
    FraudRules,
    Signals,
    fraud_reasons,
)
from evergreen.partners.rules.fraud import fraud_email_key

CONVERTED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CLEAN = Signals(
    partner_email="alice@example.com",
    partner_visitors=frozenset({"v-partner"}),
    customer_email="bob@example.com",
    customer_visitor="v-customer",
    customer_seen_before=False,
    click_class="human",
    click_at=CONVERTED - timedelta(minutes=5),
    conversion_at=CONVERTED,
)
RULES = FraudRules()


def test_a_clean_conversion_has_no_reasons() -> None:
    assert fraud_reasons(CLEAN, RULES) == []
    anonymous = replace(CLEAN, customer_email=None, customer_visitor=None, click_at=None)
    assert fraud_reasons(anonymous, RULES) == []


@pytest.mark.parametrize(
    ("partner", "customer"),
    [
        ("alice@example.com", "Alice@Example.COM "),
        ("alice@example.com", "alice+promo@example.com"),
        ("john.smith@gmail.com", "JohnSmith+x@googlemail.com"),
        ("j.o.h.n@gmail.com", "john@gmail.com"),
    ],
)
def test_self_referral_by_email_spelling_variants(partner: str, customer: str) -> None:
    signals = replace(CLEAN, partner_email=partner, customer_email=customer)
    assert fraud_reasons(signals, RULES) == [
        "Self-referral: the customer's email address is the partner's own."
    ]


def test_dots_matter_outside_gmail() -> None:
    signals = replace(
        CLEAN, partner_email="john.smith@example.com", customer_email="johnsmith@example.com"
    )
    assert fraud_reasons(signals, RULES) == []
    assert fraud_email_key("John.Smith+news@Example.com") == "john.smith@example.com"


def test_self_referral_by_visitor_and_by_both() -> None:
    by_visitor = replace(CLEAN, customer_visitor="v-partner")
    assert fraud_reasons(by_visitor, RULES) == [
        "Self-referral: the customer's browser is one the partner used."
    ]
    both = replace(by_visitor, customer_email="alice@example.com")
    assert fraud_reasons(both, RULES) == [
        "Self-referral: the customer's email address is the partner's own "
        "and the customer's browser is one the partner used."
    ]


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("x@mailinator.com", "mailinator.com"),
        ("x@MX.Mailinator.com", "mailinator.com"),
        ("x@yopmail.com", "yopmail.com"),
        ("x@notmailinator.com", None),
        ("not-an-email", None),
    ],
)
def test_disposable_domains(email: str, domain: str | None) -> None:
    reasons = fraud_reasons(replace(CLEAN, customer_email=email), RULES)
    if domain is None:
        assert reasons == []
    else:
        assert reasons == [f"Disposable email address: {domain} hands out throwaway inboxes."]


def test_the_disposable_list_can_be_replaced() -> None:
    rules = FraudRules(disposable_domains=frozenset({"Spam.Example"}))
    assert fraud_reasons(replace(CLEAN, customer_email="x@spam.example"), rules)
    assert fraud_reasons(replace(CLEAN, customer_email="x@mailinator.com"), rules) == []
    assert {"mailinator.com", "10minutemail.com", "temp-mail.org"} <= DEFAULT_DISPOSABLE


def test_duplicate_customer_and_click_flood() -> None:
    assert fraud_reasons(replace(CLEAN, customer_seen_before=True), RULES) == [
        "Duplicate customer: this customer has been seen before."
    ]
    assert fraud_reasons(replace(CLEAN, click_class="flood"), RULES) == [
        "Click flooding: the click behind this sale was part of a click flood."
    ]
    assert fraud_reasons(replace(CLEAN, click_class="bot"), RULES) == []


def test_conversion_too_soon_after_the_click() -> None:
    nine = replace(CLEAN, click_at=CONVERTED - timedelta(seconds=9))
    assert fraud_reasons(nine, RULES) == [
        "Too fast: the conversion came 9 seconds after the click (the minimum is 10)."
    ]
    ten = replace(CLEAN, click_at=CONVERTED - timedelta(seconds=10))
    assert fraud_reasons(ten, RULES) == []
    before = replace(CLEAN, click_at=CONVERTED + timedelta(seconds=5))
    assert fraud_reasons(before, RULES) == [
        "Conversion before its click: the click is dated after the sale."
    ]
    assert fraud_reasons(nine, FraudRules(min_seconds_click_to_conversion=0)) == []


EVERYTHING = Signals(
    partner_email="alice@mailinator.com",
    partner_visitors=frozenset({"v"}),
    customer_email="alice@mailinator.com",
    customer_visitor="v",
    customer_seen_before=True,
    click_class="flood",
    click_at=CONVERTED - timedelta(seconds=2),
    conversion_at=CONVERTED,
)


def test_every_reason_is_a_sentence_in_rule_order() -> None:
    reasons = fraud_reasons(EVERYTHING, RULES)
    assert [r.split(":")[0] for r in reasons] == [
        "Self-referral",
        "Disposable email address",
        "Duplicate customer",
        "Click flooding",
        "Too fast",
    ]
    assert all(r[0].isupper() and r.endswith(".") for r in reasons)


def test_every_rule_can_be_switched_off() -> None:
    off = FraudRules(
        self_referral=False,
        disposable_email=False,
        duplicate_customer=False,
        click_flood=False,
        min_seconds_click_to_conversion=0,
    )
    assert fraud_reasons(EVERYTHING, off) == []


def test_bad_rules_and_naive_times_are_refused() -> None:
    with pytest.raises(InputError) as info:
        FraudRules(min_seconds_click_to_conversion=-1)
    assert info.value.field == "min_seconds_click_to_conversion"
    with pytest.raises(InputError, match="naive") as info:
        fraud_reasons(replace(CLEAN, conversion_at=datetime(2026, 11, 24)), RULES)
    assert info.value.field == "conversion_at"
    with pytest.raises(InputError, match="naive"):
        fraud_reasons(replace(CLEAN, click_at=datetime(2026, 11, 24)), RULES)
