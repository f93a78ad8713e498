"""Fee waivers: the owner forgives all or part of a fee still owed, with a reason. The waived
part leaves what is owed (quotes, payoffs, payments' splits, a charge-off) and its fee income is
reversed in the ledger; the movement and its history line are kept, as every movement is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.errors import Conflict, NotFound
from evergreen.lending.models import Loan, Movement
from evergreen.lending.rules import read_money
from evergreen.lending.rules.waivers import (
    WAIVER,
    FeeLine,
    FeeMove,
    Waiver,
    check_waiver,
    fee_lines,
    read_reason,
    waiver_key,
)
from evergreen.lending.service.records import (
    Parts,
    check_key,
    locked_loan,
    record,
    refresh_schedule,
)

__all__ = ["Waived", "fee_of", "fees_of", "preview_waiver", "waive_fee"]


def _moves(session: Session, loan_id: int) -> list[FeeMove]:
    """The loan's movements that touch its fees, in the order they were recorded."""
    rows = session.execute(
        select(Movement.id, Movement.kind, Movement.on, Movement.fees, Movement.note,
               Movement.waives_id)
        .where(Movement.loan_id == loan_id,
               Movement.kind.in_(("fee", "payment", "payoff", "charge_off", WAIVER)))
        .order_by(Movement.id)
    )  # fmt: skip
    return [FeeMove(*row) for row in rows]


def fees_of(session: Session, loan_id: int) -> list[FeeLine]:
    """Every fee charged on the loan, oldest first, with what was paid, waived and written off
    of it and what is still owed."""
    if session.get(Loan, loan_id) is None:
        raise NotFound("loan_id", f"there is no loan {loan_id}")
    return fee_lines(_moves(session, loan_id))


def fee_of(session: Session, loan_id: int, fee_id: int) -> FeeLine:
    """One fee of the loan as it stands, or NotFound naming where the loan's fees are listed."""
    found = next((f for f in fees_of(session, loan_id) if f.id == fee_id), None)
    if found is None:
        raise NotFound("fee_id", f"loan {loan_id} has no fee {fee_id}; its fees are listed by "
                       f"`evergreen lending loan fees {loan_id}`")  # fmt: skip
    return found


@dataclass(frozen=True)
class Waived:
    """A waiver, and whether this call recorded it (False: an earlier call with its key did)."""

    movement: Movement
    created: bool


def _replayed(
    stored: Movement, fee_id: int, on: date, value: Decimal | None, reason: str
) -> Waived:
    """The waiver first recorded under this key, if this call asks for the same one."""
    if stored.waives_id != fee_id:
        raise Conflict("key", f"the key was used for a waiver of another fee ({stored.waives_id}); "
                       "send a new key for a new waiver")  # fmt: skip
    differs = [name for name, same in (
        ("date", stored.on == on), ("amount", value is None or stored.fees == value),
        ("reason", stored.note.endswith(f": {reason}")),
    ) if not same]  # fmt: skip
    if differs:
        raise Conflict("key", f"the key recorded waiver {stored.id} ({stored.note}) on "
                       f"{stored.on.isoformat()}; this one differs in {' and '.join(differs)}: "
                       "send a new key for a new waiver")  # fmt: skip
    return Waived(stored, created=False)


def _amount(amount: str | Decimal | None) -> Decimal | None:
    """The amount asked for; None (all still owed on the fee) when left empty."""
    text = amount if isinstance(amount, Decimal) else (amount or "").strip()
    return read_money("amount", text) if text else None


def _decide(
    session: Session, loan: Loan, fee: FeeLine, on: date, value: Decimal | None, reason: str
) -> Waiver:
    """The waiver the rules allow on the loan as it stands, or why not."""
    last_payment = session.scalar(
        select(Movement.on).where(Movement.loan_id == loan.id,
                                  Movement.kind.in_(("payment", "payoff")))
        .order_by(Movement.on.desc()).limit(1)
    )  # fmt: skip
    return check_waiver((loan.id, loan.status), fee, value, reason, on,
                        last_payment=last_payment, today=utcnow().date())  # fmt: skip


def preview_waiver(
    session: Session, loan_id: int, fee_id: int, on: date, amount: str | Decimal | None,
    reason: str, key: str | None = None,
) -> Waiver | None:  # fmt: skip
    """The waiver `waive_fee` would record, refused as it would be, recording nothing: what a
    page or a command shows before asking. None when `key` recorded a waiver of this fee
    already: nothing is to be asked, `waive_fee` answers with that one (or the 409)."""
    value = _amount(amount)
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise NotFound("loan_id", f"there is no loan {loan_id}")
    if key is not None and session.scalar(
        select(Movement.id).where(Movement.key == waiver_key(loan.id, check_key(key)))
    ) is not None:  # fmt: skip
        return None
    return _decide(session, loan, fee_of(session, loan.id, fee_id), on, value, reason)


def waive_fee(
    session: Session,
    loan_id: int,
    fee_id: int,
    on: date,
    amount: str | Decimal | None,
    reason: str,
    key: str | None = None,
) -> Waived:
    """Waive `amount` of a fee (None or "": all that is still owed on it) on `on`, for a reason.
    The fee's part leaves what the loan owes and the fee income it posted is reversed for it.
    A caller's key makes a retry answer the waiver first recorded under it."""
    value = _amount(amount)
    loan = locked_loan(session, loan_id)  # first: a retry waits here for its first call
    token = None if key is None else check_key(key)
    fee = fee_of(session, loan.id, fee_id)
    if token is not None:
        stored = session.scalar(select(Movement).where(Movement.key == waiver_key(loan.id, token)))
        if stored is not None:
            return _replayed(stored, fee.id, on, value, read_reason(reason))
    waiver = _decide(session, loan, fee, on, value, reason)
    movement, _ = record(session, loan, WAIVER, on, waiver_key(loan.id, token or uuid4().hex),
                         Parts(waiver.amount, fees=waiver.amount), waiver.note())  # fmt: skip
    movement.waives_id = fee.id
    loan.fees_due -= waiver.amount
    refresh_schedule(session, loan)
    return Waived(movement, created=True)
