"""Pure attribution: which partner earns a conversion, and the rule shown for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from evergreen.money import check_utc
from evergreen.partners.rules.errors import PartnerRuleError

__all__ = [
    "MAX_WINDOW_DAYS",
    "MIN_WINDOW_DAYS",
    "Attribution",
    "Touch",
    "TouchKind",
    "attribute",
    "bound_partner",
]

MIN_WINDOW_DAYS = 1
MAX_WINDOW_DAYS = 365
_DAY = timedelta(days=1)


class TouchKind(StrEnum):
    """How a customer reached a partner: a tracked click, the partner's coupon at checkout, or
    the owner's word (a conversion attributed by hand)."""

    CLICK = "click"
    COUPON = "coupon"
    MANUAL = "manual"


@dataclass(frozen=True)
class Touch:
    """One contact between a future customer and a partner; coupons are touched at checkout."""

    partner_id: int
    at: datetime
    kind: TouchKind
    click_id: str | None = None
    coupon: str | None = None


@dataclass(frozen=True)
class Attribution:
    """Which partner earns a conversion, and the sentence shown on the commission saying why."""

    partner_id: int
    kind: TouchKind
    touch_at: datetime
    rule: str


def _window_days(window: timedelta) -> int:
    """Windows are whole days, as programs advertise them (30, 60, 90 days)."""
    if not isinstance(window, timedelta) or window % _DAY:
        raise PartnerRuleError("window", f"must be a whole number of days (got {window!r})")
    if not MIN_WINDOW_DAYS <= window.days <= MAX_WINDOW_DAYS:
        raise PartnerRuleError(
            "window",
            f"must be from {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS} days (got {window.days})",
        )
    return window.days


def attribute(
    touches: Sequence[Touch],
    *,
    at: datetime,
    model: Literal["last", "first"] = "last",
    window: timedelta = timedelta(days=30),
) -> Attribution | None:
    """The owner's choice by hand wins, then a coupon used at checkout, then the last (or
    first) click in the window.

    Only touches from `at - window` to `at`, both included, count; a coupon is only honoured
    inside the window too. Ties go to the later-listed touch for "last" and for coupons, to
    the earlier-listed one for "first".
    """
    moment = check_utc("at", at)
    days = _window_days(window)
    if model not in ("last", "first"):
        raise PartnerRuleError("model", f"must be 'last' or 'first' (got {model!r})")
    start = moment - window
    manual: Touch | None = None
    coupon: tuple[Touch, datetime] | None = None
    click: tuple[Touch, datetime] | None = None
    for touch in touches:
        try:
            kind = TouchKind(touch.kind)
        except ValueError:
            raise PartnerRuleError(
                "touches", f"unknown touch kind {touch.kind!r}; use click or coupon"
            ) from None
        when = check_utc("touches", touch.at)
        if kind is TouchKind.COUPON and not (touch.coupon or "").strip():
            raise PartnerRuleError("touches", "a coupon touch needs its coupon code")
        if kind is TouchKind.MANUAL:
            manual = touch  # the owner decided, whatever the window says
            continue
        if not start <= when <= moment:
            continue
        if kind is TouchKind.COUPON:
            if coupon is None or when >= coupon[1]:
                coupon = (touch, when)
        elif click is None or (when >= click[1] if model == "last" else when < click[1]):
            click = (touch, when)
    if manual is not None:
        return Attribution(manual.partner_id, TouchKind.MANUAL, moment, "attributed by hand")
    if coupon is not None:
        touch, when = coupon
        code = (touch.coupon or "").strip()
        return Attribution(touch.partner_id, TouchKind.COUPON, when, f"coupon {code}")
    if click is not None:
        touch, when = click
        rule = f"{model} click on {when.date().isoformat()} within the {days}-day window"
        return Attribution(touch.partner_id, TouchKind.CLICK, when, rule)
    return None


def bound_partner(existing: int | None, candidate: Attribution | None) -> int | None:
    """A customer stays with the partner who first brought them, so recurring pay follows them."""
    if existing is not None:
        return existing
    return candidate.partner_id if candidate is not None else None
