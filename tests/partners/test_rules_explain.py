"""Why a commission stands where it does, in words; and the referral link's slug and title."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evergreen.partners.rules import (
    DEFAULT_HOLD_REASON,
    Status,
    hold_reason,
    referral_slug,
    referral_title,
    status_note,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _note(status: Status, reasons: list[str], note: str = "", days_later: int = 1) -> str:
    return status_note(
        status.value, hold_reasons=reasons, last_note=note, created_at=T0, holding_days=30,
        now=T0 + timedelta(days=days_later),
    )  # fmt: skip


def test_a_held_commission_says_every_reason() -> None:
    reasons = ["Self-referral: the customer's email address is the partner's own.", "Too fast"]
    assert _note(Status.ON_HOLD, reasons) == (
        "On hold: Self-referral: the customer's email address is the partner's own; Too fast."
    )
    assert _note(Status.ON_HOLD, []) == DEFAULT_HOLD_REASON


def test_a_released_commission_is_not_shown_as_held() -> None:
    """Released is pending again: even with reasons left over, it reads as the refund window."""
    text = _note(Status.PENDING, ["Self-referral: same email."])
    assert "hold" not in text.lower()
    assert text == (
        "In the 30-day refund window until 2026-03-31; approved then unless the sale is refunded."
    )
    assert "ended" in _note(Status.PENDING, [], days_later=30)


def test_a_rejection_says_why() -> None:
    assert _note(Status.REJECTED, ["Too fast."], "order cancelled") == "Rejected: order cancelled"
    assert _note(Status.REJECTED, ["Too fast."]) == "Rejected after review: Too fast."
    assert _note(Status.REJECTED, []) == "Rejected by the program."


def test_reversed_says_the_refund_and_settled_statuses_say_nothing_more() -> None:
    assert _note(Status.REVERSED, [], "full refund of 100.00") == "Reversed: full refund of 100.00"
    assert _note(Status.REVERSED, []) == "Reversed: the sale was refunded."
    for status in (Status.APPROVED, Status.PAYABLE, Status.PAID):
        assert _note(status, ["old reason"]) == ""


def test_a_manual_hold_always_has_a_reason() -> None:
    assert hold_reason("  waiting for\nthe chargeback  ") == "waiting for the chargeback"
    assert hold_reason("") == DEFAULT_HOLD_REASON
    assert len(hold_reason("x" * 500)) == 300


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Ana López", "ana-lopez"),
        ("  Ben & Jerry's Blog!! ", "ben-jerry-s-blog"),
        ("Zoë_O'Neil", "zoe-o-neil"),
        ("渡辺", ""),
        ("---", ""),
        ("a" * 60, "a" * 40),
        ("word " * 10, "word-word-word-word-word-word-word-word"),
    ],
)
def test_referral_slug_reads_like_the_name(name: str, slug: str) -> None:
    assert referral_slug(name) == slug


def test_referral_title_names_the_partner() -> None:
    assert referral_title(" Ana ") == "Referral link of Ana"
    assert len(referral_title("x" * 300)) == 200
