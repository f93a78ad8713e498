"""The demo's year as plain values: which clicks, sales, entries and hours happen when.

Seeded, so every demo is the same business; dated back from the day it is loaded, so it is
always the latest year. Nothing here touches storage: the service drives the real areas.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

__all__ = ["LOAN_MONTHS", "LOAN_PRINCIPAL", "ClickPlan", "DemoPlan", "EarningPlan", "SalePlan",
           "plan"]  # fmt: skip

DAYS = 365
LOAN_PRINCIPAL = Decimal(20_000)  # lent to Sam on the first day, 10 % interest-only, 24 months
LOAN_MONTHS = 24
LINKS = (
    ("demo-hosting", "https://hosting.example/?aff=demo", "Web hosting"),
    ("demo-camera", "https://shop.example/camera?aff=demo", "Camera"),
    ("demo-course", "https://courses.example/photo?aff=demo", "Photo course"),
)
_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36",
)
_REFERRERS = ("https://www.google.com/", "https://blog.example/best-camera", "", "https://x.com/")
_COUNTRIES = ("US", "GB", "CA", "DE", "AU")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class ClickPlan:
    """One visitor following an affiliate link from the blog."""

    at: datetime
    slug: str
    visitor: str
    user_agent: str
    referrer: str
    country: str
    post: str


@dataclass(frozen=True)
class EarningPlan:
    """A commission the network reports for a click's sale."""

    click: int  # index into DemoPlan.clicks
    order_id: str
    sale: Decimal
    commission: Decimal
    status: str  # pending, approved or reversed


@dataclass(frozen=True)
class SalePlan:
    """A course sale a partner referred (by coupon)."""

    at: datetime
    partner: int
    amount: Decimal
    order_id: str


@dataclass
class DemoPlan:
    """Everything that happens in the demo's year."""

    first_day: date
    today: date
    clicks: list[ClickPlan] = field(default_factory=list)
    earnings: list[EarningPlan] = field(default_factory=list)
    sales: list[SalePlan] = field(default_factory=list)
    royalties: list[tuple[date, Decimal]] = field(default_factory=list)
    # the loan's payment days (its start + 1, 2, … months) and principal repaid on each
    loan_payments: list[tuple[date, Decimal]] = field(default_factory=list)
    costs: list[tuple[str, date, Decimal, str]] = field(default_factory=list)
    hours: list[tuple[str, date, Decimal]] = field(default_factory=list)
    capital: list[tuple[str, date, Decimal]] = field(default_factory=list)


def _months(first: date, today: date) -> list[date]:
    out = []
    month = first.replace(day=1)
    while month <= today:
        out.append(month)
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def plan(today: date, seed: int = 2026) -> DemoPlan:
    """The year ending today: a blog's clicks and network commissions, a partner program's
    sales, book royalties, a private loan's payments, costs, hours and capital."""
    rng = random.Random(seed)  # noqa: S311 - a repeatable story, not a secret
    first = today - timedelta(days=DAYS - 1)
    result = DemoPlan(first, today)
    for n in range(DAYS):
        day = first + timedelta(days=n)
        growth = 1 + n / DAYS  # the blog's traffic doubles over the year
        for _ in range(rng.randint(4, int(14 * growth))):
            at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                seconds=rng.randrange(86_400)
            )
            slug = rng.choice(LINKS)[0]
            result.clicks.append(
                ClickPlan(
                    at=at, slug=slug, visitor=f"v{rng.randrange(4000)}",
                    user_agent=rng.choice(_AGENTS), referrer=rng.choice(_REFERRERS),
                    country=rng.choice(_COUNTRIES), post=f"post{rng.randrange(12)}",
                )
            )  # fmt: skip
    result.clicks.sort(key=lambda click: click.at)
    now = datetime(today.year, today.month, today.day, tzinfo=UTC)
    for index, click in enumerate(result.clicks):
        if rng.random() >= 0.035 or click.at > now:
            continue
        sale = Decimal(rng.randrange(2_000, 60_000)) / 100
        rate = {"demo-hosting": Decimal("0.40"), "demo-camera": Decimal("0.04")}.get(
            click.slug, Decimal("0.30")
        )
        age = (now - click.at).days
        status = "pending" if age < 30 else ("reversed" if rng.random() < 0.06 else "approved")
        result.earnings.append(
            EarningPlan(index, f"N{index:06d}", sale, (sale * rate).quantize(_CENT), status)
        )
    for n in range(DAYS):
        day = first + timedelta(days=n)
        if rng.random() < 0.12:
            at = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
            result.sales.append(
                SalePlan(at, rng.randrange(3), Decimal("197.00"), f"C{len(result.sales):05d}")
            )
    for month in _months(first, today):
        if month < first:
            month = first
        result.royalties.append((month, Decimal(rng.randrange(8_000, 26_000)) / 100))
        result.costs.append(("Blog", month, Decimal("14.99"), "Hosting"))
        result.costs.append(("Photo course", month, Decimal("29.00"), "Software"))
        early = (month - first).days < 120
        result.hours.append(("Blog", month + timedelta(days=2), Decimal(12 if early else 5)))
        result.hours.append(("Blog", month + timedelta(days=16), Decimal(10 if early else 3)))
        result.hours.append(("Photo course", month + timedelta(days=5), Decimal(2)))
        result.hours.append(("Book royalties", month + timedelta(days=9), Decimal("0.5")))
        result.hours.append(("Loan to Sam", month + timedelta(days=1), Decimal("0.25")))
    result.capital.append(("Blog", first, Decimal(1_200)))
    repaid = False  # 5,000 of the 20,000 comes back with the first payment after day 200
    for number in range(1, LOAN_MONTHS + 1):
        due = _months_after(first, number)
        if due > today:
            break
        back = Decimal(0) if repaid or (due - first).days < 200 else Decimal(5_000)
        repaid = repaid or bool(back)
        result.loan_payments.append((due, back))
    return result


def _months_after(start: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    year, month = divmod(start.month - 1 + months, 12)
    first = date(start.year + year, month + 1, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first.replace(day=min(start.day, last.day))
