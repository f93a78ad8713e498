"""Commission lifecycle: legal moves, the holding period, reversals and clawbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.errors import InputError
from evergreen.partners.rules import (
    ACTIONS,
    HAND_ACTIONS,
    Action,
    PartnerRuleError,
    RefundEffect,
    Status,
    approval_due,
    hand_action,
    refund_effect,
    transition,
)

D = Decimal
LEGAL: dict[tuple[Status, Action], Status] = {
    (Status.PENDING, "approve"): Status.APPROVED,
    (Status.PENDING, "hold"): Status.ON_HOLD,
    (Status.APPROVED, "hold"): Status.ON_HOLD,
    (Status.ON_HOLD, "release"): Status.PENDING,
    (Status.PENDING, "reject"): Status.REJECTED,
    (Status.ON_HOLD, "reject"): Status.REJECTED,
    (Status.APPROVED, "include_in_payout"): Status.PAYABLE,
    (Status.PAYABLE, "leave_payout"): Status.APPROVED,
    (Status.PAYABLE, "mark_paid"): Status.PAID,
    (Status.PENDING, "reverse"): Status.REVERSED,
    (Status.APPROVED, "reverse"): Status.REVERSED,
    (Status.ON_HOLD, "reverse"): Status.REVERSED,
    (Status.PAYABLE, "reverse"): Status.REVERSED,
}
ILLEGAL = [(s, a) for s in Status for a in ACTIONS if (s, a) not in LEGAL]


@pytest.mark.parametrize(("status", "action"), list(LEGAL))
def test_legal_moves(status: Status, action: Action) -> None:
    assert transition(status, action) is LEGAL[(status, action)]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_illegal_moves_are_refused(status: Status, action: Action) -> None:
    with pytest.raises(InputError) as info:
        transition(status, action)
    assert info.value.field == "status"
    assert info.value.message.startswith("cannot ")


def test_illegal_move_messages_read_as_sentences() -> None:
    with pytest.raises(InputError, match=r"^status: cannot approve a paid commission"):
        transition(Status.PAID, "approve")
    with pytest.raises(
        PartnerRuleError, match=r"cannot include in payout an on hold commission \(from on hold: "
    ):
        transition(Status.ON_HOLD, "include_in_payout")


def _offered(message: str) -> list[str]:
    """The moves a refusal suggests: 'cannot x a y commission (from y: a, b)' -> [a, b]."""
    hint = message.partition("(")[2].rstrip(")")
    if not hint.startswith("from "):
        return []
    return [word.strip().replace(" ", "_") for word in hint.partition(": ")[2].split(",")]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", HAND_ACTIONS)
def test_a_refused_hand_move_offers_only_moves_made_by_hand(status: Status, action: Action) -> None:
    """Reversing is a refund's and paying a payout's: a person is never told to do either."""
    if (status, action) in LEGAL:
        return
    with pytest.raises(PartnerRuleError) as info:
        transition(status, action, HAND_ACTIONS)
    offered = _offered(info.value.message)
    assert set(offered) <= set(HAND_ACTIONS), info.value.message
    for move in offered:
        assert transition(status, move, HAND_ACTIONS) is LEGAL[(status, move)]  # type: ignore[arg-type]


def test_only_hand_actions_are_taken_by_hand() -> None:
    assert [hand_action(action) for action in HAND_ACTIONS] == list(HAND_ACTIONS)
    for action in ("reverse", "include_in_payout", "mark_paid", "pay"):
        with pytest.raises(PartnerRuleError) as info:
            hand_action(action)
        assert info.value.field == "action"
        assert info.value.message == "must be approve, hold, release or reject"
    with pytest.raises(PartnerRuleError, match=r"\(only its payout or a refund changes it now\)"):
        transition(Status.PAYABLE, "hold", HAND_ACTIONS)


def test_the_usual_journey_and_string_statuses() -> None:
    status = Status.PENDING
    for action in ("approve", "include_in_payout", "mark_paid"):
        status = transition(status, action)
    assert status is Status.PAID
    assert transition("on_hold", "release") is Status.PENDING  # type: ignore[arg-type]


def test_unknown_actions_and_statuses_are_named() -> None:
    with pytest.raises(InputError) as info:
        transition(Status.PENDING, "pay")  # type: ignore[arg-type]
    assert info.value.field == "action"
    with pytest.raises(InputError) as info:
        transition("lost", "approve")  # type: ignore[arg-type]
    assert info.value.field == "status"


CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_approval_is_due_exactly_at_the_end_of_the_holding_period() -> None:
    end = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert not approval_due(CREATED, 30, end - timedelta(seconds=1))
    assert approval_due(CREATED, 30, end)
    assert approval_due(CREATED, 30, end + timedelta(days=3))
    assert approval_due(CREATED, 0, CREATED)


def test_approval_due_refuses_bad_input() -> None:
    with pytest.raises(InputError) as info:
        approval_due(CREATED, -1, CREATED)
    assert info.value.field == "holding_days"
    with pytest.raises(InputError, match="naive") as info:
        approval_due(datetime(2026, 11, 1), 30, CREATED)
    assert info.value.field == "created_at"
    with pytest.raises(InputError, match="naive"):
        approval_due(CREATED, 30, datetime(2026, 12, 1))


UNPAID = [Status.PENDING, Status.ON_HOLD, Status.APPROVED, Status.PAYABLE]


@pytest.mark.parametrize("status", UNPAID)
def test_a_full_refund_before_payment_reverses_everything(status: Status) -> None:
    effect = refund_effect(status, D("14.70"), D("49.00"), D("49.00"))
    assert effect == RefundEffect(
        "reverse", D("14.70"), "full refund of 49.00 reverses the whole 14.70 commission"
    )


def test_a_partial_refund_before_payment_reverses_its_share() -> None:
    effect = refund_effect(Status.PENDING, D("14.70"), D("49.00"), D("10.00"))
    # 14.70 x 10 / 49 = 3.00
    assert effect == RefundEffect(
        "reverse",
        D("3.00"),
        "partial refund of 10.00 of 49.00 reverses 3.00 of the 14.70 commission",
    )


@pytest.mark.parametrize(
    ("commission", "sale", "refunded", "expected"),
    [
        ("10.00", "30.00", "10.00", "3.33"),  # 3.333...
        ("0.05", "2.00", "1.00", "0.03"),  # 0.025 rounds half up
        ("20.00", "80.00", "20.00", "5.00"),
    ],
)
def test_partial_shares_round_half_up(
    commission: str, sale: str, refunded: str, expected: str
) -> None:
    effect = refund_effect(Status.APPROVED, D(commission), D(sale), D(refunded))
    assert (effect.action, effect.amount) == ("reverse", D(expected))


def test_after_payment_the_share_is_clawed_back_as_a_negative_amount() -> None:
    partial = refund_effect(Status.PAID, D("14.70"), D("49.00"), D("10.00"))
    assert (partial.action, partial.amount) == ("clawback", D("-3.00"))
    assert "clawed back from the next payout" in partial.reason
    full = refund_effect(Status.PAID, D("14.70"), D("49.00"), D("49.00"))
    assert (full.action, full.amount) == ("clawback", D("-14.70"))


def test_chargebacks_follow_the_same_rule() -> None:
    effect = refund_effect(Status.PAID, D("14.70"), D("49.00"), D("49.00"), cause="chargeback")
    assert (effect.action, effect.amount) == ("clawback", D("-14.70"))
    assert effect.reason.startswith("full chargeback of 49.00")


def test_a_refund_larger_than_the_sale_counts_as_full() -> None:
    effect = refund_effect(Status.PENDING, D("14.70"), D("49.00"), D("60.00"))
    assert (effect.action, effect.amount) == ("reverse", D("14.70"))


@pytest.mark.parametrize("status", [Status.REJECTED, Status.REVERSED])
def test_rejected_and_reversed_commissions_are_left_alone(status: Status) -> None:
    effect = refund_effect(status, D("14.70"), D("49.00"), D("49.00"))
    assert (effect.action, effect.amount) == ("none", D("0"))


def test_a_refund_too_small_to_move_a_cent_changes_nothing() -> None:
    effect = refund_effect(Status.PENDING, D("0.10"), D("100.00"), D("0.01"))
    assert (effect.action, effect.amount) == ("none", D("0"))


def test_partial_refunds_in_steps_add_up_to_the_commission() -> None:
    first = refund_effect(Status.PENDING, D("14.70"), D("49.00"), D("10.00"))
    assert first.amount == D("3.00")
    # The second step passes what is left of the commission and of the sale.
    second = refund_effect(Status.PENDING, D("11.70"), D("39.00"), D("39.00"))
    assert second.amount == D("11.70")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((D("14.70"), D("0"), D("1")), "sale_amount"),
        ((D("14.70"), D("49"), D("0")), "refunded"),
        ((D("14.70"), D("49"), D("-1")), "refunded"),
        ((D("-1"), D("49"), D("1")), "commission"),
        ((14.7, D("49"), D("1")), "commission"),
    ],
)
def test_refund_effect_refuses_bad_amounts(
    args: tuple[Decimal, Decimal, Decimal], field: str
) -> None:
    with pytest.raises(InputError) as info:
        refund_effect(Status.PENDING, *args)
    assert info.value.field == field


cents = st.integers(0, 1_000_000).map(lambda n: Decimal(n) / 100)
positive_cents = st.integers(1, 1_000_000).map(lambda n: Decimal(n) / 100)


@settings(max_examples=200)
@given(
    commission=cents,
    sale=positive_cents,
    steps=st.lists(positive_cents, min_size=1, max_size=8),
    paid=st.booleans(),
)
def test_refund_steps_never_take_back_more_than_the_commission(
    commission: Decimal, sale: Decimal, steps: list[Decimal], paid: bool
) -> None:
    status = Status.PAID if paid else Status.APPROVED
    kept, left, taken = commission, sale, Decimal(0)
    for step in steps:
        if left == 0:
            break
        effect = refund_effect(status, kept, left, step)
        part = -effect.amount if paid else effect.amount
        assert effect.action in (("clawback" if paid else "reverse"), "none")
        assert 0 <= part <= kept
        kept -= part
        left -= min(step, left)
        taken += part
    assert taken <= commission
    if left == 0:
        assert taken == commission
