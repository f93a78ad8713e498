"""Fee waivers on SQLite and PostgreSQL: a fee waived in whole or in part is no longer owed by
the quote, the payoff, a payment's split or a charge-off; its fee income is reversed in the
ledger for the part; the history says why; a retry with its key records nothing more; what the
rules refuse leaves the loan as it was."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from evergreen.db import Database
from evergreen.errors import Conflict, InputError, NotFound
from evergreen.ledger.models import Posting
from evergreen.ledger.queries.rollup import sums
from evergreen.lending import queries, service
from evergreen.lending.models import Loan, LoanEvent, Movement

D = Decimal


def _loan(db: Database, **extra: object) -> int:
    """$100,000 at 12 % 30/360 from Jan 15, interest only: 1,000 due each 15th; a $50 late fee
    after 10 days' grace."""
    fields: dict[str, object] = {"borrower": "Rehab Co", "principal": "100000",
                                 "annual_rate": "12", "months": 12, "start": date(2026, 1, 15),
                                 "interest_only": True, "late_fee": "50"}  # fmt: skip
    fields.update(extra)
    with db.session() as session:
        return service.add_loan(session, service.LoanDraft(**fields), new_borrower=True).id  # type: ignore[arg-type]


def _late_fees(db: Database, loan_id: int, on: date) -> list[int]:
    with db.session() as session:
        return [m.id for m in service.charge_late_fees(session, loan_id, on)]


def _posted(db: Database, account: str) -> Decimal:
    with db.session(writer=False) as session:
        return session.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0)).where(Posting.account == account)
        ) or D(0)


def _fees_due(db: Database, loan_id: int) -> Decimal:
    with db.session(writer=False) as session:
        return service.get_loan(session, loan_id).fees_due


def test_a_fee_waived_in_part_is_owed_no_more_and_is_no_longer_income(db: Database) -> None:
    loan_id = _loan(db)
    (fee,) = _late_fees(db, loan_id, date(2026, 3, 1))  # February's 1,000 missed: 50 on Feb 26
    with db.session() as session:
        assert service.quote(session, loan_id, date(2026, 3, 2)).fees == D(50)
        waived = service.waive_fee(session, loan_id, fee, date(2026, 3, 2), "20",
                                   "first late payment, goodwill")  # fmt: skip
        assert waived.created
        assert (waived.movement.kind, waived.movement.fees) == ("fee_waiver", D(20))
    with db.session(writer=False) as session:
        (line,) = service.fees_of(session, loan_id)
        quote = service.quote(session, loan_id, date(2026, 3, 2))
        before = service.quote(session, loan_id, date(2026, 3, 1))  # replayed: not yet waived
        view = queries.loan_detail(session, loan_id, date(2026, 3, 2))
        (event,) = session.scalars(select(LoanEvent).where(LoanEvent.kind == "fee_waiver"))
        stream_id = service.get_loan(session, loan_id).stream_id
        assert stream_id is not None
        income = sums(session, [stream_id], date(2026, 1, 1), date(2026, 12, 31))[stream_id][0]
    assert (line.charged, line.waived, line.left) == (D(50), D(20), D(30))
    assert (quote.fees, before.fees, view.fees) == (D(30), D(50), D(30))
    assert quote.total == D(100000) + D("1566.67") + D(30)  # Jan 15 → Mar 2: 1 month 17 days
    assert event.on == date(2026, 3, 2)
    assert event.detail == (f"waived 20.00 of fee {fee} (late fee on the 2026-02-15 payment, "
                            "2026-02-26): first late payment, goodwill")  # fmt: skip
    assert _posted(db, "Income:Lending:Fees") == D(-30)  # 50 charged, 20 of it reversed
    assert _posted(db, "Assets:Receivable:Lending") == D(30)
    assert income == D(30)  # the stream's income counts only the fee still owed


def test_a_payment_after_a_waiver_pays_only_what_is_left_and_the_payoff_owes_none_of_it(
    db: Database,
) -> None:
    loan_id = _loan(db)
    (fee,) = _late_fees(db, loan_id, date(2026, 3, 1))
    with db.session() as session:
        service.waive_fee(session, loan_id, fee, date(2026, 3, 1), "", "hardship")  # all of it
    assert _fees_due(db, loan_id) == D(0)
    with db.session() as session:
        paid = service.record_payment(session, loan_id, date(2026, 3, 15), "2000").movement
        assert (paid.fees, paid.interest, paid.principal) == (D(0), D(2000), D(0))
        due = service.quote(session, loan_id, date(2026, 4, 15))
        assert (due.fees, due.total) == (D(0), D(101000))
        service.pay_off(session, loan_id, date(2026, 4, 15))
    with db.session(writer=False) as session:
        loan = service.get_loan(session, loan_id)
        (line,) = service.fees_of(session, loan_id)
    assert (loan.status, loan.fees_due) == ("paid_off", D(0))
    assert (line.paid, line.waived, line.left) == (D(0), D(50), D(0))
    assert _posted(db, "Income:Lending:Fees") == D(0)
    assert _posted(db, "Assets:Receivable:Lending") == D(0)


def test_payments_settle_the_oldest_fee_first_and_a_paid_fee_cannot_be_waived(
    db: Database,
) -> None:
    loan_id = _loan(db)
    first, second = _late_fees(db, loan_id, date(2026, 3, 27))  # Feb 26 and Mar 26
    with db.session() as session:
        service.record_payment(session, loan_id, date(2026, 3, 28), "70")  # fees first
    with db.session() as session:
        lines = {f.id: (f.paid, f.left) for f in service.fees_of(session, loan_id)}
        assert lines == {first: (D(50), D(0)), second: (D(20), D(30))}
        with pytest.raises(Conflict) as settled:
            service.waive_fee(session, loan_id, first, date(2026, 3, 28), "", "goodwill")
        assert settled.value.field == "fee_id"
        with pytest.raises(InputError) as over:
            service.waive_fee(session, loan_id, second, date(2026, 3, 28), "30.01", "goodwill")
        assert over.value.field == "amount"
        assert "more than the 30.00 still owed" in over.value.message
        with pytest.raises(InputError) as early:  # the payment counted the fee as owed
            service.waive_fee(session, loan_id, second, date(2026, 3, 27), "10", "goodwill")
        assert early.value.field == "date"
    with db.session() as session:
        service.waive_fee(session, loan_id, second, date(2026, 3, 28), "30", "goodwill")
    assert _fees_due(db, loan_id) == D(0)
    with db.session() as session, pytest.raises(Conflict, match="nothing is left to waive"):
        service.waive_fee(session, loan_id, second, date(2026, 3, 29), "", "again")


def test_what_is_refused_leaves_the_loan_as_it_was(db: Database) -> None:
    loan_id = _loan(db)
    other = _loan(db, borrower="Other Co")
    (fee,) = _late_fees(db, loan_id, date(2026, 3, 1))
    cases: list[tuple[int, int, str, str, type[Exception], str]] = [
        (loan_id, fee, "20", " ", InputError, "reason"),
        (loan_id, fee, "-5", "goodwill", InputError, "amount"),
        (loan_id, fee, "12.345", "goodwill", InputError, "amount"),
        (other, fee, "20", "goodwill", NotFound, "fee_id"),  # another loan's fee
        (999, fee, "20", "goodwill", NotFound, "loan_id"),
    ]
    for loan, fee_id, amount, reason, error, field in cases:
        with db.session() as session, pytest.raises(error) as refused:
            service.waive_fee(session, loan, fee_id, date(2026, 3, 2), amount, reason)
        assert refused.value.field == field  # type: ignore[attr-defined]
    with db.session(writer=False) as session:
        kinds = session.scalars(select(Movement.kind).order_by(Movement.id)).all()
    assert "fee_waiver" not in kinds
    assert _fees_due(db, loan_id) == D(50)
    assert _posted(db, "Income:Lending:Fees") == D(-50)


@pytest.mark.parametrize("close", ["charge_off", "pay_off"])
def test_a_closed_loans_fee_is_not_waived(db: Database, close: str) -> None:
    loan_id = _loan(db)
    (fee,) = _late_fees(db, loan_id, date(2026, 3, 1))
    with db.session() as session:
        getattr(service, close)(session, loan_id, date(2026, 3, 1))
    with db.session() as session, pytest.raises(Conflict) as refused:
        service.waive_fee(session, loan_id, fee, date(2026, 3, 2), "10", "goodwill")
    assert refused.value.field == "loan_id"
    assert "can no longer be waived" in refused.value.message


def test_a_charge_off_writes_off_only_what_was_not_waived(db: Database) -> None:
    loan_id = _loan(db)
    (fee,) = _late_fees(db, loan_id, date(2026, 3, 1))
    with db.session() as session:
        service.waive_fee(session, loan_id, fee, date(2026, 3, 5), "15", "partial goodwill")
    with db.session() as session:
        with pytest.raises(InputError, match="last fee waiver"):  # a close before the waiver
            service.charge_off(session, loan_id, date(2026, 3, 4))
        with pytest.raises(InputError, match="last fee waiver"):  # and money received before it
            service.record_payment(session, loan_id, date(2026, 3, 4), "100")
        off = service.charge_off(session, loan_id, date(2026, 3, 5))
    assert (off.principal, off.fees) == (D(100000), D(35))
    assert _posted(db, "Expenses:Lending:Losses") == D(100035)
    assert _posted(db, "Income:Lending:Fees") == D(-35)
    assert _posted(db, "Assets:Receivable:Lending") == D(0)


def test_a_retry_with_its_key_records_nothing_more_and_the_key_elsewhere_is_a_conflict(
    db: Database,
) -> None:
    loan_id = _loan(db)
    first, second = _late_fees(db, loan_id, date(2026, 3, 27))
    with db.session() as session:
        made = service.waive_fee(session, loan_id, first, date(2026, 3, 28), "10", "goodwill",
                                 key="ticket-7")  # fmt: skip
    with db.session() as session:
        again = service.waive_fee(session, loan_id, first, date(2026, 3, 28), "10", "goodwill",
                                  key="ticket-7")  # fmt: skip
        assert (again.movement.id, again.created) == (made.movement.id, False)
        assert service.preview_waiver(session, loan_id, first, date(2026, 3, 28), "10",
                                      "goodwill", "ticket-7") is None  # fmt: skip
        for fee, amount, words in ((first, "11", "amount"), (second, "10", "another fee")):
            with pytest.raises(Conflict, match=words):
                service.waive_fee(session, loan_id, fee, date(2026, 3, 28), amount, "goodwill",
                                  key="ticket-7")  # fmt: skip
    assert _fees_due(db, loan_id) == D(90)
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).where(Movement.kind == "fee_waiver")) == 1


def test_old_data_a_payment_stored_on_a_fee_dated_after_it_reads_as_paid(db: Database) -> None:
    """What a database from before fees were owed only from their date can hold: a late fee
    dated Feb 26 paid by a payment of Feb 20. The stored split stands; the fee reads as paid,
    so it cannot be waived, and the loan owes no fee."""
    loan_id = _loan(db)
    (fee,) = _late_fees(db, loan_id, date(2026, 3, 1))
    with db.session() as session:
        loan = session.get(Loan, loan_id)
        assert loan is not None
        session.add(Movement(loan_id=loan_id, key="payment:old", kind="payment",
                             on=date(2026, 2, 20), amount=D(50), fees=D(50)))  # fmt: skip
        loan.fees_due = D(0)
    with db.session() as session:
        (line,) = service.fees_of(session, loan_id)
        assert (line.id, line.paid, line.left) == (fee, D(50), D(0))
        with pytest.raises(Conflict, match="settled"):
            service.waive_fee(session, loan_id, fee, date(2026, 3, 2), "", "goodwill")
        assert service.quote(session, loan_id, date(2026, 3, 2)).fees == D(0)
