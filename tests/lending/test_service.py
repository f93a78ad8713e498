"""The lending service on SQLite and PostgreSQL: loans closed with points, payments split by the
allocation order (once per key), draws within the budget, late fees once per missed payment,
payoff quotes for any day, charge-offs and recoveries, each posted once to the ledger."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from evergreen.db import Database, utcnow
from evergreen.errors import Conflict, InputError
from evergreen.ledger.models import JournalEntry, Posting, Stream
from evergreen.lending import queries, service
from evergreen.lending.models import Loan, Movement

D = Decimal


def _loan(db: Database, **extra: object) -> int:
    fields: dict[str, object] = {
        "borrower": "Rehab Co",
        "principal": "100000",
        "annual_rate": "12",
        "months": 12,
        "start": date(2026, 1, 15),
    }
    fields.update(extra)
    with db.session() as session:
        return service.add_loan(session, service.LoanDraft(**fields), new_borrower=True).id  # type: ignore[arg-type]


def _postings(db: Database, account: str) -> Decimal:
    with db.session(writer=False) as session:
        return session.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0)).where(Posting.account == account)
        ) or D(0)


def test_a_loan_closes_with_points_received_and_posts_to_a_lending_stream(db: Database) -> None:
    """$100,000 with 2 points not financed: 100,000 out of the bank, 2,000 in at closing."""
    loan_id = _loan(db, points="2")
    with db.session(writer=False) as session:
        kinds = [(m.kind, m.amount, m.points) for m in session.scalars(
            select(Movement).where(Movement.loan_id == loan_id).order_by(Movement.id))]  # fmt: skip
        stream = session.scalars(select(Stream)).one()
        assert (stream.kind, stream.name) == ("lending", f"Loan {loan_id} (Rehab Co)")
    assert kinds == [("funding", D(100000), D(0)), ("closing", D(2000), D(2000))]
    assert _postings(db, "Assets:Loans:Principal") == D(100000)
    assert _postings(db, "Income:Lending:Points") == D(-2000)
    assert _postings(db, "Assets:Bank") == D(-98000)


def test_financed_points_are_owed_as_principal_and_earned_at_closing(db: Database) -> None:
    loan_id = _loan(db, points="3", points_financed=True)
    with db.session() as session:
        quote = service.quote(session, loan_id, date(2026, 2, 15))
    assert quote.principal == D(103000)
    assert quote.interest == D(1030)  # a 30/360 month on the note amount
    assert _postings(db, "Assets:Bank") == D(-100000)
    assert _postings(db, "Income:Lending:Points") == D(-3000)


def test_a_payment_is_split_by_the_order_and_a_replay_records_nothing(db: Database) -> None:
    loan_id = _loan(db)
    with db.session() as session:
        service.extend(session, loan_id, date(2027, 4, 15), "250", date(2026, 1, 20))
    with db.session() as session:
        first = service.record_payment(session, loan_id, date(2026, 2, 15), "1500", key="wire-1")
        paid = first.movement
        assert first.created
        assert (paid.fees, paid.interest, paid.principal) == (D(250), D(1000), D(250))
    with db.session() as session:
        again = service.record_payment(session, loan_id, date(2026, 2, 15), "1500", key="wire-1")
        assert (again.movement.id, again.created) == (paid.id, False)
    with db.session(writer=False) as session:
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == 3
        view = queries.loan_detail(session, loan_id, date(2026, 3, 1))
    assert view.balance == D(99750)
    assert view.maturity == date(2027, 4, 15)
    assert _postings(db, "Income:Lending:Interest") == D(-1000)
    assert _postings(db, "Assets:Receivable:Lending") == D(0)  # charged 250, paid 250


def test_a_payment_before_the_last_one_or_over_the_payoff_is_refused(db: Database) -> None:
    loan_id = _loan(db)
    with db.session() as session:
        service.record_payment(session, loan_id, date(2026, 2, 15), "1000")
    for day, amount, field in ((date(2026, 2, 1), "10", "date"),
                               (date(2026, 3, 15), "200000", "amount"),
                               (date(2026, 3, 15), "-5", "amount")):  # fmt: skip
        with pytest.raises(InputError) as refused, db.session() as session:
            service.record_payment(session, loan_id, day, amount)
        assert refused.value.field == field


def test_draws_run_their_steps_accrue_from_funding_and_charge_their_fee(db: Database) -> None:
    """$100,000 plus a $20,000 draw funded Feb 25 at 12 % 30/360: March 15 owes 1,000 + 1,000
    for the note and 20,000 * .12 * 20/360 = 133.33 on the draw, and the $75 draw fee."""
    with db.session() as session:
        prop = service.add_property(session, service.PropertyDraft("1 Elm St", "90000", "30000",
                                                                   "180000"))  # fmt: skip
        prop_id = prop.id
    loan_id = _loan(db, commitment="30000", draw_fee="75", property_id=prop_id, interest_only=True)
    with db.session() as session:
        with pytest.raises(InputError):
            service.request_draw(session, loan_id, "40000", date(2026, 2, 20))
        draw = service.request_draw(session, loan_id, "20000", date(2026, 2, 20)).draw
        draw_id = draw.id
    with db.session() as session, pytest.raises(InputError):
        service.fund_draw(session, draw_id, date(2026, 2, 25))  # not approved yet
    with db.session() as session:
        service.draw_action(session, draw_id, "inspect", date(2026, 2, 22))
        service.draw_action(session, draw_id, "approve", date(2026, 2, 23))
        service.fund_draw(session, draw_id, date(2026, 2, 25))
    with db.session() as session:
        quote = service.quote(session, loan_id, date(2026, 3, 15))
        view = queries.loan_detail(session, loan_id, date(2026, 3, 15))
        with pytest.raises(InputError):
            service.request_draw(session, loan_id, "10001", date(2026, 3, 1))  # 10,000 left
    assert (quote.principal, quote.interest, quote.fees) == (D(120000), D("2133.33"), D(75))
    assert (view.ltc, view.ltv) == (D("1.0833"), D("0.7222"))  # 130,000 / 120,000 and / 180,000
    assert _postings(db, "Assets:Loans:Principal") == D(120000)


def test_late_fees_are_charged_once_per_missed_payment(db: Database) -> None:
    loan_id = _loan(db, late_fee="50", late_fee_pct="5")
    with db.session() as session:
        assert service.charge_late_fees(session, loan_id, date(2026, 2, 25)) == []
    for _ in range(2):
        with db.session() as session:
            service.charge_late_fees(session, loan_id, date(2026, 3, 30))
    with db.session(writer=False) as session:
        fees = session.scalars(select(Movement.amount).where(Movement.kind == "fee")).all()
        view = queries.loan_detail(session, loan_id, date(2026, 3, 30))
    assert fees == [D(100), D(100)]  # Feb 15 and Mar 15, each 50 + 5 % of 1,000
    assert (view.fees, view.days_past_due, view.bucket) == (D(200), 43, "30")
    assert _postings(db, "Income:Lending:Fees") == D(-200)


def test_default_interest_runs_after_maturity_and_payoff_closes_the_loan(db: Database) -> None:
    loan_id = _loan(db, months=2, default_rate="18")
    with db.session() as session:
        service.record_payment(session, loan_id, date(2026, 2, 15), "1000")
        service.record_payment(session, loan_id, date(2026, 3, 15), "1000")
    with db.session() as session:
        quote = service.quote(session, loan_id, date(2026, 3, 25))
        assert quote.contract() == {"principal": 100000.0, "interest": 500.0,
                                    "fees": 0.0, "total": 100500.0,
                                    "per_diem": 50.0}  # fmt: skip
        assert quote.default_interest == D("166.67")  # 10 days at 6 % over the note rate
        past = service.quote(session, loan_id, date(2026, 3, 1))  # replayed: 16 days on 30/360
        assert past.total == D("100533.33")
    with db.session() as session:
        with pytest.raises(InputError):
            service.pay_off(session, loan_id, date(2026, 3, 25), "100000")
        service.pay_off(session, loan_id, date(2026, 3, 25))
    with db.session() as session:
        assert service.get_loan(session, loan_id).status == "paid_off"
        with pytest.raises(Conflict):
            service.record_payment(session, loan_id, date(2026, 4, 1), "1")
        assert service.quote(session, loan_id, date(2026, 4, 1)).total == 0
    assert _postings(db, "Income:Lending:Default-Interest") == D("-166.67")
    assert _postings(db, "Assets:Loans:Principal") == D(0)


def test_a_charge_off_is_a_loss_and_a_recovery_is_income(db: Database) -> None:
    loan_id = _loan(db, late_fee="40")
    with db.session() as session:
        service.charge_late_fees(session, loan_id, date(2026, 3, 1))
        service.charge_off(session, loan_id, date(2026, 4, 1))
    with db.session() as session:
        service.record_recovery(session, loan_id, date(2026, 6, 1), "30000")
        book = queries.portfolio(session, date(2026, 6, 2))
    assert _postings(db, "Expenses:Lending:Losses") == D(100040)
    assert _postings(db, "Income:Lending:Recoveries") == D(-30000)
    assert _postings(db, "Assets:Loans:Principal") == D(0)
    assert (book.deployed, book.loans) == (D(0), 0)
    assert book.xirr is not None
    assert book.xirr < -0.5  # 100,000 out, 30,000 back


def test_the_daily_run_charges_late_fees_once_and_a_feed_replay_posts_nothing(
    db: Database,
) -> None:
    """The task's run over every open loan, twice on the same day: one fee per missed payment;
    the ledger feed asked again for a posted movement posts nothing."""
    from evergreen.ledger import service as ledger
    from evergreen.lending.tasks import run_late_fees

    first, second = _loan(db, late_fee="25"), _loan(db, borrower="Other", late_fee="25")
    with db.session() as session:
        service.record_payment(session, second, date(2026, 2, 15), "1000")
    assert run_late_fees(db, date(2026, 2, 27)) == 1  # only the first missed February
    assert run_late_fees(db, date(2026, 2, 27)) == 0
    with db.session() as session:
        fee = session.scalars(select(Movement).where(Movement.kind == "fee")).one()
        assert (fee.loan_id, fee.on, fee.amount) == (first, date(2026, 2, 26), D(25))
        entries = session.scalar(select(func.count()).select_from(JournalEntry))
        loan = service.get_loan(session, first)
        fed = ledger.post_lending_movement(
            session, movement_id=fee.id, loan_id=first, loan_name="x", stream_id=loan.stream_id,
            legs=[("Assets:Receivable:Lending", D(25)), ("Income:Lending:Fees", D(-25))],
            currency="USD", on=fee.on, narration="again",
        )  # fmt: skip
        assert (fed.posted, fed.stream_id) == (0, loan.stream_id)
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == entries


def test_a_quote_for_a_past_day_counts_only_what_was_charged_by_then(db: Database) -> None:
    """Fees charged on Feb 26 and Mar 26 (grace over): a quote for Feb 20 owes none, one for
    Mar 1 owes February's, and both agree with the interest counted to their day."""
    loan_id = _loan(db, late_fee="40")
    with db.session() as session:
        service.charge_late_fees(session, loan_id, date(2026, 3, 30))
    with db.session() as session:
        before = service.quote(session, loan_id, date(2026, 2, 20))
        between = service.quote(session, loan_id, date(2026, 3, 1))
        now = service.quote(session, loan_id, date(2026, 3, 30))
    assert (before.fees, between.fees, now.fees) == (D(0), D(40), D(80))
    # 30/360: Jan 15 -> Feb 20 is 35 days, -> Mar 1 is 46, -> Mar 30 is 75, at 33.333... a day.
    assert (before.interest, between.interest, now.interest) == (D("1166.67"), D("1533.33"),
                                                                 D(2500))  # fmt: skip


def test_an_early_payoff_pays_the_prepayment_terms_once(db: Database) -> None:
    """100,000 at 12 % with three months' minimum interest and a 1 % premium within three
    months, paid off a month in (interest 1,000 paid on Feb 15): 3,000 - 1,000 - 0 accrued
    = 2,000 short, plus 1,000 premium, in the payoff's fees."""
    loan_id = _loan(db, min_interest_months=3, prepay_pct="1", prepay_months=3)
    with db.session() as session:
        service.record_payment(session, loan_id, date(2026, 2, 15), "1000")
    with db.session() as session:
        quote = service.quote(session, loan_id, date(2026, 2, 15))
        assert (quote.principal, quote.interest, quote.fees) == (D(100000), D(0), D(3000))
        service.pay_off(session, loan_id, date(2026, 2, 15), "103000")
    with db.session(writer=False) as session:
        charges = session.scalars(select(Movement.amount).where(Movement.kind == "fee")).all()
        assert charges == [D(3000)]
        assert service.get_loan(session, loan_id).status == "paid_off"
    assert _postings(db, "Income:Lending:Fees") == D(-3000)
    with db.session() as session:  # closed: nothing more is owed or charged
        assert service.quote(session, loan_id, date(2026, 3, 1)).total == 0


def _payments(db: Database, loan_id: int) -> list[tuple[date, Decimal]]:
    with db.session(writer=False) as session:
        return [(m.on, m.amount) for m in session.scalars(
            select(Movement).where(Movement.loan_id == loan_id,
                                   Movement.kind.in_(("payment", "payoff"))).order_by(Movement.id)
        )]  # fmt: skip


def test_the_same_payment_twice_without_a_key_is_two_payments(db: Database) -> None:
    """Two cheques of 100 on the same day are two payments; only a caller's key is a retry."""
    loan_id = _loan(db)
    for _ in range(2):
        with db.session() as session:
            service.record_payment(session, loan_id, date(2026, 5, 1), "100")
    assert _payments(db, loan_id) == [(date(2026, 5, 1), D(100))] * 2
    assert _postings(db, "Assets:Bank") == D(-100000) + D(200)


def test_a_key_sent_again_for_another_date_or_amount_is_a_conflict(db: Database) -> None:
    loan_id = _loan(db)
    with db.session() as session:
        service.record_payment(session, loan_id, date(2026, 5, 1), "100", key="chk-7")
    for day, amount, differs in ((date(2026, 5, 1), "120", "amount"),
                                 (date(2026, 5, 2), "100", "date")):  # fmt: skip
        with pytest.raises(Conflict) as refused, db.session() as session:
            service.record_payment(session, loan_id, day, amount, key="chk-7")
        assert refused.value.field == "key"
        assert f"differs in {differs}" in refused.value.message
    other = _loan(db, borrower="Other")
    with pytest.raises(Conflict) as refused, db.session() as session:
        service.record_payment(session, other, date(2026, 5, 1), "100", key="chk-7")
    assert refused.value.field == "key"
    assert _payments(db, loan_id) == [(date(2026, 5, 1), D(100))]
    assert _payments(db, other) == []


def _last_split(db: Database) -> tuple[Decimal, Decimal, Decimal]:
    """The last payment's principal, interest and fees, as stored."""
    with db.session(writer=False) as session:
        paid = session.scalars(select(Movement).where(Movement.kind == "payment")
                               .order_by(Movement.id.desc())).first()  # fmt: skip
        assert paid is not None
        return paid.principal, paid.interest, paid.fees


def _tested_loan(db: Database) -> int:
    """The tester's note: 12,000 at 10 % actual/365 over 12 months, amortising, $50 late fee."""
    return _loan(db, principal="12000.00", annual_rate="0.10", interest_only=False,
                 day_count="actual/365", late_fee="50", grace_days=10)  # fmt: skip


def test_a_payment_pays_no_fee_dated_after_it_and_no_quote_owes_negative_fees(
    db: Database,
) -> None:
    """Late fees charged through Dec 1 are dated Feb 26 … Nov 26; a payment received Feb 20
    owes none of them: 36 days' interest (12,000 * .10 * 36/365 = 118.36), the rest principal."""
    loan_id = _tested_loan(db)
    with db.session() as session:
        fees = service.charge_late_fees(session, loan_id, date(2026, 12, 1))
        assert [m.on for m in fees][::9] == [date(2026, 2, 26), date(2026, 11, 26)]
    with db.session() as session:
        service.record_payment(session, loan_id, date(2026, 2, 20), "1054.99")
    assert _last_split(db) == (D("936.63"), D("118.36"), D(0))
    with db.session() as session:
        quotes = {day: service.quote(session, loan_id, day) for day in (
            date(2026, 2, 21), date(2026, 2, 26), date(2026, 6, 1), date(2026, 12, 1))}  # fmt: skip
        assert session.get(Loan, loan_id).fees_due == D(500)  # type: ignore[union-attr]
    assert [q.fees for q in quotes.values()] == [D(0), D(50), D(200), D(500)]
    assert quotes[date(2026, 2, 21)].principal == D("11063.37")
    # The ledger agrees with the split: 500 charged, none of it paid yet.
    assert _postings(db, "Assets:Receivable:Lending") == D(500)
    assert _postings(db, "Assets:Loans:Principal") == D("11063.37")
    with db.session() as session:  # the next payment, on Mar 1, pays February's fee first
        service.record_payment(session, loan_id, date(2026, 3, 1), "100")
    assert _last_split(db) == (D("22.72"), D("27.28"), D(50))  # 9 days' interest on 11,063.37


def test_a_charge_off_writes_off_what_is_owed_on_its_day_never_before_a_fee(
    db: Database,
) -> None:
    """Fees dated Feb 26 and Mar 26: a charge-off (or payoff) on Mar 1 would close the loan
    with March's fee still to come: refused; on Mar 30 both fees are written off."""
    loan_id = _loan(db, late_fee="40")
    with db.session() as session:
        service.charge_late_fees(session, loan_id, date(2026, 3, 30))
    for close in (service.charge_off, service.pay_off):
        with pytest.raises(InputError) as refused, db.session() as session:
            close(session, loan_id, date(2026, 3, 1))
        assert refused.value.field == "date"
        assert "must not be before 2026-03-26" in refused.value.message
    with db.session() as session:
        off = service.charge_off(session, loan_id, date(2026, 3, 30))
        assert (off.principal, off.fees) == (D(100000), D(80))
    assert _postings(db, "Expenses:Lending:Losses") == D(100080)
    assert _postings(db, "Assets:Receivable:Lending") == D(0)


def test_late_fees_are_not_charged_as_of_a_day_after_today(db: Database) -> None:
    from evergreen.lending.tasks import run_late_fees

    loan_id = _loan(db, late_fee="40")
    tomorrow = utcnow().date() + timedelta(days=1)
    with pytest.raises(InputError) as refused, db.session() as session:
        service.charge_late_fees(session, loan_id, tomorrow)
    assert refused.value.field == "date"
    with pytest.raises(InputError):
        run_late_fees(db, tomorrow)
    with db.session(writer=False) as session:
        assert session.scalars(select(Movement).where(Movement.kind == "fee")).all() == []


def test_a_payment_dated_after_today_is_refused_and_leaves_the_loan_as_it_was(
    db: Database,
) -> None:
    """A payment dated 9999-12-31 was kept, and then no later payment could be recorded."""
    loan_id = _loan(db)
    tomorrow = utcnow().date() + timedelta(days=1)
    with pytest.raises(InputError) as refused, db.session() as session:
        service.record_payment(session, loan_id, tomorrow, "100")
    assert refused.value.field == "date"
    assert _payments(db, loan_id) == []
    with db.session() as session:
        service.record_payment(session, loan_id, date(2026, 5, 1), "100")
    assert _payments(db, loan_id) == [(date(2026, 5, 1), D(100))]
