"""The dunning reminder: a failed or due renewal, with a signed link that signs the buyer into
the buyers' area (valid until the grace period ends), where they pay with a new card."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.models import Order, Product
from evergreen.commerce.rules.billing import renewal_key
from evergreen.commerce.rules.delivery import buyer_token
from evergreen.commerce.rules.products import from_cents
from evergreen.commerce.service.subscriptions.manage import get_subscription
from evergreen.mail.transactional import Transactional

__all__ = ["reminder_mail"]

_BODY = """<p>Hello {{ subscriber.name or "" }},</p>
<p>The payment of {{ subscriber.fields.amount }} for your subscription to
{{ subscriber.fields.product }} is due and was not made: {{ subscriber.fields.reason }}</p>
<p>Update your card and pay here:
<a href="{{ subscriber.fields.url }}">{{ subscriber.fields.url }}</a></p>
<p>Unless it is paid by {{ subscriber.fields.until }} UTC, the subscription ends.</p>
"""


def reminder_mail(
    session: Session, subscription_id: int, reason: str, secret: str, base_url: str, now: datetime
) -> Transactional:
    """The reminder for a past-due subscription, quoting what the open period's order asks
    (after its coupon, with its tax), not the plan's list price."""
    sub = get_subscription(session, subscription_id)
    open_order = session.scalar(
        select(Order).where(Order.checkout_key == renewal_key(sub.id, sub.period + 1))
    )
    due = sub.amount_cents if open_order is None else open_order.total_cents
    product = session.get(Product, sub.product_id)
    assert product is not None
    until = sub.grace_until or now + timedelta(days=1)
    token = buyer_token(secret, "sign-in", sub.buyer_email, until)
    return Transactional(
        to=sub.buyer_email,
        name=sub.buyer_name,
        subject=f"Your payment for {product.name} is due",
        body=_BODY,
        values={
            "amount": f"{from_cents(due)} {sub.currency}",
            "product": product.name,
            "reason": reason,
            "url": f"{base_url.rstrip('/')}/account/signin/{token}",
            "until": until.strftime("%Y-%m-%d %H:%M"),
        },
    )
