"""Late notices: the borrower is told by mail when a payment is past its grace period, once
per missed payment (with the late fee it drew, which is charged once), with a link to their
portal."""

from __future__ import annotations

from sqlalchemy.orm import Session

from evergreen.lending.models import Borrower, Loan, Movement
from evergreen.lending.rules.amounts import money
from evergreen.mail.transactional import Transactional

__all__ = ["late_notice"]

_BODY = """<p>Hello {{ subscriber.name or "" }},</p>
<p>The payment on your loan {{ subscriber.fields.loan }} due on {{ subscriber.fields.due }} has
not been received, and its grace period has ended. A late fee of {{ subscriber.fields.fee }}
{{ subscriber.fields.currency }} was charged on {{ subscriber.fields.charged }}.</p>
<p>Fees owed now: {{ subscriber.fields.fees_due }} {{ subscriber.fields.currency }}. If you have
paid in the meantime, thank you: please disregard this notice.</p>
<p>Your loan, its statement and a payoff letter:
<a href="{{ subscriber.fields.url }}">{{ subscriber.fields.url }}</a></p>
"""


def late_notice(session: Session, movement: Movement, base_url: str) -> Transactional | None:
    """The notice for a late fee just charged; None when the borrower has no email."""
    loan = session.get(Loan, movement.loan_id)
    assert loan is not None
    borrower = session.get(Borrower, loan.borrower_id)
    if borrower is None or not borrower.email:
        return None
    due = movement.key.rsplit(":", 1)[-1]  # late:<loan>:<due date>
    return Transactional(
        to=borrower.email,
        name=borrower.name,
        subject=f"Late notice: loan {loan.id}, the payment due {due}",
        body=_BODY,
        values={
            "loan": str(loan.id),
            "due": due,
            "fee": f"{money(movement.amount):,.2f}",
            "charged": movement.on.isoformat(),
            "fees_due": f"{money(loan.fees_due):,.2f}",
            "currency": loan.currency,
            "url": f"{base_url.rstrip('/')}/borrower/loans/{loan.id}",
        },
    )
