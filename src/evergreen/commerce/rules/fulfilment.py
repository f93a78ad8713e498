"""Fulfilment as pure rules: a supplier's settings, what an order forwarded to a supplier says
(signed JSON, a CSV row, an email), what a refund does to supplier orders, tracking as recorded,
the buyer's signed intake link, the intake answers, and due dates of a done-for-you service."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.rules.checkout import check_buyer_email
from evergreen.commerce.rules.products import check_currency_code, check_text
from evergreen.urls import check_http_url

__all__ = [
    "CSV_COLUMNS",
    "ENGAGEMENT_STATUSES",
    "MAX_QUESTIONS",
    "METHODS",
    "SUPPLIER_ORDER_STATUSES",
    "Forwardable",
    "carrier_link",
    "check_answers",
    "check_delivery_days",
    "check_method",
    "check_questions",
    "check_resend",
    "check_supplier",
    "check_tracking",
    "csv_rows",
    "due_on",
    "intake_token",
    "is_overdue",
    "order_payload",
    "read_intake_token",
    "refund_stops",
    "retry_delay",
    "to_csv",
    "unused_address",
]

METHODS = ("email", "webhook", "csv")
SUPPLIER_ORDER_STATUSES = ("new", "sent", "failed", "shipped", "cancel_requested", "cancelled")
ENGAGEMENT_STATUSES = ("intake", "in_progress", "delivered")
MAX_QUESTIONS = 20
MAX_DELIVERY_DAYS = 365
CSV_COLUMNS = (
    "supplier_order", "order", "supplier", "sku", "product", "quantity", "name", "line1",
    "line2", "city", "postal_code", "region", "country", "action",
)  # fmt: skip
_WHERE = CSV_COLUMNS[6:13]
MAX_ATTEMPTS = 8
_DELAYS = (60, 300, 1800, 7200, 21600, 43200, 86400)  # seconds after attempt 1, 2, …
_INTAKE = re.compile(r"^([0-9]{1,12})\.([A-Za-z0-9_-]{20,64})$")


def check_method(value: str) -> str:
    """How orders reach the supplier: email, webhook or csv."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if text not in METHODS:
        raise CommerceInputError("method", f"must be one of {', '.join(METHODS)}")
    return text


def unused_address(method: str, email: str, webhook_url: str) -> tuple[str, str] | None:
    """The address the chosen method never uses (it would be stored and shown, never used), as
    (its field, the method that uses it); None when there is none or the method is unknown."""
    chosen = method.strip().lower() if isinstance(method, str) else ""
    for field, value, needs in (("email", email, "email"), ("webhook_url", webhook_url, "webhook")):
        if isinstance(value, str) and value.strip() and chosen in METHODS and chosen != needs:
            return field, needs
    return None


def check_supplier(
    name: str, email: str, method: str, webhook_url: str, currency: str
) -> tuple[str, str, str, str, str]:
    """A supplier's (name, email, method, webhook URL, currency): email forwarding needs an
    email, webhook forwarding an http(s) URL, and neither takes the other's address."""
    chosen = check_method(method)
    unused = unused_address(chosen, email, webhook_url)
    if unused is not None:
        field, needs = unused
        raise CommerceInputError(
            field, f"is only for the method {needs}: leave it empty, or choose {needs}"
        )
    address = email.strip() if isinstance(email, str) else ""
    if address or chosen == "email":
        address = check_buyer_email(address) if address else ""
        if not address:
            raise CommerceInputError("email", "is required to forward orders by email")
    url = webhook_url.strip() if isinstance(webhook_url, str) else ""
    if url or chosen == "webhook":
        if not url:
            raise CommerceInputError("webhook_url", "is required to forward orders by webhook")
        url = check_http_url("webhook_url", url, CommerceInputError)
    return (
        check_text("name", name, 200, required=True),
        address,
        chosen,
        url,
        check_currency_code("currency", currency),
    )


def check_tracking(number: str, carrier: str, url: str = "") -> tuple[str, str, str]:
    """A tracking number (required), its carrier (required) and an optional tracking URL."""
    checked_url = url.strip() if isinstance(url, str) else ""
    if checked_url:
        checked_url = check_http_url("tracking_url", checked_url, CommerceInputError)
    return (
        check_text("tracking_number", number, 100, required=True),
        check_text("carrier", carrier, 100, required=True),
        checked_url,
    )


def check_questions(text: str | Sequence[str]) -> list[str]:
    """Intake questions: one per line (or a list), blank ones dropped, at most 20."""
    items = text.splitlines() if isinstance(text, str) else list(text)
    questions = [check_text("intake_questions", str(q), 300) for q in items]
    questions = [q for q in questions if q]
    if len(questions) > MAX_QUESTIONS:
        raise CommerceInputError("intake_questions", f"at most {MAX_QUESTIONS} questions")
    return questions


def check_delivery_days(value: int | str | None) -> int | None:
    """Days from purchase to delivery (None: no due date), 1 to 365."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise CommerceInputError("delivery_days", f"{value!r} is not a whole number") from None
    if isinstance(value, bool) or not 1 <= days <= MAX_DELIVERY_DAYS:
        raise CommerceInputError("delivery_days", f"must be 1 to {MAX_DELIVERY_DAYS}")
    return days


def check_answers(questions: Sequence[str], answers: Sequence[str]) -> list[str]:
    """One answer per question, each required, at most 5,000 characters."""
    if len(answers) != len(questions):
        raise CommerceInputError("answers", f"answer each of the {len(questions)} questions")
    return [check_text(f"answer_{i + 1}", a, 5000, required=True) for i, a in enumerate(answers)]


def due_on(paid_at: datetime, days: int | None) -> date | None:
    """The day a service is due: the purchase day plus the product's delivery days."""
    return None if days is None else paid_at.date() + timedelta(days=days)


def is_overdue(due: date | None, status: str, today: date) -> bool:
    """Past its due date and not delivered."""
    return due is not None and status != "delivered" and today > due


def order_payload(
    supplier_order_id: int,
    order_number: str,
    lines: Sequence[Mapping[str, Any]],
    ship_to: Mapping[str, str],
    event: str = "supplier_order.created",
) -> bytes:
    """The JSON body a webhook supplier receives: which order, what to ship (or, for
    supplier_order.cancel_requested, what not to ship any more), where."""
    body = {
        "type": event,
        "supplier_order": supplier_order_id,
        "order": order_number,
        "lines": [
            {"sku": str(x["sku"]), "name": str(x["name"]), "quantity": int(x["quantity"])}
            for x in lines
        ],
        "ship_to": dict(ship_to),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def csv_rows(
    supplier_order_id: int,
    order_number: str,
    supplier: str,
    lines: Sequence[Mapping[str, Any]],
    ship_to: Mapping[str, str],
    action: str = "create",
) -> list[list[str]]:
    """One CSV row per line of a supplier order, the address repeated (as suppliers import);
    the action says create (ship it) or cancel (a refund: do not ship it)."""
    where = [ship_to.get(k, "") for k in _WHERE]
    return [
        [str(supplier_order_id), order_number, supplier, str(x["sku"]), str(x["name"]),
         str(x["quantity"]), *where, action]
        for x in lines
    ]  # fmt: skip


def _safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def to_csv(rows: Sequence[Sequence[str]]) -> str:
    """The CSV text with its header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


def _signature(secret: str, engagement_id: str) -> str:
    key = hashlib.sha256(f"evergreen-key:commerce-intake:{secret}".encode()).digest()
    digest = hmac.new(key, engagement_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).rstrip(b"=").decode("ascii")


def intake_token(secret: str, engagement_id: int) -> str:
    """The signed part of the buyer's intake link (/buy/intake/<token>)."""
    return f"{engagement_id}.{_signature(secret, str(engagement_id))}"


def read_intake_token(secret: str, token: str) -> int:
    """The engagement an intake link names; a changed or foreign link is refused."""
    found = _INTAKE.match(token.strip()) if isinstance(token, str) else None
    if found is None or not hmac.compare_digest(
        _signature(secret, found.group(1)).encode(), found.group(2).encode()
    ):
        raise CommerceInputError("token", "this intake link is not valid")
    return int(found.group(1))


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed forwardings, or None to give up (failed)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return timedelta(seconds=_DELAYS[min(attempts, len(_DELAYS)) - 1])


@dataclass(frozen=True)
class Forwardable:
    """A supplier order as a refund sees it: its status, whether a refund stopped it already,
    and what the order lines forwarded in it were charged (cents)."""

    id: int
    status: str
    stopped: bool
    value_cents: int


_AFTER_REFUND = {"new": "cancelled", "failed": "cancelled", "sent": "cancel_requested",
                 "shipped": "shipped"}  # fmt: skip


def refund_stops(
    fully_refunded: bool, refunded_cents: int, rows: Sequence[Forwardable]
) -> dict[int, str]:
    """The supplier orders a refund stops and their status after it: not yet forwarded ones are
    cancelled (never sent), forwarded ones ask the supplier to cancel, shipped ones stay
    shipped (the page says "shipped before refund"). A full refund stops all; a partial one
    stops those its amount covers, taken in id order, each whole (a refund of part of a line
    stops nothing: the goods are still owed)."""
    stops: dict[int, str] = {}
    covered = 0
    for row in sorted(rows, key=lambda r: r.id):
        covered += row.value_cents
        if not fully_refunded and covered > refunded_cents:
            break
        if not row.stopped and row.status in _AFTER_REFUND:
            stops[row.id] = _AFTER_REFUND[row.status]
    return stops


def check_resend(status: str) -> str:
    """What resending a supplier order sends again: the order (new, sent, failed) or the
    cancel request; a shipped or cancelled one has nothing to resend."""
    if status in ("new", "sent", "failed"):
        return "order"
    if status == "cancel_requested":
        return "cancel"
    raise CommerceInputError("supplier_order", f"a {status} supplier order is not resent")


_CARRIERS = {
    "ups": "https://www.ups.com/track?tracknum={}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={}",
    "colissimo": "https://www.laposte.fr/outils/suivre-vos-envois?code={}",
    "la poste": "https://www.laposte.fr/outils/suivre-vos-envois?code={}",
    "royal mail": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
}
_ANY_CARRIER = "https://t.17track.net/en#nums={}"


def carrier_link(carrier: str, number: str, url: str = "") -> str:
    """Where the owner follows a parcel: the URL the supplier gave, else the carrier's own
    tracking page for known carriers, else a multi-carrier tracker ("" without a number)."""
    if url or not number:
        return url
    template = _CARRIERS.get(" ".join(carrier.lower().split()), _ANY_CARRIER)
    return template.format(urllib.parse.quote(number.strip(), safe=""))
