"""The buyer's receipt, sent once: by whoever made the order paid (webhook, return, owner)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.models import Order, OrderLine
from evergreen.commerce.rules.checkout import order_token
from evergreen.commerce.rules.products import from_cents
from evergreen.commerce.service.engagements import intake_links
from evergreen.mail.transactional import Transactional

__all__ = ["receipt_mail"]

_BODY = """<p>Hello {{ subscriber.name or "" }},</p>
<p>Thank you for your order {{ subscriber.fields.number }}. We received your payment of
{{ subscriber.fields.total }}.</p>
<p>{{ subscriber.fields.lines }}</p>
<p>Your order, any time: <a href="{{ subscriber.fields.url }}">{{ subscriber.fields.url }}</a></p>
{% for link in subscriber.fields.intake %}<p>So we can start on your service, please answer a few
questions: <a href="{{ link }}">{{ link }}</a></p>{% endfor %}
"""


def _money(cents: int, currency: str) -> str:
    return f"{from_cents(cents)} {currency}"


def receipt_mail(session: Session, order_number: str, secret: str, base_url: str) -> Transactional:
    """The receipt of a paid order, with its lines and the buyer's signed order link."""
    order = session.scalar(select(Order).where(Order.number == order_number))
    assert order is not None
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
    )
    listed = "; ".join(
        f"{line.product_name}: {_money(line.total_cents, order.currency)}" for line in lines
    )
    if order.tax_cents:
        listed += f" (tax {_money(order.tax_cents, order.currency)})"
    return Transactional(
        to=order.buyer_email,
        name=order.buyer_name,
        subject=f"Your receipt for order {order.number}",
        body=_BODY,
        values={
            "number": order.number,
            "total": _money(order.total_cents, order.currency),
            "lines": listed,
            "url": f"{base_url.rstrip('/')}/buy/order/{order_token(secret, order.number)}",
            "intake": intake_links(session, order, secret, base_url),
        },
    )
