"""Pure commission lifecycle: legal status moves, the holding period, refunds and clawbacks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal, get_args

from evergreen.money import cents, check_money, check_utc, show_money
from evergreen.partners.rules.errors import PartnerRuleError

__all__ = [
    "ACTIONS",
    "HAND_ACTIONS",
    "OWED",
    "Action",
    "HandAction",
    "RefundEffect",
    "Status",
    "allowed_actions",
    "approval_due",
    "hand_action",
    "refund_effect",
    "transition",
]


class Status(StrEnum):
    """Where a commission stands; reversed and rejected ones are kept, never deleted."""

    PENDING = "pending"
    ON_HOLD = "on_hold"
    APPROVED = "approved"
    PAYABLE = "payable"
    PAID = "paid"
    REVERSED = "reversed"
    REJECTED = "rejected"


Action = Literal[
    "approve",
    "hold",
    "release",
    "reject",
    "include_in_payout",
    "leave_payout",
    "mark_paid",
    "reverse",
]
ACTIONS: tuple[Action, ...] = get_args(Action)
# What a person may do to a commission (its page's buttons, the API's route); the other moves
# are made by a payout (include, leave, mark paid) or a refund (reverse), never by hand.
HandAction = Literal["approve", "hold", "release", "reject"]
HAND_ACTIONS: tuple[HandAction, ...] = get_args(HandAction)

_MOVES: dict[tuple[Status, str], Status] = {
    (Status.PENDING, "approve"): Status.APPROVED,
    (Status.PENDING, "hold"): Status.ON_HOLD,
    (Status.APPROVED, "hold"): Status.ON_HOLD,
    (Status.ON_HOLD, "release"): Status.PENDING,
    (Status.PENDING, "reject"): Status.REJECTED,
    (Status.ON_HOLD, "reject"): Status.REJECTED,
    (Status.APPROVED, "include_in_payout"): Status.PAYABLE,
    # A refund that leaves a partner's line in an unpaid batch at zero or less sends the line's
    # commissions back to wait for the next payout (see rules.payouts.replan_open_payout).
    (Status.PAYABLE, "leave_payout"): Status.APPROVED,
    (Status.PAYABLE, "mark_paid"): Status.PAID,
    (Status.PENDING, "reverse"): Status.REVERSED,
    (Status.APPROVED, "reverse"): Status.REVERSED,
    (Status.ON_HOLD, "reverse"): Status.REVERSED,
    # A full refund before payment reverses even a commission already in an unpaid batch; the
    # batch lets it go (service.payout_lines) so the rest of it can still be paid.
    (Status.PAYABLE, "reverse"): Status.REVERSED,
}


def _status(value: Status | str) -> Status:
    """Statuses come back from storage as strings; an unknown one is a bug worth naming."""
    try:
        return Status(value)
    except ValueError:
        raise PartnerRuleError("status", f"unknown commission status {value!r}") from None


def _words(value: str) -> str:
    return value.replace("_", " ")


def transition(status: Status, action: Action, among: tuple[Action, ...] = ACTIONS) -> Status:
    """The status after an action, or an error saying why the move is not allowed and which
    moves of `among` (the ones the caller can make) are."""
    current = _status(status)
    if action not in ACTIONS:
        raise PartnerRuleError(
            "action", f"unknown action {action!r}; use one of {', '.join(ACTIONS)}"
        )
    after = _MOVES.get((current, action))
    if after is None:
        allowed = [_words(act) for act in allowed_actions(current, among)]
        article = "an" if current.value[0] in "aeiou" else "a"
        if allowed:
            hint = f"from {_words(current)}: {', '.join(allowed)}"
        elif allowed_actions(current):
            hint = "only its payout or a refund changes it now"
        else:
            hint = "it is final"
        raise PartnerRuleError(
            "status", f"cannot {_words(action)} {article} {_words(current)} commission ({hint})"
        )
    return after


def hand_action(action: str) -> HandAction:
    """An action a person asked for, if it is one they may take by hand."""
    for allowed in HAND_ACTIONS:
        if action == allowed:
            return allowed
    *first, last = HAND_ACTIONS
    raise PartnerRuleError("action", f"must be {', '.join(first)} or {last}")


def allowed_actions(status: Status | str, among: tuple[Action, ...] = ACTIONS) -> list[Action]:
    """The actions (of `among`, in its order) a commission in this status can take."""
    current = _status(status)
    return [action for action in among if (current, action) in _MOVES]


def approval_due(created_at: datetime, holding_days: int, now: datetime) -> bool:
    """A commission is approved once its holding period, counted from creation, has passed."""
    if isinstance(holding_days, bool) or not isinstance(holding_days, int) or holding_days < 0:
        raise PartnerRuleError(
            "holding_days", f"must be a whole number of days, 0 or more ({holding_days!r})"
        )
    created = check_utc("created_at", created_at)
    return check_utc("now", now) >= created + timedelta(days=holding_days)


@dataclass(frozen=True)
class RefundEffect:
    """What a refund does to one commission: reverse part of it, claw it back, or nothing."""

    action: Literal["reverse", "clawback", "none"]
    amount: Decimal
    reason: str


_UNPAID = frozenset({Status.PENDING, Status.ON_HOLD, Status.APPROVED, Status.PAYABLE})
# What counts toward a partner's unpaid balance; held commissions count once released.
OWED = frozenset({Status.PENDING, Status.APPROVED, Status.PAYABLE})
_NOTHING = Decimal("0.00")


def refund_effect(
    status: Status,
    commission: Decimal,
    sale_amount: Decimal,
    refunded: Decimal,
    *,
    cause: Literal["refund", "chargeback"] = "refund",
) -> RefundEffect:
    """A refund takes back the same share of the commission as of the sale.

    `commission` is what the partner still keeps from the sale and `sale_amount` what of the
    sale is still unrefunded; passing both as they stand after earlier partial refunds means
    the steps add up to at most the commission, and exactly to it once the sale is all refunded.
    Before payment the share is reversed (a positive amount to take off); after payment it is
    a clawback (a negative amount netted from the next payout). A refund larger than the sale
    counts as a full refund.
    """
    state = _status(status)
    kept = check_money("commission", commission)
    sale = check_money("sale_amount", sale_amount)
    back = check_money("refunded", refunded)
    if sale == 0:
        raise PartnerRuleError("sale_amount", "must be positive: nothing of the sale is left")
    if back == 0:
        raise PartnerRuleError("refunded", f"a {cause} must have a positive amount")
    if state in (Status.REJECTED, Status.REVERSED):
        return RefundEffect("none", _NOTHING, f"the commission is {state}; nothing to take back")
    full = back >= sale
    part = kept if full else min(kept, cents(kept * back / sale))
    if full:
        what = f"full {cause} of {show_money(sale)}"
    else:
        what = f"partial {cause} of {show_money(back)} of {show_money(sale)}"
    if part == 0:
        return RefundEffect(
            "none", _NOTHING, f"{what} leaves the {show_money(kept)} commission unchanged"
        )
    if state in _UNPAID:
        share = "the whole" if full else f"{show_money(part)} of the"
        return RefundEffect(
            "reverse", part, f"{what} reverses {share} {show_money(kept)} commission"
        )
    return RefundEffect(
        "clawback",
        -part,
        f"{what} after payout: {show_money(part)} of the paid {show_money(kept)} commission "
        "is clawed back from the next payout",
    )
