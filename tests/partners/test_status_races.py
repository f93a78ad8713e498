"""A commission's status changed by the hourly approval or by hand while a refund or a payout
changes it too: each waits for the program's payout lock and decides on what is stored then, so
a refunded sale is never approved or paid and a payout holds only what it pays. The first
writer is paused after it has read the commission, before it writes, to force the interleaving
that lost an update on PostgreSQL (on SQLite writers already take turns)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.db import Database
from evergreen.partners import service
from evergreen.partners.models import Commission, CommissionEvent, PayoutLine, Program
from evergreen.partners.rules import EventType, PartnerConflict
from evergreen.partners.service import lifecycle
from evergreen.partners.service.conversions import ConversionIn, record_conversion
from evergreen.partners.service.payouts import create_payout, mark_paid
from tests.ledger.journal_view import journal
from tests.races import race

D = Decimal
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
OWED = "Liabilities:Partners:Commissions"
Work = Callable[[Session, Program], object]


def _setup(db: Database) -> int:
    """Ana's sale o1 (a 30.00 commission, pending) and Ben's o2 (30.00, approved)."""
    with db.session() as session:
        program = service.default_program(session)
        program.payout_threshold = D("25")
        terms = service.TermsDraft(kind="percent", rate=D("30"), effective_from=T0 - timedelta(9))
        service.add_terms(session, program, terms)
        for name, code in (("Ana", "ANA"), ("Ben", "BEN")):
            partner = service.create_partner(
                session, program, name=name, email=f"{name.lower()}@example.com", status="active"
            )
            service.add_coupon(session, partner, code)
        _event(session, program, "s-o1", EventType.SALE, "100", "o1", "ANA")
        _event(session, program, "s-o2", EventType.SALE, "100", "o2", "BEN")
        service.change_status(session, program, 2, "approve", actor="owner")
        return program.id


def _event(session: Session, program: Program, key: str, event: EventType, amount: str,
           order: str, coupon: str = "") -> None:  # fmt: skip
    record_conversion(
        session, program,
        ConversionIn(
            idempotency_key=key, event=event, amount=D(amount), currency="USD",
            customer_id=f"cus_{order}", occurred_at=T0, order_id=order, coupon=coupon,
        ),
        actor="test",
    )  # fmt: skip


def _full_refund(session: Session, program: Program) -> None:
    _event(session, program, "r-o1", EventType.REFUND, "100", "o1")


def _approve_due(session: Session, program: Program) -> int:
    return lifecycle.approve_due(session, program, datetime.now(UTC) + timedelta(days=31))


def _by_hand(action: str) -> Work:
    def change(session: Session, program: Program) -> Commission:
        return service.change_status(session, program, 1, action, actor="owner")

    return change


def _payout(session: Session, program: Program) -> object:
    return create_payout(session, program, actor="owner", now=T0 + timedelta(days=40))


def _race(db: Database, program_id: int, first: Work, second: Work,
          monkeypatch: pytest.MonkeyPatch, *, pause_before: str = "move") -> None:  # fmt: skip
    """`first` reads the commission, then, at its first call of lifecycle's `pause_before`
    (`move`: before it changes the commission), waits while `second` runs (to its commit, or
    until it waits for a lock `first` holds); both must succeed."""

    def in_program(work: Work) -> Callable[[Session], object]:
        return lambda session: work(session, session.get_one(Program, program_id))

    outcomes = race(db, monkeypatch, in_program(first), in_program(second),
                    pause_at=(lifecycle, pause_before))  # fmt: skip
    assert [error for _result, error in outcomes if error is not None] == []


def _history_is_a_chain(session: Session) -> None:
    """Each change starts from where the one before it left the commission: no lost update."""
    for commission in session.scalars(select(Commission).order_by(Commission.id)):
        events = session.scalars(
            select(CommissionEvent)
            .where(CommissionEvent.commission_id == commission.id)
            .order_by(CommissionEvent.id)
        ).all()
        steps = [(e.from_status, e.to_status) for e in events]
        for (_, after), (before, _) in pairwise(steps):
            assert before in ("", after), (commission.id, steps)
        assert steps[-1][1] == commission.status, (commission.id, steps)


def _owed(session: Session) -> Decimal:
    """What the ledger says is owed to partners (a liability: its balance is negative)."""
    return -sum(
        (amount for *_, legs in journal(session) for acc, amount, _c, _s in legs if acc == OWED),
        D(0),
    )


def _consistent(session: Session) -> None:
    """The ledger owes what approved and batched commissions add up to; every payout's lines
    are its commissions' net, and each of them is batched (payable) or paid."""
    _history_is_a_chain(session)
    commissions = session.scalars(select(Commission)).all()
    owed = sum((c.amount for c in commissions if c.status in ("approved", "payable")), D(0))
    assert _owed(session) == owed
    nets: dict[tuple[int, int], Decimal] = {}
    for commission in commissions:
        if commission.payout_id is not None:
            assert commission.status in ("payable", "paid"), commission.status
            key = (commission.payout_id, commission.partner_id)
            nets[key] = nets.get(key, D(0)) + commission.amount
    lines = session.scalars(select(PayoutLine)).all()
    assert {(line.payout_id, line.partner_id): line.total for line in lines} == nets


def _ana(session: Session) -> Commission:
    commission = session.get(Commission, 1)
    assert commission is not None
    return commission


@pytest.mark.parametrize(
    ("first", "start", "after"),
    [
        (_approve_due, "pending", "reversed"),
        (_by_hand("approve"), "pending", "reversed"),
        (_by_hand("hold"), "pending", "reversed"),
        (_by_hand("hold"), "approved", "reversed"),
        (_by_hand("release"), "on_hold", "reversed"),
        (_by_hand("reject"), "pending", "rejected"),  # rejected first: the refund finds nothing
    ],
    ids=["approve-due", "approve", "hold", "hold-approved", "release", "reject"],
)
def test_a_status_change_and_a_refund_at_once_never_approve_a_refunded_sale(
    db: Database, monkeypatch: pytest.MonkeyPatch, first: Work, start: str, after: str
) -> None:
    program_id = _setup(db)
    with db.session() as session:
        program = service.default_program(session)
        if start == "approved":
            service.change_status(session, program, 1, "approve", actor="owner")
        elif start == "on_hold":
            service.change_status(session, program, 1, "hold", actor="owner", note="check")
    _race(db, program_id, first, _full_refund, monkeypatch)
    with db.session() as session:
        assert _ana(session).status == after
        _consistent(session)
        program = service.default_program(session)
        assert _approve_due(session, program) == 0  # nothing of Ana's is left to approve
        payout = _payout(session, program)
        assert payout is not None
        mark_paid(session, program, payout.id, actor="owner", now=T0 + timedelta(days=41))
        assert _ana(session).status == after  # never paid
        _consistent(session)


def _approve_what_the_page_showed(*, refused: bool) -> Work:
    """The commission's page read it pending; a refund committed since refuses the approval
    (on SQLite the refund waits for this writer instead, and reverses the approval)."""

    def approve(session: Session, program: Program) -> None:
        shown = service.get_commission(session, program, 1)  # kept, as the page keeps it
        assert shown.status == "pending"
        if not refused:
            service.change_status(session, program, 1, "approve", actor="owner")
            return
        with pytest.raises(PartnerConflict, match="cannot approve a reversed commission"):
            service.change_status(session, program, 1, "approve", actor="owner")
        assert shown.status == "reversed"  # what the page read is what is stored now

    return approve


def test_an_approval_of_a_commission_read_before_a_refund_is_refused(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_id = _setup(db)
    first = _approve_what_the_page_showed(refused=not db.single_writer)
    _race(db, program_id, first, _full_refund, monkeypatch, pause_before="lock_payouts")
    with db.session() as session:
        assert (_ana(session).status, _ana(session).amount) == ("reversed", D("0"))
        _consistent(session)


def test_the_hourly_approval_and_a_rejection_at_once_keep_the_rejection(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_id = _setup(db)
    _race(db, program_id, _by_hand("reject"), _approve_due, monkeypatch)
    with db.session() as session:
        assert _ana(session).status == "rejected"
        _consistent(session)


def test_a_hold_and_a_new_payout_at_once_leave_the_held_commission_out_of_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_id = _setup(db)
    with db.session() as session:
        program = service.default_program(session)
        service.change_status(session, program, 1, "approve", actor="owner")
    _race(db, program_id, _by_hand("hold"), _payout, monkeypatch)
    with db.session() as session:
        ana = _ana(session)
        assert (ana.status, ana.payout_id) == ("on_hold", None)
        _consistent(session)
        program = service.default_program(session)
        (payout_id,) = session.scalars(select(PayoutLine.payout_id)).all()  # Ben's alone
        mark_paid(session, program, payout_id, actor="owner", now=T0 + timedelta(days=41))
        assert _ana(session).status == "on_hold"
        _consistent(session)
